//! Stack actions' bodies: `CreateStack`, `DescribeStack`, `ListStacks`, `ScaleStack`,
//! `StopStack`, `StartStack`, `UpgradeKap`, `DeleteStack`, `ListStorage`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `CreateStack`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateStackRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kap_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_instance_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_instance_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_count: Option<u32>,
    /// Absent: the core instance type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_instance_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_count: Option<u32>,
}

/// A request naming one stack: `DescribeStack`, `StopStack`, `StartStack`, `ListCubes`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackIdRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_id: Option<String>,
}

/// `ScaleStack`: the new counts (an absent one stays). The master count is fixed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScaleStackRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_count: Option<u32>,
    /// Present only to be refused with [`crate::errors::MASTER_COUNT_FIXED`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_count: Option<u32>,
}

/// `UpgradeKap`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpgradeKapRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kap_version: Option<String>,
}

/// `DeleteStack`: nodes go; S3 always stays, RDS stays unless `DeleteRds`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteStackRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_id: Option<String>,
    #[serde(default)]
    pub delete_rds: bool,
}

/// The answer of the actions that start an operation (and of a retried `CreateStack`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackStatusAnswer {
    pub stack_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_status: Option<String>,
}

/// A stack as `DescribeStack` and `ListStacks` answer it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Stack {
    pub stack_id: String,
    pub stack_name: String,
    /// [`crate::status`]'s `STATUS_*`.
    pub stack_status: String,
    /// Where the stack is heading: `running` or `stopped` (the last start or stop asked for).
    pub desired_state: String,
    pub vpc_id: String,
    pub subnet_id: String,
    /// The installed KAP version (the old one until an upgrade's install step is done).
    pub kap_version: String,
    pub master_instance_type: String,
    pub master_count: u32,
    pub core_instance_type: String,
    pub core_count: u32,
    pub task_instance_type: String,
    pub task_count: u32,
    /// Nodes that exist now (none while stopped).
    pub running_nodes: u32,
    /// Cube data; kept when the stack stops or is deleted.
    pub s3_bucket: String,
    /// Metadata (table schemas, models, cubes); kept when the stack stops, and on delete
    /// unless asked otherwise.
    pub rds_id: String,
    pub rds_endpoint: String,
    pub load_balancer_dns: String,
    /// KAP's REST endpoint behind the load balancer.
    pub kap_url: String,
    /// The operation under way, or the one a failed stack failed in.
    #[serde(default)]
    pub operation: Option<Operation>,
    /// Why the stack is `failed`.
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// Every step the service ran on this stack, oldest first.
    #[serde(default)]
    pub step_log: Vec<StepRecord>,
    /// The newest backup of KAP's data (the one a start restores).
    #[serde(default)]
    pub last_backup: Option<String>,
    #[serde(default)]
    pub client_token: Option<String>,
    pub create_time: DateTime<Utc>,
}

impl Stack {
    /// The status with the current step, as progress shows it: `stopping(backing_up)`.
    pub fn status_label(&self) -> String {
        status_label(&self.stack_status, self.operation.as_ref().map(|o| o.step.as_str()))
    }
}

/// `status(step)` while an operation runs, or the status alone.
pub fn status_label(status: &str, step: Option<&str>) -> String {
    match step {
        Some(step) if crate::status::BUSY_STATUSES.contains(&status) => format!("{status}({step})"),
        _ => status.to_string(),
    }
}

/// An operation under way: which step it is in, and what it is heading for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Operation {
    /// [`crate::status`]'s `OP_*`.
    pub operation: String,
    /// The step running now ([`crate::status::steps_of`]).
    pub step: String,
    pub start_time: DateTime<Utc>,
    pub step_start_time: DateTime<Utc>,
    /// Upgrade: the version being installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_kap_version: Option<String>,
    /// Scale: the counts being reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_core_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_task_count: Option<u32>,
    /// Delete: whether RDS goes too.
    #[serde(default)]
    pub delete_rds: bool,
}

/// One step the service ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StepRecord {
    pub operation: String,
    pub step: String,
    pub start_time: DateTime<Utc>,
    #[serde(default)]
    pub finish_time: Option<DateTime<Utc>>,
    /// What the step made or used (a backup's key, the version installed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `ListStacks`: filters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListStacksRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStacksAnswer {
    #[serde(default)]
    pub stacks: Vec<Stack>,
}

/// `ListStorage`: what stacks leave behind, whether their stack exists or not.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStorageAnswer {
    #[serde(default)]
    pub buckets: Vec<Bucket>,
    #[serde(default)]
    pub databases: Vec<Database>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    pub bucket: String,
    /// The stack that made it (it may be gone).
    pub stack_id: String,
    /// Object keys: cube data (`cubes/...`) and backups (`backups/...`).
    pub keys: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Database {
    pub rds_id: String,
    pub stack_id: String,
    pub endpoint: String,
    pub models: Vec<String>,
    pub cubes: Vec<String>,
}
