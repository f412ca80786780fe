//! The embedded state backend: one redb database per workspace under `.corral/state/`
//! (`<ws>.redb`), next to its lock file (`<ws>.lock`), so two workspaces never block each other.
//!
//! Sharing between processes. redb's default mode locks the whole database file for as long as
//! it is open, so a second process (`corral state list` during an apply) would fail with redb's
//! "Database already open". We open every database in `ConcurrencyMode::MultiWriter` instead:
//! any number of processes may have it open, redb serializes write transactions with byte-range
//! locks, and readers follow the writers' commits. Who may *write* is decided by our own
//! workspace lock (`lock_file`), which is the one a second `apply` reports; and every commit is
//! still a compare-and-swap on the serial, so a writer that ignored the lock could not lose
//! someone else's update.
//!
//! Durability: each commit is one redb write transaction with the default
//! `Durability::Immediate` (in the multi-process modes redb always uses its two-phase commit), so
//! it is on disk when `commit` returns. A workspace file is created complete (tables made, then
//! hard-linked into place), so a crash never leaves a half-made workspace.
//!
//! Secrets: each workspace's key is `<ws>.key` beside its database. Every file here is 0600
//! and the directory 0700, whatever the umask (`secure_fs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use redb::{ConcurrencyMode, Database, ReadableDatabase, ReadableTable};

use crate::secret::WorkspaceKey;

mod files;
mod locks;

use files::*;
pub(in crate::state) use files::{builder, validate_workspace_name};

use super::codec::{self, INSTANCES, INTENTS, META, OUTPUTS};
use super::lock_file::{self, HeldLock, Mode};
use super::{DEFAULT_WORKSPACE, LockInfo, State, StateChange, StateError, StateStore};
use super::{key_file, secure_fs};

/// Cheap to clone; clones share open databases and held locks.
#[derive(Clone)]
pub struct RedbStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    /// Databases kept open between operations, with the identity of the file each was opened
    /// from, so that a workspace deleted and re-created by another process is reopened.
    databases: Mutex<HashMap<String, OpenDatabase>>,
    /// The workspace locks this handle holds.
    locks: Mutex<HashMap<String, HeldLock>>,
}

struct OpenDatabase {
    database: Arc<Database>,
    file_id: FileId,
}

