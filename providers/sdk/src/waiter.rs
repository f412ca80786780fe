//! Waiters: poll a status through pending states to a target state, with backoff and a
//! timeout; a failure state or a timeout is an error. The pacing alone ([`Backoff`]) serves
//! every other poll loop (jobs, waits whose end is not a state name, retries of busy calls),
//! so each loop decides what it sees and none repeats the clock arithmetic.
//!
//! The poll function returns the object's current state, or `None` when the object is not
//! found; for a delete, "not found" is the target ([`Waiter::gone_is_target`]). Each pending
//! state polled is reported through the apply request's [`Progress`] ([`Waiter::progress`]):
//! the engine then frees the operation's `parallelism` slot and shows the status.

use std::future::Future;
use std::time::Duration;

use corral_core::provider::Progress;
use tokio::time::Instant;

/// The pacing of a poll loop: intervals that double from a first one up to a largest one,
/// until a deadline. The last sleep is cut short at the deadline, so the last look is made
/// on time rather than one whole interval late.
#[derive(Debug)]
pub struct Backoff {
    started: Instant,
    /// `None`: a timeout too long to reach (the loop never gives up).
    deadline: Option<Instant>,
    interval: Duration,
    max_interval: Duration,
}

impl Backoff {
    /// Starts the clock now: the loop may look again until `timeout` has passed.
    pub fn start(timeout: Duration, min_interval: Duration, max_interval: Duration) -> Backoff {
        let started = Instant::now();
        Backoff { started, deadline: started.checked_add(timeout), interval: min_interval, max_interval }
    }

    /// How long the loop has run.
    pub fn waited(&self) -> Duration {
        self.started.elapsed()
    }

    /// Whether the deadline has come: the loop should give up rather than look again.
    pub fn expired(&self) -> bool {
        self.deadline.is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Sleeps until the next look and lengthens the interval after it; `Err` with the time
    /// waited, without sleeping, once the deadline has come.
    pub async fn next(&mut self) -> Result<(), Duration> {
        if self.expired() {
            return Err(self.waited());
        }
        self.sleep().await;
        Ok(())
    }

    /// Sleeps one interval (no further than the deadline) and lengthens the next: for a
    /// loop that checked [`Backoff::expired`] itself.
    pub async fn sleep(&mut self) {
        let left = self.deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
        tokio::time::sleep(left.map_or(self.interval, |left| self.interval.min(left))).await;
        self.interval = (self.interval * 2).min(self.max_interval);
    }
}

/// How to wait for one object.
#[derive(Clone, Debug)]
pub struct Waiter {
    /// What is waited for, for messages (`cluster ksc-123 to be running`).
    pub what: String,
    /// States that mean "keep waiting".
    pub pending: Vec<String>,
    /// States that end the wait successfully.
    pub target: Vec<String>,
    /// States that end the wait with an error.
    pub failure: Vec<String>,
    /// Whether "not found" ends the wait successfully (deletes) rather than with an error.
    pub gone_is_target: bool,
    pub timeout: Duration,
    /// Delay before the first poll.
    pub initial_delay: Duration,
    /// The first interval between polls; it doubles up to `max_interval`.
    pub min_interval: Duration,
    pub max_interval: Duration,
    /// Where each pending state is reported (the apply request's handle).
    pub progress: Progress,
}

impl Waiter {
    pub fn new(what: impl Into<String>, pending: &[&str], target: &[&str], timeout: Duration) -> Waiter {
        Waiter {
            what: what.into(),
            pending: pending.iter().map(|s| s.to_string()).collect(),
            target: target.iter().map(|s| s.to_string()).collect(),
            failure: Vec::new(),
            gone_is_target: false,
            timeout,
            initial_delay: Duration::ZERO,
            min_interval: Duration::from_millis(100),
            max_interval: Duration::from_secs(10),
            progress: Progress::default(),
        }
    }

    pub fn failure(mut self, states: &[&str]) -> Waiter {
        self.failure = states.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn gone_is_target(mut self) -> Waiter {
        self.gone_is_target = true;
        self
    }

    /// Reports each pending state through `progress` (pass the apply request's).
    pub fn progress(mut self, progress: Progress) -> Waiter {
        self.progress = progress;
        self
    }

    pub fn intervals(mut self, min: Duration, max: Duration) -> Waiter {
        self.min_interval = min;
        self.max_interval = max.max(min);
        self
    }

    /// Polls until a target state (returned; `None` when the object is gone and that is the
    /// target), a failure state, an unexpected state, or the timeout.
    pub async fn wait<F, Fut, E>(&self, mut poll: F) -> Result<Option<String>, WaitError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<String>, E>>,
    {
        let mut backoff = Backoff::start(self.timeout, self.min_interval, self.max_interval);
        let mut last: Option<String> = None;
        if !self.initial_delay.is_zero() {
            tokio::time::sleep(self.initial_delay).await;
        }
        loop {
            let state = poll().await.map_err(|source| WaitError::Poll { what: self.what.clone(), source })?;
            match state {
                None if self.gone_is_target => return Ok(None),
                None => return Err(WaitError::Gone { what: self.what.clone(), last_state: last }),
                Some(state) if self.target.contains(&state) => return Ok(Some(state)),
                Some(state) if self.failure.contains(&state) => {
                    return Err(WaitError::Failed { what: self.what.clone(), state });
                }
                Some(state) if !self.pending.contains(&state) => {
                    return Err(WaitError::Unexpected {
                        what: self.what.clone(),
                        state,
                        expected: self.target.clone(),
                    });
                }
                Some(state) => {
                    self.progress.waiting(&state);
                    last = Some(state);
                }
            }
            if let Err(waited) = backoff.next().await {
                return Err(WaitError::Timeout { what: self.what.clone(), waited, last_state: last });
            }
        }
    }
}

/// Why a wait ended without reaching a target state. Every message names the last state seen.
#[derive(Debug, thiserror::Error)]
pub enum WaitError<E> {
    #[error("timed out after {waited:?} waiting for {what}; last state: {}", last_state.as_deref().unwrap_or("unknown"))]
    Timeout { what: String, waited: Duration, last_state: Option<String> },
    #[error("{what} failed: it reached state `{state}`")]
    Failed { what: String, state: String },
    #[error("{what}: unexpected state `{state}` (waiting for {})", expected.join(" or "))]
    Unexpected { what: String, state: String, expected: Vec<String> },
    #[error("{what}: the object disappeared; last state: {}", last_state.as_deref().unwrap_or("unknown"))]
    Gone { what: String, last_state: Option<String> },
    #[error("{what}: polling failed: {source}")]
    Poll { what: String, source: E },
}

#[cfg(test)]
mod tests;
