//! The state as Terraform 1.0.3's `terraform show -json` writes it (its `jsonstate`):
//! `format_version` 0.2, `terraform_version`, and `values` with the root outputs and the
//! `root_module` tree (each module's resources sorted by address, then its `child_modules`).
//! Each resource instance has `address`, `mode`, `type`, `name`, `index`, `provider_name` (the
//! full source address, `registry.terraform.io/corral/kmr`),
//! `schema_version`, `values` (the stored attributes), `sensitive_values` (the shape of the
//! values with `true` where a value is sensitive), and `depends_on` and `tainted` when they
//! apply. An empty state is `{"format_version":"0.2"}`, as Terraform writes it.

use std::collections::BTreeMap;

use serde_json::{Map, Value as J};

use super::json::TERRAFORM_COMPATIBLE_VERSION;
use crate::addr::{AbsResourceInstance, InstanceKey, ModuleInstance, ResourceMode};
use crate::config::Config;
use crate::runtime::{provider_key, provider_source};
use crate::state::{InstanceState, InstanceStatus, State};
use crate::value::Type;

/// The `format_version` of Terraform's state JSON.
pub const STATE_JSON_FORMAT_VERSION: &str = "0.2";

/// `config`, when there is one, gives each provider's `source` (`provider_name` is the full
/// source address); without it the default namespace is assumed.
pub fn state_to_json(state: &State, config: Option<&Config>) -> J {
    let mut out = Map::new();
    out.insert("format_version".into(), STATE_JSON_FORMAT_VERSION.into());
    if state.instances.is_empty() && state.outputs.is_empty() {
        return J::Object(out);
    }
    out.insert("terraform_version".into(), TERRAFORM_COMPATIBLE_VERSION.into());
    let outputs: Map<String, J> = state
        .outputs
        .iter()
        .map(|(name, output)| {
            let mut o = Map::new();
            o.insert("sensitive".into(), output.sensitive.into());
            o.insert("value".into(), output.value.clone());
            (name.clone(), J::Object(o))
        })
        .collect();
    let mut by_module: BTreeMap<ModuleInstance, Vec<J>> = BTreeMap::new();
    for (addr, instance) in &state.instances {
        let mut module = addr.module.clone();
        by_module.entry(module.clone()).or_default().push(resource(addr, instance, config));
        while let Some(parent) = module.parent() {
            by_module.entry(parent.clone()).or_default();
            module = parent;
        }
    }
    let mut values = Map::new();
    if !outputs.is_empty() {
        values.insert("outputs".into(), J::Object(outputs));
    }
    values.insert("root_module".into(), module_json(&ModuleInstance::root(), &mut by_module));
    out.insert("values".into(), J::Object(values));
    J::Object(out)
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
    // Terraform leaves out an empty list (`"root_module":{}` for a state of outputs only).
    if !resources.is_empty() {
        out.insert("resources".into(), J::Array(resources));
    }
    if !child_modules.is_empty() {
        out.insert("child_modules".into(), J::Array(child_modules));
    }
    J::Object(out)
}

fn resource(addr: &AbsResourceInstance, instance: &InstanceState, config: Option<&Config>) -> J {
    let mut out = Map::new();
    out.insert("address".into(), addr.to_string().into());
    let mode = match addr.resource.mode {
        ResourceMode::Managed => "managed",
        ResourceMode::Data => "data",
    };
    out.insert("mode".into(), mode.into());
    out.insert("type".into(), addr.resource.type_name.clone().into());
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
    out.insert("provider_name".into(), provider_source(config, &provider_key(&instance.provider)).into());
    out.insert("schema_version".into(), instance.schema_version.into());
    out.insert("values".into(), instance.attributes.clone());
    let marked = super::super::values::decode_state(instance, &Type::Dynamic);
    out.insert("sensitive_values".into(), marked.sensitive_mask());
    if !instance.dependencies.is_empty() {
        let mut deps = instance.dependencies.clone();
        deps.sort();
        out.insert("depends_on".into(), deps.into());
    }
    if instance.status == InstanceStatus::Tainted {
        out.insert("tainted".into(), true.into());
    }
    J::Object(out)
}
