//! Making a plan: walk the configuration graph level by level (nodes of one depth never
//! depend on each other), evaluating each node for every module instance. Resources go to
//! their own modules: managed ones to [`managed`](super::managed) (refreshed and planned in
//! batches), data sources to [`data`](super::data), `plan --destroy` to
//! [`destroy`](super::destroy); what state has and the configuration does not to
//! [`orphans`](super::orphans). Every instance's action comes from
//! [`decide`](super::decide).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use petgraph::stable_graph::NodeIndex;
use tracing::{Instrument, info_span};

use crate::addr::{
    AbsResourceInstance, ConfigResource, InstanceKey, ModuleInstance, ModulePath, ResourceAddr, ResourceMode,
};
use crate::config::{Config, Module};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::graph::{ConfigGraph, Node};
use crate::provider::{self, Provider, ProviderRegistry};
use crate::runtime::nodes;
use crate::runtime::{InstanceScope, ProviderAddr, RepetitionData, ResolvedResource, Values, resolve_provider};
use crate::schema::ResourceSchema;
use crate::state::{State, StateChange};
use crate::value::{Type, Value};

use super::cbd::forced_cbd;
use super::targeting::targets_closure;
use super::variables::root_variable_value;
use super::{Action, InputValues, OutputChange, Plan, PlanBasis, PlanOptions, ResourceChange};

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
    /// `resource` blocks written for imports without configuration
    /// (`PlanOptions::generate_config`), unformatted.
    pub generated: Vec<super::Generated>,
}

/// Makes a plan.
pub async fn plan(input: PlanInput<'_>) -> PlanOutcome {
    let mut planner = Planner::new(input);
    planner.run().await;
    planner.plan_deletes().await;
    planner.authorize().await;
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

/// Drops `what` on a thread of its own (here, if no thread can be started): freeing a large
/// tree of values is work nobody needs to wait for.
fn drop_elsewhere<T: Send + 'static>(what: T) {
    // A thread that cannot start drops its closure, and `what` with it, here.
    let _ = std::thread::Builder::new().name("drop".to_string()).spawn(move || drop(what));
}

/// The walk's state; the modules of `plan/` add its steps.
pub(super) struct Planner<'a> {
    pub(super) input: PlanInput<'a>,
    pub(super) values: Values,
    /// Working copy of state: refreshed and recovered instances replace prior ones.
    pub(super) state: State,
    pub(super) providers: HashMap<ProviderAddr, Arc<dyn Provider>>,
    pub(super) changes: BTreeMap<(AbsResourceInstance, Option<uuid::Uuid>), ResourceChange>,
    pub(super) drift: Vec<ResourceChange>,
    pub(super) recovered: Vec<StateChange>,
    pub(super) diags: Diagnostics,
    pub(super) resource_deps: HashMap<NodeIndex, BTreeSet<ConfigResource>>,
    /// Nodes the walk evaluates; with `--target`, the targets and what they depend on (in
    /// destroy mode: the targets and what depends on them).
    pub(super) included: Option<HashSet<NodeIndex>>,
    /// Resources that must be replaced create-before-destroy (explicit or forced).
    pub(super) cbd: HashSet<ConfigResource>,
    /// Resources with a pending change (for data sources that must wait for apply).
    pub(super) pending: HashSet<ConfigResource>,
    /// Instances `import` blocks import, with the id of each.
    pub(super) imports: BTreeMap<AbsResourceInstance, String>,
    /// Configuration written for imports without one (`-generate-config-out`).
    pub(super) generated: Vec<super::generate::Generated>,
    /// Among `pending`, those whose change is not in place (a create, a replacement, a data
    /// source read during apply only): what a data source waiting for them reads may not
    /// exist yet, so it is read during apply only.
    pub(super) pending_new: HashSet<ConfigResource>,
    /// Results of `check` blocks, in the order they ran.
    pub(super) checks: Vec<crate::runtime::CheckResult>,
    /// Objects left to a later round, by address (see [`deferred`](super::deferred)).
    pub(super) deferred: BTreeMap<String, super::DeferredChange>,
    /// Graph nodes that are deferred or depend on a deferred object, with the nearest
    /// deferred object's address (what "depends on deferred X" names).
    pub(super) deferred_nodes: HashMap<NodeIndex, String>,
    /// Resource schemas and their object types by provider, mode and type, looked up once
    /// per type: a configuration of a hundred thousand blocks of one type copied the
    /// schema for each.
    schemas: SchemaCache,
}

