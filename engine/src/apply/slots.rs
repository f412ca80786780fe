//! The `--parallelism` permits, handed out longest-waiting-first: an operation its
//! resource's schema marks long-running ([`BlockSchema::long_running`]: a cluster that takes
//! minutes to come up, mostly waiting for the remote side) gets the next free permit before
//! every quick operation already queued, whenever it became ready. It starts its wait
//! early and gives its permit back at its first `waiting` report, so its minutes overlap the
//! quick operations instead of following them. Among equals the first to ask is served
//! first.
//!
//! An operation takes its place in the queue with a [`Ticket`] and learns when it is near the
//! front ([`Ticket::near`]: among the next `permits` to be served). It then prepares what
//! must be durable before its provider call (its intent) while the operations ahead still hold
//! the permits, so that commit's fsync overlaps their work instead of following its own turn.
//!
//! [`BlockSchema::long_running`]: crate::schema::BlockSchema::long_running

use std::collections::BTreeMap;
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
    /// Queued operations, the next to be served first.
    waiters: BTreeMap<Turn, Waiter>,
    /// Arrival order, so equals are served first come, first served.
    next: u64,
    /// How many waiters at the front of the queue are told they are near: as many as there
    /// are permits, so each permit has one operation ready to take it.
    window: usize,
}

/// A place in the queue: long-running operations before quick ones, then by arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Turn {
    quick: bool,
    seq: u64,
}

struct Waiter {
    tx: oneshot::Sender<Permit>,
    /// Fired (or dropped) once the waiter is within the window or served.
    near: Option<oneshot::Sender<()>>,
}

impl Pool {
    /// Tells the waiters now within the window that they are near.
    fn tell_near(&mut self) {
        for waiter in self.waiters.values_mut().take(self.window) {
            if let Some(near) = waiter.near.take() {
                let _ = near.send(());
            }
        }
    }
}

/// One permit; given back (to the first waiter, else to the pool) when dropped.
pub(super) struct Permit {
    /// `None` only for a permit whose waiter gave up, on its way back to the pool.
    pool: Option<Arc<Mutex<Pool>>>,
}

/// A place in the queue for a permit. Dropping it gives the place up (and the permit, if it
/// was already served).
pub(super) struct Ticket {
    pool: Arc<Mutex<Pool>>,
    state: TicketState,
}

enum TicketState {
    Served(Option<Permit>),
    Queued { turn: Turn, rx: oneshot::Receiver<Permit>, near: Option<oneshot::Receiver<()>> },
}

impl Slots {
    pub(super) fn new(permits: usize) -> Slots {
        let permits = permits.max(1);
        Slots(Arc::new(Mutex::new(Pool { free: permits, waiters: BTreeMap::new(), next: 0, window: permits })))
    }

    /// Takes a place in the queue (or a free permit at once).
    pub(super) fn enqueue(&self, expect: Expect) -> Ticket {
        let mut pool = lock(&self.0);
        let state = if pool.free > 0 && pool.waiters.is_empty() {
            pool.free -= 1;
            TicketState::Served(Some(Permit { pool: Some(self.0.clone()) }))
        } else {
            let (tx, rx) = oneshot::channel();
            let (near_tx, near_rx) = oneshot::channel();
            let turn = Turn { quick: expect == Expect::Quick, seq: pool.next };
            pool.next += 1;
            pool.waiters.insert(turn, Waiter { tx, near: Some(near_tx) });
            pool.tell_near();
            TicketState::Queued { turn, rx, near: Some(near_rx) }
        };
        drop(pool);
        Ticket { pool: self.0.clone(), state }
    }

    /// Waits for a permit.
    pub(super) async fn acquire(&self, expect: Expect) -> Permit {
        self.enqueue(expect).permit().await
    }

    /// Permits free now (for tests).
    #[cfg(test)]
    pub(super) fn available(&self) -> usize {
        lock(&self.0).free
    }
}

impl Ticket {
    /// Waits until this ticket is among the next to be served (or is served).
    pub(super) async fn near(&mut self) {
        if let TicketState::Queued { near, .. } = &mut self.state
            && let Some(rx) = near.take()
        {
            // Fired or dropped, it means the same: near or served.
            let _ = rx.await;
        }
    }

    /// Waits for the permit.
    pub(super) async fn permit(mut self) -> Permit {
        loop {
            match &mut self.state {
                TicketState::Served(permit) => {
                    if let Some(permit) = permit.take() {
                        return permit;
                    }
                }
                TicketState::Queued { rx, .. } => {
                    if let Ok(permit) = rx.await {
                        self.state = TicketState::Served(None);
                        return permit;
                    }
                }
            }
            // A waiter is only dropped unserved with the pool, which the ticket keeps alive;
            // were it to happen, queueing again is still right.
            let expect = match self.state {
                TicketState::Queued { turn, .. } if !turn.quick => Expect::LongRunning,
                _ => Expect::Quick,
            };
            self = Slots(self.pool.clone()).enqueue(expect);
        }
    }
}

impl Drop for Ticket {
    /// A ticket given up leaves the queue, so it neither takes a permit nor a place in the
    /// window; a permit already sent to it goes back with its receiver.
    fn drop(&mut self) {
        if let TicketState::Queued { turn, .. } = &self.state {
            let mut pool = lock(&self.pool);
            if pool.waiters.remove(turn).is_some() {
                pool.tell_near();
            }
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let Some(shared) = self.pool.take() else { return };
        let mut pool = lock(&shared);
        while let Some((_, waiter)) = pool.waiters.pop_first() {
            match waiter.tx.send(Permit { pool: Some(shared.clone()) }) {
                Ok(()) => {
                    pool.tell_near();
                    return;
                }
                // The waiter gave up: the permit goes to the next one. Emptied first, so
                // dropping it does not lock the pool again.
                Err(mut permit) => permit.pool = None,
            }
        }
        pool.free += 1;
    }
}
