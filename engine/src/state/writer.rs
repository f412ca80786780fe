//! Group commit: many tasks record their results at once, and what is pending together goes to
//! the store as ONE commit (one transaction, one fsync).
//!
//! Each operation of an apply must be durable before its dependents start, so every task waits
//! for its own commit. With one commit per operation, ten tasks finishing together would queue
//! behind ten fsyncs. Here the first submission starts a flush; while its commit is on disk,
//! new submissions pile up, and the next round takes them all. Latency for a lone submission is
//! one commit; under load, throughput grows with the batch size.
//!
//! A result may also be submitted *deferred* ([`StateWriter::submit_deferred`]): it starts no
//! commit of its own but rides with the next submission (or goes alone after
//! [`DEFER_WINDOW`]). Submissions are committed in order, so when a later submission's commit
//! returns, every deferred one before it is durable too: in a chain of operations the result of
//! one and the intent of the next become one commit instead of two in a row. A deferred
//! submission that cannot be committed stops the writer (as a state changed underneath does),
//! so nothing submitted after it is ever durable without it.
//!
//! The submitter that finds no flush running drives the flush itself, inside its own wait
//! (`Leading`), so a lone commit goes from the submitter to the store's blocking thread and
//! back, not through a task on another thread as well (on two busy cores each hand-over costs a
//! wake-up). Once its own commit is answered, or if it stops waiting, a flush still under way
//! moves to a task of its own: it is never abandoned half-way.
//!
//! The writer also keeps every change it was given that is part of what the run did, so that
//! when the store stops taking commits (its state was removed or replaced under the run) the
//! run can still write down all it knows ([`StateWriter::known_state`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::sync::oneshot;

/// How long a deferred submission waits for another one to ride with before it is committed on
/// its own: long enough for a dependent that was waiting for it to be planned and submit its
/// intent, short enough that a lone result is durable almost at once.
pub(super) const DEFER_WINDOW: std::time::Duration = std::time::Duration::from_millis(5);

use super::{State, StateChange, StateError, StateStore};

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
    /// The lineage the state has, when the writer checks it (see [`StateWriter::for_state`]).
    lineage: Option<uuid::Uuid>,
    /// The serial of the last commit this writer made (or was given).
    serial: u64,
    /// Set when the store answered that its state is no longer the one this writer works on
    /// (changed, replaced or removed): every later submission fails with it, untried, so
    /// nothing is written into a state this run did not read.
    lost: Option<StateError>,
    pending: Vec<Submission>,
    /// Whether a flush task is running; it drains `pending` until empty.
    flushing: bool,
    /// Commits made, for measuring how well submissions are grouped.
    commits: u64,
    /// Every change that is part of what the run did (committed, or a result that could not
    /// be), in commit order.
    journal: Vec<StateChange>,
}

impl Queue {
    /// Adds one submission's changes to the journal. Callers make a provider call only once
    /// its intent is durable, so an intent that could not be recorded stopped its call and is
    /// not part of what the run did; any other change that could not be recorded describes
    /// something that happened (the object exists) and must reach the recovery file.
    fn keep(&mut self, changes: Vec<StateChange>, committed: bool) {
        if committed || !changes.iter().all(|c| matches!(c, StateChange::PutIntent(_))) {
            self.journal.extend(changes);
        }
    }
}

struct Submission {
    changes: Vec<StateChange>,
    reply: oneshot::Sender<Result<u64, StateError>>,
    /// Submitted with [`StateWriter::submit_deferred`]: its failure stops the writer.
    deferred: bool,
}

impl StateWriter {
    /// A writer for `workspace`, whose stored serial is `serial` now (from the `read` the
    /// operation planned against). The caller should hold the workspace's lock.
    pub fn new(store: Arc<dyn StateStore>, workspace: &str, serial: u64) -> StateWriter {
        StateWriter::with_lineage(store, workspace, None, serial)
    }

    /// A writer for a state read as `lineage` at `serial`: every commit also checks the
    /// lineage, so a state file replaced by another one (even at the same serial) is refused.
    pub fn for_state(store: Arc<dyn StateStore>, workspace: &str, lineage: uuid::Uuid, serial: u64) -> StateWriter {
        StateWriter::with_lineage(store, workspace, Some(lineage), serial)
    }

    fn with_lineage(
        store: Arc<dyn StateStore>,
        workspace: &str,
        lineage: Option<uuid::Uuid>,
        serial: u64,
    ) -> StateWriter {
        let queue = Queue {
            lineage,
            serial,
            lost: None,
            pending: Vec::new(),
            flushing: false,
            commits: 0,
            journal: Vec::new(),
        };
        StateWriter { inner: Arc::new(Inner { store, workspace: workspace.to_string(), queue: Mutex::new(queue) }) }
    }

