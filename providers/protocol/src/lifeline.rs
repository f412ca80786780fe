//! The plugin's tie to its host: when the host is gone (it exited, crashed or was killed),
//! the plugin removes its socket directory and exits at once, whatever it was doing and
//! whatever the log level. Nobody is left to answer, and an orphan would hold the
//! provider's files (the KMR sandbox's redb) and a listener for good.
//!
//! Two signs, either one enough:
//! - our stdin reaches end of file: the host holds the only write end, and the kernel
//!   closes it when the host dies, however it dies. Read on a thread of its own, so a
//!   runtime whose workers are all busy cannot delay the exit;
//! - on Linux, the parent-death signal (`PR_SET_PDEATHSIG`, SIGTERM), for a host whose
//!   children might hold our stdin open. SIGTERM and SIGHUP are otherwise ignored while the
//!   host lives: like Ctrl-C (which the host sees too), they are the host's to act on, and
//!   it stops us after the calls in flight have finished.
//!
//! The kernel sends the parent-death signal when the *thread* that started us ends, which
//! need not be the end of the host; the parent process id tells the two apart.

use std::io::Read as _;
use std::sync::{Arc, Mutex, PoisonError};

use rustix::process::{Pid, getppid};

/// The temporary directory holding the plugin's socket, removed on every way out.
pub(crate) struct SocketDir {
    dir: Mutex<Option<tempfile::TempDir>>,
}

impl SocketDir {
    pub(crate) fn new(dir: tempfile::TempDir) -> Arc<SocketDir> {
        Arc::new(SocketDir { dir: Mutex::new(Some(dir)) })
    }

    /// Where the directory is (`None` once removed).
    pub(crate) fn path(&self) -> Option<std::path::PathBuf> {
        self.dir.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(|d| d.path().to_path_buf())
    }

    /// Removes the directory (once; later calls do nothing). The lock is held while it is
    /// removed: a second caller (both signs of the host's end often come together) must not
    /// go on to exit the process half-way through the first one's removal.
    pub(crate) fn remove(&self) {
        let mut dir = self.dir.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(dir) = dir.take()
            && let Err(e) = dir.close()
        {
            tracing::debug!("cannot remove the socket directory: {e}");
        }
    }
}

/// Starts watching for the host's end. Call once the handshake is out, from the runtime.
pub(crate) fn watch(dir: &Arc<SocketDir>) {
    let parent = getppid();
    ask_for_a_signal_when_the_parent_dies();
    let on_eof = dir.clone();
    let spawned = std::thread::Builder::new().name("corral-plugin-stdin".into()).spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 256];
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        leave(&on_eof, "the host closed our stdin");
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot watch stdin for the host's exit: {e}");
    }
    tokio::spawn(exit_on_signal_when_orphaned(dir.clone(), parent));
}

#[cfg(target_os = "linux")]
fn ask_for_a_signal_when_the_parent_dies() {
    if let Err(e) = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::TERM)) {
        tracing::debug!("cannot set the parent-death signal: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
fn ask_for_a_signal_when_the_parent_dies() {}

/// SIGTERM (the parent-death signal) or SIGHUP with another parent than we started with:
/// the host is gone. While it lives, both are left to it.
async fn exit_on_signal_when_orphaned(dir: Arc<SocketDir>, parent: Option<Pid>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hangup)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup())) else {
        tracing::debug!("cannot listen for SIGTERM and SIGHUP");
        return;
    };
    loop {
        tokio::select! {
            Some(()) = term.recv() => {}
            Some(()) = hangup.recv() => {}
            else => return,
        }
        if getppid() != parent {
            leave(&dir, "the host is gone");
        }
        tracing::debug!("SIGTERM/SIGHUP ignored: the host stops us when it is time");
    }
}

/// Removes the socket directory and exits without waiting for the calls in flight.
fn leave(dir: &SocketDir, why: &str) -> ! {
    dir.remove();
    // Logging cannot fail here (the subscriber ignores a closed stderr), but it must come
    // after the removal all the same.
    tracing::debug!("{why}; exiting");
    std::process::exit(0)
}