impl RedbStore {
    /// A store keeping its files under `dir` (usually `.corral/state`). Touches nothing on disk
    /// until the first write or lock.
    pub fn open(dir: impl Into<PathBuf>) -> Result<RedbStore, StateError> {
        Ok(RedbStore {
            inner: Arc::new(Inner {
                dir: dir.into(),
                databases: Mutex::new(HashMap::new()),
                locks: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Where the store keeps its files.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Runs blocking file work (fsyncs, OS locks) off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T, StateError> + Send + 'static,
    ) -> Result<T, StateError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || work(&inner)).await.map_err(|e| StateError::Storage {
            path: self.inner.dir.display().to_string(),
            message: format!("state task failed: {e}"),
        })?
    }
}

#[async_trait::async_trait]
impl StateStore for RedbStore {
    async fn workspaces(&self) -> Result<Vec<String>, StateError> {
        self.blocking(|inner| inner.workspaces()).await
    }

    async fn create_workspace(&self, name: &str) -> Result<(), StateError> {
        let name = name.to_string();
        self.blocking(move |inner| inner.create_workspace(&name)).await
    }

    async fn delete_workspace(&self, name: &str) -> Result<(), StateError> {
        let name = name.to_string();
        self.blocking(move |inner| inner.delete_workspace(&name)).await
    }

    async fn lock(&self, workspace: &str, info: LockInfo) -> Result<(), StateError> {
        let workspace = workspace.to_string();
        self.blocking(move |inner| inner.lock(&workspace, info)).await
    }

    async fn unlock(&self, workspace: &str, id: &str) -> Result<(), StateError> {
        let (workspace, id) = (workspace.to_string(), id.to_string());
        self.blocking(move |inner| inner.unlock(&workspace, &id)).await
    }

    async fn force_unlock(&self, workspace: &str, id: &str) -> Result<(), StateError> {
        let (workspace, id) = (workspace.to_string(), id.to_string());
        self.blocking(move |inner| inner.force_unlock(&workspace, &id)).await
    }

    async fn lock_holder(&self, workspace: &str) -> Result<Option<LockInfo>, StateError> {
        let workspace = workspace.to_string();
        self.blocking(move |inner| inner.lock_holder(&workspace)).await
    }

    async fn read(&self, workspace: &str) -> Result<State, StateError> {
        let workspace = workspace.to_string();
        self.blocking(move |inner| inner.read(&workspace)).await
    }

    async fn commit(
        &self,
        workspace: &str,
        expected_serial: u64,
        changes: Vec<StateChange>,
    ) -> Result<u64, StateError> {
        let workspace = workspace.to_string();
        let (_, serial) = self.blocking(move |inner| inner.commit(&workspace, None, expected_serial, changes)).await?;
        Ok(serial)
    }

    async fn commit_in_lineage(
        &self,
        workspace: &str,
        lineage: uuid::Uuid,
        expected_serial: u64,
        changes: Vec<StateChange>,
    ) -> Result<(uuid::Uuid, u64), StateError> {
        let workspace = workspace.to_string();
        self.blocking(move |inner| inner.commit(&workspace, Some(lineage), expected_serial, changes)).await
    }

    async fn replace(&self, workspace: &str, expected_serial: u64, state: &State) -> Result<u64, StateError> {
        let workspace = workspace.to_string();
        let state = state.clone();
        self.blocking(move |inner| inner.replace(&workspace, expected_serial, &state)).await
    }

    async fn workspace_key(&self, workspace: &str) -> Result<WorkspaceKey, StateError> {
        let workspace = workspace.to_string();
        self.blocking(move |inner| inner.workspace_key(&workspace)).await
    }

    async fn set_workspace_key(&self, workspace: &str, key: &WorkspaceKey) -> Result<(), StateError> {
        let workspace = workspace.to_string();
        let key = key.clone();
        self.blocking(move |inner| {
            validate_workspace_name(&workspace)?;
            key_file::replace(&inner.dir, &inner.key_path(&workspace), &key)
        })
        .await
    }
}

impl Inner {
    fn database_path(&self, workspace: &str) -> PathBuf {
        self.dir.join(format!("{workspace}.redb"))
    }

    fn lock_path(&self, workspace: &str) -> PathBuf {
        self.dir.join(format!("{workspace}.lock"))
    }

    fn key_path(&self, workspace: &str) -> PathBuf {
        self.dir.join(format!("{workspace}.key"))
    }

    /// The workspace's key, from `<ws>.key` (see `key_file`).
    fn workspace_key(&self, workspace: &str) -> Result<WorkspaceKey, StateError> {
        validate_workspace_name(workspace)?;
        key_file::load_or_create(&self.dir, &self.key_path(workspace))
    }

    fn workspaces(&self) -> Result<Vec<String>, StateError> {
        let mut names = vec![DEFAULT_WORKSPACE.to_string()];
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
            Err(e) => return Err(io_error(&self.dir, "cannot list workspaces", e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&self.dir, "cannot list workspaces", e))?;
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str().and_then(|n| n.strip_suffix(".redb")) else { continue };
            // Skips temporary files of a workspace being created (their names start with a dot).
            if validate_workspace_name(name).is_ok() {
                names.push(name.to_string());
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn exists(&self, workspace: &str) -> bool {
        workspace == DEFAULT_WORKSPACE || self.database_path(workspace).exists()
    }

    fn require_workspace(&self, workspace: &str) -> Result<(), StateError> {
        validate_workspace_name(workspace)?;
        if self.exists(workspace) { Ok(()) } else { Err(StateError::NoSuchWorkspace(workspace.to_string())) }
    }

    fn create_workspace(&self, workspace: &str) -> Result<(), StateError> {
        validate_workspace_name(workspace)?;
        if self.exists(workspace) {
            return Err(StateError::WorkspaceExists(workspace.to_string()));
        }
        if self.create_database_file(workspace)? {
            Ok(())
        } else {
            Err(StateError::WorkspaceExists(workspace.to_string()))
        }
    }

    /// Makes a complete, empty database file for the workspace unless one exists; true if this
    /// call made it. The file is built under a temporary name and hard-linked into place, which
    /// fails rather than replaces when another process got there first.
    fn create_database_file(&self, workspace: &str) -> Result<bool, StateError> {
        let path = self.database_path(workspace);
        if path.exists() {
            return Ok(false);
        }
        secure_fs::create_private_dir_all(&self.dir)
            .map_err(|e| io_error(&self.dir, "cannot create the state directory", e))?;
        let temporary = self.dir.join(format!(".{workspace}.redb.{}", uuid::Uuid::new_v4()));
        let result = (|| {
            // Made 0600 before redb sees it (redb would make it as the umask says).
            secure_fs::create_new_private(&temporary, &[])
                .map_err(|e| io_error(&temporary, "cannot create the workspace's state file", e))?;
            let database = builder().create(&temporary).map_err(|e| db_error(&temporary, e))?;
            let txn = database.begin_write().map_err(|e| db_error(&temporary, e))?;
            {
                let mut meta = txn.open_table(META).map_err(|e| db_error(&temporary, e))?;
                meta.insert(codec::META_STORE_FORMAT, codec::STORE_FORMAT).map_err(|e| db_error(&temporary, e))?;
                txn.open_table(INSTANCES).map_err(|e| db_error(&temporary, e))?;
                txn.open_table(OUTPUTS).map_err(|e| db_error(&temporary, e))?;
                txn.open_table(INTENTS).map_err(|e| db_error(&temporary, e))?;
            }
            txn.commit().map_err(|e| db_error(&temporary, e))?;
            database.close().map_err(|e| db_error(&temporary, e))?;
            match std::fs::hard_link(&temporary, &path) {
                Ok(()) => {
                    sync_dir(&self.dir)?;
                    Ok(true)
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(io_error(&path, "cannot create the workspace's state file", e)),
            }
        })();
        // The temporary name is only scaffolding; whatever happened, it goes.
        let _ = std::fs::remove_file(&temporary);
        result
    }

    /// The open database of a workspace, opening (or, with `create`, making) it if needed.
    /// `None` when the workspace has no database file and `create` is false.
    fn database(&self, workspace: &str, create: bool) -> Result<Option<Arc<Database>>, StateError> {
        let path = self.database_path(workspace);
        let file_id = match file_id(&path) {
            Some(id) => id,
            None if create => {
                self.create_database_file(workspace)?;
                file_id(&path).ok_or_else(|| StateError::Storage {
                    path: path.display().to_string(),
                    message: "the state file vanished just after it was created".to_string(),
                })?
            }
            None => {
                lock(&self.databases).remove(workspace);
                return Ok(None);
            }
        };
        let mut databases = lock(&self.databases);
        if let Some(open) = databases.get(workspace)
            && open.file_id == file_id
        {
            return Ok(Some(open.database.clone()));
        }
        // A state file left readable by an older Corral is narrowed to its owner.
        secure_fs::make_private(&path)
            .map_err(|e| io_error(&path, "cannot restrict the state file's permissions", e))?;
        let database = Arc::new(builder().open(&path).map_err(|e| db_error(&path, e))?);
        databases.insert(workspace.to_string(), OpenDatabase { database: database.clone(), file_id });
        Ok(Some(database))
    }

    /// The workspace's database for reading: the shared read-write handle, or, when the file
    /// may not be written (a read-only file or directory, a backup being inspected), a
    /// read-only handle, so `state list`, `show` and `output` still work.
    fn database_for_reading(&self, workspace: &str) -> Result<Option<Readable>, StateError> {
        match self.database(workspace, false) {
            Ok(database) => Ok(database.map(Readable::Shared)),
            Err(error) => {
                let path = self.database_path(workspace);
                if let Ok(database) = builder().open_read_only(&path) {
                    return Ok(Some(Readable::ReadOnly(database)));
                }
                // A read-only handle refuses a file its last writer did not close cleanly (a
                // killed apply), which only a writer may repair: repair a private copy instead.
                // Any failure here says nothing new, so the first error is the one reported.
                match repaired_copy(&path) {
                    Some((database, copy)) => Ok(Some(Readable::Copy { database, _copy: copy })),
                    None => Err(error),
                }
            }
        }
    }

    fn read(&self, workspace: &str) -> Result<State, StateError> {
        self.require_workspace(workspace)?;
        let Some(database) = self.database_for_reading(workspace)? else {
            return Ok(unwritten_state());
        };
        let path = self.database_path(workspace);
        let state = match &database {
            Readable::Shared(database) => read_database(database.as_ref(), &path),
            Readable::ReadOnly(database) => read_database(database, &path),
            Readable::Copy { database, .. } => read_database(database, &path),
        };
        // A damaged record is reported with the file it is in.
        state.map_err(|e| match e {
            StateError::Corrupt(message) => StateError::Corrupt(format!("{}: {message}", path.display())),
            other => other,
        })
    }
    /// A commit, compare-and-swap on the serial (and on the lineage when `lineage` is given).
    /// Returns the lineage and serial after it.
    fn commit(
        &self,
        workspace: &str,
        lineage: Option<uuid::Uuid>,
        expected_serial: u64,
        changes: Vec<StateChange>,
    ) -> Result<(uuid::Uuid, u64), StateError> {
        validate_workspace_name(workspace)?;
        // Encode everything first: a bad change fails the commit before the file is touched.
        let changes = encode_changes(changes)?;
        let path = self.database_path(workspace);
        // `default` comes into being with its first commit; other workspaces must be created.
        // A commit that expects a written state never makes a file: the state it expects was
        // removed, and a fresh empty one in its place would forget every object.
        let create = workspace == DEFAULT_WORKSPACE && expected_serial == 0;
        let Some(database) = self.database(workspace, create)? else {
            if expected_serial > 0 {
                return Err(StateError::Vanished { path: path.display().to_string(), expected: expected_serial });
            }
            return Err(StateError::NoSuchWorkspace(workspace.to_string()));
        };
        let err = |e: redb::Error| db_error(&path, e);

        let txn = database.begin_write().map_err(|e| err(e.into()))?;
        let stored_lineage;
        {
            let mut meta = txn.open_table(META).map_err(|e| err(e.into()))?;
            let found = match meta.get(codec::META_SERIAL).map_err(|e| err(e.into()))? {
                Some(serial) => codec::decode_serial(serial.value())?,
                None => 0,
            };
            let found_lineage = match meta.get(codec::META_LINEAGE).map_err(|e| err(e.into()))? {
                Some(text) => Some(codec::decode_lineage(text.value())?),
                None => None,
            };
            // Dropping the transaction aborts it.
            if let Some(expected) = lineage
                && expected != found_lineage.unwrap_or_else(uuid::Uuid::nil)
            {
                return Err(StateError::LineageMismatch {
                    expected,
                    found: found_lineage.unwrap_or_else(uuid::Uuid::nil),
                });
            }
            if found != expected_serial {
                return Err(StateError::SerialMismatch { expected: expected_serial, found });
            }
            stored_lineage = match found_lineage {
                Some(lineage) => lineage,
                None => {
                    let fresh = uuid::Uuid::new_v4();
                    meta.insert(codec::META_LINEAGE, fresh.to_string().as_str()).map_err(|e| err(e.into()))?;
                    fresh
                }
            };
            let serial = (expected_serial + 1).to_string();
            meta.insert(codec::META_SERIAL, serial.as_str()).map_err(|e| err(e.into()))?;

            let mut instances = txn.open_table(INSTANCES).map_err(|e| err(e.into()))?;
            let mut intents = txn.open_table(INTENTS).map_err(|e| err(e.into()))?;
            let mut outputs = txn.open_table(OUTPUTS).map_err(|e| err(e.into()))?;
            for change in &changes {
                match change {
                    EncodedChange::PutInstance { key, value } => {
                        instances.insert(key.as_str(), value.as_slice()).map_err(|e| err(e.into()))?;
                    }
                    EncodedChange::RemoveInstance { key } => {
                        instances.remove(key.as_str()).map_err(|e| err(e.into()))?;
                    }
                    EncodedChange::PutIntent { key, value } => {
                        intents.insert(key.as_str(), value.as_slice()).map_err(|e| err(e.into()))?;
                    }
                    EncodedChange::RemoveIntent { key } => {
                        intents.remove(key.as_str()).map_err(|e| err(e.into()))?;
                    }
                    EncodedChange::SetOutputs(new_outputs) => {
                        outputs.retain(|_, _| false).map_err(|e| err(e.into()))?;
                        for (name, value) in new_outputs {
                            outputs.insert(name.as_str(), value.as_slice()).map_err(|e| err(e.into()))?;
                        }
                    }
                }
            }
        }
        // Durability::Immediate (the default): the commit is on disk when this returns.
        txn.commit().map_err(|e| err(e.into()))?;
        Ok((stored_lineage, expected_serial + 1))
    }

    fn replace(&self, workspace: &str, expected_serial: u64, state: &State) -> Result<u64, StateError> {
        validate_workspace_name(workspace)?;
        let mut changes = vec![StateChange::SetOutputs(state.outputs.clone())];
        changes.extend(state.instances.values().cloned().map(StateChange::PutInstance));
        changes.extend(state.intents.values().cloned().map(StateChange::PutIntent));
        let changes = encode_changes(changes)?;
        // Pushing is how a removed state is restored, so `default`'s file may be made here.
        let Some(database) = self.database(workspace, workspace == DEFAULT_WORKSPACE)? else {
            return Err(StateError::NoSuchWorkspace(workspace.to_string()));
        };
        let path = self.database_path(workspace);
        let err = |e: redb::Error| db_error(&path, e);
        let txn = database.begin_write().map_err(|e| err(e.into()))?;
        let serial = state.serial.max(expected_serial + 1);
        {
            let mut meta = txn.open_table(META).map_err(|e| err(e.into()))?;
            let found = match meta.get(codec::META_SERIAL).map_err(|e| err(e.into()))? {
                Some(serial) => codec::decode_serial(serial.value())?,
                None => 0,
            };
            if found != expected_serial {
                return Err(StateError::SerialMismatch { expected: expected_serial, found });
            }
            meta.insert(codec::META_LINEAGE, state.lineage.to_string().as_str()).map_err(|e| err(e.into()))?;
            meta.insert(codec::META_SERIAL, serial.to_string().as_str()).map_err(|e| err(e.into()))?;
            let mut instances = txn.open_table(INSTANCES).map_err(|e| err(e.into()))?;
            let mut intents = txn.open_table(INTENTS).map_err(|e| err(e.into()))?;
            let mut outputs = txn.open_table(OUTPUTS).map_err(|e| err(e.into()))?;
            instances.retain(|_, _| false).map_err(|e| err(e.into()))?;
            intents.retain(|_, _| false).map_err(|e| err(e.into()))?;
            for change in &changes {
                match change {
                    EncodedChange::PutInstance { key, value } => {
                        instances.insert(key.as_str(), value.as_slice()).map_err(|e| err(e.into()))?;
                    }
                    EncodedChange::PutIntent { key, value } => {
                        intents.insert(key.as_str(), value.as_slice()).map_err(|e| err(e.into()))?;
                    }
                    EncodedChange::SetOutputs(new_outputs) => {
                        outputs.retain(|_, _| false).map_err(|e| err(e.into()))?;
                        for (name, value) in new_outputs {
                            outputs.insert(name.as_str(), value.as_slice()).map_err(|e| err(e.into()))?;
                        }
                    }
                    EncodedChange::RemoveInstance { .. } | EncodedChange::RemoveIntent { .. } => {}
                }
            }
        }
        txn.commit().map_err(|e| err(e.into()))?;
        Ok(serial)
    }

    fn delete_workspace(&self, workspace: &str) -> Result<(), StateError> {
        validate_workspace_name(workspace)?;
        if workspace == DEFAULT_WORKSPACE {
            return Err(StateError::CannotDeleteDefault);
        }
        self.require_workspace(workspace)?;
        // Hold the workspace's lock while deleting, so no one is writing to what we remove: ours
        // if this handle already holds it, else taken for the duration.
        let mut held = lock(&self.locks);
        let lock_path = self.lock_path(workspace);
        let temporary_lock = if held.contains_key(workspace) {
            None
        } else {
            match lock_file::try_acquire(&lock_path, Mode::Exclusive)? {
                Some(file) => Some(file),
                None => {
                    return Err(StateError::Locked {
                        workspace: workspace.to_string(),
                        holder: lock_file::read_holder(&lock_path),
                    });
                }
            }
        };
        let state = self.read(workspace)?;
        if !state.instances.is_empty() || !state.intents.is_empty() {
            return Err(StateError::WorkspaceNotEmpty {
                workspace: workspace.to_string(),
                instances: state.instances.len(),
                intents: state.intents.len(),
            });
        }
        lock(&self.databases).remove(workspace);
        let path = self.database_path(workspace);
        std::fs::remove_file(&path).map_err(|e| io_error(&path, "cannot delete the workspace's state file", e))?;
        // Removed while we hold it: anyone who opened the old lock file notices it was replaced
        // (see `lock_file::try_acquire`).
        let _ = std::fs::remove_file(&lock_path);
        let _ = std::fs::remove_file(self.key_path(workspace));
        held.remove(workspace);
        drop(temporary_lock);
        sync_dir(&self.dir)
    }
}

/// A workspace's database opened for reading.
enum Readable {
    Shared(Arc<Database>),
    ReadOnly(redb::ReadOnlyDatabase),
    /// A repaired copy; the file goes when `_copy` is dropped, after the database.
    Copy {
        database: Database,
        _copy: tempfile::TempPath,
    },
}
