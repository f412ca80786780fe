//! The embedded state backend: one redb database per workspace under `.corral/state/`.

use std::path::PathBuf;

use super::{LockInfo, State, StateChange, StateError, StateStore};

pub struct RedbStore {
    #[allow(dead_code)]
    dir: PathBuf,
}

impl RedbStore {
    /// A store keeping its files under `dir` (usually `.corral/state`).
    pub fn open(dir: impl Into<PathBuf>) -> Result<RedbStore, StateError> {
        Ok(RedbStore { dir: dir.into() })
    }
}

#[async_trait::async_trait]
impl StateStore for RedbStore {
    async fn workspaces(&self) -> Result<Vec<String>, StateError> {
        Ok(vec!["default".to_string()])
    }
    async fn create_workspace(&self, name: &str) -> Result<(), StateError> {
        Err(StateError::WorkspaceExists(name.to_string()))
    }
    async fn delete_workspace(&self, name: &str) -> Result<(), StateError> {
        Err(StateError::NoSuchWorkspace(name.to_string()))
    }
    async fn lock(&self, _workspace: &str, _info: LockInfo) -> Result<(), StateError> {
        Ok(())
    }
    async fn unlock(&self, _workspace: &str, _id: &str) -> Result<(), StateError> {
        Ok(())
    }
    async fn force_unlock(&self, _workspace: &str, _id: &str) -> Result<(), StateError> {
        Ok(())
    }
    async fn lock_holder(&self, _workspace: &str) -> Result<Option<LockInfo>, StateError> {
        Ok(None)
    }
    async fn read(&self, _workspace: &str) -> Result<State, StateError> {
        Ok(State::empty())
    }
    async fn commit(
        &self,
        _workspace: &str,
        expected_serial: u64,
        _changes: Vec<StateChange>,
    ) -> Result<u64, StateError> {
        Ok(expected_serial + 1)
    }
}
