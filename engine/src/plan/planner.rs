//! Making a plan: walk the configuration graph in dependency order, evaluating each node
//! for every module instance, refreshing and planning resource instances through their
//! providers, and deciding an action (with a reason) for each.
//!
//! The walk is sequential over graph nodes; the provider calls of one resource's instances
//! run concurrently (bounded by `parallelism`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use petgraph::stable_graph::NodeIndex;
use tracing::{Instrument, debug, info_span};

use crate::addr::{AbsResourceInstance, ConfigResource, InstanceKey, ModuleInstance, ModulePath, ResourceMode, Target};
use crate::config::{Config, IgnoreChanges, Module, Resource};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::graph::{ConfigGraph, Node};
use crate::lang;
use crate::provider::{self, Provider, ProviderRegistry};
use crate::runtime::nodes::{self, check_rules, null_object};
use crate::runtime::{
    Expansion, InstanceScope, ProviderAddr, RepetitionData, Values, expand, provider_key, resolve_provider,
};
use crate::schema::{BlockSchema, ChangeClass, ResourceSchema};
use crate::state::{InstanceState, InstanceStatus, Intent, IntentAction, State, StateChange};
use crate::value::{PathStep, Type, Value};

use super::instances::{self, InstancePlan, Job};
use super::variables::root_variable_value;
use super::{Action, ActionReason, InputValues, OutputChange, Plan, PlanBasis, PlanOptions, ResourceChange};

/// Everything a plan is made from.
pub struct PlanInput<'a> {
    pub config: &'a Config,
    pub graph: &'a ConfigGraph,
    pub state: State,
    pub registry: &'a ProviderRegistry,
    pub variables: &'a InputValues,
    pub options: PlanOptions,
    pub workspace: String,
    /// `.corral/` of the working directory.
    pub data_dir: PathBuf,
    pub cwd: PathBuf,
    pub parallelism: usize,
    /// The workspace's secret key ([`StateStore::workspace_key`](crate::state::StateStore::workspace_key)), which keys write-only digests.
    pub key: crate::secret::WorkspaceKey,
}

pub struct PlanOutcome {
    /// `None` when errors stopped the plan.
    pub plan: Option<Plan>,
    /// State bookkeeping the plan did: objects of interrupted creates adopted, intents that
    /// led nowhere dropped. The caller commits them whether or not the plan succeeded,
    /// then sets the plan's basis serial.
    pub recovered: Vec<StateChange>,
    pub diagnostics: Diagnostics,
}

/// Makes a plan.
pub async fn plan(input: PlanInput<'_>) -> PlanOutcome {
    let mut planner = Planner::new(input);
    planner.run().await;
    planner.finish()
}

/// The nearest resources each node depends on, looking through variables, locals, outputs
/// and module calls. Used for destroy ordering and recorded in state.
pub fn resource_dependencies(graph: &ConfigGraph) -> HashMap<NodeIndex, BTreeSet<ConfigResource>> {
    let mut out: HashMap<NodeIndex, BTreeSet<ConfigResource>> = HashMap::new();
    for index in graph.topo_order() {
        let mut deps = BTreeSet::new();
        for dep in graph.dependencies(index) {
            match graph.node(dep) {
                Node::Resource(r) => {
                    deps.insert(r.clone());
                }
                _ => {
                    if let Some(inner) = out.get(&dep) {
                        deps.extend(inner.iter().cloned());
                    }
                }
            }
        }
        out.insert(index, deps);
    }
    out
}

struct Planner<'a> {
    input: PlanInput<'a>,
    values: Values,
    /// Working copy of state: refreshed and recovered instances replace prior ones.
    state: State,
    providers: HashMap<ProviderAddr, Arc<dyn Provider>>,
    changes: BTreeMap<(AbsResourceInstance, Option<uuid::Uuid>), ResourceChange>,
    drift: Vec<ResourceChange>,
    recovered: Vec<StateChange>,
    diags: Diagnostics,
    resource_deps: HashMap<NodeIndex, BTreeSet<ConfigResource>>,
    /// Nodes the walk evaluates; with `--target`, the targets and what they depend on.
    included: Option<HashSet<NodeIndex>>,
    /// Resources that must be replaced create-before-destroy (explicit or forced).
    cbd: HashSet<ConfigResource>,
    /// Resources with a pending change (for data sources that must wait for apply).
    pending: HashSet<ConfigResource>,
}

impl<'a> Planner<'a> {
    fn new(input: PlanInput<'a>) -> Planner<'a> {
        let root_dir = input.config.root.dir.clone();
        let values = Values::new(&input.workspace, root_dir, input.cwd.clone());
        let state = input.state.clone();
        let resource_deps = resource_dependencies(input.graph);
        let included = targets_closure(input.graph, input.config, &input.options);
        let cbd = forced_cbd(input.config, input.graph, &resource_deps, &state);
        Planner {
            input,
            values,
            state,
            providers: HashMap::new(),
            changes: BTreeMap::new(),
            drift: Vec::new(),
            recovered: Vec::new(),
            diags: Diagnostics::new(),
            resource_deps,
            included,
            cbd,
            pending: HashSet::new(),
        }
    }

    async fn run(&mut self) {
        self.apply_moved();
        // Nodes at the same depth (longest path from a source) never depend on each other,
        // so the provider calls of all resources of one depth run together: independent
        // resources are refreshed and planned concurrently, and a plugin gets them in batches.
        for level in levels(self.input.graph) {
            if self.diags.has_errors() {
                // Keep going only while the plan is still meaningful.
                break;
            }
            let mut batch = Vec::new();
            for index in level {
                let node = self.input.graph.node(index).clone();
                let skipped = self.included.as_ref().is_some_and(|set| !set.contains(&index));
                match &node {
                    Node::Variable { module, name } => self.visit_variable(module, name),
                    Node::Local { module, name } => self.visit_local(module, name),
                    Node::Output { module, name } => self.visit_output(module, name),
                    Node::ModuleCall { module, name } => self.visit_module_call(module, name),
                    Node::Provider { module, key } => self.visit_provider(module, key).await,
                    Node::Resource(resource) if skipped => self.use_prior_values(resource),
                    Node::Resource(resource)
                        if resource.resource.mode == ResourceMode::Managed && !self.input.options.destroy =>
                    {
                        batch.push((index, resource.clone()));
                    }
                    Node::Resource(resource) => self.visit_resource(index, resource).await,
                }
            }
            if !batch.is_empty() && !self.diags.has_errors() {
                self.plan_managed_batch(batch).await;
            }
        }
        if !self.diags.has_errors() {
            self.plan_orphans().await;
            self.plan_deposed().await;
        }
    }

    /// What planning a managed resource needs from configuration, provider and schema.
    fn resource_parts(&mut self, index: NodeIndex, resource: &ConfigResource) -> Option<ResourceParts<'a>> {
        let module_config = self.module_config(&resource.module)?;
        let config = module_config.resources.get(&resource.resource)?;
        let provider_addr = resolve_provider(self.input.config, &resource.module, &config.provider);
        // Without a provider, its node has reported why.
        let provider = self.providers.get(&provider_addr).cloned()?;
        let Some(schema) = self.resource_schema(resource) else {
            let kind = if resource.resource.mode == ResourceMode::Data { "data source" } else { "resource type" };
            self.diags.push(Diagnostic::error(format!("Invalid {kind}")).with_span(config.decl_span).with_detail(
                format!(
                    "The provider `{}` does not support {kind} \"{}\"",
                    provider_addr.name(),
                    resource.resource.type_name
                ),
            ));
            return None;
        };
        let dependencies: Vec<String> =
            self.resource_deps.get(&index).map(|d| d.iter().map(ToString::to_string).collect()).unwrap_or_default();
        let module_instances = self.values.instances_of(&resource.module);
        Some(ResourceParts { module_config, config, provider, provider_addr, schema, dependencies, module_instances })
    }

