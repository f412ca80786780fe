//! State: what Corral last knew about every remote object, per workspace. The model lives
//! here; storage is behind [`StateStore`], whose embedded backend is redb (`redb_store`).
//!
//! Invariant: every completed provider operation is committed before the next one that
//! depends on it starts, and a create is preceded by a durable *intent*, so a killed apply
//! leaves every object it made either in state or in the intent journal.

mod model;
mod redb_store;

pub use model::*;
pub use redb_store::RedbStore;

use crate::addr::AbsResourceInstance;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    #[error("state for workspace \"{workspace}\" is locked by {holder}")]
    Locked { workspace: String, holder: LockInfo },
    #[error("state for workspace \"{workspace}\" is not locked by lock ID {id}")]
    NotLocked { workspace: String, id: String },
    #[error("workspace \"{0}\" does not exist")]
    NoSuchWorkspace(String),
    #[error("workspace \"{0}\" already exists")]
    WorkspaceExists(String),
    #[error("state changed underneath: expected serial {expected}, found {found}")]
    SerialMismatch { expected: u64, found: u64 },
    #[error("no instance `{0}` in state")]
    NoSuchInstance(AbsResourceInstance),
    #[error("state storage at {path}: {message}")]
    Storage { path: String, message: String },
    #[error("corrupt state record: {0}")]
    Corrupt(String),
}

/// One change to a workspace's state. A commit applies a batch of them atomically.
#[derive(Clone, Debug)]
pub enum StateChange {
    PutInstance(InstanceState),
    RemoveInstance(AbsResourceInstance),
    PutIntent(Intent),
    RemoveIntent(uuid::Uuid),
    /// Replaces all outputs.
    SetOutputs(std::collections::BTreeMap<String, OutputState>),
}

/// Where state is kept. Implementations are safe to share between tasks; one process holds
/// a workspace's lock for the whole of an operation that writes.
#[async_trait::async_trait]
pub trait StateStore: Send + Sync {
    async fn workspaces(&self) -> Result<Vec<String>, StateError>;
    async fn create_workspace(&self, name: &str) -> Result<(), StateError>;
    async fn delete_workspace(&self, name: &str) -> Result<(), StateError>;

    /// Takes the workspace's lock or fails at once with [`StateError::Locked`] naming the
    /// holder. The lock is released by `unlock`, or when the holding process dies.
    async fn lock(&self, workspace: &str, info: LockInfo) -> Result<(), StateError>;
    async fn unlock(&self, workspace: &str, id: &str) -> Result<(), StateError>;
    /// Removes a lock left by someone else; `id` must match.
    async fn force_unlock(&self, workspace: &str, id: &str) -> Result<(), StateError>;
    /// The current holder, if any.
    async fn lock_holder(&self, workspace: &str) -> Result<Option<LockInfo>, StateError>;

    /// The whole state of a workspace (an empty state with a fresh lineage if it has none).
    async fn read(&self, workspace: &str) -> Result<State, StateError>;

    /// Applies a batch of changes atomically and durably, if the stored serial is still
    /// `expected_serial`; returns the new serial (one more than before).
    async fn commit(&self, workspace: &str, expected_serial: u64, changes: Vec<StateChange>)
    -> Result<u64, StateError>;
}
