//! Environment promotion (`corral promote SOURCE TARGET`, `corral promote status`): the
//! repository layout of shared modules plus one directory per environment under `envs/`
//! (each its own root configuration, variables, backend and workspace).
//!
//! Promoting copies the source's promotable files (its `*.hcl`/`*.tf` files, `files`) over
//! the target's, so the target calls the same modules, at the same versions (local module
//! directories), with the same input expressions; what stays the target's own is its
//! variable values (`*.tfvars`), the files its `corral.promotion` keeps (`backend.hcl` by
//! default), its `corral.unit`, settings, state and revision record. Then it plans the target,
//! judges the target's gates (`gates`) on that plan, applies it once approved, and records the
//! revision (`record`). The pieces here are what the command (`commands/promote.rs`) runs.

pub(crate) mod files;
pub(crate) mod gates;
pub(crate) mod record;
pub(crate) mod settings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The environments of a repository: the directories of `envs_dir` that hold configuration.
pub(crate) struct Layout {
    pub root: PathBuf,
    pub envs_dir: PathBuf,
}

impl Layout {
    pub(crate) fn new(root: &Path, envs_dir: Option<&Path>) -> Layout {
        let envs_dir = root.join(envs_dir.unwrap_or(Path::new("envs")));
        Layout { root: root.to_path_buf(), envs_dir }
    }

    /// The directory of environment `name`, which must hold configuration.
    pub(crate) fn env_dir(&self, name: &str) -> anyhow::Result<PathBuf> {
        if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\']) {
            anyhow::bail!("`{name}` is not an environment name (a directory name under {})", self.envs_dir.display());
        }
        let dir = self.envs_dir.join(name);
        if !dir.is_dir() {
            let known = self.environments().unwrap_or_default();
            anyhow::bail!(
                "no environment `{name}`: {} is not a directory (environments here: {})",
                dir.display(),
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            );
        }
        Ok(dir)
    }

    /// Every environment, by name.
    pub(crate) fn environments(&self) -> anyhow::Result<Vec<String>> {
        let entries = fs_err::read_dir(&self.envs_dir).map_err(|e| {
            anyhow::anyhow!("{e} (environments are the directories of `envs/`; `--envs-dir` names another)")
        })?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
            if name.starts_with('.') || !entry.file_type()?.is_dir() {
                continue;
            }
            if !files::promotable(&entry.path(), &[])?.is_empty() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }
}

/// A `module` call of an environment's promotable files, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModuleCall {
    pub source: String,
    /// Input name → expression text.
    pub inputs: BTreeMap<String, String>,
}

/// The `module` calls of the promotable files of `dir`, by name.
pub(crate) fn module_calls(dir: &Path, keep: &[String]) -> anyhow::Result<BTreeMap<String, ModuleCall>> {
    const META: &[&str] = &["source", "version", "count", "for_each", "depends_on", "providers"];
    let mut calls = BTreeMap::new();
    for name in files::promotable(dir, keep)? {
        let text = fs_err::read_to_string(dir.join(&name))?;
        let Ok(body) = hcl_edit::parser::parse_body(&text) else { continue };
        for block in body.get_blocks("module") {
            let Some(label) = block.labels.first() else { continue };
            let mut call = ModuleCall { source: String::new(), inputs: BTreeMap::new() };
            for attr in block.body.attributes() {
                let expr = attr.value.to_string();
                let expr = expr.trim().to_string();
                if attr.key.as_str() == "source" {
                    call.source = expr.trim_matches('"').to_string();
                } else if !META.contains(&attr.key.as_str()) {
                    call.inputs.insert(attr.key.to_string(), expr);
                }
            }
            calls.insert(label.as_str().to_string(), call);
        }
    }
    Ok(calls)
}

/// The differences between the target's module calls and the source's, one line each.
pub(crate) fn module_changes(
    target: &BTreeMap<String, ModuleCall>,
    source: &BTreeMap<String, ModuleCall>,
) -> Vec<String> {
    let mut lines = Vec::new();
    let names: std::collections::BTreeSet<&String> = target.keys().chain(source.keys()).collect();
    for name in names {
        match (target.get(name), source.get(name)) {
            (None, Some(new)) => lines.push(format!("module.{name}: added (source {})", new.source)),
            (Some(old), None) => lines.push(format!("module.{name}: removed (was source {})", old.source)),
            (Some(old), Some(new)) => {
                if old.source != new.source {
                    lines.push(format!("module.{name}: source {} -> {}", old.source, new.source));
                }
                let inputs: std::collections::BTreeSet<&String> = old.inputs.keys().chain(new.inputs.keys()).collect();
                for input in inputs {
                    match (old.inputs.get(input), new.inputs.get(input)) {
                        (Some(a), Some(b)) if a != b => {
                            lines.push(format!("module.{name}: input {input} = {a} -> {b}"));
                        }
                        (None, Some(b)) => lines.push(format!("module.{name}: input {input} = {b} (added)")),
                        (Some(a), None) => lines.push(format!("module.{name}: input {input} (removed, was {a})")),
                        _ => {}
                    }
                }
            }
            (None, None) => {}
        }
    }
    lines
}

/// Module files whose content differs between two revisions: path and what happened.
pub(crate) fn module_file_changes(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    let paths: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for path in paths {
        match (old.get(path), new.get(path)) {
            (Some(a), Some(b)) if a != b => out.push((path.clone(), "changed")),
            (None, Some(_)) => out.push((path.clone(), "now called")),
            (Some(_), None) => out.push((path.clone(), "no longer called")),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;
