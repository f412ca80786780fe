//! Jobs are runs, not configuration: one implementation of what a job resource does, shared
//! by every service that runs jobs on a cluster (`mrs_job`, `kmr_job`). A service supplies
//! its calls through [`JobApi`]; this module decides what they mean.
//!
//! - **Create** submits once ([`JobApi::submit`]), then [`wait`]s for a final state, each
//!   status reported through `progress.waiting` (waiting is not work: the engine gives the
//!   operation's `--parallelism` slot back). The apply fails unless the job succeeded
//!   ([`outcome_error`] names the final state and the service's message); the state keeps
//!   the run either way, so a failed run is tainted and the next apply runs it again.
//! - **Update never re-runs.** Every attribute that defines the run forces replacement: a
//!   changed argument plans as a replacement (`# forces replacement`), and [`plan_warnings`]
//!   says in words that a new run will be submitted and what the old one ended as. This is
//!   what Terraform users know from `huaweicloud_mapreduce_job` and `aws_emr_cluster` steps
//!   (all ForceNew): a job with other arguments is another run. The other choice, a no-op
//!   that only records the new arguments, would leave state describing a run that never
//!   happened. To run an unchanged job again, change its `triggers` (or `-replace` it).
//!   Attributes that only steer Corral (none force a run) update the state alone.
//! - **Refresh** follows the run's state; a finished run whose record the service no longer
//!   keeps ([`refreshed`]) stays as it was: the run happened, and recreating it would run
//!   the job a second time.
//! - **Delete** kills the job if it still runs ([`stop`]), then the service may drop the
//!   record.

use std::time::Duration;

use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{ApplyResponse, Progress};
use corral_core::value::{Path, Value};

use crate::waiter::Backoff;

/// How a job's state reads: still going, or over with this result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Submitted, queued or running.
    Pending,
    Succeeded,
    /// Failed, killed or cancelled: over without success.
    Failed,
}

/// A job as the service answers at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobStatus {
    pub id: String,
    /// The service's state name (`RUNNING`, `FINISHED`, `FAILED`, ...).
    pub state: String,
    /// The service's result when it keeps one apart from the state (MRS's `job_result`).
    pub result: Option<String>,
    pub outcome: Outcome,
    /// What the service says about the run (a reason, a log location); may be empty.
    pub message: String,
}

impl JobStatus {
    /// `FINISHED/SUCCEEDED`, or the state alone.
    pub fn describe(&self) -> String {
        match &self.result {
            Some(result) if result != &self.state => format!("{} ({result})", self.state),
            _ => self.state.clone(),
        }
    }
}

/// One service's job calls. Errors are diagnostics the service's provider words.
#[async_trait::async_trait]
pub trait JobApi: Send + Sync {
    /// Submits the job once; returns its id.
    async fn submit(&self) -> Result<String, Diagnostics>;
    /// The job now; `None` when the service does not know it (any more).
    async fn status(&self, id: &str) -> Result<Option<JobStatus>, Diagnostics>;
    /// Asks the service to stop a running job.
    async fn kill(&self, id: &str) -> Result<(), Diagnostics>;
}

/// How long to wait for a job, and how often to look.
#[derive(Clone, Debug)]
pub struct Wait {
    pub timeout: Duration,
    pub min_interval: Duration,
    pub max_interval: Duration,
}

impl Default for Wait {
    fn default() -> Wait {
        Wait {
            timeout: Duration::from_secs(6 * 60 * 60),
            min_interval: Duration::from_millis(100),
            max_interval: Duration::from_secs(10),
        }
    }
}

/// Polls the job until it is over; every pending state is reported as waiting (`what: STATE`).
pub async fn wait(
    api: &dyn JobApi,
    id: &str,
    what: &str,
    progress: &Progress,
    how: &Wait,
) -> Result<JobStatus, Diagnostics> {
    let mut backoff = Backoff::start(how.timeout, how.min_interval, how.max_interval);
    let mut last: Option<String> = None;
    loop {
        match api.status(id).await? {
            None => {
                let last = last.as_deref().unwrap_or("unknown");
                return Err(error(format!("{what}: job {id} disappeared while it ran (last state: {last})")));
            }
            Some(status) if status.outcome != Outcome::Pending => return Ok(status),
            Some(status) => {
                progress.waiting(&format!("{what}: {}", status.state));
                last = Some(status.state);
            }
        }
        if let Err(waited) = backoff.next().await {
            let last = last.as_deref().unwrap_or("unknown");
            return Err(error(format!("{what}: gave up waiting for job {id} after {waited:?} (last state: {last})")));
        }
    }
}