    /// Plans managed resources that do not depend on each other: configurations are
    /// evaluated one by one, then every instance's refresh and plan runs concurrently
    /// (bounded by `parallelism`), then actions are decided one by one.
    async fn plan_managed_batch(&mut self, batch: Vec<(NodeIndex, ConfigResource)>) {
        let mut parts = Vec::new();
        for (index, resource) in &batch {
            if let Some(p) = self.resource_parts(*index, resource) {
                parts.push(p);
            }
        }
        // Phase 1, per resource and module instance.
        let mut prepared = Vec::new();
        for (part_index, part) in parts.iter().enumerate() {
            for module_instance in &part.module_instances {
                let ctx = part.context(module_instance);
                if let Some(p) = self.prepare_managed(&ctx) {
                    prepared.push((part_index, module_instance, p));
                }
            }
        }
        if self.diags.has_errors() {
            return;
        }
        // Phase 2, all together: refreshes and plans through the providers' batch calls.
        let mut jobs = Vec::new();
        for (slot, (part_index, _, p)) in prepared.iter_mut().enumerate() {
            let part = &parts[*part_index];
            let ty = part.schema.block.ty();
            for (addr, repetition, config_value, prior) in std::mem::take(&mut p.work) {
                jobs.push((
                    slot,
                    Job {
                        provider: part.provider.clone(),
                        type_name: part.config.addr.type_name.clone(),
                        ty: ty.clone(),
                        addr,
                        repetition,
                        config_value,
                        prior,
                        ignore: &part.config.lifecycle.ignore_changes,
                        schema: &part.schema,
                    },
                ));
            }
        }
        let mut results: Vec<Vec<InstancePlan>> = (0..prepared.len()).map(|_| Vec::new()).collect();
        for (slot, result) in instances::plan_all(jobs, self.input.options.refresh, self.input.parallelism).await {
            results[slot].push(result);
        }
        // Phase 3, in order.
        for ((part_index, module_instance, p), results) in prepared.into_iter().zip(results) {
            let ctx = parts[part_index].context(module_instance);
            self.finish_managed(&ctx, p.expansion, results).await;
        }
    }

