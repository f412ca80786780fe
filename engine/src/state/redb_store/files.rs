//! The redb backend's file-level helpers: reading a whole database into a `State` (each
//! record decoded on its own), encoding a commit's changes, repairing a copy of a damaged
//! file, error mapping, directory syncs and file identities.

use super::*;

/// Opens (and so repairs) a private copy of a database file that cannot be opened in place.
pub(super) fn repaired_copy(path: &Path) -> Option<(Database, tempfile::TempPath)> {
    let copy = tempfile::NamedTempFile::new().ok()?.into_temp_path();
    std::fs::copy(path, &copy).ok()?;
    let database = builder().open(&copy).ok()?;
    Some((database, copy))
}

/// Every record of a database, each decoded on its own (see `codec`).
pub(super) fn read_database(database: &impl ReadableDatabase, path: &Path) -> Result<State, StateError> {
    let err = |e: redb::Error| db_error(path, e);
    let txn = database.begin_read().map_err(|e| err(e.into()))?;
    let meta = txn.open_table(META).map_err(|e| err(e.into()))?;
    let get_meta = |key: &str| -> Result<Option<String>, StateError> {
        Ok(meta.get(key).map_err(|e| err(e.into()))?.map(|guard| guard.value().to_string()))
    };
    codec::check_store_format(get_meta(codec::META_STORE_FORMAT)?.as_deref())?;
    let mut state = unwritten_state();
    if let Some(lineage) = get_meta(codec::META_LINEAGE)? {
        state.lineage = codec::decode_lineage(&lineage)?;
    }
    if let Some(serial) = get_meta(codec::META_SERIAL)? {
        state.serial = codec::decode_serial(&serial)?;
    }

    let instances = txn.open_table(INSTANCES).map_err(|e| err(e.into()))?;
    for entry in instances.iter().map_err(|e| err(e.into()))? {
        let (key, value) = entry.map_err(|e| err(e.into()))?;
        let (addr, instance) = codec::decode_instance(key.value(), value.value())?;
        state.instances.insert(addr, instance);
    }
    let outputs = txn.open_table(OUTPUTS).map_err(|e| err(e.into()))?;
    for entry in outputs.iter().map_err(|e| err(e.into()))? {
        let (key, value) = entry.map_err(|e| err(e.into()))?;
        state.outputs.insert(key.value().to_string(), codec::decode_output(key.value(), value.value())?);
    }
    let intents = txn.open_table(INTENTS).map_err(|e| err(e.into()))?;
    for entry in intents.iter().map_err(|e| err(e.into()))? {
        let (key, value) = entry.map_err(|e| err(e.into()))?;
        let (id, intent) = codec::decode_intent(key.value(), value.value())?;
        state.intents.insert(id, intent);
    }
    Ok(state)
}

/// A change, checked and encoded before the write transaction begins.
pub(super) enum EncodedChange {
    PutInstance { key: String, value: Vec<u8> },
    RemoveInstance { key: String },
    PutIntent { key: String, value: Vec<u8> },
    RemoveIntent { key: String },
    SetOutputs(Vec<(String, Vec<u8>)>),
}

pub(super) fn encode_changes(changes: Vec<StateChange>) -> Result<Vec<EncodedChange>, StateError> {
    changes
        .into_iter()
        .map(|change| {
            Ok(match change {
                StateChange::PutInstance(mut instance) => {
                    let (_, key) = codec::canonical_address(&instance.addr)?;
                    instance.addr = key.clone();
                    let value = codec::encode_json("instance", &key, &instance)?;
                    EncodedChange::PutInstance { key, value }
                }
                StateChange::RemoveInstance(addr) => EncodedChange::RemoveInstance { key: addr.to_string() },
                StateChange::PutIntent(intent) => {
                    let key = intent.id.to_string();
                    let value = codec::encode_json("intent", &key, &intent)?;
                    EncodedChange::PutIntent { key, value }
                }
                StateChange::RemoveIntent(id) => EncodedChange::RemoveIntent { key: id.to_string() },
                StateChange::SetOutputs(outputs) => EncodedChange::SetOutputs(
                    outputs
                        .iter()
                        .map(|(name, output)| Ok((name.clone(), codec::encode_json("output", name, output)?)))
                        .collect::<Result<_, StateError>>()?,
                ),
            })
        })
        .collect()
}

/// How an unwritten workspace reads: serial 0 and the nil lineage, which the first commit
/// replaces with a fresh one. Nothing is invented by reading, so two reads agree.
pub(super) fn unwritten_state() -> State {
    State { lineage: uuid::Uuid::nil(), ..State::empty() }
}

/// redb's page cache (1 GiB by default). A state is read once, from first record to last,
/// and a commit touches a few pages: a large cache only keeps every page of the read in memory
/// for the rest of the run (74 MB of a 100k-instance plan's peak).
const CACHE_BYTES: usize = 16 << 20;

pub(in crate::state) fn builder() -> redb::Builder {
    let mut builder = Database::builder();
    builder.set_concurrency_mode(ConcurrencyMode::MultiWriter);
    builder.set_cache_size(CACHE_BYTES);
    builder
}

/// Workspace names become file names, so they are kept to a portable, unsurprising set.
pub(in crate::state) fn validate_workspace_name(name: &str) -> Result<(), StateError> {
    let invalid =
        |reason: &str| Err(StateError::InvalidWorkspaceName { name: name.to_string(), reason: reason.to_string() });
    if name.is_empty() {
        return invalid("it is empty");
    }
    if name.len() > 90 {
        return invalid("it is longer than 90 characters");
    }
    if name.starts_with('.') {
        return invalid("it starts with `.`");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return invalid("only letters, digits, `-`, `_` and `.` are allowed");
    }
    Ok(())
}

// A poisoned mutex only means another thread panicked while holding it; the maps it guards
// stay consistent (each update is a single insert or remove), so carry on with them.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(super) fn db_error(path: &Path, e: impl Into<redb::Error>) -> StateError {
    let message = match e.into() {
        redb::Error::DatabaseAlreadyOpen | redb::Error::LockProtocolMismatch => {
            "the state file is open in another program that does not share it (an older Corral?)".to_string()
        }
        other => other.to_string(),
    };
    StateError::Storage { path: path.display().to_string(), message }
}

pub(super) fn io_error(path: &Path, what: &str, e: std::io::Error) -> StateError {
    StateError::Storage { path: path.display().to_string(), message: format!("{what}: {e}") }
}

/// Makes a directory entry change (a created or removed file) durable.
pub(super) fn sync_dir(dir: &Path) -> Result<(), StateError> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error(dir, "cannot sync the state directory", e))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(unix)]
pub(super) type FileId = (u64, u64);
#[cfg(not(unix))]
pub(super) type FileId = ();

#[cfg(unix)]
pub(super) fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
pub(super) fn file_id(path: &Path) -> Option<FileId> {
    path.exists().then_some(())
}
