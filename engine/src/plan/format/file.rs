//! The saved plan file (`corral plan --out FILE`): a versioned JSON document holding the
//! whole [`Plan`], read back exactly by `corral apply FILE`. The basis (workspace, state
//! lineage and serial, config hash) lets apply refuse a stale plan.

use std::collections::BTreeMap;

use crate::addr::{AbsResourceInstance, Target};
use crate::plan::{Action, ActionReason, OutputChange, Plan, PlanBasis, PlanOptions, ResourceChange};
use crate::value::Path;

use crate::value::codec::{EncodedValue, decode, encode};

/// The `format` field of every plan file: tells a plan file from any other JSON.
pub const PLAN_FILE_FORMAT: &str = "corral-plan";

/// The version this Corral writes and the only one it reads. Bump it on any change a reader
/// of the previous version would misread.
pub const PLAN_FILE_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanFileError {
    #[error("not a Corral plan file: {reason}")]
    NotAPlanFile { reason: String },
    #[error(
        "plan file format version {found} is not supported: this Corral reads version {supported}; make the plan again with this version"
    )]
    UnsupportedVersion { found: u64, supported: u32 },
    #[error("plan file is damaged: {reason}")]
    Damaged { reason: String },
}

/// The plan as a saved plan file.
pub fn write_plan_file(plan: &Plan) -> Vec<u8> {
    let file = PlanFile {
        format: PLAN_FILE_FORMAT.to_string(),
        format_version: PLAN_FILE_VERSION,
        corral_version: env!("CARGO_PKG_VERSION").to_string(),
        basis: FileBasis {
            workspace: plan.basis.workspace.clone(),
            state_lineage: plan.basis.state_lineage,
            state_serial: plan.basis.state_serial,
            config_hash: plan.basis.config_hash.clone(),
        },
        options: FileOptions {
            destroy: plan.options.destroy,
            refresh: plan.options.refresh,
            targets: plan.options.targets.iter().map(Target::to_string).collect(),
            replace: plan.options.replace.iter().map(AbsResourceInstance::to_string).collect(),
        },
        variables: plan.variables.iter().map(|(name, value)| (name.clone(), encode(value))).collect(),
        changes: plan.changes.iter().map(write_change).collect(),
        output_changes: plan
            .output_changes
            .iter()
            .map(|o| FileOutputChange {
                name: o.name.clone(),
                action: action_name(o.action).to_string(),
                before: o.before.as_ref().map(encode),
                after: o.after.as_ref().map(encode),
                sensitive: o.sensitive,
            })
            .collect(),
        drift: plan.drift.iter().map(write_change).collect(),
    };
    // Serialising can fail only for maps with non-string keys or a failing `Serialize`
    // impl; these types have neither.
    match serde_json::to_vec_pretty(&file) {
        Ok(bytes) => bytes,
        Err(error) => {
            debug_assert!(false, "plan file serialisation failed: {error}");
            Vec::new()
        }
    }
}

