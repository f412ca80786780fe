//! The `--json` form of a plan, in the shape of Terraform's (`terraform show -json PLAN`,
//! <https://developer.hashicorp.com/terraform/internals/json-format>), so that the tools
//! teams already run on Terraform plans (Checkov, Infracost, OPA/conftest policies) read
//! ours unchanged: `format_version`, `terraform_version`, `variables`, `planned_values`,
//! `resource_changes`, `resource_drift`, `output_changes`, `prior_state` and
//! `configuration` (this module and `json_values`, `json_config`), and `checks`.
//!
//! Versions:
//! - `format_version` is this document's own version, with Terraform's meaning for it: a
//!   consumer may rely on every field of a version, fields are only added within a major
//!   version (the minor goes up when they are), and a new major breaks consumers. 1.0 had
//!   `resource_changes`, `resource_drift`, `output_changes` and `variables`; 1.1 adds
//!   `terraform_version`, `planned_values`, `prior_state` and `configuration`, and leaves
//!   unknown values out of `change.after` (Terraform never wrote them there; `after_unknown`
//!   says which they are); 1.2 adds `checks` (the results of `check` blocks, as Terraform
//!   1.5 writes them, present when the configuration has any). Consumers accept any 1.x: HashiCorp's `terraform-json` reads
//!   `>= 0.1, < 2.0`, Checkov and Infracost look at the fields, not the version.
//! - `terraform_version` is the Terraform release whose language and behaviour Corral
//!   follows (1.0.3, the reference its differences are tested against), not a Corral
//!   version (`corral_version` holds that): Checkov takes a document as a plan only when this
//!   field is present, and policies that compare it with a minimum Terraform version
//!   compare it with what Corral is compatible with.
//!
//! Secrets: sensitive values are written in the clear, as Terraform does, with
//! `before_sensitive`/`after_sensitive`/`sensitive_values` masks saying which they are; a
//! sensitive root variable is written as Terraform writes it, its value with
//! `"sensitive": true` beside it (and `configuration` marks its declaration). Variables that
//! feed write-only attributes are left out everywhere (their values, and in `configuration`
//! their defaults), as Terraform leaves out ephemeral ones: their values must never be
//! written anywhere; write-only attributes hold only their keyed digests, and their
//! constants in `configuration` are not written either.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as J};

use super::json_config::{ProviderSchemas, configuration};
use super::json_values::{omit_unknowns, planned_values, prior_state};
use crate::addr::{InstanceKey, ResourceMode};
use crate::config::Config;
use crate::plan::{ActionReason, OutputChange, Plan, ResourceChange};
use crate::provider::ProviderRegistry;
use crate::runtime::{CheckResult, CheckStatus, provider_key, provider_source};
use crate::value::{Path, PathStep, Value};

/// The `format_version` of [`plan_to_json`]'s document (see the module documentation).
pub const JSON_FORMAT_VERSION: &str = "1.2";

/// The `terraform_version` written (see the module documentation).
pub const TERRAFORM_COMPATIBLE_VERSION: &str = "1.0.3";

