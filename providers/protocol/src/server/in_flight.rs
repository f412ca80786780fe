//! The calls a plugin is still working on, so that `Stop` can wait for them before the
//! server shuts down. A graceful HTTP/2 shutdown starts with GOAWAY, and the host's client
//! drops its connection on GOAWAY, cutting off the answers of calls still running: an
//! object created by such a call would exist in the cloud with its result lost to state.
//! So the server starts shutting down only once nothing is in flight.

use tokio::sync::watch;

/// Counts calls in flight; [`InFlight::enter`] is held for the whole of a call (for a
/// streamed apply, until its stream ends or is dropped).
#[derive(Clone)]
pub(crate) struct InFlight(watch::Sender<usize>);

impl InFlight {
    pub(crate) fn new() -> InFlight {
        InFlight(watch::Sender::new(0))
    }

    pub(crate) fn enter(&self) -> Guard {
        self.0.send_modify(|n| *n += 1);
        Guard(self.0.clone())
    }

    /// Resolves once no call is in flight (at once if none is).
    pub(crate) async fn drained(&self) {
        let mut count = self.0.subscribe();
        let _ = count.wait_for(|n| *n == 0).await;
    }
}

/// One call in flight, counted until dropped.
pub(crate) struct Guard(watch::Sender<usize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::InFlight;

    #[tokio::test]
    async fn drained_waits_for_every_guard() {
        let in_flight = InFlight::new();
        in_flight.drained().await;
        let a = in_flight.enter();
        let b = in_flight.enter();
        drop(a);
        let waiting = tokio::spawn({
            let in_flight = in_flight.clone();
            async move { in_flight.drained().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "drained while a call is still in flight");
        drop(b);
        tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("drained").expect("task");
    }
}
