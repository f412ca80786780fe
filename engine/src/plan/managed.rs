//! Managed resources of one level of the walk, in three phases: evaluate every instance's
//! configuration (phase 1, one by one), refresh and plan them all through the providers'
//! batch calls ([`instances`](super::instances), phase 2), then record the changes and
//! values in order (phase 3).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use petgraph::stable_graph::NodeIndex;

use crate::addr::{AbsResourceInstance, ConfigResource, InstanceKey, ModuleInstance, ResourceMode};
use crate::config::Resource;
use crate::diag::{Diagnostic, Diagnostics};
use crate::lang;
use crate::provider::{self, Provider};
use crate::runtime::nodes::check_rules;
use crate::runtime::{Expansion, ResolvedResource};
use crate::schema::{ChangeClass, ResourceSchema};
use crate::state::{InstanceState, InstanceStatus};
use crate::value::{PathStep, Type};

use super::decide::{Flags, Lifecycle, Orphan};
use super::instances::{self, Evaluated, InstancePlan, Job};
use super::locate::locate;
use super::orphans::prevent_destroy_error;
use super::planner::{Planner, state_addresses_of};
use super::{Action, ResourceChange};

/// A resource resolved once for a level, with its configured provider.
pub(super) struct ResourceParts<'a> {
    pub(super) resource: ConfigResource,
    pub(super) resolved: ResolvedResource<'a>,
    /// Shared by every resource of its type (see [`Planner::cached_schema`]).
    pub(super) schema: Arc<ResourceSchema>,
    /// The schema's object type, made once per resource type.
    pub(super) ty: Arc<Type>,
    pub(super) provider: Arc<dyn Provider>,
    /// The nearest resources it depends on, recorded with each change.
    pub(super) dependencies: Vec<String>,
    /// Whether anything refers to it (a graph node depends on it). Only references read its
    /// instances' values from the walk's table, so a resource nothing refers to keeps its
    /// expansion there without a copy of every planned value.
    pub(super) referenced: bool,
    pub(super) module_instances: Vec<ModuleInstance>,
}

/// Phase 1's result for one resource in one module instance (`'s`: the state it read).
struct Prepared<'p, 's, 'a> {
    part: &'p ResourceParts<'a>,
    module_instance: &'p ModuleInstance,
    expansion: Expansion,
    instances: Vec<Evaluated<'s>>,
}

/// What phase 1 found for one resource in one module instance: what to plan (nothing when
/// it found errors, or the expansion is unknown or deferred), and what to record.
struct PrepareOutcome<'p, 's, 'a> {
    prepared: Option<Prepared<'p, 's, 'a>>,
    diags: Diagnostics,
    /// An expansion left to a later round, with why.
    deferred: Option<(&'p ModuleInstance, &'p crate::addr::ResourceAddr, String)>,
}

