//! The walk: runs the apply graph's tasks as soon as what they wait for has succeeded, with
//! at most `parallelism` provider operations in flight.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Semaphore;
use tracing::{Instrument, info_span};

use crate::addr::{AbsResourceInstance, ConfigResource, InstanceKey, ModuleInstance, ResourceMode};
use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{ConfigGraph, Node};
use crate::lang;
use crate::plan::{Action, Plan, ResourceChange, resource_dependencies};
use crate::provider::{self, Provider, ProviderRegistry};
use crate::runtime::nodes;
use crate::runtime::{Expansion, InstanceScope, ProviderAddr, RepetitionData, Values, expand, resolve_provider};
use crate::schema::ResourceSchema;
use crate::state::{OutputState, State, StateChange, StateError};
use crate::value::Value;

use super::events::{ApplyEvent, InstanceOutcome};
use super::instance::{self, deposed_id};
use super::tasks::{self, Task};

/// Where completed operations are committed. Implementations make each commit durable
/// before returning, and may group concurrent commits into one transaction.
#[async_trait::async_trait]
pub trait StateSink: Send + Sync {
    async fn commit(&self, changes: Vec<StateChange>) -> Result<(), StateError>;
}

pub struct ApplyInput<'a> {
    pub config: &'a Config,
    pub graph: &'a ConfigGraph,
    pub plan: &'a Plan,
    /// The state the plan was made against (its serial was checked by the caller).
    pub state: &'a State,
    pub registry: &'a ProviderRegistry,
    pub sink: &'a dyn StateSink,
    pub workspace: String,
    pub data_dir: PathBuf,
    pub cwd: PathBuf,
    pub parallelism: usize,
    /// The workspace's secret key ([`StateStore::workspace_key`](crate::state::StateStore::workspace_key)), which keys write-only digests.
    pub key: crate::secret::WorkspaceKey,
    pub events: Option<tokio::sync::mpsc::UnboundedSender<ApplyEvent>>,
    /// Set (by Ctrl-C) to start no new operations; those in flight finish and are recorded.
    pub interrupted: Arc<AtomicBool>,
}

#[derive(Debug, Default)]
pub struct ApplyOutcome {
    pub diagnostics: Diagnostics,
    /// What happened to every planned change.
    pub outcomes: Vec<(AbsResourceInstance, Action, InstanceOutcome)>,
    /// Root module outputs after the apply.
    pub outputs: BTreeMap<String, OutputState>,
}

impl ApplyOutcome {
    pub fn count(&self, action: Action) -> usize {
        self.outcomes.iter().filter(|(_, a, o)| *a == action && *o == InstanceOutcome::Done).count()
    }
}

/// Carries out a plan.
pub async fn apply(input: ApplyInput<'_>) -> ApplyOutcome {
    let resource_deps = resource_dependencies(input.graph);
    let task_graph = tasks::build(input.graph, input.plan, &resource_deps);
    if let Some(cycle) = task_graph.find_cycle() {
        let names: Vec<String> = cycle.iter().map(|&t| task_name(input.graph, &task_graph.tasks[t])).collect();
        let mut outcome = ApplyOutcome::default();
        outcome.diagnostics.push(
            Diagnostic::error("Cycle in the apply order")
                .with_detail(format!("These steps wait for each other: {}", names.join(", ")))
                .with_help("this usually comes from create_before_destroy on a resource whose dependency cannot be replaced that way"),
        );
        return outcome;
    }
    let mut values = Values::new(&input.workspace, input.config.root.dir.clone(), input.cwd.clone());
    for (name, value) in &input.plan.variables {
        values.module_mut(&ModuleInstance::root()).variables.insert(name.clone(), value.clone());
    }
    let mut changes: HashMap<ConfigResource, Vec<&ResourceChange>> = HashMap::new();
    for change in &input.plan.changes {
        changes.entry(change.addr.config_resource()).or_default().push(change);
    }
    let walker = Walker {
        input: &input,
        values: Mutex::new(values),
        providers: Mutex::new(HashMap::new()),
        semaphore: Semaphore::new(input.parallelism.max(1)),
        diags: Mutex::new(Diagnostics::new()),
        outcomes: Mutex::new(Vec::new()),
        changes,
    };
    let n = task_graph.tasks.len();
    let dependents = task_graph.dependents();
    let mut remaining: Vec<usize> = task_graph.waits_for.iter().map(|w| w.len()).collect();
    // Whether each finished task succeeded.
    let mut succeeded: Vec<Option<bool>> = vec![None; n];
    let mut running = FuturesUnordered::new();
    let mut ready: Vec<usize> = (0..n).filter(|&t| remaining[t] == 0).collect();
    loop {
        while let Some(t) = ready.pop() {
            let blocked = task_graph.waits_for[t].iter().any(|&w| succeeded[w] == Some(false));
            // After an interrupt no task that would call a provider starts (configuring a
            // provider is such a call; plain evaluations still run, for the outputs).
            let interrupted = walker.interrupted() && calls_provider(input.graph, &task_graph.tasks[t]);
            if blocked || interrupted {
                walker.skip_task(&task_graph.tasks[t], "a dependency failed");
                succeeded[t] = Some(false);
                for &d in &dependents[t] {
                    remaining[d] -= 1;
                    if remaining[d] == 0 {
                        ready.push(d);
                    }
                }
                continue;
            }
            let walker = &walker;
            let task = &task_graph.tasks[t];
            running.push(async move { (t, walker.run_task(task).await) });
        }
        let Some((t, ok)) = running.next().await else { break };
        succeeded[t] = Some(ok);
        for &d in &dependents[t] {
            remaining[d] -= 1;
            if remaining[d] == 0 {
                ready.push(d);
            }
        }
    }
    drop(running);
    walker.finish().await
}

