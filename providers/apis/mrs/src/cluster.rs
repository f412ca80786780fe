//! Cluster bodies: the v2 create request (snake_case), the v1.1 cluster detail and list
//! answers (camelCase, counts as the API writes them), resize (v1.1 `PUT cluster_infos`),
//! expand/shrink (v2), master spec upgrade, rename, hosts. Optional request fields are left out
//! when absent.

use crate::tag::Tag;

/// Cluster types (`cluster_type`).
pub const TYPE_ANALYSIS: &str = "ANALYSIS";
pub const TYPE_STREAMING: &str = "STREAMING";
pub const TYPE_MIXED: &str = "MIXED";
pub const TYPE_CUSTOM: &str = "CUSTOM";
pub const CLUSTER_TYPES: &[&str] = &[TYPE_ANALYSIS, TYPE_STREAMING, TYPE_MIXED, TYPE_CUSTOM];

/// `safe_mode`.
pub const SAFE_MODE_SIMPLE: &str = "SIMPLE";
pub const SAFE_MODE_KERBEROS: &str = "KERBEROS";
/// `login_mode`.
pub const LOGIN_PASSWORD: &str = "PASSWORD";
pub const LOGIN_KEYPAIR: &str = "KEYPAIR";

/// Fixed node group names of non-custom clusters.
pub const GROUP_MASTER: &str = "master_node_default_group";
pub const GROUP_CORE_ANALYSIS: &str = "core_node_analysis_group";
pub const GROUP_CORE_STREAMING: &str = "core_node_streaming_group";
pub const GROUP_TASK_ANALYSIS: &str = "task_node_analysis_group";
pub const GROUP_TASK_STREAMING: &str = "task_node_streaming_group";

/// Service limits (research.md §1.1, §1.2).
pub const MAX_CORE_AND_TASK_NODES: u32 = 500;
/// Scale-in never takes a core group below this.
pub const CORE_FLOOR: u32 = 3;
/// A master spec upgrade needs master HA.
pub const MIN_MASTERS_FOR_UPGRADE: u32 = 2;
pub const MAX_TAGS: usize = 10;

/// `charge_info`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChargeInfo {
    /// `prePaid` | `postPaid`.
    pub charge_mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_num: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_auto_pay: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_auto_renew: Option<bool>,
}

pub const CHARGE_PREPAID: &str = "prePaid";
pub const CHARGE_POSTPAID: &str = "postPaid";

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Volume {
    /// `SATA` | `SAS` | `SSD`.
    #[serde(rename = "type")]
    pub kind: String,
    pub size: u32,
}

/// One `node_groups[]` entry of a create request.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NodeGroupRequest {
    pub group_name: String,
    pub node_num: u32,
    /// Flavor, e.g. `c6.2xlarge.4.linux.bigdata`.
    pub node_size: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_volume: Option<Volume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_volume: Option<Volume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_volume_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_info: Option<ChargeInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling_policy: Option<crate::scaling::AutoScalingPolicy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assigned_roles: Vec<String>,
}

/// `POST /v2/{pid}/clusters`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CreateClusterRequest {
    pub cluster_version: String,
    pub cluster_name: String,
    pub cluster_type: String,
    pub region: String,
    pub availability_zone: String,
    pub vpc_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_name: Option<String>,
    /// Comma-separated component names (`Hadoop,Spark2x,Hive`).
    pub components: String,
    pub safe_mode: String,
    pub manager_admin_password: String,
    pub login_mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_root_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_keypair_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_groups_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_collection: Option<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_info: Option<ChargeInfo>,
    pub node_groups: Vec<NodeGroupRequest>,
}

/// The create answer: a cluster id (postPaid) or an order to pay (prePaid).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CreateClusterResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentInfo {
    pub component_name: String,
    #[serde(default)]
    pub component_version: String,
}

/// One node group in a cluster's detail.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeGroupInfo {
    pub group_name: String,
    pub node_num: u32,
    pub node_size: String,
    #[serde(default)]
    pub root_volume_type: String,
    #[serde(default)]
    pub root_volume_size: u32,
    #[serde(default)]
    pub data_volume_type: String,
    #[serde(default)]
    pub data_volume_size: u32,
    #[serde(default)]
    pub data_volume_count: u32,
}

/// `GET /v1.1/{pid}/cluster_infos/{id}` → `{"cluster": ClusterInfo}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    pub cluster_id: String,
    pub cluster_name: String,
    /// A [`crate::state::ClusterState`] name.
    pub cluster_state: String,
    /// Progress text while starting or scaling.
    #[serde(default)]
    pub stage_desc: String,
    pub cluster_version: String,
    pub cluster_type: String,
    pub total_node_num: u32,
    #[serde(default)]
    pub master_node_ip: String,
    pub master_node_num: u32,
    pub master_node_size: String,
    pub core_node_num: u32,
    pub core_node_size: String,
    pub vpc: String,
    pub subnet_id: String,
    #[serde(default)]
    pub security_groups_id: String,
    pub availability_zone: String,
    pub safe_mode: String,
    /// `prePaid` | `postPaid`.
    pub charge_mode: String,
    pub component_list: Vec<ComponentInfo>,
    pub node_groups: Vec<NodeGroupInfo>,
    /// `k=v,k2=v2`, as v1.1 writes them.
    #[serde(default)]
    pub tags: String,
    /// Seconds since the epoch, as a string (10 digits).
    pub create_at: String,
    #[serde(default)]
    pub update_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClusterDetail {
    pub cluster: ClusterInfo,
}

