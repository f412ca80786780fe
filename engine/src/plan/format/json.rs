//! The `--json` form of a plan, modelled on Terraform's (`terraform show -json PLAN`), so
//! that policy tools written for it (OPA/conftest, Checkov) read ours with few changes.
//! Sensitive values are written in the clear, as Terraform does, with
//! `before_sensitive`/`after_sensitive` masks saying which they are; a sensitive root
//! variable is written as Terraform writes it, its value with `"sensitive": true` beside it
//! (Terraform marks it in `configuration.root_module.variables`, which we do not emit).
//! Variables that feed write-only attributes are left out, as Terraform leaves out
//! ephemeral ones: their values must never be written anywhere.

use serde_json::{Map, Value as J};

use crate::addr::{InstanceKey, ResourceMode};
use crate::plan::{OutputChange, Plan, ResourceChange};
use crate::value::{Path, PathStep, Value};

/// The `format_version` of [`plan_to_json`]'s document. A consumer may rely on every field
/// of a version; fields are only added within a major version.
pub const JSON_FORMAT_VERSION: &str = "1.0";

/// The plan as Terraform-style JSON. Every instance the plan looked at is listed, no-ops
/// included, as Terraform does.
pub fn plan_to_json(plan: &Plan) -> J {
    let mut document = Map::new();
    document.insert("format_version".into(), JSON_FORMAT_VERSION.into());
    document.insert("corral_version".into(), env!("CARGO_PKG_VERSION").into());
    let variables: Map<String, J> = plan
        .variables
        .iter()
        .filter(|(name, _)| !plan.write_only_variables.contains_key(*name))
        .map(|(name, value)| {
            let mut variable = Map::from_iter([("value".to_string(), value.to_json())]);
            if value.contains_sensitive() {
                variable.insert("sensitive".to_string(), true.into());
            }
            (name.clone(), J::Object(variable))
        })
        .collect();
    document.insert("variables".into(), J::Object(variables));
    document.insert("resource_changes".into(), plan.changes.iter().map(resource_change).collect());
    document.insert("resource_drift".into(), plan.drift.iter().map(resource_change).collect());
    let outputs: Map<String, J> = plan.output_changes.iter().map(|o| (o.name.clone(), output_change(o))).collect();
    document.insert("output_changes".into(), J::Object(outputs));
    document.insert("applyable".into(), plan.has_changes().into());
    document.insert("complete".into(), true.into());
    document.insert("errored".into(), false.into());
    J::Object(document)
}

/// A path as Terraform writes `replace_paths`: `["tags", "env"]`, `["rules", 0]`.
pub fn path_to_json(path: &Path) -> J {
    path.0
        .iter()
        .map(|step| match step {
            PathStep::Attr(name) | PathStep::Key(name) => J::String(name.clone()),
            PathStep::Index(i) => J::from(*i),
        })
        .collect()
}

fn resource_change(change: &ResourceChange) -> J {
    let addr = &change.addr;
    let mut out = Map::new();
    out.insert("address".into(), addr.to_string().into());
    if !addr.module.is_root() {
        out.insert("module_address".into(), addr.module.to_string().into());
    }
    let mode = match addr.resource.mode {
        ResourceMode::Managed => "managed",
        ResourceMode::Data => "data",
    };
    out.insert("mode".into(), mode.into());
    out.insert("type".into(), change.type_name.clone().into());
    out.insert("name".into(), addr.resource.name.clone().into());
    match &addr.key {
        InstanceKey::None => {}
        InstanceKey::Int(i) => {
            out.insert("index".into(), J::from(*i));
        }
        InstanceKey::Str(s) => {
            out.insert("index".into(), J::String(s.clone()));
        }
    }
    out.insert("provider_name".into(), change.provider.clone().into());

    let mut body = Map::new();
    body.insert("actions".into(), change.action.json_actions().iter().map(|a| J::from(*a)).collect());
    body.insert("before".into(), change.before.as_ref().map(Value::to_json).unwrap_or(J::Null));
    body.insert("after".into(), change.after.as_ref().map(Value::to_json).unwrap_or(J::Null));
    body.insert("after_unknown".into(), mask(change.after.as_ref(), Value::unknown_mask));
    body.insert("before_sensitive".into(), mask(change.before.as_ref(), Value::sensitive_mask));
    body.insert("after_sensitive".into(), mask(change.after.as_ref(), Value::sensitive_mask));
    if !change.replace_paths.is_empty() {
        body.insert("replace_paths".into(), change.replace_paths.iter().map(path_to_json).collect());
    }
    out.insert("change".into(), J::Object(body));
    if let Some(reason) = change.reason {
        out.insert("action_reason".into(), reason.as_str().into());
    }
    J::Object(out)
}

fn output_change(change: &OutputChange) -> J {
    let mut body = Map::new();
    body.insert("actions".into(), change.action.json_actions().iter().map(|a| J::from(*a)).collect());
    body.insert("before".into(), change.before.as_ref().map(Value::to_json).unwrap_or(J::Null));
    body.insert("after".into(), change.after.as_ref().map(Value::to_json).unwrap_or(J::Null));
    body.insert("after_unknown".into(), mask(change.after.as_ref(), Value::unknown_mask));
    // As in Terraform, an output is sensitive as a whole.
    body.insert("before_sensitive".into(), change.sensitive.into());
    body.insert("after_sensitive".into(), change.sensitive.into());
    J::Object(body)
}

/// A mask of an optional value; an absent value has nothing unknown or sensitive.
fn mask(value: Option<&Value>, mask_of: fn(&Value) -> J) -> J {
    value.map(mask_of).unwrap_or(J::Bool(false))
}