/// Whether running the task means a provider call (configuring a provider counts).
fn calls_provider(graph: &ConfigGraph, task: &Task) -> bool {
    match task {
        Task::Eval(i) => matches!(graph.node(*i), Node::Provider { .. }),
        Task::Apply(_) | Task::Destroy(_) => true,
    }
}

fn task_name(graph: &ConfigGraph, task: &Task) -> String {
    match task {
        Task::Eval(i) => graph.node(*i).to_string(),
        Task::Apply(r) => r.to_string(),
        Task::Destroy(r) => format!("{r} (destroy)"),
    }
}

struct Walker<'a> {
    input: &'a ApplyInput<'a>,
    values: Mutex<Values>,
    providers: Mutex<HashMap<ProviderAddr, Arc<dyn Provider>>>,
    semaphore: Semaphore,
    diags: Mutex<Diagnostics>,
    outcomes: Mutex<Vec<(AbsResourceInstance, Action, InstanceOutcome)>>,
    changes: HashMap<ConfigResource, Vec<&'a ResourceChange>>,
}

/// Locks a mutex, recovering the data if a panicking task poisoned it (tasks do not panic,
/// but a poisoned lock must not take the whole apply down with it).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<'a> Walker<'a> {
    fn report(&self, diags: Diagnostics) -> bool {
        let ok = !diags.has_errors();
        lock(&self.diags).extend(diags);
        ok
    }

    fn interrupted(&self) -> bool {
        self.input.interrupted.load(Ordering::SeqCst)
    }

    fn event(&self, event: ApplyEvent) {
        if let Some(tx) = &self.input.events {
            let _ = tx.send(event);
        }
    }

    fn record(
        &self,
        addr: &AbsResourceInstance,
        action: Action,
        outcome: InstanceOutcome,
        started: Instant,
        deposed: bool,
    ) {
        let _ = deposed;
        self.event(ApplyEvent::Finished {
            addr: addr.clone(),
            action,
            outcome: outcome.clone(),
            elapsed: started.elapsed(),
        });
        lock(&self.outcomes).push((addr.clone(), action, outcome));
    }

    fn skip_task(&self, task: &Task, why: &str) {
        let (resource, destroy) = match task {
            Task::Apply(r) => (r, false),
            Task::Destroy(r) => (r, true),
            Task::Eval(_) => return,
        };
        for change in self.changes.get(resource).into_iter().flatten() {
            let relevant = if destroy {
                matches!(change.action, Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete)
            } else {
                !matches!(change.action, Action::NoOp | Action::Delete)
            };
            if relevant {
                // What a dependency left undone because of the interrupt was not started
                // because of it too.
                let outcome = if self.interrupted() {
                    InstanceOutcome::Interrupted
                } else {
                    InstanceOutcome::Skipped(why.to_string())
                };
                self.record(&change.addr, change.action, outcome, Instant::now(), false);
            }
        }
    }

    async fn run_task(&self, task: &Task) -> bool {
        match task {
            Task::Eval(index) => self.run_eval(*index).await,
            Task::Apply(resource) => {
                self.run_apply(resource).instrument(info_span!("apply_resource", resource = %resource)).await
            }
            Task::Destroy(resource) => {
                self.run_destroy(resource).instrument(info_span!("destroy_resource", resource = %resource)).await
            }
        }
    }

    async fn run_eval(&self, index: petgraph::stable_graph::NodeIndex) -> bool {
        let config = self.input.config;
        let node = self.input.graph.node(index).clone();
        let diags = match &node {
            Node::Variable { module, name } => {
                if module.is_root() {
                    // Root variables come from the plan.
                    Diagnostics::new()
                } else {
                    nodes::eval_child_variable(config, &mut lock(&self.values), module, name)
                }
            }
            Node::Local { module, name } => nodes::eval_local(config, &mut lock(&self.values), module, name),
            Node::Output { module, name } => nodes::eval_output(config, &mut lock(&self.values), module, name),
            Node::ModuleCall { module, name } => nodes::eval_module_call(config, &mut lock(&self.values), module, name),
            Node::Provider { module, key } => {
                let addr = ProviderAddr { module: module.clone(), key: key.clone() };
                return self.configure_provider(&addr).await.is_some();
            }
            Node::Resource(_) => Diagnostics::new(),
        };
        self.report(diags)
    }

    async fn configure_provider(&self, addr: &ProviderAddr) -> Option<Arc<dyn Provider>> {
        if let Some(p) = lock(&self.providers).get(addr) {
            return Some(p.clone());
        }
        let Some(factory) = self.input.registry.get(addr.name()) else {
            self.report(Diagnostic::error(format!("Provider `{}` is not available", addr.name())).into());
            return None;
        };
        let schema = factory.schema();
        let (config_value, diags) = {
            let values = lock(&self.values);
            nodes::eval_provider_config(self.input.config, &values, &addr.module, &addr.key, &schema.provider)
        };
        if !self.report(diags) {
            return None;
        }
        let provider = provider::instantiate(factory.as_ref(), &self.input.key);
        let response = provider
            .configure(provider::ConfigureRequest {
                config: config_value.unmark_deep().0,
                data_dir: self.input.data_dir.clone(),
            })
            .instrument(info_span!("configure", provider = %addr))
            .await;
        if !self.report(response.diagnostics) {
            return None;
        }
        lock(&self.providers).insert(addr.clone(), provider.clone());
        Some(provider)
    }

    fn schema_for(&self, provider: &ProviderAddr, resource: &ConfigResource) -> Option<ResourceSchema> {
        let schema = self.input.registry.get(provider.name())?.schema();
        match resource.resource.mode {
            ResourceMode::Managed => schema.resources.get(&resource.resource.type_name).cloned(),
            ResourceMode::Data => schema.data_sources.get(&resource.resource.type_name).cloned(),
        }
    }

    async fn run_apply(&self, resource: &ConfigResource) -> bool {
        if self.input.plan.options.destroy {
            // Destroying creates and reads nothing.
            return true;
        }
        let config = self.input.config;
        let Some(module_config) = config.module(&resource.module) else { return true };
        let Some(resource_config) = module_config.resources.get(&resource.resource) else { return true };
        let provider_addr = resolve_provider(config, &resource.module, &resource_config.provider);
        let Some(provider) = self.configure_provider(&provider_addr).await else { return false };
        let Some(schema) = self.schema_for(&provider_addr, resource) else {
            return self.report(
                Diagnostic::error(format!("Provider `{}` has no schema for {}", provider_addr.name(), resource)).into(),
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
            // Expand again now that upstream values are known.
            let (expansion, keys, diags) = {
                let values = lock(&self.values);
                let repetition = RepetitionData::default();
                let scope = InstanceScope {
                    values: &values,
                    module: &module_instance,
                    config: module_config,
                    repetition: &repetition,
                    self_value: None,
                };
                expand(resource_config.count.as_ref(), resource_config.for_each.as_ref(), &scope)
            };
            if !self.report(diags) {
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
                        self.read_data(addr, repetition, module_config, resource_config, &schema, provider.clone())
                            .boxed_local_op(),
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
                            self.create_or_update(
                                change,
                                repetition,
                                module_config,
                                resource_config,
                                &schema,
                                provider.clone(),
                            )
                            .boxed_local_op(),
                        );
                    }
                    Some(change) if change.action == Action::Delete => {}
                    Some(change) => {
                        if let Some(v) = change.after.clone().or_else(|| change.before.clone()) {
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

    async fn read_data(
        &self,
        addr: AbsResourceInstance,
        repetition: RepetitionData,
        module_config: &crate::config::Module,
        resource_config: &crate::config::Resource,
        schema: &ResourceSchema,
        provider: Arc<dyn Provider>,
    ) -> (InstanceKey, Option<Value>, bool) {
        let (config_value, diags) = {
            let values = lock(&self.values);
            let scope = InstanceScope {
                values: &values,
                module: &addr.module,
                config: module_config,
                repetition: &repetition,
                self_value: None,
            };
            lang::eval_body(&resource_config.body, &schema.block, &scope)
        };
        if !self.report(diags) {
            return (addr.key, None, false);
        }
        let _permit = self.semaphore.acquire().await;
        if self.interrupted() {
            return (addr.key, None, false);
        }
        let response = provider
            .read_data(provider::ReadDataRequest {
                type_name: addr.resource.type_name.clone(),
                config: config_value.unmark_deep().0,
            })
            .instrument(info_span!("read", addr = %addr))
            .await;
        let ok = self.report(response.diagnostics);
        (addr.key, response.state, ok)
    }

    async fn create_or_update(
        &self,
        change: &ResourceChange,
        repetition: RepetitionData,
        module_config: &crate::config::Module,
        resource_config: &crate::config::Resource,
        schema: &ResourceSchema,
        provider: Arc<dyn Provider>,
    ) -> (InstanceKey, Option<Value>, bool) {
        let key = change.addr.key.clone();
        let started = Instant::now();
        if self.interrupted() {
            self.record(&change.addr, change.action, InstanceOutcome::Interrupted, started, false);
            return (key, None, false);
        }
        let (config_value, diags) = {
            let values = lock(&self.values);
            let scope = InstanceScope {
                values: &values,
                module: &change.addr.module,
                config: module_config,
                repetition: &repetition,
                self_value: None,
            };
            lang::eval_body(&resource_config.body, &schema.block, &scope)
        };
        if !self.report(diags) {
            self.record(
                &change.addr,
                change.action,
                InstanceOutcome::Failed("invalid configuration".into()),
                started,
                false,
            );
            return (key, None, false);
        }
        let _permit = self.semaphore.acquire().await;
        if self.interrupted() {
            self.record(&change.addr, change.action, InstanceOutcome::Interrupted, started, false);
            return (key, None, false);
        }
        self.event(ApplyEvent::Started { addr: change.addr.clone(), action: change.action, deposed: false });
        let prior = if change.action == Action::Update { change.before.clone() } else { None };
        // The final plan, with every upstream value now known.
        let request = provider::PlanRequest::new(
            &schema.block,
            change.type_name.clone(),
            prior.clone(),
            config_value.clone(),
            change.private.clone(),
        );
        let response = provider.plan(request).await;
        let mut diags = response.diagnostics;
        let planned = match response.planned_state {
            Some(p) if diags.has_errors() => p,
            Some(p) => {
                if let Some(saved) = &change.after
                    && !consistent(saved, &p)
                {
                    diags.push(
                        Diagnostic::error(format!("Provider produced inconsistent final plan for {}", change.addr))
                            .with_detail("The planned values changed between plan and apply for attributes that were known at plan time; run `corral plan` again"),
                    );
                }
                let (_, paths) = change.after.clone().unwrap_or(Value::null()).unmark_deep();
                p.mark_paths(&paths)
            }
            None => Value::null(),
        };
        if diags.has_errors() {
            let message = diags.errors().next().map(ToString::to_string).unwrap_or_default();
            self.report(crate::plan::locate(diags, resource_config));
            self.record(&change.addr, change.action, InstanceOutcome::Failed(message), started, false);
            return (key, None, false);
        }
        let result =
            instance::create_or_update(self.input.sink, provider, change, schema, prior, planned, config_value).await;
        let failed = result.diags.has_errors();
        let message = result.diags.errors().next().map(ToString::to_string).unwrap_or_default();
        self.report(crate::plan::locate(result.diags, resource_config));
        let outcome = if failed { InstanceOutcome::Failed(message) } else { InstanceOutcome::Done };
        self.record(&change.addr, change.action, outcome, started, false);
        (key, result.value, !failed)
    }

    async fn run_destroy(&self, resource: &ConfigResource) -> bool {
        let mut ops = FuturesUnordered::new();
        for change in self.changes.get(resource).into_iter().flatten() {
            if !matches!(change.action, Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete) {
                continue;
            }
            ops.push(self.delete_one(change));
        }
        let mut ok = true;
        while let Some(success) = ops.next().await {
            ok &= success;
        }
        ok
    }

    async fn delete_one(&self, change: &ResourceChange) -> bool {
        let started = Instant::now();
        let deposed = change.deposed.is_some() || change.action == Action::CreateThenDelete;
        if self.interrupted() {
            self.record(&change.addr, change.action, InstanceOutcome::Interrupted, started, deposed);
            return false;
        }
        let provider_addr = crate::runtime::provider_key(&change.provider);
        let Some(provider) = self.configure_provider(&provider_addr).await else {
            self.record(
                &change.addr,
                change.action,
                InstanceOutcome::Failed("provider not configured".into()),
                started,
                deposed,
            );
            return false;
        };
        let _permit = self.semaphore.acquire().await;
        if self.interrupted() {
            self.record(&change.addr, change.action, InstanceOutcome::Interrupted, started, deposed);
            return false;
        }
        self.event(ApplyEvent::Started { addr: change.addr.clone(), action: change.action, deposed });
        let pending = if deposed { Some(deposed_id(change)) } else { None };
        let result = instance::delete(self.input.sink, provider, change, pending).await;
        let failed = result.diags.has_errors();
        let message = result.diags.errors().next().map(ToString::to_string).unwrap_or_default();
        self.report(result.diags);
        // The delete half of a plain replacement is reported with the create half.
        if change.action != Action::DeleteThenCreate || failed {
            let outcome = if failed { InstanceOutcome::Failed(message) } else { InstanceOutcome::Done };
            self.record(&change.addr, change.action, outcome, started, deposed);
        }
        !failed
    }

    async fn finish(self) -> ApplyOutcome {
        let mut outputs = BTreeMap::new();
        if !self.input.plan.options.destroy {
            let values = lock(&self.values);
            if let Some(root) = values.module(&ModuleInstance::root()) {
                for (name, value) in &root.outputs {
                    if value.is_wholly_known() {
                        let (bare, _) = value.clone().unmark_deep();
                        let sensitive = value.contains_sensitive();
                        outputs.insert(name.clone(), OutputState { value: bare.to_json(), ty: bare.ty(), sensitive });
                    }
                }
            }
        }
        let mut diagnostics = std::mem::take(&mut *lock(&self.diags));
        if let Err(e) = self.input.sink.commit(vec![StateChange::SetOutputs(outputs.clone())]).await {
            diagnostics.push(Diagnostic::error("Cannot record outputs in state").with_detail(e.to_string()));
        }
        let outcomes = std::mem::take(&mut *lock(&self.outcomes));
        ApplyOutcome { diagnostics, outcomes, outputs }
    }
}

/// Whether a final plan agrees with the saved one wherever the saved one was known.
fn consistent(saved: &Value, new: &Value) -> bool {
    match (saved.unmarked(), new.unmarked()) {
        (Value::Unknown(_), _) => true,
        (Value::Object(a), Value::Object(b)) | (Value::Map(_, a), Value::Map(_, b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| consistent(v, w)))
        }
        (Value::List(_, a), Value::List(_, b)) | (Value::Tuple(a), Value::Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(v, w)| consistent(v, w))
        }
        (Value::Set(_, a), Value::Set(_, b)) => {
            // Set elements with unknowns cannot be matched up; compare the known ones.
            if a.iter().all(Value::is_wholly_known) { a == b } else { true }
        }
        (a, b) => a == b,
    }
}

/// Lets the per-instance futures of different kinds share one `FuturesUnordered`.
trait BoxedOp<'f> {
    fn boxed_local_op(self) -> futures::future::LocalBoxFuture<'f, (InstanceKey, Option<Value>, bool)>;
}

impl<'f, F> BoxedOp<'f> for F
where
    F: std::future::Future<Output = (InstanceKey, Option<Value>, bool)> + 'f,
{
    fn boxed_local_op(self) -> futures::future::LocalBoxFuture<'f, (InstanceKey, Option<Value>, bool)> {
        Box::pin(self)
    }
}
