//! `Apply` and `Destroy` tasks: a resource's instances. An `Apply` task expands the resource
//! again in every module instance (upstream values are known now), runs the operation of each
//! planned instance concurrently, and records every instance's value for its dependents; a
//! `Destroy` task deletes the resource's planned deletions concurrently.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use futures::stream::{FuturesUnordered, StreamExt};

use crate::addr::{AbsResourceInstance, ConfigResource, InstanceKey, ModuleInstance, ResourceMode};
use crate::diag::Diagnostic;
use crate::plan::{Action, ResourceChange};
use crate::runtime::{Expansion, RepetitionData, ResolvedResource};

use super::events::InstanceOutcome;
use super::instance::InstanceResult;
use super::walk::{Walker, lock};

impl Walker<'_> {
    pub(super) async fn run_apply(&self, resource: &ConfigResource) -> bool {
        if self.input.plan.options.destroy {
            // Destroying creates and reads nothing.
            return true;
        }
        // A deferred resource waits for a later round: nothing is applied or read for it,
        // and what refers to it sees an unknown value (its dependents are deferred too).
        let deferred = self.input.plan.has_deferred();
        if deferred && self.input.plan.is_deferred(&resource.to_string()) {
            return true;
        }
        let Some(resolved) = ResolvedResource::resolve(self.input.config, resource) else { return true };
        let Some(provider) = self.configure_provider(&resolved.provider).await else { return false };
        let Some(schema) = resolved.schema(self.input.registry) else {
            return self.report(
                Diagnostic::error(format!("Provider `{}` has no schema for {}", resolved.provider.name(), resource))
                    .into(),
            );
        };
        let planned: HashMap<&AbsResourceInstance, &ResourceChange> = self
            .changes
            .get(resource)
            .into_iter()
            .flatten()
            .filter(|c| c.deposed.is_none())
            .map(|c| (&c.addr, *c))
            .collect();
        let module_instances = lock(&self.values).instances_of(&resource.module);
        let mut ok = true;
        for module_instance in module_instances {
            if deferred {
                let address = if module_instance.is_root() {
                    resource.resource.to_string()
                } else {
                    format!("{module_instance}.{}", resource.resource)
                };
                if self.input.plan.is_deferred(&address) {
                    continue;
                }
            }
            let (expansion, keys, diags) = resolved.expand(&lock(&self.values), &module_instance);
            if !self.report(diags) {
                self.fail_unexpanded(&module_instance, &planned, "the count or for_each could not be evaluated");
                ok = false;
                continue;
            }
            if let Some(diag) = self.keys_changed(resource, &resolved, &module_instance, &planned, &keys) {
                // Applying the keys that still match would leave the others silently undone.
                self.report(diag.into());
                self.fail_unexpanded(
                    &module_instance,
                    &planned,
                    "the count or for_each gave other keys than during the plan",
                );
                ok = false;
                continue;
            }
            let mut ops = FuturesUnordered::new();
            let mut instance_values = BTreeMap::new();
            for (key, repetition) in keys {
                let addr = AbsResourceInstance {
                    module: module_instance.clone(),
                    resource: resource.resource.clone(),
                    key: key.clone(),
                };
                let change = planned.get(&addr).copied();
                if resource.resource.mode == ResourceMode::Data {
                    ops.push(
                        self.read_data(addr, change, repetition, &resolved, &schema, provider.clone()).boxed_local_op(),
                    );
                    continue;
                }
                match change {
                    Some(change)
                        if matches!(
                            change.action,
                            Action::Create | Action::Update | Action::DeleteThenCreate | Action::CreateThenDelete
                        ) =>
                    {
                        ops.push(
                            self.create_or_update(change, repetition, &resolved, &schema, provider.clone())
                                .boxed_local_op(),
                        );
                    }
                    Some(change) if matches!(change.action, Action::Delete | Action::Forget) => {}
                    Some(change) => {
                        if change.action == Action::NoOp && self.input.plan.importing(&addr).is_some() {
                            ok &= self.record_import(change, &schema).await;
                        }
                        if let Some(v) = change.after.clone().or_else(|| change.before().cloned()) {
                            instance_values.insert(key, v);
                        }
                    }
                    None => {
                        // Not in the plan (outside `--target`): what state says.
                        if let Some(state) = self.input.state.instances.get(&addr) {
                            instance_values.insert(key, crate::plan::decode_state_value(state, &schema.block.ty()));
                        }
                    }
                }
            }
            while let Some((key, value, success)) = ops.next().await {
                ok &= success;
                if let Some(value) = value {
                    instance_values.insert(key, value);
                }
            }
            let expansion = match expansion {
                Expansion::Count(_) => Expansion::Count(instance_values.len()),
                other => other,
            };
            lock(&self.values)
                .module_mut(&module_instance)
                .resources
                .insert(resource.resource.clone(), (expansion, instance_values));
        }
        ok
    }

    /// Records the planned changes of the resource in `module_instance` as failed, none of
    /// them started: its expansion failed, so the summary counts them (in address order).
    fn fail_unexpanded(
        &self,
        module_instance: &ModuleInstance,
        planned: &HashMap<&AbsResourceInstance, &ResourceChange>,
        why: &str,
    ) {
        let mut undone: Vec<&ResourceChange> = planned
            .values()
            .filter(|c| c.addr.module == *module_instance)
            .filter(|c| !matches!(c.action, Action::Delete | Action::Forget | Action::NoOp))
            .copied()
            .collect();
        undone.sort_by_key(|c| c.addr.to_string());
        for change in undone {
            self.record(&change.addr, change.action, InstanceOutcome::Failed(why.to_string()), Instant::now());
        }
    }

    /// The plan's instances of the resource in `module_instance` against its expansion now:
    /// a planned create, update, replace or read whose key is gone, or a key neither
    /// planned nor in state, means `count`/`for_each` gave other keys than during the plan
    /// (an impure function such as `uuid()` in them); applying the rest would silently
    /// leave part of the plan undone.
    fn keys_changed(
        &self,
        resource: &ConfigResource,
        resolved: &ResolvedResource<'_>,
        module_instance: &ModuleInstance,
        planned: &HashMap<&AbsResourceInstance, &ResourceChange>,
        keys: &[(InstanceKey, RepetitionData)],
    ) -> Option<Diagnostic> {
        let expanded: BTreeSet<&InstanceKey> = keys.iter().map(|(k, _)| k).collect();
        let missing: BTreeSet<&InstanceKey> = planned
            .iter()
            .filter(|(addr, change)| {
                addr.module == *module_instance
                    && matches!(
                        change.action,
                        Action::Create
                            | Action::Update
                            | Action::DeleteThenCreate
                            | Action::CreateThenDelete
                            | Action::Read
                    )
                    && !expanded.contains(&addr.key)
            })
            .map(|(addr, _)| &addr.key)
            .collect();
        let options = &self.input.plan.options;
        // Data sources read during the plan, a refresh-only plan, `--target` and `-exclude`
        // (which also leaves out the dependents of what it names) leave instances without a
        // change: only a managed resource's instances a target names (any, without
        // targets) must all be planned or in state.
        let check_new =
            resource.resource.mode == ResourceMode::Managed && !options.refresh_only && options.excludes.is_empty();
        let new: Vec<&InstanceKey> = expanded
            .iter()
            .copied()
            .filter(|key| {
                let addr = AbsResourceInstance {
                    module: module_instance.clone(),
                    resource: resource.resource.clone(),
                    key: (*key).clone(),
                };
                check_new
                    && !planned.contains_key(&addr)
                    && !self.input.state.instances.contains_key(&addr)
                    && (options.targets.is_empty() || options.targets.iter().any(|t| t.contains(&addr)))
            })
            .collect();
        if missing.is_empty() && new.is_empty() {
            return None;
        }
        let (argument, expr) = match (&resolved.config.count, &resolved.config.for_each) {
            (Some(expr), _) => ("count", Some(expr)),
            (None, Some(expr)) => ("for_each", Some(expr)),
            (None, None) => ("expansion", None),
        };
        let address = if module_instance.is_root() {
            resource.resource.to_string()
        } else {
            format!("{module_instance}.{}", resource.resource)
        };
        let list = |keys: Vec<&InstanceKey>| {
            keys.iter()
                .map(|k| if **k == InstanceKey::None { "(no key)".to_string() } else { k.to_string() })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!("planned {} missing", list(missing.into_iter().collect())));
        }
        if !new.is_empty() {
            parts.push(format!("{} new", list(new)));
        }
        let diag = Diagnostic::error(format!(
            "the {argument} of {address} gave other keys during apply than during the plan: {}; instance keys must not depend on values that change between plan and apply (uuid(), timestamp(), ...)",
            parts.join(", ")
        ));
        Some(match expr {
            Some(expr) => diag.with_span(expr.span),
            None => diag,
        })
    }

    pub(super) async fn run_destroy(&self, resource: &ConfigResource) -> bool {
        let mut ops = FuturesUnordered::new();
        let mut ok = true;
        for change in self.changes.get(resource).into_iter().flatten() {
            if change.action == Action::Forget {
                ok &= self.forget(change).await;
                continue;
            }
            if !matches!(change.action, Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete) {
                continue;
            }
            ops.push(self.delete_one(change));
        }
        while let Some(success) = ops.next().await {
            ok &= success;
        }
        ok
    }
}

/// Lets the per-instance futures of different kinds share one `FuturesUnordered`.
trait BoxedOp<'f> {
    fn boxed_local_op(self) -> futures::future::LocalBoxFuture<'f, InstanceResult>;
}

impl<'f, F> BoxedOp<'f> for F
where
    F: std::future::Future<Output = InstanceResult> + 'f,
{
    fn boxed_local_op(self) -> futures::future::LocalBoxFuture<'f, InstanceResult> {
        Box::pin(self)
    }
}
