//! The sandbox cloud: an axum HTTP server that emulates the services' control-plane APIs,
//! one module per service ([`services`]), with data in redb under `.corral/sandbox/`.
//!
//! - Requests are `POST /?Action=X&Version=Y` with a JSON body, signed with AWS SigV4; the
//!   credential scope's service name (`vpc`, `kmr`) routes the request. A bad signature is
//!   `403 SignatureDoesNotMatch`, an unknown key `403 InvalidAccessKeyId`.
//! - Every sandbox has the account [`DEFAULT_ACCOUNT`] with the well-known keys
//!   [`DEFAULT_ACCESS_KEY`] / [`DEFAULT_SECRET_KEY`] and [`Quotas::sandbox_defaults`].
//! - Time is lazy: before every request and every [`inspect`], each service is advanced to
//!   the sandbox clock (real elapsed time × `CORRAL_SANDBOX_TIME_SCALE`, continued across runs),
//!   so nothing runs between requests.
//! - `CORRAL_SANDBOX_FAULTS` injects 500/429 answers (before the action runs) and latency.
//! - A signature already accepted is refused (`403 RequestReplayed`): a request replayed
//!   byte for byte within its 15 minutes of validity does not act twice ([`replay`]).
//! - A server on a non-loopback address needs keys of its own (or `insecure_public`).
//! - A request with a `ClientToken` already seen for the same account, service and action
//!   gets the first answer again.

mod options;
mod replay;
pub mod rest;
mod server;
pub mod services;
mod store;
pub mod testing;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use corral_provider_sdk::emulator::{Quotas, RequestContext, Tables};

pub use corral_provider_sdk::emulator::ObjectView;
pub use options::{FAULTS_VAR, Faults, SandboxOptions, ServerKeys, TIME_SCALE_VAR};
pub use store::DATABASE_FILE;

use server::Sandbox;
use store::{ACCOUNTS, AccountRecord, Store};

/// The account every sandbox has.
pub const DEFAULT_ACCOUNT: &str = "2000000001";
/// The default account's access key (well known; the sandbox holds nothing secret).
pub const DEFAULT_ACCESS_KEY: &str = "AKLTcorralSandboxKey01";
/// The default account's secret key.
pub const DEFAULT_SECRET_KEY: &str = "corral-sandbox-secret-key";
/// The region the sandbox pretends to be (any region in the credential scope is accepted).
pub const DEFAULT_REGION: &str = "cn-beijing-6";

/// The file `corral sandbox serve` writes while it runs, naming its endpoint.
const SERVER_FILE: &str = "server.json";

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SandboxError {
    #[error("sandbox storage {path}: {message}")]
    Storage { path: String, message: String },
    #[error("sandbox directory {path}: {message}")]
    Io { path: String, message: String },
    #[error("cannot listen on {addr}: {message}")]
    Bind { addr: String, message: String },
    #[error("{name}=`{value}`: {why}")]
    BadOption { name: String, value: String, why: String },
    #[error("the sandbox has no account `{0}`")]
    UnknownAccount(String),
    #[error(
        "refusing to serve the sandbox on {addr} with its well-known keys: anyone who can reach that address \
         could create and delete objects in it. Listen on a loopback address (127.0.0.1), give keys of \
         your own (--access-key with --secret-key or CORRAL_SANDBOX_SECRET_KEY), or pass \
         --insecure-public if that is what you want"
    )]
    PublicWithWellKnownKeys { addr: String },
    /// A service refused what an operator or test did behind the API ([`testing`]).
    #[error("the sandbox refused: {0}")]
    Refused(#[from] corral_provider_sdk::emulator::ApiError),
}

/// A running sandbox server.
pub struct SandboxHandle {
    addr: SocketAddr,
    dir: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl SandboxHandle {
    /// The base URL clients use, e.g. `http://127.0.0.1:7070`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting requests, lets those in flight finish, and waits.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        let _ = std::fs::remove_file(self.dir.join(SERVER_FILE));
    }
}

/// Starts a sandbox on `addr` with the options of the environment.
pub async fn start(dir: PathBuf, addr: SocketAddr) -> Result<SandboxHandle, SandboxError> {
    start_with(dir, addr, SandboxOptions::from_env()?).await
}