impl<'a> Planner<'a> {
    fn new(mut input: PlanInput<'a>) -> Planner<'a> {
        let root_dir = input.config.root.dir.clone();
        // A plan shows impure functions as known after apply, as Terraform does.
        let values = Values {
            pure_only: true,
            plan_timestamp: Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            ..Values::new(&input.workspace, root_dir, input.cwd.clone())
        };
        // The planner works on the state it was given; after this only the basis (lineage and
        // serial) is read from the input, so the instances are moved out, not copied.
        let basis = State {
            lineage: input.state.lineage,
            serial: input.state.serial,
            instances: BTreeMap::new(),
            outputs: BTreeMap::new(),
            intents: BTreeMap::new(),
        };
        let state = std::mem::replace(&mut input.state, basis);
        let resource_deps = resource_dependencies(input.graph);
        let included = targets_closure(input.graph, &input.options);
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
            imports: BTreeMap::new(),
            generated: Vec::new(),
            pending_new: HashSet::new(),
            checks: Vec::new(),
            deferred: BTreeMap::new(),
            deferred_nodes: HashMap::new(),
            schemas: HashMap::new(),
        }
    }

    async fn run(&mut self) {
        self.apply_moved();
        // Nodes at the same depth (longest path from a source) never depend on each other,
        // so the provider calls of all resources of one depth run together: independent
        // resources are refreshed and planned concurrently, and a plugin gets them in batches.
        let mut checks = Vec::new();
        for level in levels(self.input.graph) {
            if self.diags.has_errors() {
                // Keep going only while the plan is still meaningful.
                break;
            }
            let mut batch = Vec::new();
            for index in level {
                let node = self.input.graph.node(index).clone();
                let skipped = self.included.as_ref().is_some_and(|set| !set.contains(&index));
                if let Some(origin) = self.deferred_upstream(index) {
                    self.defer_dependent(index, &node, origin);
                    // What depends on a deferred object waits for the round that plans it;
                    // values are still evaluated (unknown where they use it).
                    if matches!(node, Node::Resource(_) | Node::Check { .. }) {
                        continue;
                    }
                }
                match &node {
                    Node::Variable { module, name } => self.visit_variable(module, name),
                    Node::Local { module, name } => self.visit_local(module, name),
                    Node::Output { module, name } => self.visit_output(module, name),
                    Node::ModuleCall { module, name } => self.visit_module_call(index, module, name),
                    Node::Provider { module, key } => self.visit_provider(module, key).await,
                    // Checks run last in a plan; not with --target, nor when destroying.
                    Node::Check { .. } if skipped || self.input.options.destroy => {}
                    Node::Check { module, name } => checks.push((module.clone(), name.clone())),
                    Node::Resource(resource) if skipped => self.use_prior_values(resource),
                    Node::Resource(resource)
                        if resource.resource.mode == ResourceMode::Managed && !self.input.options.destroy =>
                    {
                        batch.push((index, resource.clone()));
                    }
                    Node::Resource(resource) => self.visit_resource(index, resource).await,
                }
            }
            if !batch.is_empty() && !self.input.config.root.imports.is_empty() && !self.input.options.refresh_only {
                let resources: Vec<ConfigResource> = batch.iter().map(|(_, r)| r.clone()).collect();
                self.import_for(&resources).await;
            }
            if !batch.is_empty() && !self.diags.has_errors() {
                self.plan_managed_batch(batch).await;
            }
        }
        if !self.diags.has_errors() && !self.input.options.destroy {
            self.finish_imports().await;
        }
        if !self.diags.has_errors() {
            self.plan_orphans().await;
            self.plan_deposed().await;
            self.warn_forgotten();
        }
        if !self.diags.has_errors() {
            for (module, name) in checks {
                self.visit_check(&module, &name).await;
            }
        }
    }

