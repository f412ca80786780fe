//! What the walk reports while it runs. The CLI draws these (a live view on a terminal,
//! lines otherwise); the engine never prints.

use std::time::Duration;

use crate::addr::AbsResourceInstance;
use crate::plan::Action;

#[derive(Clone, Debug)]
pub enum ApplyEvent {
    Started {
        addr: AbsResourceInstance,
        action: Action,
        deposed: bool,
    },
    /// The provider now only waits for the remote side, whose status is `status`: the
    /// operation no longer holds a `parallelism` slot. Sent again when the status changes.
    Waiting {
        addr: AbsResourceInstance,
        action: Action,
        status: String,
    },
    /// A line a `local-exec` provisioner of `addr` printed (or the command it runs).
    Provisioner {
        addr: AbsResourceInstance,
        line: String,
    },
    Finished {
        addr: AbsResourceInstance,
        action: Action,
        outcome: InstanceOutcome,
        elapsed: Duration,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum InstanceOutcome {
    Done,
    /// The provider reported an error (the message is also in the walk's diagnostics).
    Failed(String),
    /// Not attempted: a dependency failed.
    Skipped(String),
    /// Not started: the run was interrupted first (its provider call was never made).
    Interrupted,
}
