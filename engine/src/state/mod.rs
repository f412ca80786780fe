//! State: what Corral last knew about every remote object, per workspace. The model lives
//! here; storage is behind [`StateStore`], whose embedded backend is redb (`redb_store`).
//!
//! Invariant: every completed provider operation is committed before the next one that
//! depends on it starts, and a create is preceded by a durable *intent*, so a killed apply
//! leaves every object it made either in state or in the intent journal.

// `StateError::Locked` carries the holder's `LockInfo` inline (the shared error type), which
// makes the error larger than clippy's 128-byte default. Errors here are rare and cross an
// fsync anyway; boxing would change the shared type's shape for no measurable gain.

mod codec;
pub mod format;
mod key_file;
mod lock_file;
mod lock_wait;
mod model;
mod pg_store;
mod redb_store;
pub mod secure_fs;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
#[cfg(test)]
mod tests;
mod writer;

pub use lock_wait::lock_with_timeout;
pub use model::*;
pub use pg_store::{PgSettings, PgStore};
pub use redb_store::RedbStore;
pub use writer::StateWriter;

use crate::addr::AbsResourceInstance;

/// The workspace every store has, listed even before anything is written to it; it cannot be
/// deleted.
pub const DEFAULT_WORKSPACE: &str = "default";

// `Clone` so that one failed group commit can be reported to every task whose changes it
// carried (see `StateWriter`).
#[derive(Clone, Debug, thiserror::Error)]
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
    /// The stored state is another state altogether (its file was replaced by another
    /// workspace's or another project's).
    #[error("state changed underneath: expected lineage {expected}, found {found} (the state file was replaced)")]
    LineageMismatch { expected: uuid::Uuid, found: uuid::Uuid },
    /// The state file was removed while a run that had read it was still committing; the
    /// commit refuses to make a new, empty one in its place.
    #[error("state changed underneath: the state file {path} was removed (expected serial {expected})")]
    Vanished { path: String, expected: u64 },
    #[error("no instance `{0}` in state")]
    NoSuchInstance(AbsResourceInstance),
    #[error("state storage at {path}: {message}")]
    Storage { path: String, message: String },
    #[error("corrupt state record: {0}")]
    Corrupt(String),
    /// `force_unlock` of a lock whose holder is still running: the OS keeps the lock for as
    /// long as the holder lives, so it cannot be broken from outside.
    #[error(
        "the lock on workspace \"{workspace}\" is held by a running process: {holder}; it is released when that process ends"
    )]
    LockHeldByLiveProcess { workspace: String, holder: LockInfo },
    #[error("invalid workspace name `{name}`: {reason}")]
    InvalidWorkspaceName { name: String, reason: String },
    #[error("the workspace \"default\" cannot be deleted")]
    CannotDeleteDefault,
    #[error(
        "workspace \"{workspace}\" still tracks {instances} resource instance(s) and {intents} unfinished operation(s); destroy them first"
    )]
    WorkspaceNotEmpty { workspace: String, instances: usize, intents: usize },
    #[error("invalid instance address in a state change: {0}")]
    InvalidAddress(#[from] crate::addr::AddrParseError),
    /// A leased lock (the PostgreSQL backend) whose lease this process could not renew in
    /// time, or which was force-unlocked: someone else may hold the workspace now, so
    /// nothing more may be written on this lock's behalf.
    #[error(
        "the lock on workspace \"{workspace}\" (lock ID {id}) was lost: {reason}; another runner may hold the workspace now"
    )]
    LeaseLost { workspace: String, id: String, reason: String },
}