/// The plan as Terraform-style JSON. Every instance the plan looked at is listed in
/// `resource_changes`, no-ops included, as Terraform does. `config` is the configuration the
/// plan was made from (`None` leaves `configuration` out); `schemas` gives schema versions
/// and says which attributes are write-only ([`provider_schemas`]).
pub fn plan_to_json(plan: &Plan, config: Option<&Config>, schemas: &ProviderSchemas) -> J {
    let mut document = Map::new();
    document.insert("format_version".into(), JSON_FORMAT_VERSION.into());
    document.insert("terraform_version".into(), TERRAFORM_COMPATIBLE_VERSION.into());
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
    document.insert("planned_values".into(), planned_values(plan, config, schemas));
    document.insert(
        "resource_changes".into(),
        plan.changes
            .iter()
            .map(|c| resource_change(c, plan.importing(&c.addr).filter(|_| c.deposed.is_none()), config))
            .collect(),
    );
    document.insert("resource_drift".into(), plan.drift.iter().map(|c| resource_change(c, None, config)).collect());
    if plan.has_deferred() {
        document.insert("deferred_changes".into(), plan.deferred.iter().filter_map(deferred_change).collect());
    }
    let outputs: Map<String, J> = plan.output_changes.iter().map(|o| (o.name.clone(), output_change(o))).collect();
    document.insert("output_changes".into(), J::Object(outputs));
    if let Some(prior) = prior_state(plan, config, schemas, JSON_FORMAT_VERSION, TERRAFORM_COMPATIBLE_VERSION) {
        document.insert("prior_state".into(), prior);
    }
    if let Some(config) = config {
        let write_only: BTreeSet<String> = plan.write_only_variables.keys().cloned().collect();
        document.insert("configuration".into(), configuration(config, schemas, &write_only));
    }
    if !plan.checks.is_empty() {
        document.insert("checks".into(), checks(&plan.checks));
    }
    document.insert("applyable".into(), plan.has_changes().into());
    // Terraform 1.9's meaning: applying this plan does not finish the job.
    document.insert("complete".into(), (!plan.has_deferred()).into());
    document.insert("errored".into(), false.into());
    J::Object(document)
}

/// A deferred resource as Terraform 1.9+ writes it in `deferred_changes`: the reason and a
/// `resource_change` whose change is the create a later round will plan, every value
/// unknown. Deferred outputs and module calls are not resources and are not listed.
fn deferred_change(deferred: &crate::plan::DeferredChange) -> Option<J> {
    let resource = deferred.resource.as_ref()?;
    let mut change = Map::new();
    change.insert("address".into(), deferred.address.clone().into());
    if !deferred.module.is_empty() {
        change.insert("module_address".into(), deferred.module.clone().into());
    }
    let mode = match resource.mode {
        ResourceMode::Managed => "managed",
        ResourceMode::Data => "data",
    };
    change.insert("mode".into(), mode.into());
    change.insert("type".into(), resource.type_name.clone().into());
    change.insert("name".into(), resource.name.clone().into());
    let action = if resource.mode == ResourceMode::Data { "read" } else { "create" };
    change.insert(
        "change".into(),
        serde_json::json!({
            "actions": [action],
            "before": null,
            "after": null,
            "after_unknown": true,
            "before_sensitive": false,
            "after_sensitive": false,
        }),
    );
    let mut out = Map::new();
    out.insert("reason".into(), deferred.reason.as_str().into());
    out.insert("resource_change".into(), J::Object(change));
    Some(J::Object(out))
}

/// The schemas of the providers a plan and its configuration use, from the registry (a
/// schema may launch a plugin, so only these are asked).
pub fn provider_schemas(plan: &Plan, config: Option<&Config>, registry: &ProviderRegistry) -> ProviderSchemas {
    let mut names: BTreeSet<String> =
        plan.changes.iter().chain(&plan.drift).map(|c| provider_key(&c.provider).name().to_string()).collect();
    for module in config.iter().flat_map(|c| c.modules()) {
        names.extend(module.providers.iter().map(|p| p.name.clone()));
        names.extend(module.resources.values().map(|r| r.provider.name.clone()));
    }
    names.into_iter().filter_map(|name| registry.get(&name).map(|f| (name, f.schema()))).collect()
}

/// The schema version of a change's resource type; 0 when its schema is not known.
pub(super) fn schema_version(schemas: &ProviderSchemas, change: &ResourceChange) -> u64 {
    let Some(schema) = schemas.get(provider_key(&change.provider).name()) else { return 0 };
    let resource = match change.addr.resource.mode {
        ResourceMode::Managed => schema.resources.get(&change.type_name),
        ResourceMode::Data => schema.data_sources.get(&change.type_name),
    };
    resource.map_or(0, |r| r.version)
}

