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
    pub(super) use corral_api_kmr::cluster::Cluster;
    pub(super) use corral_api_kmr::plan::Run;
    pub(super) use corral_api_kmr::template::ClusterTemplate;
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

/// A stored cluster: the API's shape (`api`, flattened, so the record is the answer plus
/// a few fields) and what only the service keeps. It derefs to the API shape: the service
/// reads and moves the cluster through the same fields it answers with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cluster {
    #[serde(flatten)]
    pub api: api::Cluster,
    #[serde(rename = "AccountId")]
    pub account: String,
    /// A salted hash of the admin password (`password::hash`); the password is not kept.
    #[serde(default)]
    pub admin_password_hash: Option<String>,
    /// The next instance number, so instance ids are never reused within a cluster.
    pub next_instance_seq: u32,
}

impl std::ops::Deref for Cluster {
    type Target = api::Cluster;
    fn deref(&self) -> &api::Cluster {
        &self.api
    }
}

impl std::ops::DerefMut for Cluster {
    fn deref_mut(&mut self) -> &mut api::Cluster {
        &mut self.api
    }
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
        // The service's expiry reminder: how long is left, by its clock.
        let expires_in_minutes = self.expire_time.filter(|_| !self.is_gone()).map(|at| (at - now).num_minutes().max(0));
        api::Cluster { serving_minutes, expires_in_minutes, ..self.api.clone() }
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
