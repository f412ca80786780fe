//! The saved plan file (`corral plan --out FILE`): a versioned JSON document holding the
//! whole [`Plan`], read back exactly by `corral apply FILE`. The basis (workspace, state
//! lineage and serial, config hash) lets apply refuse a stale plan.
//!
//! Secrets, with the workspace's key ([`WorkspaceKey`]):
//! - the values of variables that feed write-only attributes are not in the file at all
//!   (only their names and keyed digests, under `write_only_variables`): apply takes them
//!   again and refuses a different value;
//! - every other value with a sensitive mark anywhere in it is sealed (XChaCha20-Poly1305,
//!   `{"sealed": "<base64>"}`), and so are providers' private bytes, so no secret is
//!   readable in the file;
//! - the document is `{"format", "format_version", "corral_version", "mac", "plan"}`, where
//!   `mac` is HMAC-SHA256 over the exact bytes of `plan`: an edited plan (a no-op turned into
//!   a delete), or one made in another workspace, is refused before anything in it is used.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::value::RawValue;

use crate::secret::WorkspaceKey;
use crate::value::Value;

use crate::addr::{AbsResourceInstance, ModuleInstance, Target};
use crate::plan::{
    Action, ActionReason, DeferredChange, DeferredReason, OutputChange, Plan, PlanBasis, PlanOptions, ResourceChange,
};
use crate::runtime::{CheckResult, CheckStatus};
use crate::value::Path;

use crate::value::codec::{EncodedValue, decode, encode};

/// The `format` field of every plan file: tells a plan file from any other JSON.
pub const PLAN_FILE_FORMAT: &str = "corral-plan";

/// The version this Corral writes and the only one it reads. Bump it on any change a reader
/// of the previous version would misread.
/// Version 2: the MAC envelope, sealed sensitive values, write-only variables left out.
pub const PLAN_FILE_VERSION: u32 = 3;

/// The purpose label of a plan file's MAC (see [`WorkspaceKey::mac`]).
const MAC_PURPOSE: &str = "corral plan file v2";
/// What a sealed value's encryption is bound to.
const SEAL_CONTEXT: &[u8] = b"corral plan value v2";
/// What sealed private provider data is bound to.
const PRIVATE_CONTEXT: &[u8] = b"corral plan private v2";
/// The prefix of the `mac` field.
const MAC_PREFIX: &str = "hmac-sha256:";

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
    #[error(
        "the plan file was modified after it was made, or was made in another workspace or directory (its MAC does not match this workspace's key); make the plan again"
    )]
    Tampered,
}