    fn module_config(&self, path: &ModulePath) -> Option<&'a Module> {
        self.input.config.module(path)
    }

    /// `moved` blocks rename state entries before anything else looks at state.
    fn apply_moved(&mut self) {
        for module in self.input.config.modules() {
            for moved in &module.moved {
                let renames: Vec<(AbsResourceInstance, AbsResourceInstance)> = self
                    .state
                    .instances
                    .keys()
                    .filter_map(|addr| moved_target(&moved.from, &moved.to, addr).map(|to| (addr.clone(), to)))
                    .collect();
                for (from, to) in renames {
                    if self.state.instances.contains_key(&to) {
                        self.diags.push(
                            Diagnostic::warning("Ambiguous move statements")
                                .with_span(moved.span)
                                .with_detail(format!("Both {from} and {to} exist in state, so {from} was not moved")),
                        );
                        continue;
                    }
                    if let Some(mut instance) = self.state.instances.remove(&from) {
                        debug!(%from, %to, "moved in state");
                        instance.addr = to.to_string();
                        self.recovered.push(StateChange::RemoveInstance(from.clone()));
                        self.recovered.push(StateChange::PutInstance(instance.clone()));
                        self.state.instances.insert(to, instance);
                    }
                }
            }
        }
    }

    fn visit_variable(&mut self, module: &ModulePath, name: &str) {
        if !module.is_root() {
            let d = nodes::eval_child_variable(self.input.config, &mut self.values, module, name);
            self.diags.extend(d);
            return;
        }
        let Some(decl) = self.input.config.root.variables.get(name) else { return };
        let (value, d) = root_variable_value(decl, self.input.variables.get(name));
        self.diags.extend(d);
        if !self.diags.has_errors() {
            self.diags.extend(nodes::validate_variable(name, &decl.validations, &value));
        }
        self.values.module_mut(&ModuleInstance::root()).variables.insert(name.to_string(), value);
    }

    fn visit_local(&mut self, module: &ModulePath, name: &str) {
        let d = nodes::eval_local(self.input.config, &mut self.values, module, name);
        self.diags.extend(d);
    }

    fn visit_output(&mut self, module: &ModulePath, name: &str) {
        let d = nodes::eval_output(self.input.config, &mut self.values, module, name);
        self.diags.extend(d);
    }

    fn visit_module_call(&mut self, module: &ModulePath, name: &str) {
        let d = nodes::eval_module_call(self.input.config, &mut self.values, module, name);
        self.diags.extend(d);
    }

    async fn visit_provider(&mut self, module: &ModulePath, key: &str) {
        let addr = ProviderAddr { module: module.clone(), key: key.to_string() };
        let name = addr.name().to_string();
        let Some(factory) = self.input.registry.get(&name).cloned() else {
            let span =
                self.module_config(module).and_then(|m| m.providers.iter().find(|p| p.key() == key)).map(|p| p.span);
            let available: Vec<&str> = self.input.registry.names().collect();
            self.diags.push(
                Diagnostic::error(format!("Provider `{name}` is not available"))
                    .with_opt_span(span.or_else(|| self.first_use_of_provider(&addr)))
                    .with_detail(format!("Corral has no provider named `{name}`"))
                    .with_help(format!("available providers: {}", available.join(", "))),
            );
            return;
        };
        let schema = factory.schema();
        let (config_value, d) =
            nodes::eval_provider_config(self.input.config, &self.values, module, key, &schema.provider);
        self.diags.extend(d);
        if self.diags.has_errors() {
            return;
        }
        let provider = provider::instantiate(factory.as_ref(), &self.input.key);
        let (config_value, _) = config_value.unmark_deep();
        let response = provider
            .configure(provider::ConfigureRequest { config: config_value, data_dir: self.input.data_dir.clone() })
            .instrument(info_span!("configure", provider = %addr))
            .await;
        self.diags.extend(response.diagnostics);
        self.providers.insert(addr.clone(), provider.clone());
        self.recover_intents(&addr, provider).await;
    }

    fn first_use_of_provider(&self, addr: &ProviderAddr) -> Option<Span> {
        for module in self.input.config.modules() {
            for resource in module.resources.values() {
                if resolve_provider(self.input.config, &module.path, &resource.provider) == *addr {
                    return Some(resource.decl_span);
                }
            }
        }
        None
    }

    /// Settles intents left by an interrupted apply for this provider's objects: adopts
    /// what a lost create made, and keeps objects still waiting to be deleted.
    async fn recover_intents(&mut self, addr: &ProviderAddr, provider: Arc<dyn Provider>) {
        let key = addr.to_string();
        let intents: Vec<Intent> = self.state.intents.values().filter(|i| i.provider == key).cloned().collect();
        for intent in intents {
            let Ok(instance_addr) = intent.addr.parse::<AbsResourceInstance>() else {
                self.diags.push(Diagnostic::warning(format!("Dropping an unreadable intent for `{}`", intent.addr)));
                self.recovered.push(StateChange::RemoveIntent(intent.id));
                self.state.intents.remove(&intent.id);
                continue;
            };
            match intent.action {
                IntentAction::Create => {
                    let response = provider
                        .find_created(provider::FindCreatedRequest {
                            type_name: intent.type_name.clone(),
                            idempotency_token: intent.idempotency_token.clone(),
                            planned_state: None,
                        })
                        .await;
                    self.diags.extend(response.diagnostics);
                    self.recovered.push(StateChange::RemoveIntent(intent.id));
                    self.state.intents.remove(&intent.id);
                    let Some(found) = response.state else {
                        debug!(addr = %instance_addr, "interrupted create made nothing");
                        continue;
                    };
                    tracing::info!(addr = %instance_addr, "adopting the object of an interrupted create");
                    let adopted = InstanceState {
                        addr: intent.addr.clone(),
                        provider: intent.provider.clone(),
                        schema_version: 0,
                        attributes: found.to_json(),
                        sensitive_paths: Vec::new(),
                        private: response.private,
                        dependencies: intent.dependencies.clone(),
                        create_before_destroy: intent.create_before_destroy,
                        status: InstanceStatus::Ready,
                    };
                    if let Some(previous) = self.state.instances.get(&instance_addr).cloned() {
                        // The create was the first half of a create-before-destroy replacement:
                        // the old object is now deposed, waiting to be deleted.
                        if previous.attributes != adopted.attributes {
                            let deposed = Intent {
                                id: uuid::Uuid::new_v4(),
                                addr: intent.addr.clone(),
                                provider: intent.provider.clone(),
                                type_name: intent.type_name.clone(),
                                action: IntentAction::Delete,
                                idempotency_token: String::new(),
                                planned: Some(previous.attributes.clone()),
                                dependencies: previous.dependencies.clone(),
                                create_before_destroy: true,
                                started_at: chrono::Utc::now(),
                            };
                            self.recovered.push(StateChange::PutIntent(deposed.clone()));
                            self.state.intents.insert(deposed.id, deposed);
                        }
                    }
                    self.recovered.push(StateChange::PutInstance(adopted.clone()));
                    self.state.instances.insert(instance_addr, adopted);
                }
                IntentAction::Update => {
                    // Refresh will read whatever the update did.
                    self.recovered.push(StateChange::RemoveIntent(intent.id));
                    self.state.intents.remove(&intent.id);
                }
                IntentAction::Delete => {
                    // Kept: planned as the deletion of a deposed object (`plan_deposed`), or
                    // dropped there if the object is already gone.
                }
            }
        }
    }

    /// Values of a resource outside `--target`: what state says, no change planned.
    fn use_prior_values(&mut self, resource: &ConfigResource) {
        let schema = self.resource_schema(resource);
        for instance in self.values.instances_of(&resource.module) {
            let mut instances = BTreeMap::new();
            let mut expansion = Expansion::Single;
            for addr in state_instances_of(&self.state, &instance, &resource.resource) {
                if let Some(state) = self.state.instances.get(&addr) {
                    let ty = schema.as_ref().map(|s| s.block.ty()).unwrap_or(Type::Dynamic);
                    let value = decode_state(state, &ty);
                    expansion = match &addr.key {
                        InstanceKey::None => Expansion::Single,
                        InstanceKey::Int(_) => Expansion::Count(0),
                        InstanceKey::Str(_) => Expansion::ForEach(Vec::new()),
                    };
                    instances.insert(addr.key.clone(), value);
                }
            }
            if let Expansion::Count(_) = expansion {
                expansion = Expansion::Count(instances.len());
            }
            self.values.module_mut(&instance).resources.insert(resource.resource.clone(), (expansion, instances));
        }
    }

    fn resource_schema(&self, resource: &ConfigResource) -> Option<ResourceSchema> {
        let config = self.module_config(&resource.module)?.resources.get(&resource.resource)?;
        let provider = resolve_provider(self.input.config, &resource.module, &config.provider);
        let factory = self.input.registry.get(provider.name())?;
        let schema = factory.schema();
        match resource.resource.mode {
            ResourceMode::Managed => schema.resources.get(&resource.resource.type_name).cloned(),
            ResourceMode::Data => schema.data_sources.get(&resource.resource.type_name).cloned(),
        }
    }

    /// Data sources, and managed resources in destroy mode (managed resources otherwise go
    /// through `plan_managed_batch`).
    async fn visit_resource(&mut self, index: NodeIndex, resource: &ConfigResource) {
        if resource.resource.mode == ResourceMode::Managed && !self.input.options.destroy {
            self.plan_managed_batch(vec![(index, resource.clone())]).await;
            return;
        }
        let Some(parts) = self.resource_parts(index, resource) else { return };
        for module_instance in &parts.module_instances {
            if resource.resource.mode == ResourceMode::Data {
                self.plan_data_instances(
                    index,
                    module_instance,
                    parts.module_config,
                    parts.config,
                    &parts.schema,
                    parts.provider.clone(),
                )
                .await;
            } else {
                self.plan_destroy_instances(
                    module_instance,
                    resource,
                    &parts.schema,
                    &parts.provider_addr,
                    parts.provider.clone(),
                )
                .await;
            }
        }
    }

    /// Plans the deletion of a resource's instances. Refreshed first (unless `--refresh=false`),
    /// as Terraform's destroy plan is: an object already gone (deleted by an interrupted
    /// destroy whose last commit was lost) is forgotten, not counted as one to destroy.
    async fn plan_destroy_instances(
        &mut self,
        module_instance: &ModuleInstance,
        resource: &ConfigResource,
        schema: &ResourceSchema,
        provider_addr: &ProviderAddr,
        provider: Arc<dyn Provider>,
    ) {
        let ty = schema.block.ty();
        let addrs = state_instances_of(&self.state, module_instance, &resource.resource);
        let mut refreshed: BTreeMap<AbsResourceInstance, Option<Value>> = BTreeMap::new();
        if self.input.options.refresh {
            let selected: Vec<(AbsResourceInstance, provider::ReadRequest)> = addrs
                .iter()
                .filter(|addr| self.targeted(addr))
                .filter_map(|addr| {
                    let state = self.state.instances.get(addr)?;
                    let request = provider::ReadRequest {
                        type_name: addr.resource.type_name.clone(),
                        current_state: decode_state(state, &ty).unmark_deep().0,
                        private: state.private.clone(),
                    };
                    Some((addr.clone(), request))
                })
                .collect();
            let (read_addrs, requests): (Vec<_>, Vec<_>) = selected.into_iter().unzip();
            let responses = provider
                .read_batch(requests, self.input.parallelism)
                .instrument(info_span!("refresh", resource = %resource))
                .await;
            for (addr, response) in read_addrs.into_iter().zip(responses) {
                let failed = response.diagnostics.has_errors();
                self.diags.extend(response.diagnostics);
                if !failed {
                    refreshed.insert(addr, response.new_state);
                }
            }
        }
        let mut instances = BTreeMap::new();
        for addr in addrs {
            let Some(state) = self.state.instances.get(&addr) else { continue };
            let value = match refreshed.remove(&addr) {
                Some(Some(current)) => current.mark_paths(&state.sensitive_paths),
                Some(None) => {
                    // Already gone: nothing to delete; forget it.
                    self.recovered.push(StateChange::RemoveInstance(addr.clone()));
                    self.state.instances.remove(&addr);
                    continue;
                }
                None => decode_state(state, &ty),
            };
            instances.insert(addr.key.clone(), value.clone());
            if !self.targeted(&addr) {
                continue;
            }
            let change = ResourceChange {
                addr: addr.clone(),
                provider: provider_addr.to_string(),
                type_name: resource.resource.type_name.clone(),
                action: Action::Delete,
                reason: None,
                before: Some(value),
                after: None,
                replace_paths: Vec::new(),
                create_before_destroy: state.create_before_destroy,
                private: state.private.clone(),
                deposed: None,
                dependencies: state.dependencies.clone(),
            };
            self.check_prevent_destroy(&change);
            self.changes.insert((addr, None), change);
        }
        let expansion = guess_expansion(&instances);
        self.values.module_mut(module_instance).resources.insert(resource.resource.clone(), (expansion, instances));
    }

    /// With `--target`, whether an instance is selected (in destroy mode: a target or a
    /// dependent of one).
    fn targeted(&self, addr: &AbsResourceInstance) -> bool {
        if self.input.options.targets.is_empty() {
            return true;
        }
        if self.input.options.targets.iter().any(|t| t.contains(addr)) {
            return true;
        }
        // A resource included only as a dependency (plan) or dependent (destroy) of a
        // target is planned whole, unless an instance-level target names it.
        let config_resource = addr.config_resource();
        let named_instance = self
            .input
            .options
            .targets
            .iter()
            .any(|t| matches!(t, Target::Instance(i) if i.config_resource() == config_resource));
        !named_instance
    }

    /// Phase 1: expansion, and every instance's configuration and preconditions.
    fn prepare_managed(&mut self, ctx: &ResourceContext<'_>) -> Option<Prepared> {
        let resource_addr = ctx.config.addr.clone();
        let repetition = RepetitionData::default();
        let scope = scope_of(&self.values, ctx.module_instance, ctx.module_config, &repetition);
        let (expansion, keys, d) = expand(ctx.config.count.as_ref(), ctx.config.for_each.as_ref(), &scope);
        self.diags.extend(d);
        if matches!(expansion, Expansion::Unknown) {
            return None;
        }
        // Phase 1: evaluate every instance's configuration and preconditions.
        let mut work = Vec::new();
        for (key, repetition) in keys {
            let addr =
                AbsResourceInstance { module: ctx.module_instance.clone(), resource: resource_addr.clone(), key };
            let scope = scope_of(&self.values, ctx.module_instance, ctx.module_config, &repetition);
            self.diags.extend(check_rules(&ctx.config.lifecycle.preconditions, &scope, "Resource precondition failed"));
            let (config_value, d) = lang::eval_body(&ctx.config.body, &ctx.schema.block, &scope);
            self.diags.extend(d);
            let validation = ctx.provider.validate_resource(provider::ValidateResourceRequest {
                type_name: resource_addr.type_name.clone(),
                config: config_value.clone().unmark_deep().0,
            });
            self.diags.extend(locate(validation.diagnostics, ctx.config));
            let prior = self.state.instances.get(&addr).cloned();
            work.push((addr, repetition, ctx.schema.block.mark_sensitive(config_value), prior));
        }
        if self.diags.has_errors() {
            return None;
        }
        Some(Prepared { expansion, work })
    }
    /// Phase 3: decide actions, record values.
    async fn finish_managed(&mut self, ctx: &ResourceContext<'_>, expansion: Expansion, results: Vec<InstancePlan>) {
        let resource_addr = ctx.config.addr.clone();
        let ty = ctx.schema.block.ty();
        let type_name = resource_addr.type_name.clone();
        let mut instance_values = BTreeMap::new();
        let mut planned_keys = HashSet::new();
        for result in results {
            self.diags.extend(locate(result.diags, ctx.config));
            if let Some(drift) = result.drift {
                self.drift.push(drift);
            }
            if result.gone {
                self.state.instances.remove(&result.addr);
            }
            planned_keys.insert(result.addr.key.clone());
            let Some(mut change) = result.change else { continue };
            change.provider = ctx.provider_addr.to_string();
            change.dependencies = ctx.dependencies.to_vec();
            if !self.targeted(&result.addr) {
                if let Some(before) = &change.before {
                    instance_values.insert(result.addr.key.clone(), before.clone());
                }
                continue;
            }
            self.decide_replacement(
                &mut change,
                &result.repetition,
                ctx.module_instance,
                ctx.module_config,
                ctx.config,
                ctx.schema,
            );
            if change.action.is_replace() {
                // Re-plan as a create: computed attributes become unknown again.
                let config_value = result.config_value.clone();
                let request =
                    provider::PlanRequest::new(&ctx.schema.block, type_name.clone(), None, config_value.clone(), None);
                let response = ctx.provider.plan(request).await;
                self.diags.extend(locate(response.diagnostics, ctx.config));
                if let Some(planned) = response.planned_state {
                    change.after = Some(remark(planned, &config_value, &ctx.schema.block));
                }
            }
            if change.action == Action::DeleteThenCreate && self.cbd.contains(&result.addr.config_resource()) {
                change.action = Action::CreateThenDelete;
            }
            change.create_before_destroy = self.cbd.contains(&result.addr.config_resource());
            self.check_prevent_destroy_config(&change, ctx.config);
            // A postcondition whose outcome depends on values known only after apply is
            // unknown now and checked again after apply.
            if let Some(after) = change.after.as_ref() {
                let mut scope = scope_of(&self.values, ctx.module_instance, ctx.module_config, &result.repetition);
                scope.self_value = Some(after.clone());
                self.diags.extend(check_rules(
                    &ctx.config.lifecycle.postconditions,
                    &scope,
                    "Resource postcondition failed",
                ));
            }
            if change.action != Action::NoOp {
                self.pending.insert(result.addr.config_resource());
            }
            if let Some(after) = &change.after {
                instance_values.insert(result.addr.key.clone(), after.clone());
            }
            self.changes.insert((result.addr.clone(), None), change);
        }
        // Instances in state that the expansion no longer has.
        let orphans: Vec<AbsResourceInstance> = state_instances_of(&self.state, ctx.module_instance, &resource_addr)
            .into_iter()
            .filter(|a| !planned_keys.contains(&a.key))
            .collect();
        for addr in orphans {
            let reason = match (&expansion, &addr.key) {
                (Expansion::Count(_), InstanceKey::Int(_)) => ActionReason::DeleteBecauseCountIndex,
                (Expansion::ForEach(_), InstanceKey::Str(_)) => ActionReason::DeleteBecauseEachKey,
                _ => ActionReason::DeleteBecauseWrongRepetition,
            };
            self.plan_orphan_delete(addr, reason, ty.clone(), Some(ctx.config)).await;
        }
        self.values.module_mut(ctx.module_instance).resources.insert(resource_addr, (expansion, instance_values));
    }

    /// Replacement decisions that need more than the provider's answer: tainted objects,
    /// `--replace`, `replace_triggered_by`, immutable attributes.
    fn decide_replacement(
        &mut self,
        change: &mut ResourceChange,
        repetition: &RepetitionData,
        module_instance: &ModuleInstance,
        module_config: &Module,
        config: &Resource,
        schema: &ResourceSchema,
    ) {
        if change.action == Action::Create {
            return;
        }
        let requested = self.input.options.replace.contains(&change.addr);
        let tainted = self.state.instances.get(&change.addr).is_some_and(|s| s.status == InstanceStatus::Tainted);
        if requested {
            change.action = Action::DeleteThenCreate;
            change.reason = Some(ActionReason::ReplaceByRequest);
            return;
        }
        if tainted {
            change.action = Action::DeleteThenCreate;
            change.reason = Some(ActionReason::ReplaceBecauseTainted);
            return;
        }
        if !change.replace_paths.is_empty() {
            for path in &change.replace_paths {
                if let Some(PathStep::Attr(name)) = path.0.first()
                    && let Some(attr) = schema.block.attributes.get(name)
                    && let ChangeClass::Immutable { reason } = &attr.change
                {
                    self.diags.push(
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
            change.action = Action::DeleteThenCreate;
            change.reason = Some(ActionReason::ReplaceBecauseCannotUpdate);
            return;
        }
        if !config.lifecycle.replace_triggered_by.is_empty() {
            let scope = scope_of(&self.values, module_instance, module_config, repetition);
            for expr in &config.lifecycle.replace_triggered_by {
                let triggered = lang::references(expr).iter().any(|reference| match &reference.subject {
                    lang::Subject::Resource(addr) => self.changes.iter().any(|((a, _), c)| {
                        a.module == *module_instance
                            && a.resource == *addr
                            && c.action != Action::NoOp
                            && reference_selects(&reference.rest, &a.key)
                    }),
                    _ => false,
                });
                let _ = &scope;
                if triggered {
                    change.action = Action::DeleteThenCreate;
                    change.reason = Some(ActionReason::ReplaceByTriggers);
                    return;
                }
            }
        }
    }

    fn check_prevent_destroy_config(&mut self, change: &ResourceChange, config: &Resource) {
        if config.lifecycle.prevent_destroy && (change.action == Action::Delete || change.action.is_replace()) {
            self.diags.push(
                Diagnostic::error("Instance cannot be destroyed")
                    .with_span(config.decl_span)
                    .with_detail(format!("Resource {} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed", change.addr))
                    .with_help("to avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using `--target`"),
            );
        }
    }

    fn check_prevent_destroy(&mut self, change: &ResourceChange) {
        let config =
            self.module_config(&change.addr.module.path()).and_then(|m| m.resources.get(&change.addr.resource));
        if let Some(config) = config {
            self.check_prevent_destroy_config(change, config);
        }
    }

    async fn plan_orphan_delete(
        &mut self,
        addr: AbsResourceInstance,
        reason: ActionReason,
        ty: Type,
        config: Option<&Resource>,
    ) {
        let Some(state) = self.state.instances.get(&addr).cloned() else { return };
        let provider_addr = provider_key(&state.provider);
        let provider = match self.providers.get(&provider_addr).cloned() {
            Some(p) => Some(p),
            None => self.configure_implied(&provider_addr).await,
        };
        let mut before = decode_state(&state, &ty);
        if self.input.options.refresh
            && let Some(provider) = provider
        {
            let response = provider
                .read(provider::ReadRequest {
                    type_name: addr.resource.type_name.clone(),
                    current_state: before.clone().unmark_deep().0,
                    private: state.private.clone(),
                })
                .instrument(info_span!("refresh", addr = %addr))
                .await;
            self.diags.extend(response.diagnostics);
            match response.new_state {
                Some(v) => before = v.mark_paths(&state.sensitive_paths),
                None => {
                    // Already gone: nothing to delete; forget it.
                    self.recovered.push(StateChange::RemoveInstance(addr.clone()));
                    self.state.instances.remove(&addr);
                    return;
                }
            }
        }
        let change = ResourceChange {
            addr: addr.clone(),
            provider: state.provider.clone(),
            type_name: addr.resource.type_name.clone(),
            action: Action::Delete,
            reason: if self.input.options.destroy { None } else { Some(reason) },
            before: Some(before),
            after: None,
            replace_paths: Vec::new(),
            create_before_destroy: state.create_before_destroy,
            private: state.private.clone(),
            deposed: None,
            dependencies: state.dependencies.clone(),
        };
        if let Some(config) = config {
            self.check_prevent_destroy_config(&change, config);
        }
        self.changes.insert((addr, None), change);
    }

    async fn configure_implied(&mut self, addr: &ProviderAddr) -> Option<Arc<dyn Provider>> {
        let factory = self.input.registry.get(addr.name())?.clone();
        let provider = provider::instantiate(factory.as_ref(), &self.input.key);
        let config = null_object(&factory.schema().provider);
        let response =
            provider.configure(provider::ConfigureRequest { config, data_dir: self.input.data_dir.clone() }).await;
        self.diags.extend(response.diagnostics);
        self.providers.insert(addr.clone(), provider.clone());
        self.recover_intents(addr, provider.clone()).await;
        Some(provider)
    }

    /// Instances in state whose resource (or module) is no longer in the configuration.
    async fn plan_orphans(&mut self) {
        let orphans: Vec<AbsResourceInstance> = self
            .state
            .instances
            .keys()
            .filter(|addr| {
                addr.resource.mode == ResourceMode::Managed
                    && !self.changes.contains_key(&((*addr).clone(), None))
                    && self.module_config(&addr.module.path()).is_none_or(|m| {
                        !m.resources.contains_key(&addr.resource) || !self.values.modules.contains_key(&addr.module)
                    })
            })
            .cloned()
            .collect();
        for addr in orphans {
            let module_gone =
                self.module_config(&addr.module.path()).is_none() || !self.values.modules.contains_key(&addr.module);
            let reason = if module_gone {
                ActionReason::DeleteBecauseNoModule
            } else {
                ActionReason::DeleteBecauseNoResourceConfig
            };
            let ty = self
                .input
                .registry
                .get(provider_key(&self.state.instances[&addr].provider).name())
                .and_then(|f| f.schema().resources.get(&addr.resource.type_name).map(|s| s.block.ty()))
                .unwrap_or(Type::Dynamic);
            // With `--target`, only targeted orphans go (they are no one's dependency).
            if !self.input.options.targets.is_empty() && !self.input.options.targets.iter().any(|t| t.contains(&addr)) {
                continue;
            }
            self.plan_orphan_delete(addr, reason, ty, None).await;
        }
    }

    /// Objects left by an interrupted create-before-destroy replacement, waiting to be
    /// deleted.
    async fn plan_deposed(&mut self) {
        let intents: Vec<Intent> =
            self.state.intents.values().filter(|i| i.action == IntentAction::Delete).cloned().collect();
        for intent in intents {
            let Ok(addr) = intent.addr.parse::<AbsResourceInstance>() else { continue };
            let Some(attributes) = &intent.planned else {
                self.recovered.push(StateChange::RemoveIntent(intent.id));
                continue;
            };
            let provider_addr = provider_key(&intent.provider);
            let provider = match self.providers.get(&provider_addr).cloned() {
                Some(p) => Some(p),
                None => self.configure_implied(&provider_addr).await,
            };
            let Some(provider) = provider else { continue };
            let ty = provider.schema().resources.get(&intent.type_name).map(|s| s.block.ty()).unwrap_or(Type::Dynamic);
            let Ok(before) = Value::from_json(attributes, &ty) else { continue };
            let response = provider
                .read(provider::ReadRequest {
                    type_name: intent.type_name.clone(),
                    current_state: before.clone(),
                    private: None,
                })
                .await;
            self.diags.extend(response.diagnostics);
            let Some(current) = response.new_state else {
                self.recovered.push(StateChange::RemoveIntent(intent.id));
                continue;
            };
            self.changes.insert(
                (addr.clone(), Some(intent.id)),
                ResourceChange {
                    addr,
                    provider: intent.provider.clone(),
                    type_name: intent.type_name.clone(),
                    action: Action::Delete,
                    reason: None,
                    before: Some(current),
                    after: None,
                    replace_paths: Vec::new(),
                    create_before_destroy: true,
                    private: None,
                    deposed: Some(intent.id),
                    dependencies: intent.dependencies.clone(),
                },
            );
        }
    }

    async fn plan_data_instances(
        &mut self,
        index: NodeIndex,
        module_instance: &ModuleInstance,
        module_config: &Module,
        config: &Resource,
        schema: &ResourceSchema,
        provider: Arc<dyn Provider>,
    ) {
        let repetition = RepetitionData::default();
        let scope = scope_of(&self.values, module_instance, module_config, &repetition);
        let (expansion, keys, d) = expand(config.count.as_ref(), config.for_each.as_ref(), &scope);
        self.diags.extend(d);
        let depends_on_pending =
            self.resource_deps.get(&index).is_some_and(|deps| deps.iter().any(|d| self.pending.contains(d)));
        let mut instances = BTreeMap::new();
        for (key, repetition) in keys {
            let addr = AbsResourceInstance {
                module: module_instance.clone(),
                resource: config.addr.clone(),
                key: key.clone(),
            };
            let scope = scope_of(&self.values, module_instance, module_config, &repetition);
            let (config_value, d) = lang::eval_body(&config.body, &schema.block, &scope);
            self.diags.extend(d);
            if self.diags.has_errors() {
                return;
            }
            let reason = if !config_value.is_wholly_known() {
                Some(ActionReason::ReadBecauseConfigUnknown)
            } else if depends_on_pending {
                Some(ActionReason::ReadBecauseDependencyPending)
            } else {
                None
            };
            let value = if let Some(reason) = reason {
                let after = Value::Unknown(schema.block.ty());
                self.changes.insert(
                    (addr.clone(), None),
                    ResourceChange {
                        addr: addr.clone(),
                        provider: String::new(),
                        type_name: config.addr.type_name.clone(),
                        action: Action::Read,
                        reason: Some(reason),
                        before: None,
                        after: Some(config_value.clone()),
                        replace_paths: Vec::new(),
                        create_before_destroy: false,
                        private: None,
                        deposed: None,
                        dependencies: Vec::new(),
                    },
                );
                after
            } else {
                let response = provider
                    .read_data(provider::ReadDataRequest {
                        type_name: config.addr.type_name.clone(),
                        config: config_value.clone().unmark_deep().0,
                    })
                    .instrument(info_span!("read", addr = %addr))
                    .await;
                self.diags.extend(locate(response.diagnostics, config));
                match response.state {
                    Some(v) => remark(v, &config_value, &schema.block),
                    None => Value::Unknown(schema.block.ty()),
                }
            };
            let mut post_scope = scope_of(&self.values, module_instance, module_config, &repetition);
            if value.is_wholly_known() {
                post_scope.self_value = Some(value.clone());
                self.diags.extend(check_rules(
                    &config.lifecycle.postconditions,
                    &post_scope,
                    "Resource postcondition failed",
                ));
            }
            instances.insert(key, value);
        }
        self.values.module_mut(module_instance).resources.insert(config.addr.clone(), (expansion, instances));
    }

    fn finish(mut self) -> PlanOutcome {
        if self.diags.has_errors() {
            return PlanOutcome { plan: None, recovered: self.recovered, diagnostics: self.diags };
        }
        let output_changes = self.output_changes();
        let plan = Plan {
            basis: PlanBasis {
                workspace: self.input.workspace.clone(),
                state_lineage: self.input.state.lineage,
                state_serial: self.input.state.serial,
                config_hash: self.input.config.hash.clone(),
            },
            options: self.input.options.clone(),
            variables: self
                .values
                .module(&ModuleInstance::root())
                .map(|m| m.variables.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            write_only_variables: {
                let root = self.values.module(&ModuleInstance::root());
                super::write_only_variables(self.input.config, self.input.registry)
                    .into_iter()
                    .filter_map(|name| {
                        let value = root.and_then(|m| m.variables.get(&name))?;
                        Some((name.clone(), super::variable_digest(&self.input.key, &name, value)))
                    })
                    .collect()
            },
            changes: std::mem::take(&mut self.changes).into_values().collect(),
            output_changes,
            drift: std::mem::take(&mut self.drift),
        };
        PlanOutcome { plan: Some(plan), recovered: self.recovered, diagnostics: self.diags }
    }

    fn output_changes(&self) -> Vec<OutputChange> {
        let mut out = Vec::new();
        let root = self.values.module(&ModuleInstance::root());
        let mut names: BTreeSet<&String> = self.input.config.root.outputs.keys().collect();
        names.extend(self.state.outputs.keys());
        for name in names {
            let before = self
                .state
                .outputs
                .get(name)
                .map(|o| Value::from_json(&o.value, &o.ty).unwrap_or(Value::null()).marked_if(o.sensitive));
            let sensitive = self.input.config.root.outputs.get(name).is_some_and(|o| o.sensitive);
            let after = if self.input.options.destroy { None } else { root.and_then(|m| m.outputs.get(name)).cloned() };
            let action = match (&before, &after) {
                (None, None) => continue,
                (None, Some(_)) => Action::Create,
                (Some(_), None) => Action::Delete,
                (Some(b), Some(a)) => {
                    if a.is_wholly_known() && b.clone().unmark_deep().0 == a.clone().unmark_deep().0 {
                        Action::NoOp
                    } else {
                        Action::Update
                    }
                }
            };
            out.push(OutputChange { name: name.clone(), action, before, after, sensitive });
        }
        out
    }
}

struct ResourceContext<'c> {
    module_instance: &'c ModuleInstance,
    module_config: &'c Module,
    config: &'c Resource,
    schema: &'c ResourceSchema,
    provider: Arc<dyn Provider>,
    provider_addr: &'c ProviderAddr,
    dependencies: &'c [String],
}

/// A managed resource's configuration, provider and schema, owned for a batch.
struct ResourceParts<'a> {
    module_config: &'a Module,
    config: &'a Resource,
    provider: Arc<dyn Provider>,
    provider_addr: ProviderAddr,
    schema: ResourceSchema,
    dependencies: Vec<String>,
    module_instances: Vec<ModuleInstance>,
}

impl ResourceParts<'_> {
    fn context<'c>(&'c self, module_instance: &'c ModuleInstance) -> ResourceContext<'c> {
        ResourceContext {
            module_instance,
            module_config: self.module_config,
            config: self.config,
            schema: &self.schema,
            provider: self.provider.clone(),
            provider_addr: &self.provider_addr,
            dependencies: &self.dependencies,
        }
    }
}

