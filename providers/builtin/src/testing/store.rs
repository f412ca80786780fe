//! The testing provider's "remote objects": one append-only log, `<dir>/objects.jsonl`,
//! with a line per write (`{"put": object}` or `{"remove": id}`), replayed into memory.
//!
//! Why a log and not a file per object: creating a file per object costs an inode
//! allocation, which on ext4 took about 1 ms each (most of a 1k-object apply), while the
//! provider stands for a remote side whose cost is supposed to be nothing but its knobs.
//!
//! Several processes may share a store (a plan and a plugin process, two workspaces naming
//! one `dir`): every operation holds the file's `flock` (shared to read, exclusive to write)
//! and first reads what other processes appended. A line is written with one `pwrite` under
//! the exclusive lock, so a process killed at any instant leaves at most a torn last line,
//! which readers skip and the next writer cuts off: the write did not happen, as with the
//! old rename. With `durable` set the log is fdatasynced after each write, so the same holds
//! across a power loss. When the log holds mostly overwritten lines it is rewritten (to a
//! temporary file renamed over it); other processes notice the new file and read it afresh.
//! Stores written by older versions (`<id>.json` files) are taken into the log at open.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The log's file name in the store's directory.
const LOG: &str = "objects.jsonl";
/// Rewrite the log once it is this much larger than its live lines (and at least
/// [`COMPACT_MIN_BYTES`]), so repeated updates do not grow it without bound.
const COMPACT_FACTOR: u64 = 4;
const COMPACT_MIN_BYTES: u64 = 1 << 20;

/// One remote object as kept in the log.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredObject {
    pub id: String,
    /// The token of the create that made the object, so an interrupted create can be found.
    pub idempotency_token: String,
    /// Every attribute of the resource, as JSON (`id` included).
    pub attributes: serde_json::Value,
}

/// One line of the log.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Record {
    Put(StoredObject),
    Remove(String),
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("cannot access testing object store at `{path}`: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("testing object store `{path}` is not valid: {source}")]
    Corrupt { path: PathBuf, source: serde_json::Error },
    #[error("testing object store `{path}`, line {line}, column {column}: {message}")]
    CorruptLine { path: PathBuf, line: u64, column: usize, message: String },
    #[error("`{id}` is not a valid testing object id")]
    BadId { id: String },
    #[error("a blocking file operation of the testing provider was interrupted")]
    Interrupted,
}

/// The objects of one directory. Operations are blocking (file locks, fsync): call them
/// off the async workers.
#[derive(Debug)]
pub struct ObjectStore {
    dir: PathBuf,
    log_path: PathBuf,
    durable: bool,
    log: Mutex<Log>,
}

/// What this process has read of the log file it has open.
#[derive(Debug)]
struct Log {
    file: File,
    /// `(device, inode)` of `file`, to notice that the path now names a rewritten log.
    identity: (u64, u64),
    /// Bytes of whole lines read so far; anything after it is another process's new lines
    /// or a torn line.
    read_to: u64,
    /// Whole lines read so far, to name a bad one by its line number.
    lines: u64,
    /// Each live object with the length of the line that put it.
    objects: BTreeMap<String, (StoredObject, u64)>,
    live_bytes: u64,
}