/// The plan as a saved plan file, sealed and MACed with the workspace's key.
pub fn write_plan_file(plan: &Plan, key: &WorkspaceKey) -> Vec<u8> {
    let seal = |value: &Value| seal_value(value, key);
    let write_change = |change: &ResourceChange| write_change(change, key);
    let body = PlanFile {
        basis: FileBasis {
            workspace: plan.basis.workspace.clone(),
            state_lineage: plan.basis.state_lineage,
            state_serial: plan.basis.state_serial,
            config_hash: plan.basis.config_hash.clone(),
        },
        timestamp: plan.timestamp.clone(),
        options: FileOptions {
            destroy: plan.options.destroy,
            refresh: plan.options.refresh,
            targets: plan.options.targets.iter().map(Target::to_string).collect(),
            excludes: plan.options.excludes.iter().map(Target::to_string).collect(),
            replace: plan.options.replace.iter().map(AbsResourceInstance::to_string).collect(),
            refresh_only: plan.options.refresh_only,
        },
        variables: plan
            .variables
            .iter()
            .filter(|(name, _)| !plan.write_only_variables.contains_key(*name))
            .map(|(name, value)| (name.clone(), seal(value)))
            .collect(),
        write_only_variables: plan.write_only_variables.clone(),
        imports: plan.imports.iter().map(|(addr, id)| (addr.to_string(), id.clone())).collect(),
        changes: plan.changes.iter().map(write_change).collect(),
        output_changes: plan
            .output_changes
            .iter()
            .map(|o| FileOutputChange {
                name: o.name.clone(),
                action: action_name(o.action).to_string(),
                before: o.before.as_ref().map(|v| seal_output(v, o.sensitive, key)),
                after: o.after.as_ref().map(|v| seal_output(v, o.sensitive, key)),
                sensitive: o.sensitive,
            })
            .collect(),
        drift: plan.drift.iter().map(write_change).collect(),
        checks: plan
            .checks
            .iter()
            .map(|c| FileCheck {
                module: c.module.to_string(),
                name: c.name.clone(),
                status: c.status.as_str().to_string(),
                problems: c.problems.clone(),
            })
            .collect(),
        deferred: plan
            .deferred
            .iter()
            .map(|d| FileDeferred {
                address: d.address.clone(),
                module: d.module.clone(),
                resource: d.resource.as_ref().map(ToString::to_string),
                reason: d.reason.as_str().to_string(),
                detail: d.detail.clone(),
                existing: d.existing.iter().map(ToString::to_string).collect(),
            })
            .collect(),
    };
    // Serialising can fail only for maps with non-string keys or a failing `Serialize`
    // impl; these types have neither. The body is written once and its exact bytes MACed and
    // embedded (a `RawValue` is written verbatim).
    let written = serde_json::to_string_pretty(&body).and_then(|text| {
        let mac = format!("{MAC_PREFIX}{}", hex::encode(key.mac(MAC_PURPOSE, &[text.as_bytes()])));
        let plan = RawValue::from_string(text)?;
        serde_json::to_vec(&Envelope {
            format: PLAN_FILE_FORMAT.to_string(),
            format_version: PLAN_FILE_VERSION,
            corral_version: env!("CARGO_PKG_VERSION").to_string(),
            mac,
            plan,
        })
    });
    match written {
        Ok(bytes) => bytes,
        Err(error) => {
            debug_assert!(false, "plan file serialisation failed: {error}");
            Vec::new()
        }
    }
}

/// A value as stored: sealed if any part of it is sensitive.
fn seal_value(value: &Value, key: &WorkspaceKey) -> StoredValue {
    seal_if(value, value.contains_sensitive(), key)
}

/// An output's value: an output is sensitive as a whole.
fn seal_output(value: &Value, sensitive: bool, key: &WorkspaceKey) -> StoredValue {
    seal_if(value, sensitive || value.contains_sensitive(), key)
}

fn seal_if(value: &Value, sensitive: bool, key: &WorkspaceKey) -> StoredValue {
    let encoded = encode(value);
    if !sensitive {
        return StoredValue::Plain(encoded);
    }
    match serde_json::to_vec(&encoded) {
        Ok(bytes) => StoredValue::Sealed { sealed: BASE64.encode(key.seal(&bytes, SEAL_CONTEXT)) },
        // Not reachable (see `write_plan_file`); never fall back to the clear value.
        Err(_) => StoredValue::Sealed { sealed: String::new() },
    }
}

fn unseal(stored: &StoredValue, key: &WorkspaceKey, what: &str) -> Result<Value, PlanFileError> {
    let damaged = |reason: String| PlanFileError::Damaged { reason: format!("{what}: {reason}") };
    let encoded = match stored {
        StoredValue::Plain(encoded) => encoded.clone(),
        StoredValue::Sealed { sealed } => {
            let bytes = BASE64.decode(sealed).map_err(|e| damaged(e.to_string()))?;
            let plain = key.open(&bytes, SEAL_CONTEXT).ok_or(PlanFileError::Tampered)?;
            serde_json::from_slice(&plain).map_err(|e| damaged(e.to_string()))?
        }
    };
    decode(&encoded).map_err(|e| damaged(e.to_string()))
}