/// Starts a sandbox on `addr` with explicit options (tests; nothing read from the environment).
pub async fn start_with(
    dir: PathBuf,
    addr: SocketAddr,
    options: SandboxOptions,
) -> Result<SandboxHandle, SandboxError> {
    // The well-known keys guard nothing: only this machine may use a sandbox that has them.
    if !addr.ip().is_loopback() && options.keys.is_none() && !options.insecure_public {
        return Err(SandboxError::PublicWithWellKnownKeys { addr: addr.to_string() });
    }
    let open_dir = dir.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(&open_dir))
        .await
        .map_err(|e| SandboxError::Io { path: dir.display().to_string(), message: e.to_string() })??;
    let sandbox = Arc::new(Sandbox { store, services: services::registry(), options, replays: Default::default() });
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| SandboxError::Bind { addr: addr.to_string(), message: e.to_string() })?;
    let bound =
        listener.local_addr().map_err(|e| SandboxError::Bind { addr: addr.to_string(), message: e.to_string() })?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = server::router(sandbox);
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(e) = served.await {
            tracing::error!("sandbox server stopped: {e}");
        }
    });
    Ok(SandboxHandle { addr: bound, dir, shutdown: Some(tx), task })
}

/// Sandboxes started in this process by [`start_embedded`], by directory.
static EMBEDDED: LazyLock<Mutex<HashMap<PathBuf, String>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Starts (or reuses) an in-process sandbox for `dir` on `127.0.0.1:<free port>` and returns
/// its endpoint. It runs on its own thread and runtime for the rest of the process, so it
/// outlives the caller's runtime (a provider instance, a test).
pub fn start_embedded(dir: &Path) -> Result<String, SandboxError> {
    start_embedded_with(dir, SandboxOptions::from_env()?)
}

/// The embedded sandbox as a provider's [`connect`](corral_provider_sdk::connection::connect)
/// takes it: started with [`start_embedded`] when the provider block names no endpoint, and
/// signed for with the default account's keys.
pub fn embedded()
-> corral_provider_sdk::connection::Embedded<impl FnOnce(PathBuf) -> Result<String, SandboxError> + Send + 'static> {
    corral_provider_sdk::connection::Embedded {
        start: |dir: PathBuf| start_embedded(&dir),
        keys: corral_provider_sdk::http::Credentials {
            access_key: DEFAULT_ACCESS_KEY.to_string(),
            secret_key: DEFAULT_SECRET_KEY.to_string(),
        },
    }
}

