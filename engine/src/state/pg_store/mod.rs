//! The PostgreSQL state backend (`backend "pg"`): every workspace of a project in one schema
//! of one database, shared by any number of runners on any number of machines.
//!
//! Tables (created and migrated by Corral, see `migrations`): `workspaces` (name, lineage,
//! serial), `instances`, `outputs` and `intents` (one row per record, the same JSON as the redb
//! store's records, `state::codec`), `workspace_keys`, and `locks` (one leased lock per
//! workspace).
//!
//! Durability: each commit is one transaction that locks the workspace's row (`FOR UPDATE`),
//! checks serial, lineage and the committer's lock, writes the changes and the new serial,
//! and is durable when PostgreSQL acknowledges it (the server's `synchronous_commit`).
//!
//! Locks are leases (`lease`): a holder's heartbeat task renews its lease while the holder
//! lives, so a runner that dies (or loses the server for a whole lease) loses the lock when
//! the lease lapses and no one has to break it; a runner whose lease lapsed is told so
//! (`lock_lost`) and every commit of it is refused.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::{LockInfo, State, StateChange, StateError, StateStore, WorkspaceLock};
use crate::secret::WorkspaceKey;

mod lease;
mod migrations;
mod records;
#[cfg(test)]
mod tests;

use lease::HeldLease;

/// How to reach the database, and how long a lock's lease lasts.
#[derive(Clone, Debug)]
pub struct PgSettings {
    /// A libpq connection string or URL (`postgres://user@host:5432/db`).
    pub conn_str: String,
    /// The schema holding Corral's tables (made if missing).
    pub schema_name: String,
    /// How long a lock stays held without a heartbeat; renewed every third of it.
    pub lease: Duration,
    /// Where these settings come from, for error messages (`backend "pg" in main.tf:3`).
    pub origin: Option<String>,
}

impl PgSettings {
    /// The default lease: long enough for a busy server's pauses, short enough that a dead
    /// runner's workspace is free again within a minute.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
    pub const DEFAULT_SCHEMA: &str = "terraform_remote_state";
}

/// Cheap to clone; clones share the pool and the locks held.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// The schema, quoted for SQL.
    schema: String,
    lease: Duration,
    /// The database as shown in errors (never with a password).
    label: String,
    /// Migrations run once per store, on first use.
    ready: tokio::sync::OnceCell<()>,
    held: Mutex<HashMap<String, HeldLease>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A dropped store stops renewing its leases: like a dead process, it loses its locks
        // when they lapse.
        for lease in lock(&self.held).values() {
            lease.stop();
        }
    }
}

