//! Cluster actions' bodies: `LaunchCluster`, `DescribeCluster`, `ListClusters`,
//! `ScaleOutInstanceGroups` / `ScaleInInstanceGroups`, `TerminateCluster`,
//! `ConvertTrialCluster`, `ModifyClusterName` and `ListClusterVersions`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::spec::SpecRequest;

/// `LaunchCluster`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchClusterRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// `persistent` (the default) or `transient`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_type: Option<String>,
    /// [`crate::status::CHARGE_ON_DEMAND`] (the default), `Monthly`, `Yearly` or `Trial`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_type: Option<String>,
    /// The term bought: months for `Monthly`, years for `Yearly` (default 1;
    /// [`crate::limits::MONTHLY_TERMS`], [`crate::limits::YEARLY_TERMS`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase_time: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// Checked against [`crate::password`]; absent, the service makes one up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_password: Option<String>,
    #[serde(flatten)]
    pub spec: SpecRequest,
}

/// A request naming one cluster: `DescribeCluster`, `TerminateCluster`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterIdRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
}

/// The answer of the actions that change a cluster's status: `LaunchCluster` (a retried
/// launch answers the id alone), the scale actions and `TerminateCluster`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterStatusAnswer {
    pub cluster_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_status: Option<String>,
}

/// A cluster as `DescribeCluster` and `ListClusters` answer it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cluster {
    pub cluster_id: String,
    pub cluster_name: String,
    pub cluster_type: String,
    pub charge_type: String,
    pub cluster_status: String,
    pub main_version: String,
    pub services: Vec<String>,
    pub vpc_domain_id: String,
    pub subnet_id: String,
    /// The VPC's `KSCKMR` group, which every KMR cluster is in.
    pub security_group_id: String,
    pub enable_eip: bool,
    #[serde(default)]
    pub master_eip: Option<String>,
    pub master_private_ip: String,
    #[serde(default)]
    pub log_uri: Option<String>,
    pub instance_groups: Vec<InstanceGroup>,
    #[serde(default)]
    pub jobs: Vec<Job>,
    #[serde(default)]
    pub client_token: Option<String>,
    pub create_time: DateTime<Utc>,
    #[serde(default)]
    pub ready_time: Option<DateTime<Utc>>,
    /// When the cluster reached `terminated` or `released`.
    #[serde(default)]
    pub release_time: Option<DateTime<Utc>>,
    /// When an unconverted trial, or a subscription not renewed, is deleted.
    #[serde(default)]
    pub expire_time: Option<DateTime<Utc>>,
    /// Minutes from the service's now to `ExpireTime` (the service's expiry reminder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_minutes: Option<i64>,
    /// The term of a `Monthly` (months) or `Yearly` (years) cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_time: Option<u32>,
    #[serde(default)]
    pub converted_time: Option<DateTime<Utc>>,
    /// The scale or terminate operation under way: one at a time per cluster.
    #[serde(default)]
    pub pending_operation: Option<PendingOperation>,
    #[serde(default)]
    pub state_change_reason: Option<StateChangeReason>,
    /// Set on clusters an execution plan made.
    #[serde(default)]
    pub execution_plan_id: Option<String>,
    #[serde(default)]
    pub template_id: Option<String>,
    /// Minutes between `running` and release (or now).
    #[serde(default)]
    pub serving_minutes: i64,
}

impl Cluster {
    /// The group of a type (`MASTER`, `CORE`, `TASK`), if the cluster has one.
    pub fn group(&self, group_type: &str) -> Option<&InstanceGroup> {
        self.instance_groups.iter().find(|g| g.instance_group_type == group_type)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceGroup {
    pub instance_group_id: String,
    pub instance_group_type: String,
    pub instance_type: String,
    pub instance_count: u32,
    pub instance_ids: Vec<String>,
    pub vpc_subnet_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PendingOperation {
    /// `ScaleOut`, `ScaleIn` or `Terminate` ([`crate::status::OP_SCALE_OUT`], ...).
    pub operation: String,
    #[serde(default)]
    pub instance_group_id: Option<String>,
    /// Nodes added (scale out) or removed (scale in).
    #[serde(default)]
    pub instance_count: u32,
    /// The instances a scale-in removes.
    #[serde(default)]
    pub instance_ids: Vec<String>,
    pub start_time: DateTime<Utc>,
    pub finish_time: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateChangeReason {
    pub code: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Job {
    pub job_id: String,
    pub job_name: String,
    pub job_type: String,
    pub job_args: Vec<String>,
    pub job_status: String,
    #[serde(default)]
    pub start_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end_time: Option<DateTime<Utc>>,
    /// Where the job's output and logs went (under the cluster's `LogUri`).
    #[serde(default)]
    pub log_path: Option<String>,
}

/// `ListClusters`: filters and a page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListClustersRequest {
    /// `limit=10&offset=0`, as KMR pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_plan_id: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListClustersAnswer {
    #[serde(default)]
    pub clusters: Vec<Cluster>,
    #[serde(default)]
    pub total: usize,
    /// The next page, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// `ScaleOutInstanceGroups` and `ScaleInInstanceGroups`: one group per call.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScaleRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub instance_groups: Vec<ScaleGroup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    #[serde(default)]
    pub graceful_scale_in: bool,
    /// Seconds, at most [`crate::limits::GRACEFUL_SCALE_IN_MAX_SECONDS`].
    #[serde(default)]
    pub graceful_scale_in_timeout: u32,
}

/// The group a scale call changes, by id or by type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScaleGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_group_type: Option<String>,
    /// Nodes to add, or to remove (the newest first) when `Instances` is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_count: Option<u32>,
    /// The instances a scale-in removes.
    #[serde(default)]
    pub instances: Vec<InstanceRef>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceRef {
    pub instance_id: String,
}

/// `ConvertTrialCluster`: trial → a paid charge type, in place.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConvertTrialClusterRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_type: Option<String>,
    /// The term bought, as at launch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase_time: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConvertTrialClusterAnswer {
    pub cluster_id: String,
    pub charge_type: String,
}

/// `ModifyClusterName`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyClusterNameRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
}

/// The answer of `ModifyClusterName`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterIdAnswer {
    pub cluster_id: String,
}

/// `ListClusterVersions`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListClusterVersionsAnswer {
    pub cluster_versions: Vec<ClusterVersion>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterVersion {
    pub main_version: String,
    pub distribution: String,
    pub mandatory_services: Vec<String>,
    pub optional_services: Vec<String>,
    pub instance_types: Vec<String>,
    pub instance_group_requirements: Vec<GroupRequirement>,
}

/// How many nodes a group type may have.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupRequirement {
    pub name: String,
    pub essential: bool,
    pub is_primary: bool,
    pub min: u32,
    pub max: u32,
    pub step: u32,
}
