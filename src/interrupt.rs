//! Interrupts during an apply: Ctrl-C (SIGINT) and SIGTERM (what CI systems and process
//! managers send) both count. The first one lets the operations in flight finish and
//! starts no new ones; the second one stops waiting for them.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// How many interrupts have arrived since [`listen`].
#[derive(Clone)]
pub(crate) struct Interrupts {
    count: watch::Receiver<u32>,
}

impl Interrupts {
    /// Waits until the `n`th interrupt (at once if it already arrived); never returns if
    /// the listener could not be installed.
    pub(crate) async fn nth(&mut self, n: u32) {
        if self.count.wait_for(|count| *count >= n).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Starts counting SIGINT and SIGTERM. From now on neither ends the process by itself.
pub(crate) fn listen() -> std::io::Result<Interrupts> {
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let (tx, rx) = watch::channel(0u32);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(()) = sigint.recv() => {}
                Some(()) = sigterm.recv() => {}
                else => break,
            }
            tx.send_modify(|count| *count += 1);
        }
    });
    Ok(Interrupts { count: rx })
}