impl ObjectStore {
    /// Opens (creating when needed) the store in `dir`.
    pub fn open(dir: PathBuf, durable: bool) -> Result<ObjectStore, StoreError> {
        let io = |source| StoreError::Io { path: dir.clone(), source };
        fs_err::create_dir_all(&dir).map_err(io)?;
        let log_path = dir.join(LOG);
        let created = !log_path.exists();
        let log = Log::open(&log_path)?;
        let store = ObjectStore { dir, log_path, durable, log: Mutex::new(log) };
        if created && durable {
            store.sync_dir()?;
        }
        // The log is read at the first operation, not here: a plan that never reads an
        // object (`-refresh=false`) should not pay for reading them all.
        if store.has_leftovers()? {
            store.locked(true, |store, log| store.adopt_legacy_files(log))?;
        }
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn check_id(id: &str) -> Result<(), StoreError> {
        // An id comes from state, which a user can edit: keep it to the characters our own
        // ids use, as when it named a file.
        let valid = !id.is_empty()
            && !id.starts_with('.')
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if valid { Ok(()) } else { Err(StoreError::BadId { id: id.to_string() }) }
    }

    pub fn get(&self, id: &str) -> Result<Option<StoredObject>, StoreError> {
        Self::check_id(id)?;
        self.locked(false, |_, log| Ok(log.objects.get(id).map(|(object, _)| object.clone())))
    }

    /// Writes an object, replacing any object with the same id.
    pub fn put(&self, object: &StoredObject) -> Result<(), StoreError> {
        Self::check_id(&object.id)?;
        self.locked(true, |store, log| store.append(log, Record::Put(object.clone())))
    }

    /// Removes an object; `false` when it did not exist.
    pub fn remove(&self, id: &str) -> Result<bool, StoreError> {
        Self::check_id(id)?;
        self.locked(true, |store, log| {
            if !log.objects.contains_key(id) {
                return Ok(false);
            }
            store.append(log, Record::Remove(id.to_string()))?;
            Ok(true)
        })
    }

    /// Every object, in id order.
    pub fn list(&self) -> Result<Vec<StoredObject>, StoreError> {
        self.locked(false, |_, log| Ok(log.objects.values().map(|(object, _)| object.clone()).collect()))
    }

    /// The object a create with this token made. Creates name their object after the
    /// token (see [`id_for_token`]), so this is one lookup; objects made otherwise (edited
    /// by hand, or by an older provider) are found by a scan.
    pub fn find_by_token(&self, token: &str) -> Result<Option<StoredObject>, StoreError> {
        if let Some(object) = self.find_by_token_fast(token)? {
            return Ok(Some(object));
        }
        Ok(self.list()?.into_iter().find(|o| o.idempotency_token == token))
    }

    /// The object at the id derived from the token, if it was made with that token.
    pub fn find_by_token_fast(&self, token: &str) -> Result<Option<StoredObject>, StoreError> {
        if token.is_empty() {
            return Ok(None);
        }
        Ok(self.get(&id_for_token(token))?.filter(|o| o.idempotency_token == token))
    }

    /// Runs `operation` holding the file lock (exclusive to write), after reading what other
    /// processes appended; reopens the log first when another process rewrote it.
    fn locked<T>(
        &self,
        exclusive: bool,
        operation: impl FnOnce(&ObjectStore, &mut Log) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let io = |source| StoreError::Io { path: self.log_path.clone(), source };
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if exclusive { log.file.lock() } else { log.file.lock_shared() }.map_err(io)?;
            let current = match std::fs::metadata(&self.log_path) {
                Ok(meta) => Some((meta.dev(), meta.ino())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    let _ = log.file.unlock();
                    return Err(io(e));
                }
            };
            if current == Some(log.identity) {
                break;
            }
            // Rewritten (or deleted) by someone else: our file is no longer the store.
            let _ = log.file.unlock();
            *log = Log::open(&self.log_path)?;
        }
        let result = log.catch_up(&self.log_path, exclusive).and_then(|()| operation(self, &mut log));
        let unlocked = log.file.unlock().map_err(io);
        let value = result?;
        unlocked?;
        Ok(value)
    }

    /// Appends one record (under the exclusive lock) and applies it.
    fn append(&self, log: &mut Log, record: Record) -> Result<(), StoreError> {
        let io = |source| StoreError::Io { path: self.log_path.clone(), source };
        let mut line = serde_json::to_vec(&record)
            .map_err(|source| StoreError::Corrupt { path: self.log_path.clone(), source })?;
        line.push(b'\n');
        log.file.write_all_at(&line, log.read_to).map_err(io)?;
        if self.durable {
            log.file.sync_data().map_err(io)?;
        }
        log.read_to += line.len() as u64;
        log.lines += 1;
        log.apply(record, line.len() as u64);
        if log.read_to >= COMPACT_MIN_BYTES && log.read_to > COMPACT_FACTOR * log.live_bytes {
            self.compact(log)?;
        }
        Ok(())
    }

    /// Rewrites the log with only the live objects, renamed over the old one.
    fn compact(&self, log: &mut Log) -> Result<(), StoreError> {
        let io = |source| StoreError::Io { path: self.log_path.clone(), source };
        let mut temp = tempfile::Builder::new().prefix(".compact-").tempfile_in(&self.dir).map_err(io)?;
        let mut written = 0u64;
        {
            let mut out = std::io::BufWriter::new(temp.as_file_mut());
            for (object, _) in log.objects.values() {
                let mut line = serde_json::to_vec(&Record::Put(object.clone()))
                    .map_err(|source| StoreError::Corrupt { path: self.log_path.clone(), source })?;
                line.push(b'\n');
                out.write_all(&line).map_err(io)?;
                written += line.len() as u64;
            }
            out.flush().map_err(io)?;
        }
        if self.durable {
            temp.as_file().sync_all().map_err(io)?;
        }
        let file = temp.persist(&self.log_path).map_err(|e| io(e.error))?;
        if self.durable {
            self.sync_dir()?;
        }
        // The new file is ours while the old one's lock is still held: take its lock before
        // anyone who opens it can write, then let go of the old file.
        file.lock().map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        let old = std::mem::replace(&mut log.file, file);
        let _ = old.unlock();
        log.identity = (meta.dev(), meta.ino());
        log.read_to = written;
        log.lines = log.objects.len() as u64;
        log.live_bytes = written;
        Ok(())
    }

