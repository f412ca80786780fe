//! The records the KMR service stores: the API's shapes (`corral_api_kmr`) plus what only the
//! service keeps — the owning account, the admin password's hash, scheduler cursors. A record
//! is stored whole as one PascalCase JSON object per id; the `AccountId` field
//! ([`ACCOUNT_FIELD`]) scopes it. Answers are the API's shapes, made by each record's `view`.
//!
//! [`ACCOUNT_FIELD`]: corral_provider_sdk::emulator::ACCOUNT_FIELD

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The API's shapes the records answer as.
mod api {
    pub use corral_api_kmr::cluster::Cluster;
    pub use corral_api_kmr::plan::Run;
    pub use corral_api_kmr::template::ClusterTemplate;
}

/// Table names, prefixed so they cannot clash with other services' tables.
pub const CLUSTERS: &str = "kmr.clusters";
pub const TEMPLATES: &str = "kmr.cluster_templates";
pub const PLANS: &str = "kmr.execution_plans";
pub const RUNS: &str = "kmr.execution_plan_runs";
pub const CLIENT_TOKENS: &str = "kmr.client_tokens";

pub use corral_api_kmr::cluster::{InstanceGroup, Job, PendingOperation, StateChangeReason};
pub use corral_api_kmr::spec::{ClusterSpec, GroupSpec, JobSpec};
pub use corral_api_kmr::status::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cluster {
    pub cluster_id: String,
    #[serde(rename = "AccountId")]
    pub account: String,
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
    /// When an unconverted trial cluster is deleted.
    #[serde(default)]
    pub expire_time: Option<DateTime<Utc>>,
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
    /// A salted hash of the admin password (`password::hash`); the password is not kept.
    #[serde(default)]
    pub admin_password_hash: Option<String>,
    /// The next instance number, so instance ids are never reused within a cluster.
    pub next_instance_seq: u32,
}

impl Cluster {
    pub fn is_gone(&self) -> bool {
        self.cluster_status == STATUS_TERMINATED || self.cluster_status == STATUS_RELEASED
    }

    pub fn is_trial(&self) -> bool {
        self.charge_type == CHARGE_TRIAL
    }

    pub fn node_count(&self) -> u32 {
        let current: u32 = self.instance_groups.iter().map(|g| g.instance_count).sum();
        // Nodes being added count against the quota from the moment they are asked for.
        match &self.pending_operation {
            Some(op) if op.operation == OP_SCALE_OUT => current + op.instance_count,
            _ => current,
        }
    }

    pub fn group_mut(&mut self, group_type: &str) -> Option<&mut InstanceGroup> {
        self.instance_groups.iter_mut().find(|g| g.instance_group_type == group_type)
    }

    /// The cluster as the API answers it, at `now` (for `ServingMinutes`).
    pub fn view(&self, now: DateTime<Utc>) -> api::Cluster {
        let end = self.release_time.unwrap_or(now);
        let serving_minutes = self.ready_time.map(|ready| (end - ready).num_minutes().max(0)).unwrap_or(0);
        api::Cluster {
            cluster_id: self.cluster_id.clone(),
            cluster_name: self.cluster_name.clone(),
            cluster_type: self.cluster_type.clone(),
            charge_type: self.charge_type.clone(),
            cluster_status: self.cluster_status.clone(),
            main_version: self.main_version.clone(),
            services: self.services.clone(),
            vpc_domain_id: self.vpc_domain_id.clone(),
            subnet_id: self.subnet_id.clone(),
            security_group_id: self.security_group_id.clone(),
            enable_eip: self.enable_eip,
            master_eip: self.master_eip.clone(),
            master_private_ip: self.master_private_ip.clone(),
            log_uri: self.log_uri.clone(),
            instance_groups: self.instance_groups.clone(),
            jobs: self.jobs.clone(),
            client_token: self.client_token.clone(),
            create_time: self.create_time,
            ready_time: self.ready_time,
            release_time: self.release_time,
            expire_time: self.expire_time,
            converted_time: self.converted_time,
            pending_operation: self.pending_operation.clone(),
            state_change_reason: self.state_change_reason.clone(),
            execution_plan_id: self.execution_plan_id.clone(),
            template_id: self.template_id.clone(),
            serving_minutes,
        }
    }

    /// The spec the cluster was made with (for templates made from a cluster).
    pub fn spec(&self) -> ClusterSpec {
        ClusterSpec {
            main_version: self.main_version.clone(),
            services: self.services.clone(),
            vpc_domain_id: self.vpc_domain_id.clone(),
            subnet_id: self.subnet_id.clone(),
            enable_eip: self.enable_eip,
            log_uri: self.log_uri.clone(),
            instance_groups: self
                .instance_groups
                .iter()
                .map(|g| GroupSpec {
                    instance_group_type: g.instance_group_type.clone(),
                    instance_type: g.instance_type.clone(),
                    instance_count: g.instance_count,
                })
                .collect(),
            jobs: self
                .jobs
                .iter()
                .map(|j| JobSpec {
                    job_name: j.job_name.clone(),
                    job_type: j.job_type.clone(),
                    job_args: j.job_args.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Template {
    pub template_id: String,
    #[serde(rename = "AccountId")]
    pub account: String,
    pub template_name: String,
    #[serde(flatten)]
    pub spec: ClusterSpec,
    #[serde(default)]
    pub source_cluster_id: Option<String>,
    #[serde(default)]
    pub client_token: Option<String>,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
}

impl Template {
    /// The template as the API answers it.
    pub fn view(&self) -> api::ClusterTemplate {
        api::ClusterTemplate {
            template_id: self.template_id.clone(),
            template_name: self.template_name.clone(),
            spec: self.spec.clone(),
            source_cluster_id: self.source_cluster_id.clone(),
            client_token: self.client_token.clone(),
            create_time: self.create_time,
            update_time: self.update_time,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecutionPlan {
    pub execution_plan_id: String,
    #[serde(rename = "AccountId")]
    pub account: String,
    pub execution_plan_name: String,
    pub template_id: String,
    /// `once` or `schedule`.
    pub strategy: String,
    #[serde(default)]
    pub cron_expression: Option<String>,
    /// IANA time zone the cron expression is read in.
    pub time_zone: String,
    /// `once`: when to run (absent: at creation); `schedule`: no fire before it.
    #[serde(default)]
    pub start_time: Option<DateTime<Utc>>,
    pub enabled: bool,
    /// Fire times after this instant are still to come: the lazy scheduler's cursor.
    pub scheduled_from: DateTime<Utc>,
    /// `once` plans fire a single time.
    #[serde(default)]
    pub fired: bool,
    pub run_count: u64,
    #[serde(default)]
    pub last_run_id: Option<String>,
    #[serde(default)]
    pub client_token: Option<String>,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Run {
    pub run_id: String,
    #[serde(rename = "AccountId")]
    pub account: String,
    pub execution_plan_id: String,
    pub scheduled_time: DateTime<Utc>,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub run_status: String,
    pub start_time: DateTime<Utc>,
    #[serde(default)]
    pub finish_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub message: Option<String>,
}

impl Run {
    /// The run as the API answers it.
    pub fn view(&self) -> api::Run {
        api::Run {
            run_id: self.run_id.clone(),
            execution_plan_id: self.execution_plan_id.clone(),
            scheduled_time: self.scheduled_time,
            cluster_id: self.cluster_id.clone(),
            run_status: self.run_status.clone(),
            start_time: self.start_time,
            finish_time: self.finish_time,
            message: self.message.clone(),
        }
    }
}
