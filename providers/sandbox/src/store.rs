//! The sandbox's storage: one redb database (`<dir>/sandbox.redb`) with one table of JSON
//! objects keyed by (table name, id). Services see it through [`emulator::Tables`]; the
//! sandbox keeps its own records in tables whose names start with `_` (accounts, the clock,
//! remembered answers to `ClientToken`s), which `inspect` does not show.
//!
//! Sharing: several processes may use one directory (a provider per `corral` run, plus
//! `corral sandbox inspect`), so the database is opened in `ConcurrencyMode::MultiWriter`, as
//! the state backend does; within one process every user shares one open handle. Each
//! request is one write transaction, so requests are serialised and never see half of
//! another's changes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, Weak};

use chrono::{DateTime, TimeZone, Utc};
use corral_provider_sdk::emulator::{Quotas, Tables};
use redb::{ConcurrencyMode, Database, ReadableTable, TableDefinition};

use crate::SandboxError;

const OBJECTS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("objects");

/// Sandbox-internal tables.
pub(crate) const ACCOUNTS: &str = "_accounts";
pub(crate) const META: &str = "_meta";
pub(crate) const IDEMPOTENCY: &str = "_idempotency";

/// The database file inside the sandbox directory.
pub const DATABASE_FILE: &str = "sandbox.redb";

/// One process-wide handle per database file: redb refuses a second open of the same file
/// in one process.
static OPEN: LazyLock<Mutex<HashMap<PathBuf, Weak<Database>>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// An account as stored under `_accounts/<access key>`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct AccountRecord {
    pub account_id: String,
    pub secret_key: String,
    pub quotas: Quotas,
}

#[derive(Clone)]
pub(crate) struct Store {
    db: Arc<Database>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the sandbox in `dir` and makes sure the default account
    /// exists.
    pub(crate) fn open(dir: &Path) -> Result<Store, SandboxError> {
        let io = |path: &Path, e: std::io::Error| SandboxError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let path = dir.join(DATABASE_FILE);
        private::create(dir, &path).map_err(|(at, e)| io(&at, e))?;
        let key = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()).join(DATABASE_FILE);
        let db = {
            let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
            match open.get(&key).and_then(Weak::upgrade) {
                Some(db) => db,
                None => {
                    let mut builder = Database::builder();
                    builder.set_concurrency_mode(ConcurrencyMode::MultiWriter);
                    let db = Arc::new(builder.create(&path).map_err(|e| storage(&path, e))?);
                    open.insert(key, Arc::downgrade(&db));
                    db
                }
            }
        };
        let store = Store { db, path };
        store.transact(|tables| {
            seed_default_account(tables);
            Ok::<_, std::convert::Infallible>(())
        })?;
        Ok(store)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `body` in one write transaction: committed when it returns `Ok`, rolled back
    /// when it returns `Err` (so a refused request changes nothing) or when storage failed.
    pub(crate) fn transact<T, E>(
        &self,
        body: impl FnOnce(&mut RedbTables<'_>) -> Result<T, E>,
    ) -> Result<Result<T, E>, SandboxError> {
        let txn = self.db.begin_write().map_err(|e| storage(&self.path, e))?;
        let outcome = {
            let table = txn.open_table(OBJECTS).map_err(|e| storage(&self.path, e))?;
            let mut tables = RedbTables { table, error: None, dirty: false };
            let outcome = body(&mut tables);
            if let Some(message) = tables.error {
                return Err(SandboxError::Storage { path: self.path.display().to_string(), message });
            }
            (outcome, tables.dirty)
        };
        match outcome {
            // Nothing written (a describe): skip the commit and its fsync.
            (Ok(value), false) => {
                txn.abort().map_err(|e| storage(&self.path, e))?;
                Ok(Ok(value))
            }
            (Ok(value), true) => {
                txn.commit().map_err(|e| storage(&self.path, e))?;
                Ok(Ok(value))
            }
            (Err(e), _) => {
                txn.abort().map_err(|e| storage(&self.path, e))?;
                Ok(Err(e))
            }
        }
    }

    /// Removes every object and record, then seeds the default account again.
    pub(crate) fn wipe(&self) -> Result<(), SandboxError> {
        let txn = self.db.begin_write().map_err(|e| storage(&self.path, e))?;
        txn.delete_table(OBJECTS).map_err(|e| storage(&self.path, e))?;
        {
            let table = txn.open_table(OBJECTS).map_err(|e| storage(&self.path, e))?;
            let mut tables = RedbTables { table, error: None, dirty: false };
            seed_default_account(&mut tables);
            if let Some(message) = tables.error {
                return Err(SandboxError::Storage { path: self.path.display().to_string(), message });
            }
        }
        txn.commit().map_err(|e| storage(&self.path, e))
    }
}

fn seed_default_account(tables: &mut dyn Tables) {
    if tables.get(ACCOUNTS, crate::DEFAULT_ACCESS_KEY).is_none() {
        let record = AccountRecord {
            account_id: crate::DEFAULT_ACCOUNT.to_string(),
            secret_key: crate::DEFAULT_SECRET_KEY.to_string(),
            quotas: Quotas::sandbox_defaults(),
        };
        if let Ok(json) = serde_json::to_value(record) {
            tables.put(ACCOUNTS, crate::DEFAULT_ACCESS_KEY, json);
        }
    }
}

fn storage(path: &Path, e: impl Into<redb::Error>) -> SandboxError {
    SandboxError::Storage { path: path.display().to_string(), message: e.into().to_string() }
}

/// [`Tables`] over the write transaction's object table. The trait has no error channel, so
/// the first storage error is kept and fails the whole transaction afterwards.
pub(crate) struct RedbTables<'txn> {
    table: redb::Table<'txn, (&'static str, &'static str), &'static [u8]>,
    error: Option<String>,
    /// Whether anything was written, so a read-only request needs no commit.
    dirty: bool,
}