/// `GET /v1.1/{pid}/cluster_infos`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterList {
    pub cluster_total: u32,
    pub clusters: Vec<ClusterInfo>,
}

/// `PUT /v1.1/{pid}/cluster_infos/{id}` (legacy resize).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResizeRequest {
    pub parameters: ResizeParameters,
}

pub const SCALE_OUT: &str = "scale_out";
pub const SCALE_IN: &str = "scale_in";

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResizeParameters {
    /// `scale_out` | `scale_in`.
    pub scale_type: String,
    /// Always `node_orderadd`.
    pub node_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_group: Option<String>,
    /// How many nodes to add or remove, as a string.
    pub instances: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_bootstrap_scripts: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_without_start: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_ids: Vec<String>,
}

/// `{"result":"succeeded"}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResultAnswer {
    pub result: String,
}

pub const RESULT_SUCCEEDED: &str = "succeeded";

/// `POST /v2/{pid}/clusters/{id}/expand`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpandRequest {
    pub node_group_name: String,
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_bootstrap_scripts: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_without_start: Option<bool>,
}

/// `POST /v2/{pid}/clusters/{id}/shrink`: by `count` or by `resource_ids`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShrinkRequest {
    pub node_group_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_ids: Vec<String>,
}

/// `POST /v2/{pid}/clusters/{id}/master-spec` (the sandbox's form of the console's
/// one-click master upgrade).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UpgradeMasterSpecRequest {
    pub node_size: String,
}

/// `PUT /v2/{pid}/clusters/{id}/cluster-name`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RenameRequest {
    pub cluster_name: String,
}

/// One host of `GET /v1.1/{pid}/clusters/{id}/hosts`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Host {
    pub id: String,
    pub name: String,
    pub ip: String,
    pub status: String,
    pub flavor: String,
    /// `Master`, `Analysis_Core`, `Streaming_Core`, `Analysis_Task`, `Streaming_Task`.
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HostList {
    pub total: u32,
    pub hosts: Vec<Host>,
}

/// Cluster names: 2–64 characters, letters, digits, `-` and `_`.
pub fn check_cluster_name(name: &str) -> Result<(), String> {
    let length = name.chars().count();
    if !(2..=64).contains(&length) {
        return Err(format!("`{name}` has {length} characters; a cluster name has 2 to 64"));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(format!("`{name}` contains `{bad}`; a cluster name has only letters, digits, `-` and `_`"));
    }
    Ok(())
}

/// The node-group count rules of research.md §1.2 for a resize of `group` from `from` to
/// `to` nodes, given the cluster's other core+task nodes.
pub fn check_resize(is_core: bool, from: u32, to: u32, other_core_and_task: u32) -> Result<(), String> {
    if is_core && to < from && to < CORE_FLOOR {
        return Err(format!("a core group keeps at least {CORE_FLOOR} nodes; {from} → {to} would leave {to}"));
    }
    if other_core_and_task.saturating_add(to) > MAX_CORE_AND_TASK_NODES {
        return Err(format!(
            "a cluster has at most {MAX_CORE_AND_TASK_NODES} core and task nodes; this would make {}",
            other_core_and_task + to
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v2_create_body_reads_and_writes_the_apis_field_names() {
        let json = serde_json::json!({
            "cluster_version": "MRS 3.1.0", "cluster_name": "mrs_demo", "cluster_type": "ANALYSIS",
            "region": "cn-north-4", "availability_zone": "cn-north-4a", "vpc_name": "vpc-1", "subnet_id": "s-1",
            "components": "Hadoop,Spark2x,Hive", "safe_mode": "KERBEROS", "manager_admin_password": "Secret!123",
            "login_mode": "PASSWORD", "node_root_password": "Root!1234",
            "tags": [{"key": "env", "value": "dev"}],
            "node_groups": [
                {"group_name": "master_node_default_group", "node_num": 2, "node_size": "c6.4xlarge.4.linux.bigdata",
                 "root_volume": {"type": "SAS", "size": 480}, "data_volume": {"type": "SAS", "size": 600}, "data_volume_count": 1},
                {"group_name": "core_node_analysis_group", "node_num": 3, "node_size": "c6.4xlarge.4.linux.bigdata"}
            ]
        });
        let request: CreateClusterRequest = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(request.node_groups[0].root_volume.as_ref().unwrap().kind, "SAS");
        assert_eq!(serde_json::to_value(&request).unwrap(), json);
    }

    #[test]
    fn names_and_resizes_follow_the_service_rules() {
        assert!(check_cluster_name("mrs_demo-1").is_ok());
        assert!(check_cluster_name("m").unwrap_err().contains("2 to 64"));
        assert!(check_cluster_name("mrs demo").unwrap_err().contains("` `"));
        assert!(check_resize(true, 5, 3, 0).is_ok());
        assert!(check_resize(true, 3, 2, 0).unwrap_err().contains("at least 3"));
        assert!(check_resize(false, 2, 0, 3).is_ok(), "task groups may go to zero");
        assert!(check_resize(false, 2, 10, 495).unwrap_err().contains("at most 500"));
    }
}
