//! A workspace's lock: an OS lock (`File::try_lock`, i.e. `flock`) on `<ws>.lock`, whose
//! content is the holder's [`LockInfo`] as JSON.
//!
//! The OS lock is the truth; the JSON only describes it. Because the OS drops the lock when the
//! holding process dies, there are no stale locks, only stale *descriptions*, which
//! `force_unlock` clears. The lock belongs to an open file description, so two handles in one
//! process exclude each other just as two processes do.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use super::{LockInfo, StateError};

/// A lock this process holds. Dropping the file releases it.
pub(super) struct HeldLock {
    pub(super) file: File,
    pub(super) info: LockInfo,
}

/// How the OS lock was taken: an exclusive hold is an owner's; a shared one is only a probe
/// ("is anyone holding it?"), so that probes never exclude each other.
#[derive(Clone, Copy)]
pub(super) enum Mode {
    Exclusive,
    Shared,
}

/// Takes the OS lock on `path` (creating the file) without waiting. `None` when another
/// open file holds it.
pub(super) fn try_acquire(path: &Path, mode: Mode) -> Result<Option<File>, StateError> {
    // A lock file may be deleted (by `delete_workspace`, while holding it) between our open and
    // our lock; a lock on the unlinked file would exclude no one. So after locking, check that
    // the path still names the file we locked, and start over if not.
    for _ in 0..16 {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(super::secure_fs::FILE_MODE)
            .open(path)
            .map_err(|e| io_error(path, "cannot open the lock file", e))?;
        let attempt = match mode {
            Mode::Exclusive => file.try_lock(),
            Mode::Shared => file.try_lock_shared(),
        };
        match attempt {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(io_error(path, "cannot lock the lock file", e)),
        }
        if same_file(&file, path) {
            return Ok(Some(file));
        }
    }
    Err(StateError::Storage {
        path: path.display().to_string(),
        message: "the lock file keeps being replaced while locking it".to_string(),
    })
}

/// Replaces the description in a lock file we hold.
pub(super) fn write_info(path: &Path, mut file: &File, info: &LockInfo) -> Result<(), StateError> {
    let text = serde_json::to_vec_pretty(info)
        .map_err(|e| StateError::Storage { path: path.display().to_string(), message: e.to_string() })?;
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(&text))
        .map_err(|e| io_error(path, "cannot write the lock file", e))
}

/// Empties the description in a lock file we hold, so that a released lock describes no one.
pub(super) fn clear_info(path: &Path, file: &File) -> Result<(), StateError> {
    file.set_len(0).map_err(|e| io_error(path, "cannot clear the lock file", e))
}

/// The description in a lock file, if it holds a whole one.
pub(super) fn read_info(path: &Path) -> Option<LockInfo> {
    let mut text = Vec::new();
    File::open(path).ok()?.read_to_end(&mut text).ok()?;
    serde_json::from_slice(&text).ok()
}

/// The holder of a lock that is held right now. The holder writes its description just after
/// taking the OS lock, so a reader may see an empty or half-written file for a moment: retry
/// briefly, then describe the holder as unknown rather than fail.
pub(super) fn read_holder(path: &Path) -> LockInfo {
    for _ in 0..20 {
        if let Some(info) = read_info(path) {
            return info;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    LockInfo {
        id: "unknown".to_string(),
        user: "unknown".to_string(),
        host: "unknown".to_string(),
        pid: 0,
        operation: "unknown".to_string(),
        created: chrono::Utc::now(),
    }
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> StateError {
    StateError::Storage { path: path.display().to_string(), message: format!("{what}: {e}") }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

// Elsewhere an open file cannot be deleted, so the path always names the file we locked.
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}
