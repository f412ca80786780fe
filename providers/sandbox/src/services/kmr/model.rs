//! The records the KMR service stores, in the shape its API returns them (PascalCase JSON,
//! as KMR's OpenAPI 2021-09-02). A record is stored whole as one JSON object per id; the
//! `AccountId` field ([`ACCOUNT_FIELD`]) scopes it and is stripped from answers.
//!
//! [`ACCOUNT_FIELD`]: corral_provider_sdk::emulator::ACCOUNT_FIELD

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Table names, prefixed so they cannot clash with other services' tables.
pub const CLUSTERS: &str = "kmr.clusters";
pub const TEMPLATES: &str = "kmr.cluster_templates";
pub const PLANS: &str = "kmr.execution_plans";
pub const RUNS: &str = "kmr.execution_plan_runs";
pub const CLIENT_TOKENS: &str = "kmr.client_tokens";

pub const STATUS_CREATING: &str = "creating";
pub const STATUS_RUNNING: &str = "running";
pub const STATUS_SCALING_OUT: &str = "scaling-out";
pub const STATUS_SCALING_IN: &str = "scaling-in";
pub const STATUS_TERMINATING: &str = "terminating";
/// Released by the user (`TerminateCluster`) or deleted by the service (trial expiry).
pub const STATUS_TERMINATED: &str = "terminated";
/// A transient cluster that ran its jobs and released itself.
pub const STATUS_RELEASED: &str = "released";

pub const CHARGE_ON_DEMAND: &str = "HourlyInstantSettlement";
pub const CHARGE_MONTHLY: &str = "Monthly";
pub const CHARGE_TRIAL: &str = "Trial";

pub const TYPE_PERSISTENT: &str = "persistent";
pub const TYPE_TRANSIENT: &str = "transient";

pub const JOB_PENDING: &str = "PENDING";
pub const JOB_RUNNING: &str = "RUNNING";
pub const JOB_SUCCEEDED: &str = "SUCCEEDED";
pub const JOB_FAILED: &str = "FAILED";
pub const JOB_CANCELLED: &str = "CANCELLED";

/// Why a cluster left `running` for good.
pub const REASON_USER: &str = "UserRequest";
pub const REASON_JOBS_FINISHED: &str = "AllJobsFinished";
pub const REASON_TRIAL_EXPIRED: &str = "TrialExpired";

/// What a cluster is made of: the part of `LaunchCluster` a template also records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterSpec {
    pub main_version: String,
    pub services: Vec<String>,
    pub vpc_domain_id: String,
    pub subnet_id: String,
    pub enable_eip: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_uri: Option<String>,
    pub instance_groups: Vec<GroupSpec>,
    #[serde(default)]
    pub jobs: Vec<JobSpec>,
}

impl ClusterSpec {
    pub fn node_count(&self) -> u32 {
        self.instance_groups.iter().map(|g| g.instance_count).sum()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupSpec {
    /// `MASTER`, `CORE` or `TASK`.
    pub instance_group_type: String,
    pub instance_type: String,
    pub instance_count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobSpec {
    pub job_name: String,
    /// `SPARK`, `HIVE` or `MAPREDUCE`.
    pub job_type: String,
    #[serde(default)]
    pub job_args: Vec<String>,
}

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
pub struct InstanceGroup {
    pub instance_group_id: String,
    pub instance_group_type: String,
    pub instance_type: String,
    pub instance_count: u32,
    pub instance_ids: Vec<String>,
    pub vpc_subnet_id: String,
}

pub const OP_SCALE_OUT: &str = "ScaleOut";
pub const OP_SCALE_IN: &str = "ScaleIn";
pub const OP_TERMINATE: &str = "Terminate";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PendingOperation {
    /// `ScaleOut`, `ScaleIn` or `Terminate`.
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

pub const STRATEGY_ONCE: &str = "once";
pub const STRATEGY_SCHEDULE: &str = "schedule";

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

pub const RUN_RUNNING: &str = "RUNNING";
pub const RUN_SUCCEEDED: &str = "SUCCEEDED";
pub const RUN_FAILED: &str = "FAILED";

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
