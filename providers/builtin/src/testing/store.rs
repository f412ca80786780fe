//! The testing provider's "remote objects": one JSON file `<dir>/<id>.json` per object.
//!
//! Writes are atomic: the object is written to a temporary file in the same directory
//! (named `.tmp…`, which readers skip) and renamed over the final name, so a process killed
//! at any instant leaves either the old object or the new one, never a torn file. With
//! `durable` set, the file and the directory are also fsynced, so the same holds across a
//! power loss.

use std::io::Write;
use std::path::{Path, PathBuf};

/// One remote object as kept on disk.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredObject {
    pub(crate) id: String,
    /// The token of the create that made the object, so an interrupted create can be found.
    pub(crate) idempotency_token: String,
    /// Every attribute of the resource, as JSON (`id` included).
    pub(crate) attributes: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum StoreError {
    #[error("cannot access testing object store at `{path}`: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("testing object file `{path}` is not valid: {source}")]
    Corrupt { path: PathBuf, source: serde_json::Error },
    #[error("`{id}` is not a valid testing object id")]
    BadId { id: String },
    #[error("a blocking file operation of the testing provider was interrupted")]
    Interrupted,
}

#[derive(Clone, Debug)]
pub(crate) struct ObjectStore {
    dir: PathBuf,
    durable: bool,
}

impl ObjectStore {
    /// Opens (creating when needed) the store in `dir`.
    pub(crate) fn open(dir: PathBuf, durable: bool) -> Result<ObjectStore, StoreError> {
        fs_err::create_dir_all(&dir).map_err(|source| StoreError::Io { path: dir.clone(), source })?;
        Ok(ObjectStore { dir, durable })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, id: &str) -> Result<PathBuf, StoreError> {
        // An id comes from state, which a user can edit: never let it name a file outside
        // the store or one of our temporary files.
        let valid = !id.is_empty()
            && !id.starts_with('.')
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !valid {
            return Err(StoreError::BadId { id: id.to_string() });
        }
        Ok(self.dir.join(format!("{id}.json")))
    }

    pub(crate) fn get(&self, id: &str) -> Result<Option<StoredObject>, StoreError> {
        let path = self.path_of(id)?;
        read_object(&path)
    }

    /// Writes an object atomically, replacing any object with the same id.
    pub(crate) fn put(&self, object: &StoredObject) -> Result<(), StoreError> {
        let path = self.path_of(&object.id)?;
        let io = |source| StoreError::Io { path: path.clone(), source };
        let bytes =
            serde_json::to_vec_pretty(object).map_err(|source| StoreError::Corrupt { path: path.clone(), source })?;
        let mut temp = tempfile::Builder::new().prefix(".tmp-").suffix(".part").tempfile_in(&self.dir).map_err(io)?;
        temp.write_all(&bytes).map_err(io)?;
        if self.durable {
            temp.as_file().sync_all().map_err(io)?;
        }
        temp.persist(&path).map_err(|e| io(e.error))?;
        if self.durable {
            self.sync_dir()?;
        }
        Ok(())
    }

    /// Removes an object; `false` when it did not exist.
    pub(crate) fn remove(&self, id: &str) -> Result<bool, StoreError> {
        let path = self.path_of(id)?;
        match fs_err::remove_file(&path) {
            Ok(()) => {
                if self.durable {
                    self.sync_dir()?;
                }
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    /// Every object, in id order. Temporary files are skipped.
    pub(crate) fn list(&self) -> Result<Vec<StoredObject>, StoreError> {
        let io = |source| StoreError::Io { path: self.dir.clone(), source };
        let mut objects = Vec::new();
        for entry in fs_err::read_dir(&self.dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') || !name.ends_with(".json") {
                continue;
            }
            // A file may vanish between listing and reading (a concurrent delete).
            if let Some(object) = read_object(&entry.path())? {
                objects.push(object);
            }
        }
        objects.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(objects)
    }

    /// The object a create with this token made. Creates name their object after the
    /// token (see [`id_for_token`]), so this is one file lookup; objects made otherwise
    /// (edited by hand, or by an older provider) are found by a scan.
    pub(crate) fn find_by_token(&self, token: &str) -> Result<Option<StoredObject>, StoreError> {
        if let Some(object) = self.find_by_token_fast(token)? {
            return Ok(Some(object));
        }
        Ok(self.list()?.into_iter().find(|o| o.idempotency_token == token))
    }

    /// The object at the id derived from the token, if it was made with that token.
    pub(crate) fn find_by_token_fast(&self, token: &str) -> Result<Option<StoredObject>, StoreError> {
        if token.is_empty() {
            return Ok(None);
        }
        Ok(self.get(&id_for_token(token))?.filter(|o| o.idempotency_token == token))
    }

    fn sync_dir(&self) -> Result<(), StoreError> {
        let io = |source| StoreError::Io { path: self.dir.clone(), source };
        fs_err::File::open(&self.dir).map_err(io)?.sync_all().map_err(io)
    }
}

/// The id of the object a create with this token makes: a UUID derived from the token, so
/// that a repeated create finds the first one's object without a scan. Random without a
/// token.
pub(crate) fn id_for_token(token: &str) -> String {
    if token.is_empty() {
        uuid::Uuid::new_v4().to_string()
    } else {
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("testing_thing:{token}").as_bytes()).to_string()
    }
}

fn read_object(path: &Path) -> Result<Option<StoredObject>, StoreError> {
    let bytes = match fs_err::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StoreError::Io { path: path.to_path_buf(), source }),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|source| StoreError::Corrupt { path: path.to_path_buf(), source })
}