/// Phase 1's result for one resource in one module instance.
struct Prepared {
    expansion: Expansion,
    work: Vec<(AbsResourceInstance, RepetitionData, Value, Option<InstanceState>)>,
}

/// `ignore_changes`: the listed attributes keep their prior values, as if the configuration
/// said so.
pub(super) fn apply_ignore_changes(
    config: Value,
    prior: &Value,
    ignore: &IgnoreChanges,
    schema: &BlockSchema,
) -> Value {
    match ignore {
        IgnoreChanges::None => config,
        IgnoreChanges::All => {
            let (bare, marked) = config.unmark();
            let Value::Object(mut attrs) = bare else { return prior.clone() };
            for name in schema.attributes.keys().chain(schema.blocks.keys()) {
                if let Some(p) = prior.get_attr(name) {
                    attrs.insert(name.clone(), p.clone());
                }
            }
            Value::Object(attrs).marked_if(marked)
        }
        IgnoreChanges::Paths(paths) => {
            let mut value = config;
            for (path, _) in paths {
                if let Some(prior_value) = get_path(prior, &path.0) {
                    value = set_path(value, &path.0, prior_value.clone());
                }
            }
            value
        }
    }
}

fn get_path<'v>(value: &'v Value, steps: &[PathStep]) -> Option<&'v Value> {
    let Some((first, rest)) = steps.split_first() else { return Some(value) };
    let next = match (value.unmarked(), first) {
        (Value::Object(attrs) | Value::Map(_, attrs), PathStep::Attr(k) | PathStep::Key(k)) => attrs.get(k)?,
        (Value::List(_, items) | Value::Tuple(items) | Value::Set(_, items), PathStep::Index(i)) => {
            items.get(usize::try_from(*i).ok()?)?
        }
        _ => return None,
    };
    get_path(next, rest)
}