    pub(super) fn module_config(&self, path: &ModulePath) -> Option<&'a Module> {
        self.input.config.module(path)
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
            let root = self.values.module(&ModuleInstance::root());
            let others = |n: &str| root.and_then(|m| m.variables.get(n)).cloned();
            let (instance, repetition) = (ModuleInstance::root(), RepetitionData::default());
            let rest = InstanceScope {
                values: &self.values,
                module: &instance,
                config: &self.input.config.root,
                repetition: &repetition,
                self_value: None,
            };
            let d = nodes::validate_variable(name, &decl.validations, &value, &others, Some(&rest));
            self.diags.extend(d);
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

    fn visit_module_call(&mut self, index: NodeIndex, module: &ModulePath, name: &str) {
        let d = nodes::eval_module_call(self.input.config, &mut self.values, module, name);
        self.diags.extend(d);
        for instance in self.values.instances_of(module) {
            let expansion = self.values.module(&instance).and_then(|m| m.calls.get(name));
            if let Some(crate::runtime::Expansion::Deferred { reason }) = expansion {
                let reason = reason.clone();
                self.defer_module_call(index, &instance, name, reason);
            }
        }
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

    /// The resource's schema, from its provider's factory (no configured provider needed).
    pub(super) fn resource_schema(&self, resource: &ConfigResource) -> Option<ResourceSchema> {
        ResolvedResource::resolve(self.input.config, resource)?.schema(self.input.registry)
    }

    /// [`ResolvedResource::schema`] with its object type, shared by every resource of the
    /// same provider and type.
    pub(super) fn cached_schema(
        &mut self,
        resolved: &ResolvedResource<'_>,
    ) -> Option<(Arc<ResourceSchema>, Arc<Type>)> {
        cached_schema_in(&mut self.schemas, self.input.registry, resolved)
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
                    &parts.resolved,
                    &parts.schema,
                    parts.provider.clone(),
                )
                .await;
            } else {
                self.plan_destroy_instances(
                    module_instance,
                    resource,
                    &parts.schema,
                    &parts.resolved.provider,
                    parts.provider.clone(),
                )
                .await;
            }
        }
    }

    fn finish(mut self) -> PlanOutcome {
        // Even when a provider refused one of the two already (an entry the remote side
        // holds), for this error names the other resource.
        {
            // One schema look-up per resource, not per instance: changes are in address
            // order, so a resource's instances come one after the other.
            let registry = self.input.registry;
            let mut declared = HashMap::new();
            let mut previous = None;
            for change in self.changes.values() {
                let resource = (&change.addr.module, &change.addr.resource);
                if previous == Some(resource) {
                    continue;
                }
                previous = Some(resource);
                if let std::collections::hash_map::Entry::Vacant(slot) = declared.entry(change.addr.config_resource()) {
                    let schema = ResolvedResource::resolve(self.input.config, slot.key())
                        .and_then(|resolved| cached_schema_in(&mut self.schemas, registry, &resolved));
                    slot.insert(schema.and_then(|(s, _)| s.block.identity.clone()));
                }
            }
            // Nothing to compare when no planned resource declares an identity.
            if declared.values().any(Option::is_some) {
                let identities = super::identity::check(self.input.config, self.changes.values(), |addr| {
                    declared.get(&addr.config_resource()).cloned().flatten()
                });
                self.diags.extend(identities);
            }
        }
        // A provider that died fails every later call the same way: say so once.
        self.diags = std::mem::take(&mut self.diags).merge_repeats();
        if self.diags.has_errors() {
            return PlanOutcome {
                plan: None,
                recovered: self.recovered,
                diagnostics: self.diags,
                generated: self.generated,
            };
        }
        // A refresh-only plan keeps only what refresh found: nothing is to be changed.
        let refresh_only = self.input.options.refresh_only;
        if refresh_only {
            self.changes.clear();
            self.imports.clear();
            self.deferred.clear();
        }
        let output_changes = if refresh_only {
            super::refresh_only::output_changes(&self.input, &self.state, &self.drift)
        } else {
            self.output_changes()
        };
        let plan = Plan {
            basis: PlanBasis {
                workspace: self.input.workspace.clone(),
                state_lineage: self.input.state.lineage,
                state_serial: self.input.state.serial,
                config_hash: self.input.config.hash.clone(),
            },
            options: self.input.options.clone(),
            timestamp: self.values.plan_timestamp.clone(),
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
            imports: {
                let changes = &self.changes;
                std::mem::take(&mut self.imports)
                    .into_iter()
                    .filter(|(addr, _)| changes.contains_key(&(addr.clone(), None)))
                    .collect()
            },
            changes: std::mem::take(&mut self.changes).into_values().collect(),
            output_changes,
            drift: std::mem::take(&mut self.drift),
            checks: std::mem::take(&mut self.checks),
            deferred: self.deferred_changes(),
        };
        // Every instance's value and state record, freed beside the caller's work rather
        // than before it can go on: a tenth of a large no-change plan.
        drop_elsewhere((std::mem::take(&mut self.values.modules), std::mem::take(&mut self.state.instances)));
        PlanOutcome { plan: Some(plan), recovered: self.recovered, diagnostics: self.diags, generated: self.generated }
    }

    fn output_changes(&self) -> Vec<OutputChange> {
        let mut out = Vec::new();
        let root = self.values.module(&ModuleInstance::root());
        let mut names: BTreeSet<&String> = self.input.config.root.outputs.keys().collect();
        names.extend(self.state.outputs.keys());
        for name in names {
            // A deferred output keeps its value until the round that can evaluate it.
            if !self.deferred.is_empty() && self.deferred.contains_key(&format!("output.{name}")) {
                continue;
            }
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
                    if a.is_wholly_known() && b.eq_unmarked(a) {
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

/// Resource schemas with their object types, by provider name, mode and type.
type SchemaCache = HashMap<(String, ResourceMode, String), Option<(Arc<ResourceSchema>, Arc<Type>)>>;

/// [`Planner::cached_schema`] on the cache alone, for callers that hold other fields.
fn cached_schema_in(
    cache: &mut SchemaCache,
    registry: &ProviderRegistry,
    resolved: &ResolvedResource<'_>,
) -> Option<(Arc<ResourceSchema>, Arc<Type>)> {
    let addr = &resolved.config.addr;
    let key = (resolved.provider.name().to_string(), addr.mode, addr.type_name.clone());
    cache
        .entry(key)
        .or_insert_with(|| {
            let schema = resolved.schema(registry)?;
            let ty = Arc::new(schema.block.ty());
            Some((Arc::new(schema), ty))
        })
        .clone()
}

/// The instances state holds for one resource of one module instance: a range of the
/// address-ordered map (`InstanceKey::None` sorts first), not a scan of all of state.
pub(super) fn state_instances_of(
    state: &State,
    module: &ModuleInstance,
    resource: &ResourceAddr,
) -> Vec<AbsResourceInstance> {
    state_addresses_of(state, module, resource).cloned().collect()
}

/// [`state_instances_of`] without copies, for callers that keep only a few of them.
pub(super) fn state_addresses_of<'s>(
    state: &'s State,
    module: &'s ModuleInstance,
    resource: &'s ResourceAddr,
) -> impl Iterator<Item = &'s AbsResourceInstance> {
    let start = AbsResourceInstance { module: module.clone(), resource: resource.clone(), key: InstanceKey::None };
    state
        .instances
        .range(start..)
        .map(|(addr, _)| addr)
        .take_while(move |addr| &addr.module == module && &addr.resource == resource)
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