impl PgStore {
    /// A store on the database `settings` name. Connects lazily: the first operation
    /// connects and creates or migrates the schema, and reports a server that cannot be
    /// reached (with `settings.origin`).
    pub fn open(settings: &PgSettings) -> Result<PgStore, StateError> {
        let origin = settings.origin.clone().unwrap_or_else(|| "the pg backend".to_string());
        let invalid = |message: String| StateError::Storage { path: origin.clone(), message };
        let mut config = tokio_postgres::Config::from_str(&settings.conn_str)
            .map_err(|e| invalid(format!("invalid conn_str: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let schema =
            quote_identifier(&settings.schema_name).map_err(|m| invalid(format!("invalid schema_name: {m}")))?;
        if settings.lease < Duration::from_millis(300) {
            return Err(invalid(format!("a lease of {:?} is too short to be renewed", settings.lease)));
        }
        let label = format!("{origin} ({}, schema {schema})", describe(&config));
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(8)
            .build()
            .map_err(|e| invalid(format!("cannot make a connection pool: {e}")))?;
        Ok(PgStore {
            inner: Arc::new(Inner {
                pool,
                schema,
                lease: settings.lease,
                label,
                ready: tokio::sync::OnceCell::new(),
                held: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Connects and makes sure the schema is at this version's migration (what every
    /// operation does first); `corral init` calls it to report a bad backend early.
    pub async fn check(&self) -> Result<(), StateError> {
        self.inner.ready().await
    }
}

impl Inner {
    async fn ready(&self) -> Result<(), StateError> {
        self.ready
            .get_or_try_init(|| async {
                let mut client = self.raw_client().await?;
                migrations::migrate(&mut client, &self.schema).await.map_err(|e| self.pg_error(e))
            })
            .await
            .map(|_| ())
    }

    async fn raw_client(&self) -> Result<deadpool_postgres::Object, StateError> {
        self.pool.get().await.map_err(|e| StateError::Storage { path: self.label.clone(), message: chain(&e) })
    }

    /// A pooled connection to a migrated schema.
    async fn client(&self) -> Result<deadpool_postgres::Object, StateError> {
        self.ready().await?;
        self.raw_client().await
    }

    fn pg_error(&self, e: tokio_postgres::Error) -> StateError {
        StateError::Storage { path: self.label.clone(), message: chain(&e) }
    }

    /// A table of the schema, for SQL text.
    fn table(&self, name: &str) -> String {
        format!("{}.{name}", self.schema)
    }
}

#[async_trait::async_trait]
impl StateStore for PgStore {
    async fn workspaces(&self) -> Result<Vec<String>, StateError> {
        self.inner.workspaces().await
    }

    async fn create_workspace(&self, name: &str) -> Result<(), StateError> {
        self.inner.create_workspace(name).await
    }

    async fn delete_workspace(&self, name: &str) -> Result<(), StateError> {
        self.inner.delete_workspace(name).await
    }

    async fn lock(&self, workspace: &str, info: LockInfo) -> Result<(), StateError> {
        self.inner.lock(workspace, info).await
    }

    async fn unlock(&self, workspace: &str, id: &str) -> Result<(), StateError> {
        self.inner.unlock(workspace, id).await
    }

    async fn force_unlock(&self, workspace: &str, id: &str) -> Result<(), StateError> {
        self.inner.force_unlock(workspace, id).await
    }

    async fn lock_holder(&self, workspace: &str) -> Result<Option<LockInfo>, StateError> {
        self.inner.lock_holder(workspace).await
    }

    async fn locks(&self) -> Result<Vec<WorkspaceLock>, StateError> {
        self.inner.locks().await
    }

    fn lock_lost(&self, workspace: &str) -> Option<StateError> {
        lock(&self.inner.held).get(workspace).and_then(|lease| lease.lost(workspace))
    }

    async fn read(&self, workspace: &str) -> Result<State, StateError> {
        self.inner.read(workspace).await
    }

    async fn commit(
        &self,
        workspace: &str,
        expected_serial: u64,
        changes: Vec<StateChange>,
    ) -> Result<u64, StateError> {
        let (_, serial) = self.inner.commit(workspace, None, expected_serial, changes).await?;
        Ok(serial)
    }

    async fn commit_in_lineage(
        &self,
        workspace: &str,
        lineage: uuid::Uuid,
        expected_serial: u64,
        changes: Vec<StateChange>,
    ) -> Result<(uuid::Uuid, u64), StateError> {
        self.inner.commit(workspace, Some(lineage), expected_serial, changes).await
    }

    async fn replace(&self, workspace: &str, expected_serial: u64, state: &State) -> Result<u64, StateError> {
        self.inner.replace(workspace, expected_serial, state).await
    }

    async fn workspace_key(&self, workspace: &str) -> Result<WorkspaceKey, StateError> {
        self.inner.workspace_key(workspace).await
    }

    async fn set_workspace_key(&self, workspace: &str, key: &WorkspaceKey) -> Result<(), StateError> {
        self.inner.set_workspace_key(workspace, key).await
    }
}

// A poisoned mutex only means another thread panicked while holding it; the map stays
// consistent (each update is a single insert or remove).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A schema name as a quoted SQL identifier. Kept to a plain set so that it reads the same
/// in `psql` as in the backend block.
fn quote_identifier(name: &str) -> Result<String, String> {
    let plain = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        Ok(format!("\"{name}\""))
    } else {
        Err(format!("`{name}` is not a name of 1 to 63 letters, digits and `_` starting with a letter or `_`"))
    }
}

/// `user@host:port/db` of a connection string, leaving out the password.
fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            tokio_postgres::config::Host::Tcp(name) => format!("{name}:{port}"),
            tokio_postgres::config::Host::Unix(path) => format!("{}:{port}", path.display()),
        })
        .collect();
    format!("postgres://{}@{}/{}", config.get_user().unwrap_or(""), hosts.join(","), config.get_dbname().unwrap_or(""))
}

/// An error with its causes, which is where tokio-postgres says what went wrong ("error
/// connecting to server: Connection refused").
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
