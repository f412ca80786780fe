//! Turns concurrent per-instance calls into batch RPCs without adding latency.
//!
//! The engine's `Provider` trait plans and reads one instance at a time. A caller that finds
//! a free slot (fewer than `max_inflight` batch RPCs running) yields once (so that the calls
//! started in the same turn queue up) and sends its item together with whatever is waiting,
//! at most `max_batch` of them; a caller that finds every slot busy leaves its item queued,
//! and the next batch to finish sends the queue. So a lone call is delayed by one turn of
//! its task at most, and many concurrent calls share a few round trips.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use tokio::sync::oneshot;

use super::CallError;

type Send<I, R> = Arc<dyn Fn(Vec<I>) -> BoxFuture<'static, Result<Vec<R>, CallError>> + std::marker::Send + Sync>;
type Waiter<R> = oneshot::Sender<Result<R, CallError>>;

pub(crate) struct Coalescer<I, R> {
    state: Mutex<State<I, R>>,
    send: Send<I, R>,
    max_inflight: usize,
    max_batch: usize,
}

struct State<I, R> {
    queue: Vec<(I, Waiter<R>)>,
    inflight: usize,
}

impl<I: std::marker::Send + 'static, R: std::marker::Send + 'static> Coalescer<I, R> {
    pub(crate) fn new(send: Send<I, R>, max_inflight: usize, max_batch: usize) -> Arc<Coalescer<I, R>> {
        Arc::new(Coalescer {
            state: Mutex::new(State { queue: Vec::new(), inflight: 0 }),
            send,
            max_inflight: max_inflight.max(1),
            max_batch: max_batch.max(1),
        })
    }

    pub(crate) async fn call(self: &Arc<Self>, item: I) -> Result<R, CallError> {
        let (tx, rx) = oneshot::channel();
        let slot = {
            let mut state = self.lock();
            state.queue.push((item, tx));
            if state.inflight < self.max_inflight {
                state.inflight += 1;
                Some(Slot { coalescer: self.clone(), released: false })
            } else {
                None
            }
        };
        if let Some(slot) = slot {
            // The planner starts many calls in one turn of its task; yielding once lets the
            // rest of them queue up before this one sends, so they share its batch instead
            // of each free slot leaving with a batch of one.
            tokio::task::yield_now().await;
            let batch = self.take(&mut self.lock());
            if batch.is_empty() {
                // Slots taken in the same turn already sent everything.
                slot.hand_on();
            } else {
                self.clone().run(slot, batch).await;
            }
        }
        rx.await.unwrap_or(Err(CallError::Cancelled))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<I, R>> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn take(&self, state: &mut State<I, R>) -> Vec<(I, Waiter<R>)> {
        let n = state.queue.len().min(self.max_batch);
        state.queue.drain(..n).collect()
    }

    /// Sends one batch, answers its waiters, and hands the slot on to what queued up
    /// meanwhile (in a task of its own, so this caller returns with its answer).
    async fn run(self: Arc<Self>, slot: Slot<I, R>, batch: Vec<(I, Waiter<R>)>) {
        let (items, waiters): (Vec<I>, Vec<Waiter<R>>) = batch.into_iter().unzip();
        // The sender checks that a batch got one answer per item (a short answer is its
        // error), so answers pair with waiters one to one.
        match (self.send)(items).await {
            Ok(results) => {
                for (waiter, result) in waiters.into_iter().zip(results) {
                    let _ = waiter.send(Ok(result));
                }
            }
            Err(error) => {
                for waiter in waiters {
                    let _ = waiter.send(Err(error.clone()));
                }
            }
        }
        slot.hand_on();
    }
}

/// A batch slot: released when the batch is done, or handed to the queue. Dropping it
/// unreleased (the caller's future was cancelled mid-call) frees it, so the coalescer never
/// wedges; the cancelled batch's waiters get `Cancelled`.
struct Slot<I: std::marker::Send + 'static, R: std::marker::Send + 'static> {
    coalescer: Arc<Coalescer<I, R>>,
    released: bool,
}

impl<I: std::marker::Send + 'static, R: std::marker::Send + 'static> Slot<I, R> {
    fn hand_on(mut self) {
        self.released = true;
        let next = {
            let mut state = self.coalescer.lock();
            if state.queue.is_empty() {
                state.inflight -= 1;
                None
            } else {
                Some(self.coalescer.take(&mut state))
            }
        };
        if let Some(batch) = next {
            let coalescer = self.coalescer.clone();
            let slot = Slot { coalescer: coalescer.clone(), released: false };
            if let Ok(handle) = super::runtime::handle() {
                handle.spawn(coalescer.run(slot, batch));
            }
        }
    }
}

impl<I: std::marker::Send + 'static, R: std::marker::Send + 'static> Drop for Slot<I, R> {
    fn drop(&mut self) {
        if !self.released {
            let mut state = self.coalescer.lock();
            state.inflight -= 1;
        }
    }
}
