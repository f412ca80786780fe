//! Group commit: many tasks record their results at once, and what is pending together goes to
//! the store as ONE commit (one transaction, one fsync).
//!
//! Each operation of an apply must be durable before its dependents start, so every task waits
//! for its own commit. With one commit per operation, ten tasks finishing together would queue
//! behind ten fsyncs. Here the first submission starts a flush task; while its commit is on disk,
//! new submissions pile up, and the next round takes them all. Latency for a lone submission is
//! one commit; under load, throughput grows with the batch size.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

use super::{StateChange, StateError, StateStore};

/// Commits a workspace's changes on behalf of many concurrent tasks. Cheap to clone; clones
/// share the queue.
#[derive(Clone)]
pub struct StateWriter {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn StateStore>,
    workspace: String,
    queue: Mutex<Queue>,
}

struct Queue {
    /// The serial of the last commit this writer made (or was given).
    serial: u64,
    pending: Vec<Submission>,
    /// Whether a flush task is running; it drains `pending` until empty.
    flushing: bool,
    /// Commits made, for measuring how well submissions are grouped.
    commits: u64,
}

struct Submission {
    changes: Vec<StateChange>,
    reply: oneshot::Sender<Result<u64, StateError>>,
}

impl StateWriter {
    /// A writer for `workspace`, whose stored serial is `serial` now (from the `read` the
    /// operation planned against). The caller should hold the workspace's lock.
    pub fn new(store: Arc<dyn StateStore>, workspace: &str, serial: u64) -> StateWriter {
        StateWriter {
            inner: Arc::new(Inner {
                store,
                workspace: workspace.to_string(),
                queue: Mutex::new(Queue { serial, pending: Vec::new(), flushing: false, commits: 0 }),
            }),
        }
    }

    /// Commits `changes` durably, possibly together with other submissions, and returns the
    /// serial of the commit that carried them. Changes of one submission are never split, and
    /// submissions are applied in the order they were made.
    ///
    /// If the returned future is dropped, the changes may still be committed.
    pub async fn submit(&self, changes: Vec<StateChange>) -> Result<u64, StateError> {
        let (reply, answer) = oneshot::channel();
        let start_flush = {
            let mut queue = self.inner.queue();
            queue.pending.push(Submission { changes, reply });
            !std::mem::replace(&mut queue.flushing, true)
        };
        if start_flush {
            // A task of its own, so that a caller giving up cannot abandon a commit half-way
            // and leave the writer's serial behind the store's.
            tokio::spawn(self.inner.clone().flush());
        }
        answer.await.map_err(|_| StateError::Storage {
            path: self.inner.workspace.clone(),
            message: "the state writer stopped before committing".to_string(),
        })?
    }

    /// The serial of the last commit made through this writer.
    pub fn serial(&self) -> u64 {
        self.inner.queue().serial
    }

    /// How many commits the store was asked for so far (at most one per submission).
    pub fn commits(&self) -> u64 {
        self.inner.queue().commits
    }
}

impl Inner {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // The queue stays consistent under a panic elsewhere: each update is a plain field write.
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn flush(self: Arc<Self>) {
        loop {
            let (batch, serial) = {
                let mut queue = self.queue();
                if queue.pending.is_empty() {
                    queue.flushing = false;
                    return;
                }
                (std::mem::take(&mut queue.pending), queue.serial)
            };
            let merged: Vec<StateChange> = batch.iter().flat_map(|s| s.changes.iter().cloned()).collect();
            let result = self.store.commit(&self.workspace, serial, merged).await;
            match result {
                Ok(new_serial) => {
                    self.record_commit(new_serial);
                    for submission in batch {
                        let _ = submission.reply.send(Ok(new_serial));
                    }
                }
                // One submission's bad change must not fail the others it was grouped with, so
                // a failed group is retried one submission at a time.
                Err(_) if batch.len() > 1 => {
                    for submission in batch {
                        let serial = self.queue().serial;
                        let result = self.store.commit(&self.workspace, serial, submission.changes).await;
                        if let Ok(new_serial) = result {
                            self.record_commit(new_serial);
                        }
                        let _ = submission.reply.send(result);
                    }
                }
                Err(error) => {
                    for submission in batch {
                        let _ = submission.reply.send(Err(error.clone()));
                    }
                }
            }
        }
    }

    fn record_commit(&self, new_serial: u64) {
        let mut queue = self.queue();
        queue.serial = new_serial;
        queue.commits += 1;
    }
}