/// Reads a saved plan file back into the plan it was written from.
pub fn read_plan_file(bytes: &[u8]) -> Result<Plan, PlanFileError> {
    let not_a_plan = |reason: String| PlanFileError::NotAPlanFile { reason };
    let document: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| not_a_plan(e.to_string()))?;
    if document.get("format").and_then(|f| f.as_str()) != Some(PLAN_FILE_FORMAT) {
        return Err(not_a_plan(format!("it has no `\"format\": \"{PLAN_FILE_FORMAT}\"`")));
    }
    // The version is checked before the rest is decoded, so a newer file gets a version
    // error rather than a confusing one about some field.
    let found = document.get("format_version").and_then(|v| v.as_u64()).unwrap_or(0);
    if found != u64::from(PLAN_FILE_VERSION) {
        return Err(PlanFileError::UnsupportedVersion { found, supported: PLAN_FILE_VERSION });
    }
    let file: PlanFile =
        serde_json::from_value(document).map_err(|e| PlanFileError::Damaged { reason: e.to_string() })?;
    let damaged = |reason: String| PlanFileError::Damaged { reason };
    let value = |encoded: &EncodedValue, what: &str| decode(encoded).map_err(|e| damaged(format!("{what}: {e}")));
    let option_value =
        |encoded: &Option<EncodedValue>, what: &str| encoded.as_ref().map(|e| value(e, what)).transpose();

    let mut variables = BTreeMap::new();
    for (name, encoded) in &file.variables {
        variables.insert(name.clone(), value(encoded, &format!("variable `{name}`"))?);
    }
    let read_changes = |changes: &[FileChange]| -> Result<Vec<ResourceChange>, PlanFileError> {
        changes
            .iter()
            .map(|c| {
                let addr: AbsResourceInstance = c.address.parse().map_err(|e| damaged(format!("{e}")))?;
                let what = |side: &str| format!("{side} of `{}`", c.address);
                Ok(ResourceChange {
                    addr,
                    provider: c.provider.clone(),
                    type_name: c.type_name.clone(),
                    action: parse_action(&c.action)?,
                    reason: c
                        .reason
                        .as_deref()
                        .map(|r| ActionReason::parse(r).ok_or_else(|| damaged(format!("unknown action reason `{r}`"))))
                        .transpose()?,
                    before: option_value(&c.before, &what("before"))?,
                    after: option_value(&c.after, &what("after"))?,
                    replace_paths: c.replace_paths.clone(),
                    create_before_destroy: c.create_before_destroy,
                    private: c
                        .private
                        .as_deref()
                        .map(|p| hex::decode(p).map_err(|e| damaged(format!("private data of `{}`: {e}", c.address))))
                        .transpose()?,
                    deposed: c.deposed,
                    dependencies: c.dependencies.clone(),
                })
            })
            .collect()
    };
    let mut output_changes = Vec::new();
    for o in &file.output_changes {
        output_changes.push(OutputChange {
            name: o.name.clone(),
            action: parse_action(&o.action)?,
            before: option_value(&o.before, &format!("before of output `{}`", o.name))?,
            after: option_value(&o.after, &format!("after of output `{}`", o.name))?,
            sensitive: o.sensitive,
        });
    }
    Ok(Plan {
        basis: PlanBasis {
            workspace: file.basis.workspace,
            state_lineage: file.basis.state_lineage,
            state_serial: file.basis.state_serial,
            config_hash: file.basis.config_hash,
        },
        options: PlanOptions {
            destroy: file.options.destroy,
            refresh: file.options.refresh,
            targets: file
                .options
                .targets
                .iter()
                .map(|t| t.parse::<Target>().map_err(|e| damaged(e.to_string())))
                .collect::<Result<_, _>>()?,
            replace: file
                .options
                .replace
                .iter()
                .map(|t| t.parse::<AbsResourceInstance>().map_err(|e| damaged(e.to_string())))
                .collect::<Result<_, _>>()?,
        },
        variables,
        changes: read_changes(&file.changes)?,
        output_changes,
        drift: read_changes(&file.drift)?,
    })
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PlanFile {
    format: String,
    format_version: u32,
    corral_version: String,
    basis: FileBasis,
    options: FileOptions,
    variables: BTreeMap<String, EncodedValue>,
    changes: Vec<FileChange>,
    output_changes: Vec<FileOutputChange>,
    drift: Vec<FileChange>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct FileBasis {
    workspace: String,
    state_lineage: uuid::Uuid,
    state_serial: u64,
    config_hash: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct FileOptions {
    destroy: bool,
    refresh: bool,
    targets: Vec<String>,
    replace: Vec<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct FileChange {
    address: String,
    provider: String,
    type_name: String,
    action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    before: Option<EncodedValue>,
    after: Option<EncodedValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    replace_paths: Vec<Path>,
    #[serde(default)]
    create_before_destroy: bool,
    /// Hex of the provider's private bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private: Option<String>,
    /// The intent id of a deposed object's deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deposed: Option<uuid::Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct FileOutputChange {
    name: String,
    action: String,
    before: Option<EncodedValue>,
    after: Option<EncodedValue>,
    sensitive: bool,
}

fn write_change(change: &ResourceChange) -> FileChange {
    FileChange {
        address: change.addr.to_string(),
        provider: change.provider.clone(),
        type_name: change.type_name.clone(),
        action: action_name(change.action).to_string(),
        reason: change.reason.map(|r| r.as_str().to_string()),
        before: change.before.as_ref().map(encode),
        after: change.after.as_ref().map(encode),
        replace_paths: change.replace_paths.clone(),
        create_before_destroy: change.create_before_destroy,
        private: change.private.as_ref().map(hex::encode),
        deposed: change.deposed,
        dependencies: change.dependencies.clone(),
    }
}

const ACTIONS: [(Action, &str); 7] = [
    (Action::NoOp, "no-op"),
    (Action::Create, "create"),
    (Action::Read, "read"),
    (Action::Update, "update"),
    (Action::DeleteThenCreate, "delete-then-create"),
    (Action::CreateThenDelete, "create-then-delete"),
    (Action::Delete, "delete"),
];

fn action_name(action: Action) -> &'static str {
    ACTIONS.iter().find(|(a, _)| *a == action).map(|(_, name)| *name).unwrap_or("no-op")
}

fn parse_action(name: &str) -> Result<Action, PlanFileError> {
    ACTIONS
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(a, _)| *a)
        .ok_or_else(|| PlanFileError::Damaged { reason: format!("unknown action `{name}`") })
}