/// Reads a saved plan file back into the plan it was written from, after checking its MAC
/// with the workspace's key. The values of write-only variables are not in it: the plan's
/// `write_only_variables` names them, for the caller to supply.
pub fn read_plan_file(bytes: &[u8], key: &WorkspaceKey) -> Result<Plan, PlanFileError> {
    let not_a_plan = |reason: String| PlanFileError::NotAPlanFile { reason };
    let document: EnvelopeIn = serde_json::from_slice(bytes).map_err(|e| not_a_plan(e.to_string()))?;
    if document.format.as_deref() != Some(PLAN_FILE_FORMAT) {
        return Err(not_a_plan(format!("it has no `\"format\": \"{PLAN_FILE_FORMAT}\"`")));
    }
    // The version is checked before the rest is decoded, so a newer file gets a version
    // error rather than a confusing one about some field.
    let found = document.format_version.unwrap_or(0);
    if found != u64::from(PLAN_FILE_VERSION) {
        return Err(PlanFileError::UnsupportedVersion { found, supported: PLAN_FILE_VERSION });
    }
    let damaged = |reason: String| PlanFileError::Damaged { reason };
    let (Some(mac), Some(body)) = (document.mac, document.plan) else {
        return Err(damaged("it has no `mac` or no `plan`".to_string()));
    };
    let tag = mac.strip_prefix(MAC_PREFIX).and_then(|h| hex::decode(h).ok()).ok_or(PlanFileError::Tampered)?;
    if !key.verify(MAC_PURPOSE, &[body.get().as_bytes()], &tag) {
        return Err(PlanFileError::Tampered);
    }
    let file: PlanFile = serde_json::from_str(body.get()).map_err(|e| damaged(e.to_string()))?;
    let value = |stored: &StoredValue, what: &str| unseal(stored, key, what);
    let option_value = |stored: &Option<StoredValue>, what: &str| stored.as_ref().map(|e| value(e, what)).transpose();

    let mut variables = BTreeMap::new();
    for (name, stored) in &file.variables {
        variables.insert(name.clone(), value(stored, &format!("variable `{name}`"))?);
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
                        .map(|p| {
                            let sealed = BASE64
                                .decode(p)
                                .map_err(|e| damaged(format!("private data of `{}`: {e}", c.address)))?;
                            key.open(&sealed, PRIVATE_CONTEXT).ok_or(PlanFileError::Tampered)
                        })
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
        timestamp: file.timestamp,
        options: PlanOptions {
            destroy: file.options.destroy,
            refresh: file.options.refresh,
            targets: file
                .options
                .targets
                .iter()
                .map(|t| t.parse::<Target>().map_err(|e| damaged(e.to_string())))
                .collect::<Result<_, _>>()?,
            excludes: file
                .options
                .excludes
                .iter()
                .map(|t| t.parse::<Target>().map_err(|e| damaged(e.to_string())))
                .collect::<Result<_, _>>()?,
            replace: file
                .options
                .replace
                .iter()
                .map(|t| t.parse::<AbsResourceInstance>().map_err(|e| damaged(e.to_string())))
                .collect::<Result<_, _>>()?,
            generate_config: false,
            refresh_only: file.options.refresh_only,
            skip_authz_check: false,
        },
        variables,
        write_only_variables: file.write_only_variables,
        imports: file
            .imports
            .iter()
            .map(|(addr, id)| {
                Ok((addr.parse::<AbsResourceInstance>().map_err(|e| damaged(e.to_string()))?, id.clone()))
            })
            .collect::<Result<_, PlanFileError>>()?,
        changes: read_changes(&file.changes)?,
        output_changes,
        drift: read_changes(&file.drift)?,
        checks: file.checks.iter().map(read_check).collect::<Result<_, _>>()?,
        deferred: file.deferred.iter().map(read_deferred).collect::<Result<_, _>>()?,
    })
}

fn read_deferred(entry: &FileDeferred) -> Result<DeferredChange, PlanFileError> {
    let damaged = |reason: String| PlanFileError::Damaged { reason };
    let resource = match &entry.resource {
        None => None,
        Some(text) => match text.parse::<Target>() {
            Ok(Target::Resource(r)) if r.module.is_root() => Some(r.resource),
            _ => return Err(damaged(format!("`{text}` is not a resource address"))),
        },
    };
    Ok(DeferredChange {
        address: entry.address.clone(),
        module: entry.module.clone(),
        resource,
        reason: DeferredReason::parse(&entry.reason)
            .ok_or_else(|| damaged(format!("unknown deferral reason `{}`", entry.reason)))?,
        detail: entry.detail.clone(),
        existing: entry
            .existing
            .iter()
            .map(|a| a.parse::<AbsResourceInstance>().map_err(|e| damaged(e.to_string())))
            .collect::<Result<_, _>>()?,
    })
}

