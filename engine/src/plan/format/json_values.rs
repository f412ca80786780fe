//! The state-shaped parts of the plan JSON: `planned_values` (what the plan leaves behind)
//! and `prior_state` (what the plan started from, refreshed), each a tree of modules holding
//! resource instances with their attribute values, as Terraform's `jsonplan`/`jsonstate`
//! write them. Both are built from the plan's own changes, so a saved plan shows the state it
//! was made against, not whatever the store holds when it is shown. (So a `--target` plan's
//! `prior_state` holds the instances that plan looked at, not the whole state.)

use std::collections::BTreeMap;

use serde_json::{Map, Value as J};

use super::json::{instance_identity, schema_version};
use super::json_config::ProviderSchemas;
use crate::addr::ModuleInstance;
use crate::config::Config;
use crate::plan::{Action, Plan, ResourceChange};
use crate::value::Value;

/// `planned_values`: every instance that still exists after the plan (deletions left out),
/// its values with unknown attributes left out (`sensitive_values` says which are secret),
/// and the root module's outputs as they will be (a value not known yet is left out).
pub(super) fn planned_values(plan: &Plan, config: Option<&Config>, schemas: &ProviderSchemas) -> J {
    let resources = plan
        .changes
        .iter()
        .filter(|c| c.deposed.is_none() && !matches!(c.action, Action::Delete | Action::Forget))
        .filter_map(|c| c.after.as_ref().map(|after| (c, after)));
    let outputs: Map<String, J> = plan
        .output_changes
        .iter()
        .filter(|o| o.action != Action::Delete)
        .map(|o| (o.name.clone(), output_value(o.after.as_ref(), o.sensitive)))
        .collect();
    let mut values = Map::new();
    values.insert("outputs".into(), J::Object(outputs));
    values.insert("root_module".into(), module_tree(resources, config, schemas));
    J::Object(values)
}

/// `prior_state`: the instances the plan found (refreshed, as the plan compared them) and
/// the root outputs as they were; `None` when there was nothing, as Terraform leaves it out
/// for an empty state.
pub(super) fn prior_state(
    plan: &Plan,
    config: Option<&Config>,
    schemas: &ProviderSchemas,
    format_version: &str,
    tf_version: &str,
) -> Option<J> {
    let resources: Vec<(&ResourceChange, &Value)> =
        plan.changes.iter().filter_map(|c| c.before().map(|before| (c, before))).collect();
    let outputs: Map<String, J> = plan
        .output_changes
        .iter()
        .filter_map(|o| o.before.as_ref().map(|before| (o.name.clone(), output_value(Some(before), o.sensitive))))
        .collect();
    if resources.is_empty() && outputs.is_empty() {
        return None;
    }
    let mut values = Map::new();
    values.insert("outputs".into(), J::Object(outputs));
    values.insert("root_module".into(), module_tree(resources.into_iter(), config, schemas));
    let mut state = Map::new();
    state.insert("format_version".into(), format_version.into());
    state.insert("terraform_version".into(), tf_version.into());
    state.insert("values".into(), J::Object(values));
    Some(J::Object(state))
}

fn output_value(value: Option<&Value>, sensitive: bool) -> J {
    let mut out = Map::new();
    out.insert("sensitive".into(), sensitive.into());
    if let Some(v) = value.filter(|v| v.is_wholly_known()) {
        out.insert("value".into(), v.to_json());
    }
    J::Object(out)
}

/// The module tree of some instances: each module instance lists its own resources (in
/// address order) and its children (in address order); a module with no instance anywhere
/// below it is left out, and one whose only instances are in descendants is kept with an
/// empty list, as Terraform does.
fn module_tree<'p>(
    instances: impl Iterator<Item = (&'p ResourceChange, &'p Value)>,
    config: Option<&Config>,
    schemas: &ProviderSchemas,
) -> J {
    let mut by_module: BTreeMap<ModuleInstance, Vec<J>> = BTreeMap::new();
    for (change, value) in instances {
        let mut module = change.addr.module.clone();
        by_module.entry(module.clone()).or_default().push(resource(change, value, config, schemas));
        // Every ancestor is in the tree, so that a module reached only through a module
        // without resources of its own is not lost.
        while let Some(parent) = module.parent() {
            by_module.entry(parent.clone()).or_default();
            module = parent;
        }
    }
    module_json(&ModuleInstance::root(), &mut by_module)
}

fn module_json(module: &ModuleInstance, by_module: &mut BTreeMap<ModuleInstance, Vec<J>>) -> J {
    let mut resources = by_module.remove(module).unwrap_or_default();
    resources.sort_by(|a, b| a["address"].as_str().cmp(&b["address"].as_str()));
    let children: Vec<ModuleInstance> =
        by_module.keys().filter(|m| m.parent().as_ref() == Some(module)).cloned().collect();
    let mut child_modules: Vec<J> = children.iter().map(|child| module_json(child, by_module)).collect();
    child_modules.sort_by(|a, b| a["address"].as_str().cmp(&b["address"].as_str()));
    let mut out = Map::new();
    if !module.is_root() {
        out.insert("address".into(), module.to_string().into());
    }
    out.insert("resources".into(), J::Array(resources));
    if !child_modules.is_empty() {
        out.insert("child_modules".into(), J::Array(child_modules));
    }
    J::Object(out)
}

fn resource(change: &ResourceChange, value: &Value, config: Option<&Config>, schemas: &ProviderSchemas) -> J {
    let mut out = instance_identity(change, false, config);
    out.insert("schema_version".into(), schema_version(schemas, change).into());
    out.insert("values".into(), omit_unknowns(value).unwrap_or(J::Null));
    out.insert("sensitive_values".into(), value.sensitive_mask());
    if let Some(deposed) = change.deposed {
        out.insert("deposed_key".into(), deposed.to_string().into());
    }
    J::Object(out)
}

/// The JSON of a value with everything unknown left out, as Terraform's `omitUnknowns`:
/// unknown attributes and map entries are dropped, unknown list elements become `null` (a
/// list's length and positions matter), unknown set and tuple elements are dropped.
/// `None` for an unknown value.
pub(super) fn omit_unknowns(value: &Value) -> Option<J> {
    match value {
        Value::Unknown(_) => None,
        Value::Sensitive(inner) => omit_unknowns(inner),
        Value::List(_, items) => Some(J::Array(items.iter().map(|v| omit_unknowns(v).unwrap_or(J::Null)).collect())),
        Value::Set(_, items) | Value::Tuple(items) => Some(J::Array(items.iter().filter_map(omit_unknowns).collect())),
        Value::Map(_, items) | Value::Object(items) => {
            Some(J::Object(items.iter().filter_map(|(k, v)| omit_unknowns(v).map(|j| (k.clone(), j))).collect()))
        }
        known => Some(known.to_json()),
    }
}
