//! An operation's `parallelism` slot, and the [`Progress`] handle its provider call gets:
//! the provider's first `waiting` report gives the slot back for good (waiting for the
//! remote side is not work, so an eight-minute cluster creation must not stop other
//! operations), and every new status it reports becomes an [`ApplyEvent::Waiting`].

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;

use crate::addr::AbsResourceInstance;
use crate::plan::Action;
use crate::provider::Progress;

use super::events::ApplyEvent;
use super::slots::Permit;
use super::walk::lock;

/// Holds the permit until the provider starts waiting or its call ends, whichever comes
/// first (the state commit after the call holds none).
pub(super) struct Slot(Arc<Mutex<Shared>>);

struct Shared {
    permit: Option<Permit>,
    /// Cleared with the slot: a provider that keeps a clone of the handle must not keep
    /// the CLI's event channel open.
    events: Option<UnboundedSender<ApplyEvent>>,
    last_status: String,
}

impl Slot {
    pub(super) fn new(permit: Option<Permit>, events: Option<UnboundedSender<ApplyEvent>>) -> Slot {
        Slot(Arc::new(Mutex::new(Shared { permit, events, last_status: String::new() })))
    }

    /// The handle for the operation's provider call: it releases this slot at the first
    /// report and sends an event for each change of status.
    pub(super) fn progress(&self, addr: &AbsResourceInstance, action: Action) -> Progress {
        let shared = self.0.clone();
        let addr = addr.clone();
        Progress::new(move |status| {
            let mut shared = lock(&shared);
            drop(shared.permit.take());
            if shared.last_status != status {
                status.clone_into(&mut shared.last_status);
                if let Some(tx) = &shared.events {
                    let _ = tx.send(ApplyEvent::Waiting { addr: addr.clone(), action, status: status.to_string() });
                }
            }
        })
    }
}

impl Drop for Slot {
    /// The slot ends with the operation even if the provider kept a clone of the handle.
    fn drop(&mut self) {
        let mut shared = lock(&self.0);
        drop(shared.permit.take());
        shared.events = None;
    }
}