    /// Why the writer stopped writing, if the store's state stopped being the one it works on,
    /// or the store lost the workspace's lock (a leased lock whose lease lapsed).
    pub fn lost(&self) -> Option<StateError> {
        let lost = self.inner.queue().lost.clone();
        lost.or_else(|| self.inner.lock_lost())
    }

    /// Whether the writer stopped writing (see [`StateWriter::lost`]), without the error.
    /// The apply walk asks before every provider call, so a runner that lost its lease
    /// starts nothing more.
    pub fn is_lost(&self) -> bool {
        self.inner.queue().lost.is_some() || self.inner.lock_lost().is_some()
    }

    /// The lineage of the state written to, when the writer checks it.
    pub fn lineage(&self) -> Option<uuid::Uuid> {
        self.inner.queue().lineage
    }

    /// `base` (the state the run read) with every change of the run applied: what the state
    /// would be had every commit succeeded, one serial past the last commit that did. This is
    /// what the run saves beside the store when the store stops taking its commits.
    pub fn known_state(&self, base: &State) -> State {
        let queue = self.inner.queue();
        let mut state = base.clone();
        state.apply_changes(queue.journal.iter().cloned());
        state.lineage = queue.lineage.filter(|l| !l.is_nil()).unwrap_or(base.lineage);
        if state.lineage.is_nil() {
            // Nothing was ever committed: the saved state starts a lineage of its own.
            state.lineage = uuid::Uuid::new_v4();
        }
        state.serial = queue.serial + 1;
        state
    }

    /// Commits `changes` durably, possibly together with other submissions, and returns the
    /// serial of the commit that carried them. Changes of one submission are never split, and
    /// submissions are applied in the order they were made.
    ///
    /// If the returned future is dropped, the changes may still be committed.
    pub async fn submit(&self, changes: Vec<StateChange>) -> Result<u64, StateError> {
        let (reply, answer) = oneshot::channel();
        let flush = {
            let mut queue = self.inner.queue();
            queue.pending.push(Submission { changes, reply, deferred: false });
            // A flush under way takes this submission in its next round; otherwise this
            // submitter leads one.
            !std::mem::replace(&mut queue.flushing, true)
        };
        let answer = if flush {
            let flush: Flush = Box::pin(self.inner.clone().flush());
            Leading { flush: Some(flush), answer }.await
        } else {
            answer.await
        };
        answer.map_err(|_| self.stopped_before_committing())?
    }

    /// Queues `changes` without starting a commit for them: they go with the next
    /// submission's commit, or on their own after [`DEFER_WINDOW`]. The returned future (which
    /// need not be polled for the commit to happen) answers when they are durable. Any later
    /// submission that succeeds was committed with or after them; if they cannot be committed,
    /// the writer stops ([`StateWriter::lost`]) and every later submission fails.
    pub fn submit_deferred(
        &self,
        changes: Vec<StateChange>,
    ) -> impl std::future::Future<Output = Result<u64, StateError>> + Send + 'static {
        let (reply, answer) = oneshot::channel();
        self.inner.queue().pending.push(Submission { changes, reply, deferred: true });
        let inner = self.inner.clone();
        tokio::spawn(async move {
            tokio::time::sleep(DEFER_WINDOW).await;
            inner.start_flush();
        });
        let writer = self.clone();
        async move { writer.answer(answer).await }
    }

    /// Waits until every submission made so far is committed (or failed): before a provider
    /// call that commits nothing first, so a deferred result it depends on is durable.
    pub async fn sync(&self) -> Result<(), StateError> {
        let idle = {
            let queue = self.inner.queue();
            queue.pending.is_empty() && !queue.flushing
        };
        if idle {
            return match self.lost() {
                Some(error) => Err(error),
                None => Ok(()),
            };
        }
        self.submit(Vec::new()).await.map(|_| ())
    }

    async fn answer(&self, answer: oneshot::Receiver<Result<u64, StateError>>) -> Result<u64, StateError> {
        answer.await.map_err(|_| self.stopped_before_committing())?
    }

    fn stopped_before_committing(&self) -> StateError {
        StateError::Storage {
            path: self.inner.workspace.clone(),
            message: "the state writer stopped before committing".to_string(),
        }
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

/// A flush loop (`Inner::flush`), boxed so that it can move to a task of its own half-way.
type Flush = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A submitter's wait while it drives the flush that carries its submission. The flush answers
/// other submitters too, and keeps going while submissions come in: whatever is left of it
/// when this submitter's answer is in (or when the wait is dropped) is spawned, so a commit is
/// never abandoned half-way and the writer's serial never falls behind the store's.
struct Leading {
    flush: Option<Flush>,
    answer: oneshot::Receiver<Result<u64, StateError>>,
}

impl Future for Leading {
    type Output = Result<Result<u64, StateError>, oneshot::error::RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(flush) = self.flush.as_mut()
            && flush.as_mut().poll(cx).is_ready()
        {
            self.flush = None;
        }
        let answer = Pin::new(&mut self.answer).poll(cx);
        if answer.is_ready()
            && let Some(flush) = self.flush.take()
        {
            hand_off(flush);
        }
        answer
    }
}

