//! The records the Kyligence service stores: stacks (the API's shape plus what only the
//! service keeps — the owning account, KAP's state on the nodes, the backup counter), and the
//! storage a stack leaves behind, which outlives it: S3 buckets (cube data, backups) and RDS
//! databases (metadata). One PascalCase JSON object per id, scoped by `AccountId`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use corral_api_kyligence::stack::Stack as ApiStack;
use corral_api_kyligence::status::{STATUS_DELETED, STATUS_STOPPED};
use serde::{Deserialize, Serialize};

/// Table names, prefixed so they cannot clash with other services' tables.
pub const STACKS: &str = "kyligence.stacks";
pub const BUCKETS: &str = "kyligence.buckets";
pub const DATABASES: &str = "kyligence.databases";
pub const CLIENT_TOKENS: &str = "kyligence.client_tokens";

/// A stored stack: the API's shape (`api`, flattened, so the record is the answer plus a few
/// fields) and what only the service keeps. It derefs to the API shape: the service reads and
/// moves the stack through the same fields it answers with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Stack {
    #[serde(flatten)]
    pub api: ApiStack,
    #[serde(rename = "AccountId")]
    pub account: String,
    /// What KAP holds on the nodes' local disks (its configuration and working state);
    /// `None` when there are no nodes or KAP is not installed or restored yet.
    #[serde(default)]
    pub kap_local: Option<KapLocal>,
    /// Backups are numbered per stack, so a newer one never takes an older one's key.
    #[serde(default)]
    pub backup_seq: u32,
    /// A step that fails when it finishes (set by `corral_sandbox::testing`), so failure
    /// handling can be exercised.
    #[serde(default)]
    pub fail_at_step: Option<String>,
}

/// KAP's local state: what a stop backs up and a start restores, and what an upgrade's
/// install replaces and its restore puts back.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KapLocal {
    /// `kylin.properties` as KAP runs with it.
    pub config: BTreeMap<String, String>,
}

/// A backup object in the stack's bucket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Backup {
    /// `data` (stop) or `config` (upgrade).
    pub kind: String,
    pub taken_at: DateTime<Utc>,
    pub kap_version: String,
    pub local: KapLocal,
}

impl std::ops::Deref for Stack {
    type Target = ApiStack;
    fn deref(&self) -> &ApiStack {
        &self.api
    }
}

impl std::ops::DerefMut for Stack {
    fn deref_mut(&mut self) -> &mut ApiStack {
        &mut self.api
    }
}

impl Stack {
    pub fn is_deleted(&self) -> bool {
        self.stack_status == STATUS_DELETED
    }

    pub fn node_count(&self) -> u32 {
        self.master_count + self.core_count + self.task_count
    }

    /// Nodes counted against the quota: those that exist or are being made. A stopped stack
    /// holds none; a scale-out reserves its new nodes from the moment it is asked for.
    pub fn reserved_nodes(&self) -> u32 {
        if self.is_deleted() || (self.stack_status == STATUS_STOPPED && self.operation.is_none()) {
            return 0;
        }
        let target = match &self.operation {
            Some(op) => {
                self.master_count
                    + op.target_core_count.unwrap_or(self.core_count).max(self.core_count)
                    + op.target_task_count.unwrap_or(self.task_count).max(self.task_count)
            }
            None => self.node_count(),
        };
        target.max(self.running_nodes)
    }

    /// The stack as the API answers it.
    pub fn view(&self) -> ApiStack {
        ApiStack { kap_url: format!("http://{}:7070/kylin", self.load_balancer_dns), ..self.api.clone() }
    }
}

/// An S3 bucket: objects by key (cube data under `cubes/`, backups under `backups/`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    pub bucket: String,
    #[serde(rename = "AccountId")]
    pub account: String,
    pub stack_id: String,
    pub objects: BTreeMap<String, serde_json::Value>,
}

/// An RDS database with KAP's metadata: models and cubes (their data is in S3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Database {
    pub rds_id: String,
    #[serde(rename = "AccountId")]
    pub account: String,
    pub stack_id: String,
    pub endpoint: String,
    pub models: Vec<corral_api_kyligence::kap::Model>,
    pub cubes: Vec<CubeMeta>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CubeMeta {
    pub cube_name: String,
    pub model_name: String,
}

/// The key of a cube's data in the bucket.
pub fn cube_key(cube: &str) -> String {
    format!("cubes/{cube}")
}
