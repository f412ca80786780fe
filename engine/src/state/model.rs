//! The state model. In-memory types; the stored form is in the backend's own codec.

use std::collections::BTreeMap;

use crate::addr::AbsResourceInstance;

/// A workspace's state.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Fixed when the workspace's state is first written.
    pub lineage: uuid::Uuid,
    /// One more with every commit.
    pub serial: u64,
    pub instances: BTreeMap<AbsResourceInstance, InstanceState>,
    pub outputs: BTreeMap<String, OutputState>,
    /// Provider calls that were started and whose result was never recorded.
    pub intents: BTreeMap<uuid::Uuid, Intent>,
}

impl State {
    pub fn empty() -> State {
        State {
            lineage: uuid::Uuid::new_v4(),
            serial: 0,
            instances: BTreeMap::new(),
            outputs: BTreeMap::new(),
            intents: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InstanceState {
    pub addr: AbsResourceInstanceText,
    /// The provider configuration that manages it: `testing`, `kmr.west`, or
    /// `module.x:kmr` for a provider configured inside a module.
    pub provider: String,
    pub schema_version: u64,
    /// The object's attributes, JSON as `Value::to_json` makes it.
    pub attributes: serde_json::Value,
    /// Attribute paths that hold sensitive values.
    #[serde(default)]
    pub sensitive_paths: Vec<crate::value::Path>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<Vec<u8>>,
    /// Resources this one depended on when it was last applied (`module.a.x.y`), so that
    /// destroying it after its configuration is gone still happens in the right order.
    #[serde(default)]
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub create_before_destroy: bool,
    #[serde(default)]
    pub status: InstanceStatus,
}

/// An address kept as text in stored records (parsed with `str::parse`).
pub type AbsResourceInstanceText = String;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceStatus {
    #[default]
    Ready,
    /// A create or update failed part way: the next plan replaces it.
    Tainted,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutputState {
    pub value: serde_json::Value,
    #[serde(rename = "type")]
    pub ty: crate::value::Type,
    pub sensitive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentAction {
    Create,
    Update,
    Delete,
}

/// A provider call that has been started. Written before the call, removed in the same
/// commit that records its result.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Intent {
    pub id: uuid::Uuid,
    pub addr: AbsResourceInstanceText,
    pub provider: String,
    pub type_name: String,
    pub action: IntentAction,
    pub idempotency_token: String,
    /// The planned state (JSON), to help the provider find a created object.
    pub planned: Option<serde_json::Value>,
    pub dependencies: Vec<String>,
    pub create_before_destroy: bool,
    pub started_at: chrono::DateTime<chrono::Utc>,
}

/// Who holds a workspace's lock.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockInfo {
    pub id: String,
    pub user: String,
    pub host: String,
    pub pid: u32,
    /// `apply`, `plan`, `state mv`, ...
    pub operation: String,
    pub created: chrono::DateTime<chrono::Utc>,
}

/// A workspace's lock as `corral lock list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceLock {
    pub workspace: String,
    pub info: LockInfo,
    /// When a leased lock lapses unless its holder renews it; `None` for a lock the OS holds
    /// for as long as its process lives.
    pub lease_expires: Option<chrono::DateTime<chrono::Utc>>,
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}@{} (pid {}, `{}`) since {} — lock ID {}",
            self.user,
            self.host,
            self.pid,
            self.operation,
            self.created.format("%Y-%m-%d %H:%M:%S UTC"),
            self.id
        )
    }
}

impl LockInfo {
    /// A lock record for this process: a fresh lock ID, the user from `$USER`/`$USERNAME`,
    /// the host name, this pid and the time now.
    pub fn for_current_process(operation: &str) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            user: std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into()),
            host: host_name(),
            pid: std::process::id(),
            operation: operation.to_string(),
            created: chrono::Utc::now(),
        }
    }
}

// The standard library has no `gethostname`; the kernel's copy under /proc is enough on Linux,
// and `$HOSTNAME` covers shells that export it elsewhere.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_string())
}