/// An update of a job resource whose run is still going (an update never re-runs): waits for
/// the run to end; the new state is what `refresh` makes of the service's record, or `prior`
/// when there is none. The apply fails unless the run succeeded ([`outcome_error`]); when the
/// wait itself fails, the state stays `prior`.
pub async fn settle(
    api: &dyn JobApi,
    id: &str,
    what: &str,
    progress: &Progress,
    how: &Wait,
    prior: Value,
    refresh: impl Future<Output = Option<Value>>,
) -> ApplyResponse {
    match wait(api, id, what, progress, how).await {
        Ok(status) => {
            let new_state = refresh.await.unwrap_or(prior);
            let diagnostics = outcome_error(what, &status).map(Diagnostics::from).unwrap_or_default();
            ApplyResponse { new_state: Some(new_state), diagnostics, ..ApplyResponse::default() }
        }
        Err(diagnostics) => ApplyResponse { new_state: Some(prior), diagnostics, ..ApplyResponse::default() },
    }
}

/// Submits and waits: the final status, or why there is none (with the job id when the
/// submission went through, so the caller can keep the run in state).
pub async fn run(
    api: &dyn JobApi,
    what: &str,
    progress: &Progress,
    how: &Wait,
) -> Result<JobStatus, (Option<String>, Diagnostics)> {
    let id = api.submit().await.map_err(|d| (None, d))?;
    progress.waiting(&format!("{what}: submitted as {id}"));
    wait(api, &id, what, progress, how).await.map_err(|d| (Some(id), d))
}

/// The apply's error unless the job succeeded: names the job, its final state and the
/// service's message.
pub fn outcome_error(what: &str, status: &JobStatus) -> Option<Diagnostic> {
    if status.outcome == Outcome::Succeeded {
        return None;
    }
    let mut diagnostic =
        Diagnostic::error(format!("{what}: job {} ended {} without success", status.id, status.describe()));
    if !status.message.is_empty() {
        diagnostic = diagnostic.with_detail(status.message.clone());
    }
    Some(diagnostic.with_help("the run is kept in state as tainted: the next apply submits it again"))
}

/// Stops a job that still runs (kill, then wait until the service says it is over); a job
/// already over or unknown is left alone.
pub async fn stop(
    api: &dyn JobApi,
    id: &str,
    what: &str,
    progress: &Progress,
    how: &Wait,
) -> Result<Option<JobStatus>, Diagnostics> {
    match api.status(id).await? {
        Some(status) if status.outcome == Outcome::Pending => {
            api.kill(id).await?;
            wait(api, id, what, progress, how).await.map(Some)
        }
        other => Ok(other),
    }
}

/// What a refresh makes of the service's answer: `None` = gone. A run that was over when
/// last seen stays as it was when the service forgets it (the run happened; recreating it
/// would run the job again); one that was still going and is now unknown is gone.
pub fn refreshed(prior_outcome: Outcome, now: Option<JobStatus>, prior: JobStatus) -> Option<JobStatus> {
    match now {
        Some(status) => Some(status),
        None if prior_outcome != Outcome::Pending => Some(prior),
        None => None,
    }
}

/// Warnings for a plan that replaces a job which already ran: a new run will be submitted,
/// naming the attributes that changed and how the old run ended.
pub fn plan_warnings(what: &str, prior_state: Option<&str>, changed: &[Path]) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    if changed.is_empty() {
        return diagnostics;
    }
    let ran = prior_state.map_or_else(|| "already ran".to_string(), |s| format!("already ran (it ended {s})"));
    for path in changed {
        diagnostics.push(
            Diagnostic::warning(format!("{what} {ran}: changing `{path}` submits a new run"))
                .with_detail(
                    "a job is a run, not configuration: Corral never re-runs a job on update. This change replaces \
                     it with a new run; the old run's record is removed."
                        .to_string(),
                )
                .with_attribute(path.clone()),
        );
    }
    diagnostics
}

/// The outcome a state's `result` attribute records (`SUCCEEDED`, `FAILED`, ...): anything
/// but the success name and a still-running marker is a failure.
pub fn outcome_of(result: Option<&Value>, success: &str, pending: &[&str]) -> Outcome {
    match result.and_then(Value::as_str) {
        Some(r) if r == success => Outcome::Succeeded,
        Some(r) if !pending.contains(&r) => Outcome::Failed,
        _ => Outcome::Pending,
    }
}

fn error(summary: String) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(summary))
}

#[cfg(test)]
mod tests;