/// What names an instance, in `resource_changes` and the state-shaped parts alike:
/// `address`, (in `resource_changes`, for an instance in a module) `module_address`, `mode`,
/// `type`, `name`, `index` (for `count`/`for_each` instances) and `provider_name` (the
/// provider's full source address, as Terraform writes it; see [`provider_source`]).
pub(super) fn instance_identity(
    change: &ResourceChange,
    module_address: bool,
    config: Option<&Config>,
) -> Map<String, J> {
    let addr = &change.addr;
    let mut out = Map::new();
    out.insert("address".into(), addr.to_string().into());
    if module_address && !addr.module.is_root() {
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
    out.insert("provider_name".into(), provider_source(config, &provider_key(&change.provider)).into());
    out
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

/// One entry of `resource_changes`; `importing` is the id the instance is imported by
/// (Terraform 1.5's `change.importing`).
fn resource_change(change: &ResourceChange, importing: Option<&str>, config: Option<&Config>) -> J {
    let mut out = instance_identity(change, true, config);
    if let Some(deposed) = change.deposed {
        out.insert("deposed".into(), deposed.to_string().into());
    }

    let mut body = Map::new();
    body.insert("actions".into(), change.action.json_actions().iter().map(|a| J::from(*a)).collect());
    body.insert("before".into(), change.before().map(Value::to_json).unwrap_or(J::Null));
    // Unknown values are left out, as Terraform leaves them out; `after_unknown` names them.
    body.insert("after".into(), change.after.as_ref().and_then(omit_unknowns).unwrap_or(J::Null));
    body.insert("after_unknown".into(), mask(change.after.as_ref(), Value::unknown_mask));
    body.insert("before_sensitive".into(), mask(change.before(), Value::sensitive_mask));
    body.insert("after_sensitive".into(), mask(change.after.as_ref(), Value::sensitive_mask));
    if !change.replace_paths.is_empty() {
        body.insert("replace_paths".into(), change.replace_paths.iter().map(path_to_json).collect());
    }
    if let Some(id) = importing {
        body.insert("importing".into(), J::Object(Map::from_iter([("id".to_string(), J::from(id))])));
    }
    out.insert("change".into(), J::Object(body));
    if let Some(reason) = change.reason {
        // Terraform's `action_reason` is a closed set: a read to confirm is, in its terms, a
        // read because a dependency has pending changes (whose `after` happens to be known).
        let reason = match reason {
            ActionReason::ReadToConfirm => ActionReason::ReadBecauseDependencyPending,
            other => other,
        };
        out.insert("action_reason".into(), reason.as_str().into());
    }
    J::Object(out)
}

/// Terraform's `checks`: one entry per `check` block, with the result in each module
/// instance and the error message of each failed assertion.
fn checks(results: &[CheckResult]) -> J {
    let mut by_block: BTreeMap<(String, String), Vec<&CheckResult>> = BTreeMap::new();
    for result in results {
        by_block.entry((result.module.path().to_string(), result.name.clone())).or_default().push(result);
    }
    let entries = by_block.into_iter().map(|((module, name), instances)| {
        let mut address = Map::new();
        address.insert("kind".into(), "check".into());
        address.insert("name".into(), name.clone().into());
        if !module.is_empty() {
            address.insert("module".into(), module.clone().into());
        }
        let display = if module.is_empty() { format!("check.{name}") } else { format!("{module}.check.{name}") };
        address.insert("to_display".into(), display.into());
        let worst = instances.iter().map(|r| r.status).max_by_key(|s| match s {
            CheckStatus::Pass => 0,
            CheckStatus::Unknown => 1,
            CheckStatus::Fail => 2,
            CheckStatus::Error => 3,
        });
        let instances: Vec<J> = instances
            .iter()
            .map(|r| {
                let mut instance_address = Map::new();
                if !r.module.is_root() {
                    instance_address.insert("module".into(), r.module.to_string().into());
                }
                instance_address.insert("to_display".into(), r.address().into());
                let mut instance = Map::new();
                instance.insert("address".into(), J::Object(instance_address));
                instance.insert("status".into(), r.status.as_str().into());
                if !r.problems.is_empty() {
                    let problems = r.problems.iter().map(|m| serde_json::json!({ "message": m })).collect();
                    instance.insert("problems".into(), J::Array(problems));
                }
                J::Object(instance)
            })
            .collect();
        serde_json::json!({
            "address": J::Object(address),
            "status": worst.unwrap_or(CheckStatus::Unknown).as_str(),
            "instances": instances,
        })
    });
    J::Array(entries.collect())
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
