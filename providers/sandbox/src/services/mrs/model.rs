//! The records the MRS service stores: a cluster in the API's terms plus what only the
//! service keeps (owning account and project, the operation under way, the admin password's
//! hash), and jobs. [`ClusterRecord::info`] turns a record into the v1.1 detail answer.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use corral_api_mrs::cluster::{ClusterInfo, ComponentInfo, GROUP_MASTER, Host, NodeGroupInfo};
use corral_api_mrs::job::JobDetail;
use corral_api_mrs::scaling::AutoScalingPolicy;
use corral_api_mrs::state::ClusterState;
use corral_api_mrs::tag::{Tag, to_v11};
use corral_provider_sdk::emulator::{ApiError, Tables, owned_by};
use serde::{Deserialize, Serialize};

pub const CLUSTERS: &str = "mrs.clusters";
pub const JOBS: &str = "mrs.jobs";

/// What a cluster is doing, with when it started; [`super::lifecycle`] finishes it when due.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pending {
    Create {
        since: DateTime<Utc>,
    },
    Scale {
        since: DateTime<Utc>,
        group: String,
        to: u32,
    },
    /// Masters upgraded one at a time; `done` of them so far.
    MasterUpgrade {
        since: DateTime<Utc>,
        node_size: String,
        done: u32,
    },
    Terminate {
        since: DateTime<Utc>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterRecord {
    #[serde(rename = "AccountId")]
    pub account: String,
    pub project_id: String,
    pub cluster_id: String,
    pub cluster_name: String,
    pub cluster_version: String,
    pub cluster_type: String,
    pub region: String,
    pub availability_zone: String,
    pub vpc_name: String,
    pub subnet_id: String,
    pub security_groups_id: String,
    pub safe_mode: String,
    pub charge_mode: String,
    pub components: Vec<String>,
    pub node_groups: Vec<NodeGroupInfo>,
    pub tags: Vec<Tag>,
    pub state: ClusterState,
    #[serde(default)]
    pub stage_desc: String,
    pub admin_password_hash: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub pending: Option<Pending>,
    /// By node group name.
    #[serde(default)]
    pub scaling_policies: BTreeMap<String, AutoScalingPolicy>,
}

impl ClusterRecord {
    pub fn group(&self, name: &str) -> Option<&NodeGroupInfo> {
        self.node_groups.iter().find(|g| g.group_name == name)
    }

    pub fn group_mut(&mut self, name: &str) -> Option<&mut NodeGroupInfo> {
        self.node_groups.iter_mut().find(|g| g.group_name == name)
    }

    pub fn masters(&self) -> u32 {
        self.group(GROUP_MASTER).map_or(0, |g| g.node_num)
    }

    pub fn is_core(group: &str) -> bool {
        group.starts_with("core_node")
    }

    pub fn core_and_task(&self) -> u32 {
        self.node_groups.iter().filter(|g| g.group_name != GROUP_MASTER).map(|g| g.node_num).sum()
    }

    pub fn info(&self) -> ClusterInfo {
        let master = self.group(GROUP_MASTER);
        let core = self.node_groups.iter().find(|g| Self::is_core(&g.group_name));
        ClusterInfo {
            cluster_id: self.cluster_id.clone(),
            cluster_name: self.cluster_name.clone(),
            cluster_state: self.state.as_str().to_string(),
            stage_desc: self.stage_desc.clone(),
            cluster_version: self.cluster_version.clone(),
            cluster_type: self.cluster_type.clone(),
            total_node_num: self.node_groups.iter().map(|g| g.node_num).sum(),
            master_node_ip: if self.state == ClusterState::Starting { String::new() } else { host_ip(0, 0) },
            master_node_num: master.map_or(0, |g| g.node_num),
            master_node_size: master.map(|g| g.node_size.clone()).unwrap_or_default(),
            core_node_num: core.map_or(0, |g| g.node_num),
            core_node_size: core.map(|g| g.node_size.clone()).unwrap_or_default(),
            vpc: self.vpc_name.clone(),
            subnet_id: self.subnet_id.clone(),
            security_groups_id: self.security_groups_id.clone(),
            availability_zone: self.availability_zone.clone(),
            safe_mode: self.safe_mode.clone(),
            charge_mode: self.charge_mode.clone(),
            component_list: self
                .components
                .iter()
                .map(|c| ComponentInfo { component_name: c.clone(), component_version: String::new() })
                .collect(),
            node_groups: self.node_groups.clone(),
            tags: to_v11(&self.tags),
            create_at: self.created_at.timestamp().to_string(),
            update_at: self.updated_at.map(|t| t.timestamp().to_string()).unwrap_or_default(),
        }
    }

    /// One host per node, masters first.
    pub fn hosts(&self) -> Vec<Host> {
        let mut hosts = Vec::new();
        for (g, group) in self.node_groups.iter().enumerate() {
            let kind = match group.group_name.as_str() {
                GROUP_MASTER => "Master",
                n if n.starts_with("core_node_streaming") => "Streaming_Core",
                n if n.starts_with("core_node") => "Analysis_Core",
                n if n.starts_with("task_node_streaming") => "Streaming_Task",
                n if n.starts_with("task_node") => "Analysis_Task",
                other => other,
            };
            for n in 0..group.node_num {
                hosts.push(Host {
                    id: format!("{}-{g}-{n}", self.cluster_id),
                    name: format!("node-{}-{n:02}", group.group_name.replace('_', "-")),
                    ip: host_ip(g, n),
                    status: "running".into(),
                    flavor: group.node_size.clone(),
                    kind: kind.to_string(),
                });
            }
        }
        hosts
    }
}

fn host_ip(group: usize, node: u32) -> String {
    format!("192.168.{}.{}", group % 250, (node % 250) + 10)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    #[serde(rename = "AccountId")]
    pub account: String,
    pub cluster_id: String,
    /// What the job will end as (`SUCCEEDED` unless the submission asked the sandbox otherwise).
    pub outcome: String,
    pub detail: JobDetail,
}

pub fn get<T: for<'de> Deserialize<'de>>(
    tables: &dyn Tables,
    table: &str,
    account: &str,
    id: &str,
) -> Result<Option<T>, ApiError> {
    match tables.get(table, id).filter(|v| account.is_empty() || owned_by(v, account)) {
        None => Ok(None),
        Some(json) => serde_json::from_value(json).map(Some).map_err(|e| corrupt(table, id, &e)),
    }
}

pub fn put<T: Serialize>(tables: &mut dyn Tables, table: &str, id: &str, record: &T) -> Result<(), ApiError> {
    let json = serde_json::to_value(record).map_err(|e| corrupt(table, id, &e))?;
    tables.put(table, id, json);
    Ok(())
}

/// Records of `account` (every account's when empty), in id order.
pub fn list<T: for<'de> Deserialize<'de>>(tables: &dyn Tables, table: &str, account: &str) -> Result<Vec<T>, ApiError> {
    tables
        .list(table)
        .into_iter()
        .filter(|(_, v)| account.is_empty() || owned_by(v, account))
        .map(|(id, json)| serde_json::from_value(json).map_err(|e| corrupt(table, &id, &e)))
        .collect()
}

fn corrupt(table: &str, id: &str, error: &serde_json::Error) -> ApiError {
    ApiError::new(500, "InternalError", format!("record `{id}` of `{table}` is unreadable: {error}"))
}
