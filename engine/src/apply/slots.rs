//! The `--parallelism` permits, handed out longest-waiting-first: an operation its
//! resource's schema marks long-running ([`BlockSchema::long_running`]: a cluster that takes
//! minutes to come up, mostly waiting for the remote side) gets the next free permit before
//! every quick operation already queued, whenever it became ready. It starts its wait
//! early and gives its permit back at its first `waiting` report, so its minutes overlap the
//! quick operations instead of following them. Among equals the first to ask is served
//! first.
//!
//! [`BlockSchema::long_running`]: crate::schema::BlockSchema::long_running

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex};

use futures::channel::oneshot;

use super::walk::lock;

/// Whether an operation is expected to spend most of its time waiting for the remote side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Expect {
    Quick,
    LongRunning,
}

/// A pool of permits shared by the walk's operations.
pub(super) struct Slots(Arc<Mutex<Pool>>);

struct Pool {
    free: usize,
    waiters: BinaryHeap<Waiter>,
    /// Arrival order, so equals are served first come, first served.
    next: u64,
}

struct Waiter {
    expect: Expect,
    seq: u64,
    tx: oneshot::Sender<Permit>,
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Waiter) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Waiter {}

impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Waiter) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiter {
    /// The greatest is served first: long-running before quick, then the earliest.
    fn cmp(&self, other: &Waiter) -> Ordering {
        self.expect.cmp(&other.expect).then_with(|| other.seq.cmp(&self.seq))
    }
}

/// One permit; given back (to the first waiter, else to the pool) when dropped.
pub(super) struct Permit {
    /// `None` only for a permit whose waiter gave up, on its way back to the pool.
    pool: Option<Arc<Mutex<Pool>>>,
}

impl Slots {
    pub(super) fn new(permits: usize) -> Slots {
        Slots(Arc::new(Mutex::new(Pool { free: permits.max(1), waiters: BinaryHeap::new(), next: 0 })))
    }

    /// Waits for a permit. Dropping the future before it is served gives nothing up: a
    /// permit sent to it comes back through [`Permit`]'s drop.
    pub(super) async fn acquire(&self, expect: Expect) -> Permit {
        loop {
            let rx = {
                let mut pool = lock(&self.0);
                if pool.free > 0 && pool.waiters.is_empty() {
                    pool.free -= 1;
                    return Permit { pool: Some(self.0.clone()) };
                }
                let (tx, rx) = oneshot::channel();
                let seq = pool.next;
                pool.next += 1;
                pool.waiters.push(Waiter { expect, seq, tx });
                rx
            };
            // A waiter is only dropped unserved with the pool, which `self` keeps alive;
            // were it to happen, queueing again is still right.
            if let Ok(permit) = rx.await {
                return permit;
            }
        }
    }

    /// Permits free now (for tests).
    #[cfg(test)]
    pub(super) fn available(&self) -> usize {
        lock(&self.0).free
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let Some(shared) = self.pool.take() else { return };
        let mut pool = lock(&shared);
        while let Some(waiter) = pool.waiters.pop() {
            match waiter.tx.send(Permit { pool: Some(shared.clone()) }) {
                Ok(()) => return,
                // The waiter gave up: the permit goes to the next one. Emptied first, so
                // dropping it does not lock the pool again.
                Err(mut permit) => permit.pool = None,
            }
        }
        pool.free += 1;
    }
}