    /// Whether the directory holds files of the older layout or a killed process's temporary
    /// files, for [`ObjectStore::adopt_legacy_files`].
    fn has_leftovers(&self) -> Result<bool, StoreError> {
        let io = |source| StoreError::Io { path: self.dir.clone(), source };
        for entry in fs_err::read_dir(&self.dir).map_err(io)? {
            let name = entry.map_err(io)?.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".json") || name.starts_with(".tmp-") || name.starts_with(".compact-") {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Takes `<id>.json` files of the older one-file-per-object layout into the log, and
    /// removes temporary files a killed process left.
    fn adopt_legacy_files(&self, log: &mut Log) -> Result<(), StoreError> {
        let io = |source| StoreError::Io { path: self.dir.clone(), source };
        let mut adopted = Vec::new();
        for entry in fs_err::read_dir(&self.dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(".tmp-") || name.starts_with(".compact-") {
                let _ = fs_err::remove_file(entry.path());
                continue;
            }
            let Some(id) = name.strip_suffix(".json").filter(|id| !id.starts_with('.')) else { continue };
            let path = entry.path();
            let bytes = fs_err::read(&path).map_err(|source| StoreError::Io { path: path.clone(), source })?;
            let mut object: StoredObject =
                serde_json::from_slice(&bytes).map_err(|source| StoreError::Corrupt { path: path.clone(), source })?;
            // The file name was the identity.
            object.id = id.to_string();
            self.append(log, Record::Put(object))?;
            adopted.push(path);
        }
        for path in adopted {
            fs_err::remove_file(&path).map_err(|source| StoreError::Io { path: path.clone(), source })?;
        }
        Ok(())
    }

    fn sync_dir(&self) -> Result<(), StoreError> {
        let io = |source| StoreError::Io { path: self.dir.clone(), source };
        fs_err::File::open(&self.dir).map_err(io)?.sync_all().map_err(io)
    }
}

impl Log {
    fn open(path: &Path) -> Result<Log, StoreError> {
        let io = |source| StoreError::Io { path: path.to_path_buf(), source };
        let file =
            std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        Ok(Log {
            file,
            identity: (meta.dev(), meta.ino()),
            read_to: 0,
            lines: 0,
            objects: BTreeMap::new(),
            live_bytes: 0,
        })
    }

    /// Reads the whole lines appended since the last call. A writer (`exclusive`) also cuts
    /// off a torn last line, so its own line starts on a line of its own.
    fn catch_up(&mut self, path: &Path, exclusive: bool) -> Result<(), StoreError> {
        let io = |source| StoreError::Io { path: path.to_path_buf(), source };
        let len = self.file.metadata().map_err(io)?.len();
        if len < self.read_to {
            // Cut shorter than what we read: edited by hand. Read it again from the start.
            self.read_to = 0;
            self.lines = 0;
            self.objects.clear();
            self.live_bytes = 0;
        }
        if len > self.read_to {
            let mut bytes = vec![0; (len - self.read_to) as usize];
            self.file.read_exact_at(&mut bytes, self.read_to).map_err(io)?;
            let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |last| last + 1);
            for line in bytes[..whole].split_inclusive(|&b| b == b'\n') {
                self.lines += 1;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let record: Record = serde_json::from_slice(line).map_err(|e| {
                    let message = e.to_string();
                    let position = format!(" at line {} column {}", e.line(), e.column());
                    StoreError::CorruptLine {
                        path: path.to_path_buf(),
                        line: self.lines,
                        column: e.column(),
                        message: message.strip_suffix(&position).unwrap_or(&message).to_string(),
                    }
                })?;
                self.apply(record, line.len() as u64);
            }
            self.read_to += whole as u64;
            if exclusive && whole < bytes.len() {
                self.file.set_len(self.read_to).map_err(io)?;
            }
        }
        Ok(())
    }

    fn apply(&mut self, record: Record, line_len: u64) {
        let replaced = match record {
            Record::Put(object) => {
                self.live_bytes += line_len;
                self.objects.insert(object.id.clone(), (object, line_len))
            }
            Record::Remove(id) => self.objects.remove(&id),
        };
        if let Some((_, old_len)) = replaced {
            self.live_bytes = self.live_bytes.saturating_sub(old_len);
        }
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
