//! Launching a plugin process: start it, read its handshake, connect to its socket, forward
//! its stderr into `tracing`, and watch for its exit.
//!
//! A plugin ends when its handle is dropped or at [`shutdown_plugins`]: its stdin is closed
//! (a plugin exits at once when it is), it gets a moment to go by itself, then it is killed;
//! either way it is reaped and its socket directory does not outlive it.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Condvar, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{oneshot, watch};
use tonic::transport::{Channel, Endpoint, Uri};

use super::{LaunchError, PluginCommand};
use crate::handshake::Handshake;

/// How a plugin process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exit {
    Code(i32),
    Signal(i32),
    Unknown,
}

impl Exit {
    fn from_status(status: ExitStatus) -> Exit {
        use std::os::unix::process::ExitStatusExt as _;
        match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(signal)) => Exit::Signal(signal),
            _ => Exit::Unknown,
        }
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exit code {code}"),
            Exit::Signal(signal) => write!(f, "signal {signal}"),
            Exit::Unknown => f.write_str("unknown status"),
        }
    }
}

/// A running plugin process.
pub(crate) struct Process {
    pub(crate) channel: Channel,
    pub(crate) pid: Option<u32>,
    /// `Some` once the process has exited.
    pub(crate) exit: watch::Receiver<Option<Exit>>,
    /// Dropping it ends the process (see [`watch_exit`]).
    _release: oneshot::Sender<()>,
}

/// How long a released plugin has to exit by itself before it is killed.
const GRACE: Duration = Duration::from_secs(2);

/// Plugin processes launched and not yet reaped, for [`shutdown_plugins`] to wait for.
static LIVE: Live = Live { count: Mutex::new(0), changed: Condvar::new() };

/// Set by [`shutdown_plugins`]: every plugin is released.
static SHUTDOWN: LazyLock<watch::Sender<bool>> = LazyLock::new(|| watch::channel(false).0);

struct Live {
    count: Mutex<usize>,
    changed: Condvar,
}

impl Live {
    fn add(&self, n: isize) {
        let mut count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        *count = count.saturating_add_signed(n);
        self.changed.notify_all();
    }
}

/// Ends every plugin process of this host and waits (up to about `GRACE`) until all are
/// reaped and their socket directories gone. For the host's own exit: a plugin outliving
/// the process that started it holds its files and its socket for nothing.
pub fn shutdown_plugins() {
    SHUTDOWN.send_replace(true);
    let deadline = Instant::now() + GRACE + Duration::from_secs(1);
    let mut count = LIVE.count.lock().unwrap_or_else(PoisonError::into_inner);
    while *count > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            tracing::debug!(target: "plugin", "{} plugin process(es) still running at exit", *count);
            return;
        }
        count = LIVE.changed.wait_timeout(count, left).unwrap_or_else(PoisonError::into_inner).0;
    }
}

/// Starts the plugin and connects to it. Runs on the plugin host runtime.
pub(crate) async fn launch(
    name: &str,
    command: &PluginCommand,
    handshake_timeout: Duration,
) -> Result<Process, LaunchError> {
    let program = command.program.display().to_string();
    let mut child = Command::new(&command.program)
        .args(&command.args)
        .envs(command.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| LaunchError::Spawn { program: program.clone(), source: Arc::new(source) })?;
    let pid = child.id();
    let stdin = child.stdin.take();
    // Counted from here: every way out of this function either hands the child to
    // `watch_exit` or drops it (`kill_on_drop`), and both end with the count taken back.
    let child = Counted::new(child);
    let mut child = child;
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(forward_stderr(name.to_string(), stderr));
    }
    let Some(stdout) = child.stdout.take() else {
        return Err(LaunchError::Handshake { program, reason: "no stdout".into() });
    };
    let mut lines = BufReader::new(stdout).lines();
    let handshake = match tokio::time::timeout(handshake_timeout, read_handshake(&mut lines)).await {
        Err(_) => {
            return Err(LaunchError::Handshake {
                program,
                reason: format!("no handshake line within {}s", handshake_timeout.as_secs_f64()),
            });
        }
        Ok(Err(HandshakeRead::Io(e))) => return Err(LaunchError::Handshake { program, reason: e.to_string() }),
        Ok(Err(HandshakeRead::Eof(first))) => {
            let status = exit_status(&mut child).await;
            let printed = first.map(|l| format!("; it printed `{l}`")).unwrap_or_default();
            return Err(LaunchError::Handshake {
                program,
                reason: format!("it exited before its handshake ({status}){printed}: is it a Corral provider?"),
            });
        }
        Ok(Err(HandshakeRead::Bad(e))) => return Err(LaunchError::Handshake { program, reason: e.to_string() }),
        Ok(Ok(handshake)) => handshake,
    };
    // Anything else the plugin prints on stdout is a log line; keep the pipe drained.
    let log_name = name.to_string();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            tracing::info!(target: "plugin", provider = %log_name, "{line}");
        }
    });
    let channel = connect(&handshake).await.map_err(|reason| LaunchError::Connect {
        program: program.clone(),
        socket: handshake.socket.display().to_string(),
        reason,
    })?;
    let (exit_tx, exit_rx) = watch::channel(None);
    let (release_tx, release_rx) = oneshot::channel();
    let owned = Owned { child, stdin, socket_dir: own_socket_dir(&handshake.socket) };
    tokio::spawn(watch_exit(name.to_string(), owned, exit_tx, release_rx));
    Ok(Process { channel, pid, exit: exit_rx, _release: release_tx })
}