fn read_check(check: &FileCheck) -> Result<CheckResult, PlanFileError> {
    let module = match check.module.as_str() {
        "" => ModuleInstance::root(),
        text => match text.parse::<Target>() {
            Ok(Target::Module(module)) => module,
            _ => return Err(PlanFileError::Damaged { reason: format!("`{text}` is not a module instance") }),
        },
    };
    let status = CheckStatus::parse(&check.status)
        .ok_or_else(|| PlanFileError::Damaged { reason: format!("`{}` is not a check status", check.status) })?;
    Ok(CheckResult { module, name: check.name.clone(), status, problems: check.problems.clone() })
}

/// The document as written: the plan body's exact bytes, MACed.
#[derive(serde::Serialize)]
struct Envelope {
    format: String,
    format_version: u32,
    corral_version: String,
    mac: String,
    plan: Box<RawValue>,
}

/// The document as read: every field optional, so that the format and version are checked
/// before anything else is required.
#[derive(serde::Deserialize)]
struct EnvelopeIn {
    format: Option<String>,
    format_version: Option<u64>,
    mac: Option<String>,
    plan: Option<Box<RawValue>>,
}

/// A value in the file: in the clear, or sealed when any part of it is sensitive.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum StoredValue {
    Sealed { sealed: String },
    Plain(EncodedValue),
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PlanFile {
    basis: FileBasis,
    options: FileOptions,
    /// `plantimestamp()`'s value (absent in files written before it was kept: their apply
    /// gives the current time, as it did then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    variables: BTreeMap<String, StoredValue>,
    /// The variables that feed write-only attributes, with their values' keyed digests; the
    /// values are not here.
    #[serde(default)]
    write_only_variables: BTreeMap<String, String>,
    /// Instances imported by the plan, with their ids (absent when there are none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    imports: BTreeMap<String, String>,
    changes: Vec<FileChange>,
    output_changes: Vec<FileOutputChange>,
    drift: Vec<FileChange>,
    /// Results of `check` blocks (absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    checks: Vec<FileCheck>,
    /// Objects left to a later round (absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deferred: Vec<FileDeferred>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct FileDeferred {
    address: String,
    module: String,
    /// The resource's address within its module.
    resource: Option<String>,
    reason: String,
    detail: String,
    existing: Vec<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct FileCheck {
    /// The module instance, empty for the root module.
    module: String,
    name: String,
    status: String,
    problems: Vec<String>,
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    excludes: Vec<String>,
    replace: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    refresh_only: bool,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct FileChange {
    address: String,
    provider: String,
    type_name: String,
    action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    before: Option<StoredValue>,
    after: Option<StoredValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    replace_paths: Vec<Path>,
    #[serde(default)]
    create_before_destroy: bool,
    /// The provider's private bytes, sealed (base64): opaque data a provider may keep
    /// secrets in.
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
    before: Option<StoredValue>,
    after: Option<StoredValue>,
    sensitive: bool,
}

fn write_change(change: &ResourceChange, key: &WorkspaceKey) -> FileChange {
    FileChange {
        address: change.addr.to_string(),
        provider: change.provider.clone(),
        type_name: change.type_name.clone(),
        action: action_name(change.action).to_string(),
        reason: change.reason.map(|r| r.as_str().to_string()),
        before: change.before().map(|v| seal_value(v, key)),
        after: change.after.as_ref().map(|v| seal_value(v, key)),
        replace_paths: change.replace_paths.clone(),
        create_before_destroy: change.create_before_destroy,
        private: change.private.as_ref().map(|p| BASE64.encode(key.seal(p, PRIVATE_CONTEXT))),
        deposed: change.deposed,
        dependencies: change.dependencies.clone(),
    }
}

const ACTIONS: [(Action, &str); 8] = [
    (Action::NoOp, "no-op"),
    (Action::Create, "create"),
    (Action::Read, "read"),
    (Action::Update, "update"),
    (Action::DeleteThenCreate, "delete-then-create"),
    (Action::CreateThenDelete, "create-then-delete"),
    (Action::Delete, "delete"),
    (Action::Forget, "forget"),
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
