//! `corral reconcile`, the GitOps loop: follow a git branch, and on every pass bring each
//! unit (a directory with a `corral.unit` file) to what the branch's head says, in
//! dependency order. A pass: sync the checkout (`git`), find the units (`unit`), then per
//! unit plan, apply or hold the plan as its approval mode says (`runner`), and record the
//! result (`status`). The work directory holds the checkout, the saved plans, `status.json`
//! and `history.jsonl`; each unit's own `.corral/` (state, providers' data) sits untracked in
//! its directory of the checkout unless its `backend` block puts the state elsewhere.

mod git;
mod page;
pub(crate) mod runner;
pub(crate) mod server;
pub(crate) mod status;
pub(crate) mod unit;

use std::path::{Path, PathBuf};

pub(crate) use git::Source;
use runner::Runner;
use status::{Outcome, Status, UnitStatus};
use unit::{Approval, DriftMode, Unit};

pub(crate) struct Options {
    pub source: Source,
    pub work_dir: PathBuf,
    /// Replicas share the units through leased locks here; none: this loop runs them all.
    pub leases: Option<corral_engine::state::PgStore>,
}

impl Options {
    fn checkout(&self) -> PathBuf {
        self.work_dir.join("checkout")
    }
}

fn plans_dir(work_dir: &Path) -> PathBuf {
    work_dir.join("plans")
}

fn plan_file(work_dir: &Path, plan_id: &str) -> PathBuf {
    plans_dir(work_dir).join(format!("{plan_id}.plan"))
}

pub(crate) fn status_file(work_dir: &Path) -> PathBuf {
    work_dir.join("status.json")
}

