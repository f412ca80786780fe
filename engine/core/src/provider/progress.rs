//! [`Progress`]: how a provider tells the engine, during a long apply, that the rest of the
//! call is only waiting for the remote side. The engine then gives the operation's
//! `parallelism` slot to other work (waiting is not work) and shows the remote status.

use std::fmt;
use std::sync::Arc;

type Report = dyn Fn(&str) + Send + Sync;

/// A cheap, cloneable handle; the default reports nowhere. It is part of the request only in
/// process: the plugin protocol carries the reports as messages of their own.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<Report>>);

impl Progress {
    /// A handle that calls `report` with each status.
    pub fn new(report: impl Fn(&str) + Send + Sync + 'static) -> Progress {
        Progress(Some(Arc::new(report)))
    }

    /// From here on the operation only waits for the remote side, whose status is `status`
    /// (`creating`, `scaling`). Call it again whenever the status is polled; it is cheap.
    pub fn waiting(&self, status: &str) {
        if let Some(report) = &self.0 {
            report(status);
        }
    }

    /// Whether anyone listens (a host can skip forwarding otherwise).
    pub fn is_listened(&self) -> bool {
        self.0.is_some()
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Progress(listened)" } else { "Progress(none)" })
    }
}
