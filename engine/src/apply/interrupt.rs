//! An interrupt (Ctrl-C) as the apply walk sees it: a flag every operation checks before it
//! starts, and a wake-up for operations still waiting for their turn, so that one whose intent
//! is already durable takes it back at once instead of when a slot frees (a second interrupt
//! may end the process before then).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// Cheap to clone; clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    set: AtomicBool,
    notify: Notify,
}

impl Interrupt {
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Starts no new operation from now on, and wakes those waiting for their turn.
    pub fn trigger(&self) {
        self.0.set.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        self.0.set.load(Ordering::SeqCst)
    }

    /// Resolves once the interrupt is triggered (at once if it was).
    pub async fn triggered(&self) {
        loop {
            let notified = self.0.notify.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the flag is read, so a trigger in between is not missed.
            notified.as_mut().enable();
            if self.is_set() {
                return;
            }
            notified.await;
        }
    }
}
