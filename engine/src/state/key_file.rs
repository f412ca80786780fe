//! A workspace's secret key as a file (`<ws>.key` beside its database): 64 hex digits, 0600,
//! made on first use. The key is never part of the state, so whoever reads the state (or a
//! copy of it) cannot test guesses against its write-only digests.
//!
//! A new key is written under a temporary name and hard-linked into place, which fails
//! rather than replaces when another process got there first; then that process's key is
//! read. So two `corral` processes starting in a fresh directory agree on one key.

use std::path::Path;

use super::{StateError, secure_fs};
use crate::secret::WorkspaceKey;

/// The key in `path`, made (with `dir`, 0700) if there is none.
pub(super) fn load_or_create(dir: &Path, path: &Path) -> Result<WorkspaceKey, StateError> {
    for _ in 0..2 {
        if let Some(key) = load(path)? {
            return Ok(key);
        }
        secure_fs::create_private_dir_all(dir).map_err(|e| io_error(dir, "cannot create the state directory", e))?;
        let key = WorkspaceKey::generate();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temporary = dir.join(format!(".{name}.{}", uuid::Uuid::new_v4()));
        let text = format!("{}\n", hex::encode(key.as_bytes()));
        let written = secure_fs::create_new_private(&temporary, text.as_bytes())
            .map_err(|e| io_error(&temporary, "cannot write the workspace key", e))
            .and_then(|()| match std::fs::hard_link(&temporary, path) {
                Ok(()) => sync_dir(dir).map(|()| true),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(io_error(path, "cannot write the workspace key", e)),
            });
        // The temporary name is only scaffolding; whatever happened, it goes.
        let _ = std::fs::remove_file(&temporary);
        if written? {
            return Ok(key);
        }
    }
    Err(StateError::Storage {
        path: path.display().to_string(),
        message: "the workspace key keeps vanishing while it is being made".into(),
    })
}

/// Writes `key` to `path` (with `dir`, 0700), replacing the key there: written under a
/// temporary name and renamed into place, so the file always holds a whole key.
pub(super) fn replace(dir: &Path, path: &Path, key: &WorkspaceKey) -> Result<(), StateError> {
    secure_fs::create_private_dir_all(dir).map_err(|e| io_error(dir, "cannot create the state directory", e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = dir.join(format!(".{name}.{}", uuid::Uuid::new_v4()));
    let text = format!("{}\n", hex::encode(key.as_bytes()));
    let written = secure_fs::create_new_private(&temporary, text.as_bytes())
        .map_err(|e| io_error(&temporary, "cannot write the workspace key", e))
        .and_then(|()| {
            std::fs::rename(&temporary, path).map_err(|e| io_error(path, "cannot write the workspace key", e))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written?;
    sync_dir(dir)
}

/// The key in `path`, if the file exists. A key file left readable by others is narrowed.
fn load(path: &Path) -> Result<Option<WorkspaceKey>, StateError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "cannot read the workspace key", e)),
    };
    secure_fs::make_private(path).map_err(|e| io_error(path, "cannot restrict the key file's permissions", e))?;
    let corrupt = || StateError::Storage {
        path: path.display().to_string(),
        message: "this is not a workspace key (64 hex digits); restore it from a backup".into(),
    };
    let bytes = hex::decode(text.trim()).map_err(|_| corrupt())?;
    WorkspaceKey::from_bytes(&bytes).map(Some).ok_or_else(corrupt)
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> StateError {
    StateError::Storage { path: path.display().to_string(), message: format!("{what}: {e}") }
}

/// Makes the new directory entry durable.
fn sync_dir(dir: &Path) -> Result<(), StateError> {
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_error(dir, "cannot sync the state directory", e))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_key_is_made_once_private_and_a_damaged_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let path = state.join("default.key");
        let key = load_or_create(&state, &path).unwrap();
        assert_eq!(load_or_create(&state, &path).unwrap(), key);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_dir(&state).unwrap().count(), 1, "no temporary file is left");
        std::fs::write(&path, "not a key").unwrap();
        let error = load_or_create(&state, &path).unwrap_err().to_string();
        assert!(error.contains("not a workspace key"), "{error}");
    }
}