/// A child process counted in [`LIVE`] until this is dropped (after it was reaped, or
/// killed by `kill_on_drop`).
struct Counted(Child);

impl Counted {
    fn new(child: Child) -> Counted {
        LIVE.add(1);
        Counted(child)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        LIVE.add(-1);
    }
}

impl std::ops::Deref for Counted {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Counted {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

/// What the host keeps of a running plugin, in its [`watch_exit`] task.
struct Owned {
    child: Counted,
    /// Our end of the plugin's stdin: closing it tells the plugin the host is gone.
    stdin: Option<ChildStdin>,
    /// The plugin's socket directory, if it is one of ours to clean up.
    socket_dir: Option<PathBuf>,
}

/// The directory of a plugin's socket when it is a `corral-plugin-*` directory directly in
/// the temporary directory, as [`crate::serve`] makes it: removed after the plugin ends, if
/// the plugin could not (it was killed). Any other place is the plugin's own business.
fn own_socket_dir(socket: &Path) -> Option<PathBuf> {
    let dir = socket.parent()?;
    let named = dir.file_name()?.to_str()?.starts_with("corral-plugin-");
    (named && dir.parent() == Some(std::env::temp_dir().as_path())).then(|| dir.to_path_buf())
}

enum HandshakeRead {
    Io(std::io::Error),
    /// End of output; the first line printed, if any.
    Eof(Option<String>),
    Bad(crate::handshake::HandshakeError),
}

/// Reads up to the handshake line. Lines before it are logged, not fatal (a test harness
/// or a chatty wrapper may print first); a handshake line with the wrong version is.
async fn read_handshake(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) -> Result<Handshake, HandshakeRead> {
    let mut first = None;
    loop {
        match lines.next_line().await {
            Err(e) => return Err(HandshakeRead::Io(e)),
            Ok(None) => return Err(HandshakeRead::Eof(first)),
            // The handshake is looked for anywhere in the line: a test harness may have
            // printed a line's beginning already.
            Ok(Some(line)) if line.contains(crate::handshake::HANDSHAKE_PREFIX) => {
                let start = line.find(crate::handshake::HANDSHAKE_PREFIX).unwrap_or(0);
                return Handshake::parse(&line[start..]).map_err(HandshakeRead::Bad);
            }
            Ok(Some(line)) => {
                tracing::debug!(target: "plugin", "before the handshake: {line}");
                first.get_or_insert(line);
            }
        }
    }
}

async fn exit_status(child: &mut Child) -> String {
    match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
        Ok(Ok(status)) => Exit::from_status(status).to_string(),
        _ => "still running".to_string(),
    }
}

async fn connect(handshake: &Handshake) -> Result<Channel, String> {
    let socket = handshake.socket.clone();
    // The URI is required by the API and ignored by the connector.
    let endpoint = Endpoint::try_from("http://plugin.invalid").map_err(|e| e.to_string())?;
    endpoint
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let socket = socket.clone();
            async move { Ok::<_, std::io::Error>(TokioIo::new(tokio::net::UnixStream::connect(socket).await?)) }
        }))
        .await
        .map_err(|e| format!("{e}: {}", std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default()))
}

/// Waits for the process to exit, or ends it when the host drops the process handle or
/// shuts all plugins down; then removes what it left and publishes how it ended.
async fn watch_exit(name: String, owned: Owned, exit: watch::Sender<Option<Exit>>, release: oneshot::Receiver<()>) {
    let Owned { mut child, stdin, socket_dir } = owned;
    let mut shutdown = SHUTDOWN.subscribe();
    let status = tokio::select! {
        status = child.wait() => status,
        _ = release => end(&mut child, stdin).await,
        true = async { shutdown.wait_for(|down| *down).await.is_ok() } => end(&mut child, stdin).await,
    };
    let ended = status.map(Exit::from_status).unwrap_or(Exit::Unknown);
    if let Some(dir) = socket_dir
        && dir.exists()
    {
        let _ = std::fs::remove_dir_all(&dir);
    }
    tracing::debug!(target: "plugin", provider = %name, "plugin exited ({ended})");
    let _ = exit.send(Some(ended));
    drop(child);
}

/// Closes the plugin's stdin, gives it [`GRACE`] to exit, then kills it.
async fn end(child: &mut Child, stdin: Option<ChildStdin>) -> std::io::Result<ExitStatus> {
    drop(stdin);
    match tokio::time::timeout(GRACE, child.wait()).await {
        Ok(status) => status,
        Err(_) => {
            let _ = child.start_kill();
            child.wait().await
        }
    }
}

/// Re-logs the plugin's stderr lines, at the level each line starts with (the plugin side
/// writes `LEVEL target: message`); other lines (a panic message) are warnings.
async fn forward_stderr(name: String, stderr: tokio::process::ChildStderr) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let trimmed = line.trim_start();
        let (level, rest) = match trimmed.split_once(' ') {
            Some((word, rest)) if matches!(word, "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE") => {
                (word, rest.trim_start())
            }
            _ => ("WARN", trimmed),
        };
        match level {
            "ERROR" => tracing::error!(target: "plugin", provider = %name, "{rest}"),
            "INFO" => tracing::info!(target: "plugin", provider = %name, "{rest}"),
            "DEBUG" => tracing::debug!(target: "plugin", provider = %name, "{rest}"),
            "TRACE" => tracing::trace!(target: "plugin", provider = %name, "{rest}"),
            _ => tracing::warn!(target: "plugin", provider = %name, "{rest}"),
        }
    }
}