impl Drop for Leading {
    fn drop(&mut self) {
        if let Some(flush) = self.flush.take() {
            hand_off(flush);
        }
    }
}

/// Lets a flush run on as a task of its own. Without a runtime (one being torn down) nothing
/// could drive it anyway, and spawning would panic inside a drop.
fn hand_off(flush: Flush) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(flush);
    }
}

impl Inner {
    /// The store's word on the workspace's lock: once lost, it stays lost, and the writer
    /// takes it as its own reason to stop (so later submissions fail untried).
    fn lock_lost(&self) -> Option<StateError> {
        let error = self.store.lock_lost(&self.workspace)?;
        let mut queue = self.queue();
        Some(queue.lost.get_or_insert(error).clone())
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        // The queue stays consistent under a panic elsewhere: each update is a plain field write.
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts a flush task unless one is running or nothing is pending.
    fn start_flush(self: &Arc<Self>) {
        let start = {
            let mut queue = self.queue();
            !queue.pending.is_empty() && !std::mem::replace(&mut queue.flushing, true)
        };
        if start {
            // A task of its own, so that a caller giving up cannot abandon a commit half-way
            // and leave the writer's serial behind the store's.
            tokio::spawn(self.clone().flush());
        }
    }

    async fn flush(self: Arc<Self>) {
        loop {
            // A lost lock fails the batch untried, like a state changed underneath.
            let _ = self.lock_lost();
            let (batch, serial, lost) = {
                let mut queue = self.queue();
                if queue.pending.is_empty() {
                    queue.flushing = false;
                    return;
                }
                (std::mem::take(&mut queue.pending), queue.serial, queue.lost.clone())
            };
            if let Some(error) = lost {
                for Submission { changes, reply, .. } in batch {
                    self.queue().keep(changes, false);
                    let _ = reply.send(Err(error.clone()));
                }
                continue;
            }
            let merged: Vec<StateChange> = batch.iter().flat_map(|s| s.changes.iter().cloned()).collect();
            // Only `sync`s: everything before them is committed, and there is nothing to write.
            let result = if merged.is_empty() { Ok(serial) } else { self.commit(serial, merged).await };
            match result {
                // The state is not ours any more: a retry one by one could only fail the same
                // way (or, worse, write into a state this run never read).
                Err(error) if error.is_changed_underneath() => {
                    self.queue().lost = Some(error.clone());
                    for Submission { changes, reply, .. } in batch {
                        self.queue().keep(changes, false);
                        let _ = reply.send(Err(error.clone()));
                    }
                }
                Ok(new_serial) => {
                    if new_serial != serial {
                        self.record_commit(new_serial);
                    }
                    for Submission { changes, reply, .. } in batch {
                        self.queue().keep(changes, true);
                        let _ = reply.send(Ok(new_serial));
                    }
                }
                // One submission's bad change must not fail the others it was grouped with, so
                // a failed group is retried one submission at a time.
                Err(_) if batch.len() > 1 => {
                    for Submission { changes, reply, deferred } in batch {
                        let (serial, lost) = {
                            let queue = self.queue();
                            (queue.serial, queue.lost.clone())
                        };
                        let kept = changes.clone();
                        let result = match lost {
                            Some(error) => Err(error),
                            None if changes.is_empty() => Ok(serial),
                            None => self.commit(serial, changes).await,
                        };
                        match &result {
                            Ok(new_serial) if *new_serial != serial => self.record_commit(*new_serial),
                            Ok(_) => {}
                            // Later submissions may depend on a deferred one: none is committed
                            // without it.
                            Err(error) if error.is_changed_underneath() || deferred => {
                                self.queue().lost = Some(error.clone());
                            }
                            Err(_) => {}
                        }
                        self.queue().keep(kept, result.is_ok());
                        let _ = reply.send(result);
                    }
                }
                Err(error) => {
                    for Submission { changes, reply, deferred } in batch {
                        if deferred {
                            self.queue().lost = Some(error.clone());
                        }
                        self.queue().keep(changes, false);
                        let _ = reply.send(Err(error.clone()));
                    }
                }
            }
        }
    }

    /// One commit at `serial`, checking the lineage when the writer knows it (and learning
    /// it from the first commit of a never-written workspace).
    async fn commit(&self, serial: u64, changes: Vec<StateChange>) -> Result<u64, StateError> {
        let lineage = self.queue().lineage;
        match lineage {
            None => self.store.commit(&self.workspace, serial, changes).await,
            Some(lineage) => {
                let (lineage, serial) = self.store.commit_in_lineage(&self.workspace, lineage, serial, changes).await?;
                self.queue().lineage = Some(lineage);
                Ok(serial)
            }
        }
    }

    fn record_commit(&self, new_serial: u64) {
        let mut queue = self.queue();
        queue.serial = new_serial;
        queue.commits += 1;
    }
}
