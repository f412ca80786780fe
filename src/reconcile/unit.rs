//! Units: the directories of the repository that hold a `corral.unit` file, and the order to
//! run them in. The file is HCL attributes (not `.hcl`, which the configuration loader would
//! read as configuration):
//!
//! ```hcl
//! approval   = "auto"        # auto | manual | plan-only
//! drift      = "report"      # report | correct
//! depends_on = ["network"]   # other units, by directory relative to the repository root
//! workspace  = "default"
//! drift_ignore = ["testing_thing.*.payload"]  # TYPE.NAME.ATTR (NAME may be *): not drift
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use corral_engine::diag::{Diagnostics, SourceMap};
use serde::Serialize;

/// The marker file that makes a directory a unit.
pub(crate) const UNIT_FILE: &str = "corral.unit";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Approval {
    Auto,
    Manual,
    PlanOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum DriftMode {
    Report,
    Correct,
}

#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// The directory relative to the repository root, with `/` (`.` for the root itself).
    pub id: String,
    pub dir: PathBuf,
    pub approval: Approval,
    pub drift: DriftMode,
    pub depends_on: Vec<String>,
    pub workspace: Option<String>,
    /// Attributes whose change outside Corral is not drift (`TYPE.NAME.ATTR`).
    pub drift_ignore: Vec<String>,
}

impl Unit {
    /// A directory run as it is (no `corral.unit`): auto approval, its selected workspace.
    pub(crate) fn plain(id: String, dir: PathBuf) -> Unit {
        Unit {
            id,
            dir,
            approval: Approval::Auto,
            drift: DriftMode::Report,
            depends_on: Vec::new(),
            workspace: None,
            drift_ignore: Vec::new(),
        }
    }
}

/// Every unit under `root`, in an order where each comes after the units it depends on
/// (ties by id). A unit file that does not read, a dependency on no unit, or a cycle is an
/// error: running half a repository in a made-up order would be worse than running none.
pub(crate) fn discover(root: &Path) -> anyhow::Result<Vec<Unit>> {
    let mut dirs = Vec::new();
    find_unit_dirs(root, &mut dirs)?;
    let mut units = BTreeMap::new();
    for dir in dirs {
        let id = unit_id(root, &dir);
        let unit = read_unit(id.clone(), dir)?;
        units.insert(id, unit);
    }
    order(units)
}

fn unit_id(root: &Path, dir: &Path) -> String {
    let relative = dir.strip_prefix(root).unwrap_or(dir);
    let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if parts.is_empty() { ".".to_string() } else { parts.join("/") }
}

fn find_unit_dirs(dir: &Path, found: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if dir.join(UNIT_FILE).is_file() {
        found.push(dir.to_path_buf());
    }
    let entries = fs_err::read_dir(dir)?;
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = entry?;
        // `.git`, and every unit's `.corral/`, hold no units.
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            subdirs.push(entry.path());
        }
    }
    subdirs.sort();
    for sub in subdirs {
        find_unit_dirs(&sub, found)?;
    }
    Ok(())
}

pub(crate) fn read_unit(id: String, dir: PathBuf) -> anyhow::Result<Unit> {
    let path = dir.join(UNIT_FILE);
    let text = fs_err::read_to_string(&path)?;
    let body = hcl_edit::parser::parse_body(&text)
        .map_err(|e| anyhow::anyhow!("{}: not HCL attributes: {e}", path.display()))?;
    let mut sources = SourceMap::default();
    let file = sources.add(path.clone(), text.clone());
    let mut diags = Diagnostics::new();
    let settings = crate::variables::assignments(file, &body, &mut diags);
    if diags.has_errors() {
        let messages: Vec<String> = diags.iter().map(|d| d.summary.clone()).collect();
        anyhow::bail!("{}: {}", path.display(), messages.join("; "));
    }
    let mut unit = Unit::plain(id, dir);
    for (name, value, _) in settings {
        let json = value.to_json();
        let bad = |expected: &str| anyhow::anyhow!("{}: `{name}` must be {expected}, not {json}", path.display());
        match name.as_str() {
            "approval" => {
                unit.approval = match json.as_str() {
                    Some("auto") => Approval::Auto,
                    Some("manual") => Approval::Manual,
                    Some("plan-only") => Approval::PlanOnly,
                    _ => return Err(bad("\"auto\", \"manual\" or \"plan-only\"")),
                }
            }
            "drift" => {
                unit.drift = match json.as_str() {
                    Some("report") => DriftMode::Report,
                    Some("correct") => DriftMode::Correct,
                    _ => return Err(bad("\"report\" or \"correct\"")),
                }
            }
            "depends_on" => {
                let list = json.as_array().ok_or_else(|| bad("a list of unit directories"))?;
                for item in list {
                    let dep = item.as_str().ok_or_else(|| bad("a list of unit directories"))?;
                    unit.depends_on.push(dep.trim_matches('/').to_string());
                }
            }
            "drift_ignore" => {
                let expected = "a list of `TYPE.NAME.ATTR` (NAME may be `*`)";
                let list = json.as_array().ok_or_else(|| bad(expected))?;
                for item in list {
                    let pattern = item.as_str().filter(|p| p.split('.').count() == 3).ok_or_else(|| bad(expected))?;
                    unit.drift_ignore.push(pattern.to_string());
                }
            }
            "workspace" => {
                let ws = json.as_str().filter(|s| !s.is_empty()).ok_or_else(|| bad("a workspace name"))?;
                unit.workspace = Some(ws.to_string());
            }
            other => anyhow::bail!(
                "{}: unknown setting `{other}` (expected approval, drift, drift_ignore, depends_on or workspace)",
                path.display()
            ),
        }
    }
    Ok(unit)
}

/// Kahn's algorithm over the dependency edges, smallest id first among the ready units so
/// the order is the same on every pass and replica.
fn order(mut units: BTreeMap<String, Unit>) -> anyhow::Result<Vec<Unit>> {
    for unit in units.values() {
        for dep in &unit.depends_on {
            if !units.contains_key(dep) {
                anyhow::bail!("unit `{}` depends on `{dep}`, which is no unit (no `{UNIT_FILE}` there)", unit.id);
            }
        }
    }
    let mut done = BTreeSet::new();
    let mut ordered = Vec::new();
    while !units.is_empty() {
        let ready = units.values().find(|u| u.depends_on.iter().all(|d| done.contains(d))).map(|u| u.id.clone());
        let Some(id) = ready else {
            let stuck: Vec<&str> = units.keys().map(String::as_str).collect();
            anyhow::bail!("the units' dependencies form a cycle among: {}", stuck.join(", "));
        };
        if let Some(unit) = units.remove(&id) {
            done.insert(id);
            ordered.push(unit);
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests;