fn set_path(value: Value, steps: &[PathStep], new: Value) -> Value {
    let Some((first, rest)) = steps.split_first() else { return new };
    let (bare, marked) = value.unmark();
    let updated = match (bare, first) {
        (Value::Object(mut attrs), PathStep::Attr(k) | PathStep::Key(k)) => {
            let inner = attrs.remove(k).unwrap_or(Value::null());
            attrs.insert(k.clone(), set_path(inner, rest, new));
            Value::Object(attrs)
        }
        (Value::Map(t, mut attrs), PathStep::Attr(k) | PathStep::Key(k)) => {
            let inner = attrs.remove(k).unwrap_or(Value::null());
            attrs.insert(k.clone(), set_path(inner, rest, new));
            Value::Map(t, attrs)
        }
        (Value::List(t, mut items), PathStep::Index(i)) => {
            if let Some(slot) = usize::try_from(*i).ok().and_then(|i| items.get_mut(i)) {
                let inner = std::mem::replace(slot, Value::null());
                *slot = set_path(inner, rest, new);
            }
            Value::List(t, items)
        }
        (other, _) => other,
    };
    updated.marked_if(marked)
}

/// Puts marks back on a provider's answer: the schema's sensitive attributes and whatever
/// the configuration marked.
pub(super) fn remark(planned: Value, config: &Value, schema: &BlockSchema) -> Value {
    let (_, paths) = config.clone().unmark_deep();
    schema.mark_sensitive(planned.mark_paths(&paths))
}

