//! Files only their owner may read: state, locks, workspace keys, saved plans, and the
//! directories that hold them (`.corral/`, `.corral/state/`).
//!
//! Directories are made 0700 and files 0600 *at creation*, whatever the umask (a umask only
//! removes bits, so asking for exactly these at `open`/`mkdir` cannot be widened; the
//! explicit `set_permissions` also narrows files and directories left wider by older
//! versions). Nothing is ever created world-readable and narrowed afterwards, which would
//! leave a window.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// The mode of every directory made here.
pub const DIR_MODE: u32 = 0o700;
/// The mode of every file made here.
pub const FILE_MODE: u32 = 0o600;

/// Makes `dir` and any missing parents 0700, and narrows `dir` itself to 0700 if it
/// already existed wider.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)?;
    narrow(dir, DIR_MODE)
}

/// Opens `path` for reading and writing, creating it 0600 if missing (and narrowing it to
/// 0600 if it exists wider). Never truncates.
pub fn open_private(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(FILE_MODE).open(path)?;
    narrow_file(&file)?;
    Ok(file)
}

/// Creates `path` 0600 with `bytes`; fails with `AlreadyExists` if it is there.
pub fn create_new_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Replaces `path` with `bytes` atomically (a 0600 temporary file in the same directory,
/// renamed over it): readers see the old file or the new one, and the new one is 0600
/// whatever the old one's mode was.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4()));
    let result = create_new_private(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// Narrows an existing file to 0600 if it is wider.
pub fn make_private(path: &Path) -> io::Result<()> {
    narrow(path, FILE_MODE)
}

fn narrow(path: &Path, mode: u32) -> io::Result<()> {
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current & !mode != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(current & mode))?;
    }
    Ok(())
}

fn narrow_file(file: &File) -> io::Result<()> {
    let current = file.metadata()?.permissions().mode() & 0o777;
    if current & !FILE_MODE != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(current & FILE_MODE))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_directories_are_made_private_and_old_ones_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dir_all(&nested).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        std::fs::set_permissions(&nested, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir_all(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);

        let file = nested.join("f");
        write_private(&file, b"one").unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&file, b"two").unwrap();
        assert_eq!((mode(&file), std::fs::read(&file).unwrap()), (0o600, b"two".to_vec()));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        open_private(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(create_new_private(&file, b"x").unwrap_err().kind(), io::ErrorKind::AlreadyExists);
    }
}