fn history_file(work_dir: &Path) -> PathBuf {
    work_dir.join("history.jsonl")
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What one pass did: the status it recorded, and the units it ran (a `manual` unit still
/// waiting on the same plan is in the status but was not run again).
pub(crate) struct Pass {
    pub status: Status,
    pub ran: Vec<UnitStatus>,
}

/// One pass over every unit. An error that stops the whole pass (git, unit files) is
/// recorded in the status too, with the units' last results kept.
pub(crate) async fn pass(options: &Options) -> anyhow::Result<Pass> {
    let work_dir = &options.work_dir;
    corral_engine::state::secure_fs::create_private_dir_all(&plans_dir(work_dir))
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", work_dir.display()))?;
    let previous = Status::load(&status_file(work_dir));
    let mut status = Status {
        repo: options.source.url.clone(),
        branch: options.source.branch.clone(),
        commit: previous.commit.clone(),
        time: Some(now()),
        error: None,
        units: previous.units.clone(),
    };
    let found = async {
        let head = git::sync(&options.source, &options.checkout()).await?;
        let units = unit::discover(&options.checkout())?;
        anyhow::Ok((head, units))
    }
    .await;
    let (head, units) = match found {
        Ok(found) => found,
        Err(e) => {
            status.error = Some(format!("{e:#}"));
            status.save(&status_file(work_dir))?;
            return Ok(Pass { status, ran: Vec::new() });
        }
    };
    status.commit = Some(head.clone());
    status.units.clear();
    let runner = Runner::new()?;
    let mut ran = Vec::new();
    for unit in &units {
        let blocked_by = unit.depends_on.iter().find(|d| status.units.get(*d).is_none_or(|s| s.outcome.is_failure()));
        let result = match blocked_by {
            Some(dep) => {
                let mut blocked = record(unit, &head, None, Outcome::Blocked);
                blocked.error = Some(format!("not run: unit `{dep}` it depends on did not succeed"));
                blocked.applied_commit = previous.units.get(&unit.id).and_then(|p| p.applied_commit.clone());
                blocked
            }
            None => match previous.units.get(&unit.id).filter(|p| still_waiting(work_dir, unit, &head, p)) {
                // Its plan stays approvable until a new commit replaces it.
                Some(waiting) => {
                    status.units.insert(unit.id.clone(), waiting.clone());
                    continue;
                }
                None => {
                    let previous = previous.units.get(&unit.id);
                    match &options.leases {
                        None => run_unit(&runner, work_dir, unit, &head, previous).await,
                        Some(leases) => run_leased(leases, &runner, work_dir, unit, &head, previous).await,
                    }
                }
            },
        };
        status::append_history(&history_file(work_dir), &result)?;
        ran.push(result.clone());
        status.units.insert(unit.id.clone(), result);
    }
    status.save(&status_file(work_dir))?;
    Ok(Pass { status, ran })
}

/// Runs the unit if no other replica holds its lease. The lease is renewed while the unit
/// runs, so a replica that dies mid-run frees the unit once the lease lapses.
async fn run_leased(
    leases: &corral_engine::state::PgStore,
    runner: &Runner,
    work_dir: &Path,
    unit: &Unit,
    head: &str,
    previous: Option<&UnitStatus>,
) -> UnitStatus {
    use corral_engine::state::{LockInfo, StateError, StateStore};
    let name = lease_name(&unit.id);
    let info = LockInfo::for_current_process("reconcile");
    let mut locked = leases.lock(&name, info.clone()).await;
    if let Err(StateError::NoSuchWorkspace(_)) = locked {
        // The unit's first run on this database; another replica may make it at once.
        let _ = leases.create_workspace(&name).await;
        locked = leases.lock(&name, info.clone()).await;
    }
    match locked {
        Ok(()) => {
            let mut result = run_unit(runner, work_dir, unit, head, previous).await;
            result.lease_holder = Some(holder_text(&info));
            if let Err(e) = leases.unlock(&name, &info.id).await {
                tracing::warn!("cannot release the lease of unit {}: {e}", unit.id);
            }
            result
        }
        Err(StateError::Locked { holder, .. }) => {
            let mut elsewhere = record(unit, head, None, Outcome::Elsewhere);
            elsewhere.error = Some(format!("held by {}", holder_text(&holder)));
            elsewhere.lease_holder = Some(holder_text(&holder));
            elsewhere.applied_commit = previous.and_then(|p| p.applied_commit.clone());
            elsewhere
        }
        Err(e) => {
            let mut failed = record(unit, head, None, Outcome::Failed);
            failed.error = Some(format!("cannot take the unit's lease: {e}"));
            failed
        }
    }
}

fn holder_text(holder: &corral_engine::state::LockInfo) -> String {
    format!("{}@{} (pid {})", holder.user, holder.host, holder.pid)
}

/// The lock name of a unit: `reconcile.` and its directory with `/` as `.` and any other
/// character a workspace name cannot hold as `_` (two units that map to one name merely never
/// run at once).
pub(crate) fn lease_name(unit: &str) -> String {
    let mapped: String = unit
        .chars()
        .map(|c| match c {
            '/' => '.',
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') => c,
            _ => '_',
        })
        .collect();
    format!("reconcile.{mapped}")
}

/// A `manual` unit whose plan of this same commit still waits for approval.
fn still_waiting(work_dir: &Path, unit: &Unit, head: &str, previous: &UnitStatus) -> bool {
    unit.approval == Approval::Manual
        && previous.outcome == Outcome::AwaitingApproval
        && previous.commit == head
        && previous.plan_id.as_deref().is_some_and(|id| plan_file(work_dir, id).is_file())
}

fn record(unit: &Unit, head: &str, plan_id: Option<String>, outcome: Outcome) -> UnitStatus {
    let approval = match unit.approval {
        Approval::Auto => "auto",
        Approval::Manual => "manual",
        Approval::PlanOnly => "plan-only",
    };
    let drift_mode = match unit.drift {
        DriftMode::Report => "report",
        DriftMode::Correct => "correct",
    };
    UnitStatus {
        unit: unit.id.clone(),
        approval: approval.to_string(),
        drift_mode: drift_mode.to_string(),
        commit: head.to_string(),
        applied_commit: None,
        time: now(),
        outcome,
        plan: None,
        plan_id,
        error: None,
        duration_ms: 0,
        lease_holder: None,
    }
}

#[tracing::instrument(skip_all, fields(unit = %unit.id, commit = %head))]
async fn run_unit(
    runner: &Runner,
    work_dir: &Path,
    unit: &Unit,
    head: &str,
    previous: Option<&UnitStatus>,
) -> UnitStatus {
    let plan_id = uuid::Uuid::new_v4().to_string();
    let mut result = record(unit, head, Some(plan_id.clone()), Outcome::Failed);
    result.applied_commit = previous.and_then(|p| p.applied_commit.clone());
    // Only the latest plan of a unit is kept: an older one can no longer be approved.
    if let Some(old) = previous.and_then(|p| p.plan_id.as_deref()) {
        let _ = fs_err::remove_file(plan_file(work_dir, old));
    }
    let file = plan_file(work_dir, &plan_id);
    let new_commit = previous.is_none_or(|p| p.commit != head || p.outcome == Outcome::Failed);
    if new_commit && let Err(e) = runner.init(unit).await {
        result.error = Some(format!("{e:#}"));
        return result;
    }
    let planned = match runner.plan(unit, &file).await {
        Ok(planned) => planned,
        Err(e) => {
            result.error = Some(format!("{e:#}"));
            return result;
        }
    };
    result.plan = Some(planned.summary);
    // Changes planned at the commit already applied come from outside Corral: drift.
    let is_drift = result.applied_commit.as_deref() == Some(head);
    let mut apply = if !planned.has_changes || (is_drift && planned.only_ignored) {
        result.outcome = Outcome::UpToDate;
        result.applied_commit = Some(head.to_string());
        false
    } else {
        match (unit.approval, is_drift, unit.drift) {
            (Approval::PlanOnly, ..) => {
                result.outcome = Outcome::Planned;
                false
            }
            (Approval::Manual, ..) => {
                result.outcome = Outcome::AwaitingApproval;
                false
            }
            (Approval::Auto, true, DriftMode::Report) => {
                result.outcome = Outcome::DriftReported;
                false
            }
            (Approval::Auto, true, DriftMode::Correct) => {
                result.outcome = Outcome::DriftCorrected;
                true
            }
            (Approval::Auto, false, _) => {
                result.outcome = Outcome::Applied;
                true
            }
        }
    };
    if apply && let Some(refused) = gates_refuse(unit, &planned.json) {
        result.outcome = Outcome::Blocked;
        result.error = Some(refused);
        apply = false;
    }
    if apply {
        if let Err(e) = apply_rounds(runner, unit, &file, planned.json).await {
            result.outcome = if e.blocked { Outcome::Blocked } else { Outcome::Failed };
            result.error = Some(e.message);
            return result;
        }
        result.applied_commit = Some(head.to_string());
    }
    if !matches!(result.outcome, Outcome::Planned | Outcome::AwaitingApproval | Outcome::DriftReported) {
        // Nothing left to look at or approve.
        let _ = fs_err::remove_file(&file);
        result.plan_id = None;
    }
    result
}

/// Most rounds one pass applies: a unit whose deferred work does not converge by then fails.
const MAX_ROUNDS: usize = 10;

/// Why a pass's rounds stopped short.
struct RoundsStopped {
    /// A gate refused a later round (the earlier rounds stay applied).
    blocked: bool,
    message: String,
}

/// Applies the saved plan, then, while it left work deferred to a later round (a
/// `count`/`for_each` known only after apply), plans and applies the next round within the
/// same pass, each judged by the unit's gates as the first one was. Without this a deferred
/// round would be planned at a commit already applied and be taken for drift.
async fn apply_rounds(
    runner: &Runner,
    unit: &Unit,
    file: &Path,
    mut plan: serde_json::Value,
) -> Result<(), RoundsStopped> {
    let failed = |message: String| RoundsStopped { blocked: false, message };
    for round in 1..=MAX_ROUNDS {
        if round > 1 {
            let planned = runner.plan(unit, file).await.map_err(|e| failed(format!("round {round}: {e:#}")))?;
            if !planned.has_changes {
                return Ok(());
            }
            if let Some(refused) = gates_refuse(unit, &planned.json) {
                return Err(RoundsStopped { blocked: true, message: format!("round {round}: {refused}") });
            }
            if !has_actions(&planned.json) {
                return Err(failed(format!(
                    "round {round} has nothing to apply, yet {} object(s) stay deferred: they wait for values no apply will make known",
                    deferred_count(&planned.json)
                )));
            }
            plan = planned.json;
        }
        runner
            .apply(unit, file)
            .await
            .map_err(|e| failed(if round > 1 { format!("round {round}: {e:#}") } else { format!("{e:#}") }))?;
        if deferred_count(&plan) == 0 {
            return Ok(());
        }
    }
    Err(failed(format!(
        "work is still deferred after {MAX_ROUNDS} rounds: {} object(s) wait for values known only after apply",
        deferred_count(&plan)
    )))
}

/// Whether a plan's JSON changes anything (an action other than no-op or read).
fn has_actions(plan: &serde_json::Value) -> bool {
    let changes = plan.get("resource_changes").and_then(serde_json::Value::as_array);
    changes.into_iter().flatten().any(|c| {
        let actions = c.pointer("/change/actions").and_then(serde_json::Value::as_array);
        actions.into_iter().flatten().any(|a| !matches!(a.as_str(), Some("no-op" | "read")))
    })
}

/// How many objects a plan's JSON defers to a later round.
fn deferred_count(plan: &serde_json::Value) -> usize {
    plan.get("deferred_changes").and_then(serde_json::Value::as_array).map_or(0, Vec::len)
}

/// Why the gates of the unit's promotion settings (`corral.promotion` in its directory)
/// refuse an auto-apply of this plan, naming each gate, where it is declared and what tripped
/// it; `None` when they let it through (or there are none). The loop applies what the branch
/// says without anyone looking, so the gates `corral promote` judges guard it too; settings
/// that do not load refuse, as a gate that silently does nothing would be worse than none.
fn gates_refuse(unit: &Unit, plan: &serde_json::Value) -> Option<String> {
    use crate::promote::gates::judge;
    use crate::promote::settings::{SETTINGS_FILE, Settings};
    let mut sources = corral_engine::diag::SourceMap::default();
    let mut diags = corral_engine::diag::Diagnostics::new();
    let settings = Settings::load(&unit.dir, &mut sources, &mut diags);
    if diags.has_errors() {
        let problems: Vec<String> = diags
            .iter()
            .filter(|d| d.severity == corral_engine::diag::Severity::Error)
            .map(|d| match d.span {
                Some(span) => format!("{}: {}", sources.location(span), d.summary),
                None => d.summary.clone(),
            })
            .collect();
        return Some(format!("not applied: {SETTINGS_FILE} does not load: {}", problems.join("; ")));
    }
    let refusals = judge(&settings.gates, plan, chrono::Utc::now());
    if refusals.is_empty() {
        return None;
    }
    let lines: Vec<String> = refusals
        .iter()
        .map(|refusal| {
            let at = settings.gates.get(refusal.gate_index).map(|g| sources.location(g.span)).unwrap_or_default();
            let detail = match &refusal.address {
                Some(address) => format!("{address}: {}", refusal.reason),
                None => refusal.reason.clone(),
            };
            format!("gate \"{}\" ({at}) refuses the apply: {detail}", refusal.gate)
        })
        .collect();
    Some(format!("not applied: {}", lines.join("; ")))
}

/// Applies the plan a `manual` unit is waiting with, and records it as applied. Refused when
/// the plan is not the unit's latest or the checkout has moved on (the next pass plans the
/// new commit); `apply` itself refuses a plan the state has moved past.
pub(crate) async fn approve(work_dir: &Path, plan_id: &str) -> anyhow::Result<UnitStatus> {
    let path = status_file(work_dir);
    let mut status = Status::load(&path);
    let Some(found) = status.units.values().find(|u| u.plan_id.as_deref() == Some(plan_id)).cloned() else {
        anyhow::bail!("no unit waits with plan `{plan_id}` in {} (a newer pass may have replaced it)", path.display());
    };
    if found.outcome != Outcome::AwaitingApproval {
        anyhow::bail!("plan `{plan_id}` of unit `{}` is not awaiting approval (it is {:?})", found.unit, found.outcome);
    }
    if status.commit.as_deref() != Some(found.commit.as_str()) {
        anyhow::bail!("plan `{plan_id}` was made at an older commit; the next pass plans the new one");
    }
    let checkout = work_dir.join("checkout");
    let dir = if found.unit == "." { checkout.clone() } else { checkout.join(&found.unit) };
    let unit = unit::read_unit(found.unit.clone(), dir)?;
    let file = plan_file(work_dir, plan_id);
    Runner::new()?.apply(&unit, &file).await?;
    let _ = fs_err::remove_file(&file);
    let mut applied = found;
    applied.outcome = Outcome::Applied;
    applied.applied_commit = Some(applied.commit.clone());
    applied.time = now();
    applied.plan_id = None;
    status::append_history(&history_file(work_dir), &applied)?;
    status.units.insert(applied.unit.clone(), applied.clone());
    status.save(&path)?;
    Ok(applied)
}
