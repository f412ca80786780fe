//! The workspace lock of the redb backend: who may write a workspace (`lock`, `unlock`,
//! `force_unlock`) and who holds it (`lock_holder`), through the OS file locks of `lock_file`.

use super::*;

impl Inner {
    pub(super) fn lock(&self, workspace: &str, info: LockInfo) -> Result<(), StateError> {
        self.require_workspace(workspace)?;
        let mut held = lock(&self.locks);
        if let Some(ours) = held.get(workspace) {
            return Err(StateError::Locked { workspace: workspace.to_string(), holder: ours.info.clone() });
        }
        secure_fs::create_private_dir_all(&self.dir)
            .map_err(|e| io_error(&self.dir, "cannot create the state directory", e))?;
        let path = self.lock_path(workspace);
        // A `lock_holder` probe holds the OS lock (shared) for an instant; a few quick retries
        // keep such a probe from being reported as a holder.
        for attempt in 0..5 {
            if let Some(file) = lock_file::try_acquire(&path, Mode::Exclusive)? {
                lock_file::write_info(&path, &file, &info)?;
                held.insert(workspace.to_string(), HeldLock { file, info });
                return Ok(());
            }
            if attempt < 4 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        Err(StateError::Locked { workspace: workspace.to_string(), holder: lock_file::read_holder(&path) })
    }

    pub(super) fn unlock(&self, workspace: &str, id: &str) -> Result<(), StateError> {
        validate_workspace_name(workspace)?;
        let mut held = lock(&self.locks);
        match held.get(workspace) {
            Some(ours) if ours.info.id == id => {
                let path = self.lock_path(workspace);
                let result = lock_file::clear_info(&path, &ours.file);
                // Released even if clearing the description failed: a stale description is
                // harmless, a lock kept by mistake is not.
                held.remove(workspace);
                result
            }
            _ => Err(StateError::NotLocked { workspace: workspace.to_string(), id: id.to_string() }),
        }
    }

    pub(super) fn force_unlock(&self, workspace: &str, id: &str) -> Result<(), StateError> {
        validate_workspace_name(workspace)?;
        if lock(&self.locks).get(workspace).is_some_and(|ours| ours.info.id == id) {
            return self.unlock(workspace, id);
        }
        let path = self.lock_path(workspace);
        let not_locked = || StateError::NotLocked { workspace: workspace.to_string(), id: id.to_string() };
        if !path.exists() {
            return Err(not_locked());
        }
        match lock_file::try_acquire(&path, Mode::Exclusive)? {
            // The OS lock is free: its holder is gone. Clear the description it left if the ID
            // is the one the user read from it.
            Some(file) => match lock_file::read_info(&path) {
                Some(stale) if stale.id == id => lock_file::clear_info(&path, &file),
                _ => Err(not_locked()),
            },
            None => {
                let holder = lock_file::read_holder(&path);
                if holder.id == id {
                    Err(StateError::LockHeldByLiveProcess { workspace: workspace.to_string(), holder })
                } else {
                    Err(not_locked())
                }
            }
        }
    }

    pub(super) fn lock_holder(&self, workspace: &str) -> Result<Option<LockInfo>, StateError> {
        validate_workspace_name(workspace)?;
        if let Some(ours) = lock(&self.locks).get(workspace) {
            return Ok(Some(ours.info.clone()));
        }
        let path = self.lock_path(workspace);
        if !path.exists() {
            return Ok(None);
        }
        // A shared probe: it succeeds exactly when no one holds the lock exclusively.
        match lock_file::try_acquire(&path, Mode::Shared)? {
            Some(_probe) => Ok(None),
            None => Ok(Some(lock_file::read_holder(&path))),
        }
    }
}