/// Phase 2's result for one resource in one module instance, for phase 3.
type Planned<'p, 'a> = (&'p ResourceParts<'a>, &'p ModuleInstance, Expansion, Vec<InstancePlan>);

impl<'a> Planner<'a> {
    /// What planning a resource needs from configuration, provider and schema; `None`
    /// (with a diagnostic where there is something to say) when one of them is missing.
    pub(super) fn resource_parts(&mut self, index: NodeIndex, resource: &ConfigResource) -> Option<ResourceParts<'a>> {
        let resolved = ResolvedResource::resolve(self.input.config, resource)?;
        let Some((schema, ty)) = self.cached_schema(&resolved) else {
            // Without a provider, its node has reported why.
            if self.providers.contains_key(&resolved.provider) {
                let kind = if resource.resource.mode == ResourceMode::Data { "data source" } else { "resource type" };
                self.diags.push(
                    Diagnostic::error(format!("Invalid {kind}")).with_span(resolved.config.decl_span).with_detail(
                        format!(
                            "The provider `{}` does not support {kind} \"{}\"",
                            resolved.provider.name(),
                            resource.resource.type_name
                        ),
                    ),
                );
            }
            return None;
        };
        let provider = self.providers.get(&resolved.provider).cloned()?;
        let dependencies: Vec<String> =
            self.resource_deps.get(&index).map(|d| d.iter().map(ToString::to_string).collect()).unwrap_or_default();
        let module_instances = self.values.instances_of(&resource.module);
        let referenced = self.input.graph.dependents(index).next().is_some();
        Some(ResourceParts {
            resource: resource.clone(),
            resolved,
            schema,
            ty,
            provider,
            dependencies,
            referenced,
            module_instances,
        })
    }

    /// Plans managed resources that do not depend on each other: configurations are
    /// evaluated one by one, then every instance's refresh and plan runs concurrently
    /// (bounded by `parallelism`), then the changes are recorded one by one.
    pub(super) async fn plan_managed_batch(&mut self, batch: Vec<(NodeIndex, ConfigResource)>) {
        let parts: Vec<ResourceParts<'a>> =
            batch.iter().filter_map(|(index, resource)| self.resource_parts(*index, resource)).collect();
        // The jobs borrow their prior objects from state instead of copying them; phases 1
        // and 2 read nothing else of it, and phase 3 (which removes and deletes) has it back.
        let instances = std::mem::take(&mut self.state.instances);
        let planned = self.evaluate_and_plan(&parts, &instances).await;
        self.state.instances = instances;
        // Phase 3, in order.
        for (part, module_instance, expansion, results) in planned {
            self.finish_managed(part, module_instance, expansion, results).await;
        }
    }

    /// Phases 1 and 2: nothing when phase 1 found errors.
    async fn evaluate_and_plan<'p>(
        &mut self,
        parts: &'p [ResourceParts<'a>],
        instances: &BTreeMap<AbsResourceInstance, InstanceState>,
    ) -> Vec<Planned<'p, 'a>> {
        // Phase 1, per resource and module instance, spread over the cores (a level of a
        // hundred thousand single blocks has as many resources as a `count` has instances).
        let pairs: Vec<(&'p ResourceParts<'a>, &'p ModuleInstance)> =
            parts.iter().flat_map(|part| part.module_instances.iter().map(move |m| (part, m))).collect();
        let this: &Self = self;
        let outcomes = super::parallel::map(pairs, |(part, module_instance)| {
            this.prepare_managed(part, module_instance, instances)
        });
        let mut prepared = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            self.diags.extend(outcome.diags);
            if let Some((module_instance, resource_addr, reason)) = outcome.deferred {
                self.defer_expansion(module_instance, resource_addr, reason);
            }
            prepared.extend(outcome.prepared);
        }
        if self.diags.has_errors() {
            return Vec::new();
        }
        // Phase 2, all together: refreshes and plans through the providers' batch calls.
        // Every vector is made at its final size: a job and an instance's plan are large,
        // and growing vectors of a hundred thousand of them moved and faulted in megabytes.
        let mut jobs = Vec::with_capacity(prepared.iter().map(|p| p.instances.len()).sum());
        let mut planned = Vec::with_capacity(prepared.len());
        for (slot, p) in prepared.into_iter().enumerate() {
            let part = p.part;
            let resolved = &part.resolved;
            let lifecycle = Lifecycle {
                create_before_destroy: self.cbd.contains(&part.resource),
                prevent_destroy: resolved.config.lifecycle.prevent_destroy,
            };
            let count = p.instances.len();
            for instance in p.instances {
                let job = Job {
                    provider: part.provider.clone(),
                    type_name: &resolved.config.addr.type_name,
                    ty: &part.ty,
                    ignore: &resolved.config.lifecycle.ignore_changes,
                    schema: &part.schema,
                    lifecycle,
                    instance,
                };
                jobs.push((slot, job));
            }
            planned.push((part, p.module_instance, p.expansion, Vec::with_capacity(count)));
        }
        for chunk in instances::plan_all(jobs, self.input.options.refresh, self.input.parallelism).await {
            for (slot, result) in chunk {
                planned[slot].3.push(result);
            }
        }
        planned
    }

    /// Phase 1: expansion, and every instance's configuration, preconditions and flags.
    /// Reads the planner only, so resources are prepared side by side; what it finds is
    /// recorded by the caller, in order.
    fn prepare_managed<'p, 's>(
        &self,
        part: &'p ResourceParts<'a>,
        module_instance: &'p ModuleInstance,
        state: &'s BTreeMap<AbsResourceInstance, InstanceState>,
    ) -> PrepareOutcome<'p, 's, 'a> {
        let resolved = &part.resolved;
        let config = resolved.config;
        let resource_addr = &config.addr;
        let (expansion, keys, diags) = resolved.expand(&self.values, module_instance);
        let mut outcome = PrepareOutcome { prepared: None, diags, deferred: None };
        if let Expansion::Deferred { reason } = expansion {
            outcome.deferred = Some((module_instance, resource_addr, reason));
            return outcome;
        }
        if matches!(expansion, Expansion::Unknown) {
            return outcome;
        }
        let triggered = self.triggered(config, module_instance);
        // Each instance's configuration is evaluated on its own, spread over the cores;
        // diagnostics are gathered in instance order.
        let evaluated = super::parallel::map(keys, |(key, repetition)| {
            let addr = AbsResourceInstance { module: module_instance.clone(), resource: resource_addr.clone(), key };
            let scope = resolved.scope(&self.values, module_instance, &repetition);
            let mut diags = check_rules(&config.lifecycle.preconditions, &scope, "Resource precondition failed");
            let (config_value, d) = resolved.evaluate(&part.schema.block, &self.values, module_instance, &repetition);
            diags.extend(d);
            let validation = part.provider.validate_resource(provider::ValidateResourceRequest {
                type_name: resource_addr.type_name.clone(),
                config: config_value.clone().without_marks(),
            });
            diags.extend(locate(validation.diagnostics, config));
            let prior = state.get(&addr);
            let flags = Flags {
                replace_requested: self.input.options.replace.contains(&addr),
                tainted: prior.as_ref().is_some_and(|s| s.status == InstanceStatus::Tainted),
                triggered,
            };
            let targeted = self.targeted(&addr);
            // The schema's sensitive attributes are not marked here: `remark` marks them on
            // the planned value, and marks on the configuration would only be stripped
            // again for the provider and collected again for `remark`.
            (Evaluated { addr, repetition, config_value, prior, flags, targeted }, diags)
        });
        let mut instances = Vec::with_capacity(evaluated.len());
        for (instance, diags) in evaluated {
            outcome.diags.extend(diags);
            instances.push(instance);
        }
        if !outcome.diags.has_errors() {
            outcome.prepared = Some(Prepared { part, module_instance, expansion, instances });
        }
        outcome
    }

    /// Whether a `replace_triggered_by` reference of the resource points at an instance with
    /// a change. The references are graph edges, so their resources were planned in earlier
    /// levels.
    fn triggered(&self, config: &Resource, module_instance: &ModuleInstance) -> bool {
        config.lifecycle.replace_triggered_by.iter().any(|expr| {
            lang::references(expr).iter().any(|reference| match &reference.subject {
                lang::Subject::Resource(addr) => self.changes.iter().any(|((a, _), c)| {
                    a.module == *module_instance
                        && a.resource == *addr
                        && c.action != Action::NoOp
                        && reference_selects(&reference.rest, &a.key)
                }),
                _ => false,
            })
        })
    }

    /// Phase 3: record changes, drift and values, check what the decisions refuse and the
    /// postconditions, and delete the instances the expansion no longer has.
    async fn finish_managed(
        &mut self,
        part: &ResourceParts<'_>,
        module_instance: &ModuleInstance,
        expansion: Expansion,
        results: Vec<InstancePlan>,
    ) {
        let resolved = &part.resolved;
        let config = resolved.config;
        let mut instance_values = BTreeMap::new();
        let mut planned_keys = HashSet::with_capacity(results.len());
        // Once per resource, not per instance.
        let provider_name = resolved.provider.to_string();
        for result in results {
            self.diags.extend(locate(result.diags, config));
            if let Some(drift) = result.drift {
                self.drift.push(*drift);
            }
            if result.gone {
                self.state.instances.remove(&result.addr);
            }
            planned_keys.insert(result.addr.key.clone());
            let Some(mut change) = result.change else { continue };
            change.provider.clone_from(&provider_name);
            change.dependencies = part.dependencies.clone();
            if !self.targeted(&result.addr) {
                if let Some(before) = change.before().filter(|_| part.referenced) {
                    instance_values.insert(result.addr.key.clone(), before.clone());
                }
                continue;
            }
            let decision = result.decision;
            if decision.is_some_and(|d| d.cannot_update()) {
                self.diags.extend(immutable_errors(&change, &part.schema, config));
            }
            self.diags.extend(locate(result.create_plan_diags, config));
            if decision.is_some_and(|d| d.prevented) {
                self.diags.push(prevent_destroy_error(&change.addr, config));
            }
            // A postcondition whose outcome depends on values known only after apply is
            // unknown now and checked again after apply.
            if let Some(after) = change.after.as_ref().filter(|_| !config.lifecycle.postconditions.is_empty()) {
                let mut scope = resolved.scope(&self.values, module_instance, &result.repetition);
                scope.self_value = Some(after.clone());
                self.diags.extend(check_rules(
                    &config.lifecycle.postconditions,
                    &scope,
                    "Resource postcondition failed",
                ));
            }
            if change.action != Action::NoOp {
                self.pending.insert(result.addr.config_resource());
            }
            if !matches!(change.action, Action::NoOp | Action::Update) {
                self.pending_new.insert(result.addr.config_resource());
            }
            if let Some(after) = change.after.as_ref().filter(|_| part.referenced) {
                instance_values.insert(result.addr.key.clone(), after.clone());
            }
            self.changes.insert((result.addr, None), change);
        }
        // Instances in state that the expansion no longer has.
        let orphans: Vec<AbsResourceInstance> = state_addresses_of(&self.state, module_instance, &config.addr)
            .filter(|a| !planned_keys.contains(&a.key))
            .cloned()
            .collect();
        for addr in orphans {
            let key = addr.key.clone();
            let orphan = Orphan::NotExpanded { expansion: &expansion, key: &key };
            self.plan_orphan_delete(addr, orphan, (*part.ty).clone(), Some(config)).await;
        }
        self.values.module_mut(module_instance).resources.insert(config.addr.clone(), (expansion, instance_values));
    }
}

