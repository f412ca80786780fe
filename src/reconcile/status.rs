//! What the loop records: `status.json` (the last result of every unit, read back on the
//! next pass to tell a new commit from drift) and `history.jsonl` (one line per unit run).
//! Both live in the work directory; the status file is replaced atomically.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// How one unit's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Outcome {
    /// The plan had no changes.
    UpToDate,
    /// The plan was applied (a new commit, or changes not yet applied).
    Applied,
    /// Changes made outside Corral were undone (`drift = "correct"`).
    DriftCorrected,
    /// Changes made outside Corral were found and left alone (`drift = "report"`).
    DriftReported,
    /// A `plan-only` unit: the plan is recorded, never applied.
    Planned,
    /// A `manual` unit: the plan waits for `corral reconcile approve PLAN_ID`.
    AwaitingApproval,
    /// Planning or applying failed.
    Failed,
    /// Not run: a unit it depends on failed or was not run.
    Blocked,
    /// Not run here: another replica holds the unit's lease.
    Elsewhere,
}

impl Outcome {
    pub(crate) fn is_failure(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::Blocked)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PlanSummary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    /// Objects changed outside Corral since the last apply (the plan's `resource_drift`).
    pub drifted: usize,
    /// Each instance the plan changes, with what it does to it.
    #[serde(default)]
    pub changes: Vec<PlanChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PlanChange {
    pub address: String,
    /// `create`, `update`, `delete`, `replace`, `forget`, ...
    pub action: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UnitStatus {
    pub unit: String,
    pub approval: String,
    pub drift_mode: String,
    /// The commit this run planned.
    pub commit: String,
    /// The last commit whose configuration the unit's objects are known to match (applied,
    /// or planned with no changes); changes planned at that same commit are drift.
    pub applied_commit: Option<String>,
    pub time: String,
    pub outcome: Outcome,
    pub plan: Option<PlanSummary>,
    /// The saved plan (`plans/PLAN_ID.plan` in the work directory).
    pub plan_id: Option<String>,
    pub error: Option<String>,
    /// How long the run took (init, plan and apply).
    #[serde(default)]
    pub duration_ms: u64,
    /// With `--leases-pg`: who held the unit's lease at this run (`user@host (pid N)`), this
    /// replica unless the outcome is `elsewhere`.
    #[serde(default)]
    pub lease_holder: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Status {
    pub repo: String,
    pub branch: String,
    pub commit: Option<String>,
    pub time: Option<String>,
    /// An error that stopped the whole pass (git, or the units' files).
    pub error: Option<String>,
    pub units: BTreeMap<String, UnitStatus>,
}

impl Status {
    /// The last recorded status; none yet (or unreadable, which is reported) is empty.
    pub(crate) fn load(path: &Path) -> Status {
        match fs_err::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!("ignoring the unreadable reconcile status {}: {e}", path.display());
                Status::default()
            }),
            Err(_) => Status::default(),
        }
    }

    /// Written to a temporary file and renamed over, so a reader never sees half a status.
    pub(crate) fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        let tmp = path.with_extension("json.tmp");
        fs_err::write(&tmp, text + "\n")?;
        fs_err::rename(&tmp, path)?;
        Ok(())
    }
}

/// Appends one unit's result to the history, one JSON object a line.
pub(crate) fn append_history(path: &Path, status: &UnitStatus) -> anyhow::Result<()> {
    use std::io::Write;
    let mut file = fs_err::OpenOptions::new().create(true).append(true).open(path)?;
    writeln!(file, "{}", serde_json::to_string(status)?)?;
    Ok(())
}