pub fn decode_state(state: &InstanceState, ty: &Type) -> Value {
    Value::from_json(&state.attributes, ty)
        .or_else(|_| Value::from_json(&state.attributes, &Type::Dynamic))
        .unwrap_or(Value::null())
        .mark_paths(&state.sensitive_paths)
}

fn guess_expansion(instances: &BTreeMap<InstanceKey, Value>) -> Expansion {
    match instances.keys().next() {
        Some(InstanceKey::Int(_)) => Expansion::Count(instances.len()),
        Some(InstanceKey::Str(_)) => Expansion::ForEach(
            instances.keys().filter_map(|k| if let InstanceKey::Str(s) = k { Some(s.clone()) } else { None }).collect(),
        ),
        _ => Expansion::Single,
    }
}

/// Gives provider diagnostics without a location one in the resource's block: the
/// attribute they name when the configuration sets it, else the block's header.
pub(crate) fn locate(diags: Diagnostics, config: &Resource) -> Diagnostics {
    Diagnostics(
        diags
            .into_iter()
            .map(|d| {
                if d.span.is_some() {
                    return d;
                }
                let span = d.attribute.as_ref().and_then(|path| config.body.span_of(&path.0));
                let span = span.unwrap_or(config.decl_span);
                d.with_span(span)
            })
            .collect(),
    )
}

