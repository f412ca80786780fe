//! The host side: [`PluginFactory`] launches a plugin executable on first use and makes
//! [`PluginProvider`]s, which implement the engine's `Provider` trait over gRPC.
//!
//! One process serves every configuration of a provider; each `instantiate` is a new
//! instance number on the same connection. A process that dies fails the calls in flight
//! and every later call with a diagnostic naming it; it is not restarted within the run, so
//! that nothing half-done is retried behind the engine's back (the next run starts a fresh
//! process and adopts interrupted creates through `find_created`).

mod coalesce;
mod process;
mod provider;
mod runtime;

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use corral_core::provider::{Provider, ProviderFactory};
use corral_core::schema::ProviderSchema;
use tokio::sync::Semaphore;

pub use process::shutdown_plugins;
pub use provider::PluginProvider;

use self::process::{Exit, Process};
use crate::wire;
use crate::wire::provider_client::ProviderClient;

/// How to start a plugin: an executable and its arguments (a multicall binary serves a
/// compiled-in provider as `corral __provider NAME`).
#[derive(Debug, Clone)]
pub struct PluginCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
}

impl PluginCommand {
    pub fn new(program: impl Into<PathBuf>) -> PluginCommand {
        PluginCommand { program: program.into(), args: Vec::new(), env: Vec::new() }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> PluginCommand {
        self.args.push(arg.into());
        self
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> PluginCommand {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// How long each kind of call may take before the host gives up on it.
#[derive(Debug, Clone)]
pub struct Deadlines {
    /// Launch, handshake and schema.
    pub start: Duration,
    pub validate: Duration,
    pub configure: Duration,
    /// One plan or read batch.
    pub plan: Duration,
    pub read: Duration,
    /// One apply: creating a cluster can take the better part of an hour.
    pub apply: Duration,
    pub read_data: Duration,
    pub find_created: Duration,
    pub import: Duration,
    /// Plan-time authorization (reads the identity's permissions).
    pub authorize: Duration,
    pub stop: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        Deadlines {
            start: Duration::from_secs(30),
            validate: minutes(1),
            configure: minutes(10),
            plan: minutes(10),
            read: minutes(10),
            apply: minutes(240),
            read_data: minutes(10),
            find_created: minutes(10),
            import: minutes(10),
            authorize: minutes(10),
            stop: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    pub deadlines: Deadlines,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum LaunchError {
    #[error("cannot start `{program}`: {source}")]
    Spawn { program: String, source: Arc<std::io::Error> },
    #[error("`{program}` did not complete the plugin handshake: {reason}")]
    Handshake { program: String, reason: String },
    #[error("cannot connect to `{program}` at `{socket}`: {reason}")]
    Connect { program: String, socket: String, reason: String },
    #[error("`{program}` sent no usable schema: {reason}")]
    Schema { program: String, reason: String },
    #[error("{0}")]
    Runtime(String),
}

/// Why a call failed without an answer from the provider.
#[derive(Debug, Clone)]
pub(crate) enum CallError {
    Launch(LaunchError),
    Exited(Exit),
    Stopped,
    Timeout { call: &'static str, after: Duration },
    Status(tonic::Status),
    Protocol(String),
    Cancelled,
}

impl CallError {
    pub(crate) fn diagnostic(&self, provider: &str) -> corral_core::diag::Diagnostic {
        use corral_core::diag::Diagnostic;
        match self {
            CallError::Launch(e) => {
                Diagnostic::error(format!("Provider `{provider}` could not be started")).with_detail(e.to_string())
            }
            CallError::Exited(exit) => Diagnostic::error(format!(
                "provider `{provider}` exited unexpectedly ({exit}) — the instances it was working on are failed; state keeps everything completed"
            )),
            CallError::Stopped => Diagnostic::error(format!("Provider `{provider}` was stopped"))
                .with_detail("the run was interrupted; calls not yet made are not carried out"),
            CallError::Timeout { call, after } => Diagnostic::error(format!(
                "Provider `{provider}` did not answer `{call}` within {}",
                human_duration(*after)
            )),
            CallError::Status(status) => Diagnostic::error(format!("Provider `{provider}` failed a call"))
                .with_detail(format!("{}: {}", status.code(), status.message())),
            CallError::Protocol(reason) => {
                Diagnostic::error(format!("Provider `{provider}` broke the plugin protocol"))
                    .with_detail(reason.clone())
            }
            CallError::Cancelled => Diagnostic::error(format!("A call to provider `{provider}` was cancelled")),
        }
    }
}

fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 3600 && secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else if secs >= 60 && secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

pub(crate) struct Limit {
    /// Shared so that a streamed apply can own its permit and give it back when the
    /// operation starts waiting.
    pub(crate) semaphore: Arc<Semaphore>,
    pub(crate) max: u32,
}

/// A launched plugin: its connection and what it declared.
pub(crate) struct Connection {
    pub(crate) client: ProviderClient<tonic::transport::Channel>,
    pub(crate) schema: Arc<ProviderSchema>,
    /// The types values of each message have without saying so (protocol version 2).
    pub(crate) types: crate::convert::SchemaTypes,
    /// The provider's declared concurrency limit, in operations.
    pub(crate) limit: Option<Limit>,
    pub(crate) deadlines: Deadlines,
    process: Process,
    stopped: std::sync::atomic::AtomicBool,
}

impl Connection {
    pub(crate) fn exited(&self) -> Option<Exit> {
        self.process.exit.borrow().clone()
    }

    pub(crate) fn exit_watch(&self) -> tokio::sync::watch::Receiver<Option<Exit>> {
        self.process.exit.clone()
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.process.pid
    }

    pub(crate) async fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let mut client = self.client.clone();
        let mut request = tonic::Request::new(wire::stop::Request {});
        request.set_timeout(self.deadlines.stop);
        let _ = tokio::time::timeout(self.deadlines.stop, client.stop(request)).await;
    }
}

/// Launches a plugin on first use and makes provider instances that talk to it.
pub struct PluginFactory {
    name: String,
    command: PluginCommand,
    options: LaunchOptions,
    connection: OnceLock<Result<Arc<Connection>, LaunchError>>,
    next_instance: AtomicU64,
}

impl PluginFactory {
    pub fn new(name: &str, command: PluginCommand, options: LaunchOptions) -> PluginFactory {
        PluginFactory {
            name: name.to_string(),
            command,
            options,
            connection: OnceLock::new(),
            next_instance: AtomicU64::new(1),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn command(&self) -> &PluginCommand {
        &self.command
    }

    /// Launches the plugin now (it is otherwise launched on first use) and reports why it
    /// could not be.
    pub fn start(&self) -> Result<(), LaunchError> {
        self.connection().map(|_| ())
    }

    /// The process id of the running plugin, if it was launched.
    pub fn pid(&self) -> Option<u32> {
        self.connection.get().and_then(|c| c.as_ref().ok()).and_then(|c| c.pid())
    }

    /// Asks the plugin to stop (Ctrl-C): it finishes the calls in flight and exits; calls
    /// made afterwards fail. Does nothing if it was never launched.
    pub async fn stop(&self) {
        if let Some(Ok(connection)) = self.connection.get() {
            let connection = connection.clone();
            if let Ok(handle) = runtime::handle() {
                let _ = handle.spawn(async move { connection.stop().await }).await;
            }
        }
    }

    fn connection(&self) -> Result<Arc<Connection>, LaunchError> {
        self.connection
            .get_or_init(|| {
                let name = self.name.clone();
                let command = self.command.clone();
                let deadlines = self.options.deadlines.clone();
                runtime::block_on(connect(name, command, deadlines))
                    .map_err(LaunchError::Runtime)
                    .and_then(|r| r)
                    .map(Arc::new)
            })
            .clone()
    }
}

async fn connect(name: String, command: PluginCommand, deadlines: Deadlines) -> Result<Connection, LaunchError> {
    let process = process::launch(&name, &command, deadlines.start).await?;
    let program = command.program.display().to_string();
    let schema_error = |reason: String| LaunchError::Schema { program: program.clone(), reason };
    let mut client = ProviderClient::new(process.channel.clone())
        .max_decoding_message_size(crate::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(crate::MAX_MESSAGE_BYTES);
    let mut request = tonic::Request::new(wire::get_schema::Request {});
    request.set_timeout(deadlines.start);
    let response = tokio::time::timeout(deadlines.start, client.get_schema(request))
        .await
        .map_err(|_| schema_error("no answer to `GetSchema`".into()))?
        .map_err(|status| schema_error(status.message().to_string()))?
        .into_inner();
    let diagnostics = crate::convert::diagnostics_from_wire(&response.diagnostics);
    if diagnostics.has_errors() {
        let text: Vec<String> = diagnostics.errors().map(ToString::to_string).collect();
        return Err(schema_error(text.join("; ")));
    }
    let schema: ProviderSchema =
        serde_json::from_slice(&response.schema_json).map_err(|e| schema_error(e.to_string()))?;
    let limit = (response.max_concurrency > 0).then(|| Limit {
        semaphore: Arc::new(Semaphore::new(response.max_concurrency as usize)),
        max: response.max_concurrency,
    });
    tracing::debug!(target: "plugin", provider = %name, pid = ?process.pid, "plugin started");
    Ok(Connection {
        client,
        types: crate::convert::SchemaTypes::new(&schema),
        schema: Arc::new(schema),
        limit,
        deadlines,
        process,
        stopped: std::sync::atomic::AtomicBool::new(false),
    })
}

#[cfg(test)]
mod tests;

impl ProviderFactory for PluginFactory {
    fn schema(&self) -> Arc<ProviderSchema> {
        match self.connection() {
            Ok(connection) => connection.schema.clone(),
            Err(e) => {
                // The engine asks for schemas synchronously and cannot take an error here;
                // the instances made by `instantiate` report it on their first call.
                tracing::error!("provider `{}` could not be started: {e}", self.name);
                Arc::new(ProviderSchema::default())
            }
        }
    }

    fn instantiate(&self) -> Arc<dyn Provider> {
        let instance = self.next_instance.fetch_add(1, Ordering::Relaxed);
        Arc::new(PluginProvider::new(self.name.clone(), instance, self.connection()))
    }
}