/// A replacement forced by attributes whose change class is `Immutable` is refused: the
/// object holds something that replacing it loses.
fn immutable_errors(change: &ResourceChange, schema: &ResourceSchema, config: &Resource) -> Diagnostics {
    let mut out = Diagnostics::new();
    for path in &change.replace_paths {
        if let Some(PathStep::Attr(name)) = path.0.first()
            && let Some(attr) = schema.block.attributes.get(name)
            && let ChangeClass::Immutable { reason } = &attr.change
        {
            out.push(
                Diagnostic::error(format!("Cannot change `{name}` of {}", change.addr))
                    .with_span(config.body.attributes.get(name).map(|a| a.span).unwrap_or(config.decl_span))
                    .with_detail(format!("Changing `{name}` requires replacing the object, and {reason}"))
                    .with_help(format!(
                        "if losing it is really intended, run again with `--replace '{}'`",
                        change.addr
                    )),
            );
        }
    }
    out
}

/// Whether a reference's index or key (if any) selects the instance with `key`.
fn reference_selects(rest: &[PathStep], key: &InstanceKey) -> bool {
    match (rest.first(), key) {
        (Some(PathStep::Index(i)), InstanceKey::Int(k)) => i == k,
        (Some(PathStep::Key(s)), InstanceKey::Str(k)) => s == k,
        (Some(PathStep::Index(_)) | Some(PathStep::Key(_)), _) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_selects_its_instance_or_all() {
        let index = [PathStep::Index(1)];
        let key = [PathStep::Key("a".to_string())];
        assert!(reference_selects(&index, &InstanceKey::Int(1)));
        assert!(!reference_selects(&index, &InstanceKey::Int(2)));
        assert!(!reference_selects(&index, &InstanceKey::Str("a".to_string())));
        assert!(reference_selects(&key, &InstanceKey::Str("a".to_string())));
        assert!(!reference_selects(&key, &InstanceKey::None));
        assert!(reference_selects(&[PathStep::Attr("id".to_string())], &InstanceKey::Int(0)));
        assert!(reference_selects(&[], &InstanceKey::None));
    }
}