fn reference_selects(rest: &[PathStep], key: &InstanceKey) -> bool {
    match (rest.first(), key) {
        (Some(PathStep::Index(i)), InstanceKey::Int(k)) => i == k,
        (Some(PathStep::Key(s)), InstanceKey::Str(k)) => s == k,
        (Some(PathStep::Index(_)) | Some(PathStep::Key(_)), _) => false,
        _ => true,
    }
}

/// The instance a `moved` block sends `addr` to, if it applies.
fn moved_target(from: &Target, to: &Target, addr: &AbsResourceInstance) -> Option<AbsResourceInstance> {
    match (from, to) {
        (Target::Instance(f), Target::Instance(t)) if f == addr => Some(t.clone()),
        (Target::Resource(f), Target::Resource(t)) if f.module == addr.module && f.resource == addr.resource => {
            Some(AbsResourceInstance { module: t.module.clone(), resource: t.resource.clone(), key: addr.key.clone() })
        }
        (Target::Resource(f), Target::Instance(t))
            if f.module == addr.module && f.resource == addr.resource && addr.key.is_none() =>
        {
            Some(t.clone())
        }
        (Target::Instance(f), Target::Resource(t)) if f == addr => {
            Some(AbsResourceInstance { module: t.module.clone(), resource: t.resource.clone(), key: InstanceKey::None })
        }
        (Target::Module(f), Target::Module(t)) if addr.module.0.starts_with(&f.0) => {
            let mut steps = t.0.clone();
            steps.extend(addr.module.0[f.0.len()..].iter().cloned());
            Some(AbsResourceInstance {
                module: ModuleInstance(steps),
                resource: addr.resource.clone(),
                key: addr.key.clone(),
            })
        }
        _ => None,
    }
}