impl RedbTables<'_> {
    fn fail(&mut self, message: String) {
        self.error.get_or_insert(message);
    }
}

impl Tables for RedbTables<'_> {
    fn get(&self, table: &str, id: &str) -> Option<serde_json::Value> {
        let guard = self.table.get((table, id)).ok()??;
        serde_json::from_slice(guard.value()).ok()
    }

    fn put(&mut self, table: &str, id: &str, value: serde_json::Value) {
        self.dirty = true;
        let bytes = match serde_json::to_vec(&value) {
            Ok(bytes) => bytes,
            Err(e) => return self.fail(format!("cannot encode {table}/{id}: {e}")),
        };
        let result = self.table.insert((table, id), bytes.as_slice()).map(|_| ()).map_err(|e| e.to_string());
        if let Err(e) = result {
            self.fail(format!("cannot write {table}/{id}: {e}"));
        }
    }

    fn delete(&mut self, table: &str, id: &str) {
        self.dirty = true;
        let result = self.table.remove((table, id)).map(|_| ()).map_err(|e| e.to_string());
        if let Err(e) = result {
            self.fail(format!("cannot delete {table}/{id}: {e}"));
        }
    }

    fn list(&self, table: &str) -> Vec<(String, serde_json::Value)> {
        let Ok(range) = self.table.range((table, "")..) else { return Vec::new() };
        let mut out = Vec::new();
        for entry in range {
            let Ok((key, value)) = entry else { break };
            let (t, id) = key.value();
            if t != table {
                break;
            }
            if let Ok(json) = serde_json::from_slice(value.value()) {
                out.push((id.to_string(), json));
            }
        }
        out
    }
}

/// How often (in real time) the clock checkpoint is rewritten. Between rewrites sandbox time
/// is computed from the checkpoint, so read-only requests write nothing.
const CHECKPOINT_EVERY_MS: i64 = 1000;

/// The sandbox clock, persisted as a checkpoint (real time, sandbox time, scale) so that
/// sandbox time continues across runs. Sandbox time never goes backwards, even when the
/// scale changes between runs: the checkpoint is rewritten at least every
/// [`CHECKPOINT_EVERY_MS`] of real time while requests come, so an earlier run showed at most
/// one such interval at its scale beyond the checkpoint, and the new time is never less.
pub(crate) fn advance_clock(tables: &mut dyn Tables, real_now: DateTime<Utc>, scale: f64) -> DateTime<Utc> {
    let real_now_ms = real_now.timestamp_millis();
    let scale = scale.max(0.0);
    let checkpoint = tables.get(META, "clock");
    let field_i64 = |name: &str| checkpoint.as_ref().and_then(|c| c.get(name)).and_then(serde_json::Value::as_i64);
    let (Some(real_ms), Some(sandbox_ms)) = (field_i64("real_ms"), field_i64("sandbox_ms")) else {
        tables.put(
            META,
            "clock",
            serde_json::json!({"real_ms": real_now_ms, "sandbox_ms": real_now_ms, "scale": scale}),
        );
        return Utc.timestamp_millis_opt(real_now_ms).single().unwrap_or(real_now);
    };
    let stored_scale =
        checkpoint.as_ref().and_then(|c| c.get("scale")).and_then(serde_json::Value::as_f64).unwrap_or(scale);
    let elapsed = (real_now_ms - real_ms).max(0);
    let mut now_ms = sandbox_ms.saturating_add((elapsed as f64 * scale) as i64);
    if stored_scale != scale {
        let shown_before = sandbox_ms.saturating_add((elapsed.min(CHECKPOINT_EVERY_MS) as f64 * stored_scale) as i64);
        now_ms = now_ms.max(shown_before);
    }
    if stored_scale != scale || elapsed >= CHECKPOINT_EVERY_MS {
        tables.put(META, "clock", serde_json::json!({"real_ms": real_now_ms, "sandbox_ms": now_ms, "scale": scale}));
    }
    Utc.timestamp_millis_opt(now_ms).single().unwrap_or(real_now)
}

/// The sandbox's files hold account secrets and every object: owner-only (0700/0600),
/// whatever the umask, and tightened if an older version left them open.
mod private {
    use std::path::{Path, PathBuf};

    #[cfg(unix)]
    fn at(path: &Path) -> impl FnOnce(std::io::Error) -> (PathBuf, std::io::Error) + '_ {
        move |e| (path.to_path_buf(), e)
    }

    #[cfg(unix)]
    pub(super) fn create(dir: &Path, file: &Path) -> Result<(), (PathBuf, std::io::Error)> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(at(dir))?;
        // The mode given at creation is reduced by the umask; set it outright.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(at(dir))?;
        // Made here, empty, so redb opens a file that was never readable by others.
        std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(file).map_err(at(file))?;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).map_err(at(file))?;
        Ok(())
    }

    #[cfg(not(unix))]
    pub(super) fn create(dir: &Path, _file: &Path) -> Result<(), (PathBuf, std::io::Error)> {
        std::fs::create_dir_all(dir).map_err(|e| (dir.to_path_buf(), e))
    }
}