/// [`start_embedded`] with explicit options. A sandbox already running for `dir` in this
/// process is reused as it is.
pub fn start_embedded_with(dir: &Path, options: SandboxOptions) -> Result<String, SandboxError> {
    let key = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut embedded = EMBEDDED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(endpoint) = embedded.get(&key) {
        return Ok(endpoint.clone());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let owned_dir = dir.to_path_buf();
    let thread = std::thread::Builder::new().name("corral-sandbox".to_string()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                let _ =
                    tx.send(Err(SandboxError::Io { path: owned_dir.display().to_string(), message: e.to_string() }));
                return;
            }
        };
        runtime.block_on(async move {
            let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
            match start_with(owned_dir, loopback, options).await {
                Ok(handle) => {
                    let _ = tx.send(Ok(handle.endpoint()));
                    // Serve for the rest of the process.
                    let _ = handle.task.await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
    });
    thread.map_err(|e| SandboxError::Io { path: dir.display().to_string(), message: e.to_string() })?;
    let endpoint = rx.recv().map_err(|_| SandboxError::Io {
        path: dir.display().to_string(),
        message: "the sandbox thread died".into(),
    })??;
    embedded.insert(key, endpoint.clone());
    Ok(endpoint)
}

/// Every object the sandbox in `dir` holds, after advancing it to now (time scale from the
/// environment).
pub fn inspect(dir: &Path) -> Result<Vec<ObjectView>, SandboxError> {
    inspect_with(dir, &SandboxOptions::from_env()?)
}

pub fn inspect_with(dir: &Path, options: &SandboxOptions) -> Result<Vec<ObjectView>, SandboxError> {
    let store = Store::open(dir)?;
    let services = services::registry();
    let request_id = server::new_request_id();
    store
        .transact(|tables| {
            let now = server::advance_all(tables, &services, options.time_scale, &request_id);
            let mut views = Vec::new();
            for service in &services {
                let mut ctx = RequestContext {
                    now,
                    account: String::new(),
                    request_id: request_id.clone(),
                    tables: &mut *tables,
                    quotas: Quotas::default(),
                };
                views.extend(service.inspect(&mut ctx));
            }
            Ok::<_, std::convert::Infallible>(views)
        })
        .map(|r| match r {
            Ok(views) => views,
            Err(never) => match never {},
        })
}

/// Runs `body` on the sandbox's tables in one transaction, at sandbox time `now` (after
/// advancing every service), as an operator or a test would reach behind the API — e.g. to
/// call [`services::vpc::ensure_kmr_group`] or to delete an object "outside Corral" (the
/// common cases are in [`testing`]).
pub fn with_tables<T>(
    dir: &Path,
    body: impl FnOnce(&mut dyn Tables, chrono::DateTime<chrono::Utc>) -> T,
) -> Result<T, SandboxError> {
    let options = SandboxOptions::from_env()?;
    let store = Store::open(dir)?;
    let services = services::registry();
    let request_id = server::new_request_id();
    store
        .transact(|tables| {
            let now = server::advance_all(tables, &services, options.time_scale, &request_id);
            Ok::<_, std::convert::Infallible>(body(tables, now))
        })?
        .map_err(|never| match never {})
}

/// Wipes every object, account and record in `dir`; the default account is made again.
pub fn reset(dir: &Path) -> Result<(), SandboxError> {
    Store::open(dir)?.wipe()
}

/// Changes one quota of an account (tests; an operator raising a limit).
pub fn set_quota(dir: &Path, account_id: &str, quota: &str, limit: u64) -> Result<(), SandboxError> {
    let store = Store::open(dir)?;
    store
        .transact(|tables| {
            let mut found = false;
            for (key, json) in tables.list(ACCOUNTS) {
                let Ok(mut record) = serde_json::from_value::<AccountRecord>(json) else { continue };
                if record.account_id == account_id {
                    record.quotas.0.insert(quota.to_string(), limit);
                    if let Ok(json) = serde_json::to_value(&record) {
                        tables.put(ACCOUNTS, &key, json);
                    }
                    found = true;
                }
            }
            if found { Ok(()) } else { Err(SandboxError::UnknownAccount(account_id.to_string())) }
        })
        .and_then(|r| r)
}

/// Adds an account with its own key pair and the default quotas (tests of isolation).
pub fn add_account(dir: &Path, account_id: &str, access_key: &str, secret_key: &str) -> Result<(), SandboxError> {
    let store = Store::open(dir)?;
    let record = AccountRecord {
        account_id: account_id.to_string(),
        secret_key: secret_key.to_string(),
        quotas: Quotas::sandbox_defaults(),
    };
    let json = serde_json::to_value(record)
        .map_err(|e| SandboxError::Storage { path: store.path().display().to_string(), message: e.to_string() })?;
    store
        .transact(|tables| {
            tables.put(ACCOUNTS, access_key, json);
            Ok::<_, std::convert::Infallible>(())
        })
        .map(|_| ())
}

/// What `corral sandbox status` shows.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SandboxStatus {
    pub dir: String,
    /// The sandbox clock now.
    pub now: String,
    pub time_scale: f64,
    /// Number of objects per `service/type`.
    pub objects: BTreeMap<String, usize>,
    pub accounts: Vec<AccountSummary>,
    /// The endpoint of a `corral sandbox serve` running on this directory, if one said so.
    pub server: Option<String>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AccountSummary {
    pub account_id: String,
    pub access_key: String,
    pub quotas: BTreeMap<String, u64>,
}

pub fn status(dir: &Path) -> Result<SandboxStatus, SandboxError> {
    let options = SandboxOptions::from_env()?;
    let views = inspect_with(dir, &options)?;
    let mut objects = BTreeMap::new();
    for view in &views {
        *objects.entry(format!("{}/{}", view.service, view.kind)).or_insert(0) += 1;
    }
    let store = Store::open(dir)?;
    let (now, accounts) = store
        .transact(|tables| {
            let now = store::advance_clock(tables, chrono::Utc::now(), options.time_scale);
            let accounts = tables
                .list(ACCOUNTS)
                .into_iter()
                .filter_map(|(key, json)| {
                    let record: AccountRecord = serde_json::from_value(json).ok()?;
                    Some(AccountSummary { account_id: record.account_id, access_key: key, quotas: record.quotas.0 })
                })
                .collect::<Vec<_>>();
            Ok::<_, std::convert::Infallible>((now, accounts))
        })?
        .unwrap_or_else(|never| match never {});
    let server = std::fs::read_to_string(dir.join(SERVER_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|v| v.get("endpoint").and_then(|e| e.as_str()).map(str::to_string));
    Ok(SandboxStatus {
        dir: dir.display().to_string(),
        now: corral_provider_sdk::emulator::timestamp(now),
        time_scale: options.time_scale,
        objects,
        accounts,
        server,
    })
}

/// Records that a shared server (`corral sandbox serve`) runs on `dir`, for `status`. The
/// record is removed by [`SandboxHandle::shutdown`].
pub fn record_server(dir: &Path, handle: &SandboxHandle) -> Result<(), SandboxError> {
    let text = serde_json::json!({"endpoint": handle.endpoint(), "pid": std::process::id()}).to_string();
    std::fs::write(dir.join(SERVER_FILE), text)
        .map_err(|e| SandboxError::Io { path: dir.display().to_string(), message: e.to_string() })
}

#[cfg(test)]
mod tests;
