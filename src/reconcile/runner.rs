//! Running one unit's `init`, `plan` and `apply`: each as a child `corral` process (this same
//! executable) in the unit's directory. A process per step keeps a long-running loop from
//! carrying any run's leftovers into the next: provider plugins and embedded sandboxes end
//! with their process, a panic or a leak in one unit's run cannot take the loop down, and
//! each unit gets its own workspace and environment, exactly as a person running `corral`
//! there would.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use super::status::{PlanChange, PlanSummary};
use super::unit::Unit;

/// Stderr kept in an error, from its end (where the reason is).
const ERROR_TAIL: usize = 4000;

pub(crate) struct Runner {
    exe: PathBuf,
}

pub(crate) struct Planned {
    pub has_changes: bool,
    pub summary: PlanSummary,
    /// Every change is an in-place update of attributes the unit's `drift_ignore` names.
    pub only_ignored: bool,
    /// The plan JSON, for the promotion gates an auto-apply must pass.
    pub json: serde_json::Value,
}

pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Runner {
    pub(crate) fn new() -> anyhow::Result<Runner> {
        let exe = std::env::current_exe().map_err(|e| anyhow::anyhow!("cannot find the corral executable: {e}"))?;
        Ok(Runner { exe })
    }

    /// `corral -C DIR ARGS... [EXTRA]` in the unit's workspace, output captured.
    pub(crate) fn command(&self, unit: &Unit, args: &[&str], extra: Option<&Path>) -> Command {
        let mut command = Command::new(&self.exe);
        command.arg("-C").arg(&unit.dir).args(args);
        if let Some(path) = extra {
            command.arg(path);
        }
        command.env("TF_IN_AUTOMATION", "1").stdin(std::process::Stdio::null());
        match &unit.workspace {
            Some(ws) => command.env("CORRAL_WORKSPACE", ws),
            None => command.env_remove("CORRAL_WORKSPACE"),
        };
        command
    }

    pub(crate) async fn corral(&self, unit: &Unit, args: &[&str], extra: Option<&Path>) -> anyhow::Result<Run> {
        let out = self
            .command(unit, args, extra)
            .output()
            .await
            .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", self.exe.display()))?;
        Ok(Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    pub(crate) async fn init(&self, unit: &Unit) -> anyhow::Result<()> {
        let run = self.corral(unit, &["init", "--input=false"], None).await?;
        if run.code != 0 {
            anyhow::bail!("corral init failed: {}", tail(&run.stderr));
        }
        Ok(())
    }

    /// Plans the unit and saves the plan to `plan_file`.
    pub(crate) async fn plan(&self, unit: &Unit, plan_file: &Path) -> anyhow::Result<Planned> {
        let args = ["plan", "--input=false", "--detailed-exitcode", "--json", "--out"];
        let run = self.corral(unit, &args, Some(plan_file)).await?;
        let has_changes = match run.code {
            0 => false,
            2 => true,
            _ => anyhow::bail!("corral plan failed: {}", tail(&run.stderr)),
        };
        let json: serde_json::Value = serde_json::from_str(&run.stdout)
            .map_err(|e| anyhow::anyhow!("corral plan --json printed no plan JSON: {e}"))?;
        let ignored = |change: &serde_json::Value| only_ignored_attributes(change, &unit.drift_ignore);
        let mut summary = summarize(&json);
        let drift = json.get("resource_drift").and_then(serde_json::Value::as_array);
        summary.drifted = drift.into_iter().flatten().filter(|c| !ignored(c)).count();
        let changes = json.get("resource_changes").and_then(serde_json::Value::as_array);
        let only_ignored = changes.into_iter().flatten().all(|c| {
            let actions = c.pointer("/change/actions").and_then(serde_json::Value::as_array);
            let actions: Vec<&str> = actions.into_iter().flatten().filter_map(serde_json::Value::as_str).collect();
            matches!(actions.as_slice(), ["no-op"] | ["read"]) || (actions == ["update"] && ignored(c))
        });
        Ok(Planned { has_changes, summary, only_ignored, json })
    }

    /// Applies a saved plan (a stale one is refused by `apply` itself).
    pub(crate) async fn apply(&self, unit: &Unit, plan_file: &Path) -> anyhow::Result<()> {
        let run = self.corral(unit, &["apply", "--input=false", "--auto-approve"], Some(plan_file)).await?;
        if run.code != 0 {
            anyhow::bail!("corral apply failed: {}", tail(&run.stderr));
        }
        Ok(())
    }
}

/// Counts as Terraform's summary line does: a replacement is one to add and one to destroy.
pub(crate) fn summarize(plan: &serde_json::Value) -> PlanSummary {
    let mut summary = PlanSummary::default();
    let changes = plan.get("resource_changes").and_then(serde_json::Value::as_array);
    for change in changes.into_iter().flatten() {
        let actions = change.pointer("/change/actions").and_then(serde_json::Value::as_array);
        let actions: Vec<&str> = actions.into_iter().flatten().filter_map(serde_json::Value::as_str).collect();
        for action in &actions {
            match *action {
                "create" => summary.add += 1,
                "update" => summary.change += 1,
                "delete" => summary.destroy += 1,
                _ => {}
            }
        }
        let action = match actions.as_slice() {
            [] | ["no-op"] | ["read"] => continue,
            [one] => (*one).to_string(),
            [_, _] if actions.contains(&"create") && actions.contains(&"delete") => "replace".to_string(),
            more => more.join(", "),
        };
        let address = change.get("address").and_then(serde_json::Value::as_str).unwrap_or("?").to_string();
        summary.changes.push(PlanChange { address, action });
    }
    summary.drifted = plan.get("resource_drift").and_then(serde_json::Value::as_array).map_or(0, Vec::len);
    summary
}

/// Whether a change (of the plan's `resource_changes` or `resource_drift`) touches only
/// top-level attributes that `ignore` names: `TYPE.NAME.ATTR`, or `TYPE.*.ATTR` for every
/// resource of the type (in any module, any instance).
pub(crate) fn only_ignored_attributes(change: &serde_json::Value, ignore: &[String]) -> bool {
    if ignore.is_empty() {
        return false;
    }
    let field = |name: &str| change.get(name).and_then(serde_json::Value::as_str).unwrap_or_default();
    let (kind, name) = (field("type"), field("name"));
    let ignored_here: Vec<&str> = ignore
        .iter()
        .filter_map(|pattern| {
            let (resource, attribute) = pattern.rsplit_once('.')?;
            let (t, n) = resource.split_once('.')?;
            (t == kind && (n == "*" || n == name)).then_some(attribute)
        })
        .collect();
    let object = |pointer: &str| change.pointer(pointer).and_then(serde_json::Value::as_object);
    let (Some(before), Some(after)) = (object("/change/before"), object("/change/after")) else { return false };
    let changed: Vec<&String> = before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).collect();
    !changed.is_empty() && changed.iter().all(|k| ignored_here.contains(&k.as_str()))
}

pub(crate) fn tail(text: &str) -> String {
    let text = text.trim();
    let start = text.len().saturating_sub(ERROR_TAIL);
    let start = (start..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
    text[start..].to_string()
}