impl StateError {
    /// Whether the stored state is no longer the one the caller read (changed, replaced or
    /// removed by someone else): nothing more may be written on the caller's behalf.
    pub fn is_changed_underneath(&self) -> bool {
        matches!(
            self,
            StateError::SerialMismatch { .. }
                | StateError::LineageMismatch { .. }
                | StateError::Vanished { .. }
                | StateError::LeaseLost { .. }
        )
    }
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

impl State {
    /// Applies changes as a commit would (in order; removing what is not there is no error).
    /// A change naming an address that does not parse is skipped: a store refuses it too.
    /// Used to write down what a run knows when the store can no longer take it.
    pub fn apply_changes(&mut self, changes: impl IntoIterator<Item = StateChange>) {
        for change in changes {
            match change {
                StateChange::PutInstance(mut instance) => {
                    if let Ok(addr) = instance.addr.parse::<AbsResourceInstance>() {
                        instance.addr = addr.to_string();
                        self.instances.insert(addr, instance);
                    }
                }
                StateChange::RemoveInstance(addr) => {
                    self.instances.remove(&addr);
                }
                StateChange::PutIntent(intent) => {
                    self.intents.insert(intent.id, intent);
                }
                StateChange::RemoveIntent(id) => {
                    self.intents.remove(&id);
                }
                StateChange::SetOutputs(outputs) => self.outputs = outputs,
            }
        }
    }
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

    /// Every workspace's current lock (`corral lock list`), by workspace name.
    async fn locks(&self) -> Result<Vec<WorkspaceLock>, StateError> {
        let mut held = Vec::new();
        for workspace in self.workspaces().await? {
            if let Some(info) = self.lock_holder(&workspace).await? {
                held.push(WorkspaceLock { workspace, info, lease_expires: None });
            }
        }
        Ok(held)
    }

    /// Why this client no longer holds the lock it took on `workspace`, if it lost it: a
    /// leased lock whose lease lapsed or was broken. Checked (cheaply, without I/O) before
    /// every provider call of an apply, through [`StateWriter`]; a lock the OS holds for the
    /// process's lifetime is never lost.
    fn lock_lost(&self, workspace: &str) -> Option<StateError> {
        let _ = workspace;
        None
    }

    /// The whole state of a workspace. A workspace that was never committed to reads as an
    /// empty state with serial 0 and the nil lineage (`Uuid::nil()`): reading invents nothing,
    /// so two reads agree, and the lineage is fixed by the first commit (expected serial 0).
    async fn read(&self, workspace: &str) -> Result<State, StateError>;

    /// Applies a batch of changes atomically and durably, if the stored serial is still
    /// `expected_serial`; returns the new serial (one more than before). Changes apply in
    /// order, so one commit of `a ++ b` equals a commit of `a` followed by one of `b`.
    /// Removing an instance or intent that is not there is not an error.
    async fn commit(&self, workspace: &str, expected_serial: u64, changes: Vec<StateChange>)
    -> Result<u64, StateError>;

    /// The workspace's secret key ([`WorkspaceKey`](crate::secret::WorkspaceKey)), made on
    /// first use. It keys write-only digests and protects saved plans, so it must live outside
    /// the state (whoever reads the state must not have it) and be readable only by the owner:
    /// the redb backend keeps it in `<ws>.key` (0600) beside the database; a server backend
    /// would keep it in its own secret store. It is never printed.
    async fn workspace_key(&self, workspace: &str) -> Result<crate::secret::WorkspaceKey, StateError>;

    /// Sets the workspace's key (`corral init -migrate-state` carries it to the new backend
    /// with the state, so digests and saved plans stay valid), replacing any it had.
    async fn set_workspace_key(&self, workspace: &str, key: &crate::secret::WorkspaceKey) -> Result<(), StateError>;

    /// [`StateStore::commit`] that also refuses ([`StateError::LineageMismatch`]) when the
    /// stored lineage is not `lineage`. The nil lineage expects a workspace never committed to;
    /// the returned lineage is the one the state has after the commit.
    async fn commit_in_lineage(
        &self,
        workspace: &str,
        lineage: uuid::Uuid,
        expected_serial: u64,
        changes: Vec<StateChange>,
    ) -> Result<(uuid::Uuid, u64), StateError>;

    /// Replaces the whole state of a workspace with `state` (`corral state push`), if the
    /// stored serial is still `expected_serial`. The workspace takes `state`'s lineage, and a
    /// serial above both `state.serial` and the stored one, so a plan saved before the push is
    /// refused as stale. Returns the new serial.
    async fn replace(&self, workspace: &str, expected_serial: u64, state: &State) -> Result<u64, StateError>;
}