/// With `--target`: the targeted resources and everything they depend on (plan), or the
/// targeted resources and everything that depends on them (destroy).
fn targets_closure(graph: &ConfigGraph, config: &Config, options: &PlanOptions) -> Option<HashSet<NodeIndex>> {
    if options.targets.is_empty() {
        return None;
    }
    let _ = config;
    let mut seeds = Vec::new();
    for (node, index) in &graph.index {
        if let Node::Resource(r) = node {
            let hit = options.targets.iter().any(|t| match t {
                Target::Module(m) => r.module.0.starts_with(&m.path().0),
                Target::Resource(a) => a.module.path() == r.module && a.resource == r.resource,
                Target::Instance(i) => i.module.path() == r.module && i.resource == r.resource,
            });
            if hit {
                seeds.push(*index);
            }
        }
    }
    let mut included: HashSet<NodeIndex> = HashSet::new();
    let direction = if options.destroy { petgraph::Direction::Outgoing } else { petgraph::Direction::Incoming };
    let mut stack = seeds;
    while let Some(index) = stack.pop() {
        if included.insert(index) {
            stack.extend(graph.graph.neighbors_directed(index, direction));
        }
    }
    if options.destroy {
        // Destroying still needs the values everything above the targets depends on.
        let mut ancestors = Vec::from_iter(included.iter().copied());
        let mut all = included.clone();
        while let Some(index) = ancestors.pop() {
            for dep in graph.graph.neighbors_directed(index, petgraph::Direction::Incoming) {
                if all.insert(dep) {
                    ancestors.push(dep);
                }
            }
        }
        return Some(all);
    }
    // Non-resource nodes (variables, providers, ...) are cheap and side-effect free: keep
    // them all so every reference resolves.
    for (node, index) in &graph.index {
        if !matches!(node, Node::Resource(_)) {
            included.insert(*index);
        }
    }
    Some(included)
}

/// Resources replaced create-before-destroy: those that ask for it, and (as Terraform
/// forces) every resource a create-before-destroy resource depends on, since otherwise the
/// order create-new → update-dependents → delete-old would have a cycle.
fn forced_cbd(
    config: &Config,
    graph: &ConfigGraph,
    resource_deps: &HashMap<NodeIndex, BTreeSet<ConfigResource>>,
    state: &State,
) -> HashSet<ConfigResource> {
    let mut out = HashSet::new();
    let mut stack = Vec::new();
    for module in config.modules() {
        for resource in module.resources.values() {
            if resource.lifecycle.create_before_destroy {
                stack.push(ConfigResource { module: module.path.clone(), resource: resource.addr.clone() });
            }
        }
    }
    for instance in state.instances.values() {
        if instance.create_before_destroy
            && let Ok(addr) = instance.addr.parse::<AbsResourceInstance>()
        {
            stack.push(addr.config_resource());
        }
    }
    while let Some(resource) = stack.pop() {
        if !out.insert(resource.clone()) {
            continue;
        }
        if let Some(index) = graph.index.get(&Node::Resource(resource.clone()))
            && let Some(deps) = resource_deps.get(index)
        {
            stack.extend(deps.iter().cloned());
        }
    }
    out
}

fn scope_of<'s>(
    values: &'s Values,
    module: &'s ModuleInstance,
    config: &'s Module,
    repetition: &'s RepetitionData,
) -> InstanceScope<'s> {
    InstanceScope { values, module, config, repetition, self_value: None }
}

/// The instances state holds for one resource of one module instance: a range of the
/// address-ordered map (`InstanceKey::None` sorts first), not a scan of all of state.
fn state_instances_of(
    state: &State,
    module: &ModuleInstance,
    resource: &crate::addr::ResourceAddr,
) -> Vec<AbsResourceInstance> {
    let start = AbsResourceInstance { module: module.clone(), resource: resource.clone(), key: InstanceKey::None };
    state
        .instances
        .range(start..)
        .map(|(addr, _)| addr)
        .take_while(|addr| &addr.module == module && &addr.resource == resource)
        .cloned()
        .collect()
}

/// Whether refresh found a change worth reporting: the object is gone, or something the
/// user can configure changed. Attributes only the provider sets (a transient cluster's
/// `status`, an execution plan's `next_run_at`) change by themselves and are not drift.
pub(super) fn drifted(schema: &BlockSchema, before: &Value, refreshed: Option<&Value>) -> bool {
    let Some(refreshed) = refreshed else { return true };
    let configurable = |name: &str| schema.attributes.get(name).is_none_or(|a| !a.computed || a.optional);
    match (before.unmarked(), refreshed.unmarked()) {
        (Value::Object(a), Value::Object(b)) => a.keys().chain(b.keys()).any(|name| {
            configurable(name)
                && a.get(name).map(|v| v.clone().unmark_deep().0) != b.get(name).map(|v| v.clone().unmark_deep().0)
        }),
        (a, b) => a.clone().unmark_deep().0 != b.clone().unmark_deep().0,
    }
}

/// The graph's nodes grouped by depth (the longest path from a node without dependencies),
/// each group in topological order. No node depends on another of its group.
fn levels(graph: &ConfigGraph) -> Vec<Vec<NodeIndex>> {
    let order = graph.topo_order();
    let mut depth: HashMap<NodeIndex, usize> = HashMap::with_capacity(order.len());
    let mut out: Vec<Vec<NodeIndex>> = Vec::new();
    for index in order {
        let d = graph.dependencies(index).filter_map(|dep| depth.get(&dep)).map(|d| d + 1).max().unwrap_or(0);
        depth.insert(index, d);
        if out.len() <= d {
            out.resize_with(d + 1, Vec::new);
        }
        out[d].push(index);
    }
    out
}
