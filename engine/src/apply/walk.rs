//! The scheduler: runs the apply graph's tasks as soon as what they wait for has succeeded,
//! skips the dependents of a task that failed, starts no provider call after an interrupt (or
//! once the state sink stops taking commits), and reports every instance's outcome as an event.
//!
//! What a task does lives beside it: `nodes` (variables, locals, outputs, module calls and
//! provider configurations), `resource` (a resource's instances, expanded again), `instance`
//! (one instance's operation, holding one of the `parallelism` permits for its provider call).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use futures::stream::{FuturesUnordered, StreamExt};
use tracing::{Instrument, info_span};

use crate::addr::{AbsResourceInstance, ConfigResource, ModuleInstance};
use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{ConfigGraph, Node};
use crate::plan::{Action, Plan, ResourceChange, resource_dependencies};
use crate::provider::{Provider, ProviderRegistry};
use crate::runtime::{ProviderAddr, Values};
use crate::state::{OutputState, State, StateChange};

use super::events::{ApplyEvent, InstanceOutcome};
use super::interrupt::Interrupt;
use super::sink::{Deferred, StateSink};
use super::slots::Slots;
use super::tasks::{self, Task};

pub struct ApplyInput<'a> {
    pub config: &'a Config,
    pub graph: &'a ConfigGraph,
    pub plan: &'a Plan,
    /// The state the plan was made against (its serial was checked by the caller).
    pub state: &'a State,
    pub registry: &'a ProviderRegistry,
    /// Usually a [`StateWriter`](crate::state::StateWriter), which also keeps what the run
    /// did for a recovery file.
    pub sink: &'a dyn StateSink,
    pub workspace: String,
    pub data_dir: PathBuf,
    pub cwd: PathBuf,
    pub parallelism: usize,
    /// The workspace's secret key ([`StateStore::workspace_key`](crate::state::StateStore::workspace_key)), which keys write-only digests.
    pub key: crate::secret::WorkspaceKey,
    pub events: Option<tokio::sync::mpsc::UnboundedSender<ApplyEvent>>,
    /// Set (by Ctrl-C) to start no new operations; those in flight finish and are recorded.
    pub interrupted: Interrupt,
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
    values.plan_timestamp = input.plan.timestamp.clone();
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
        slots: Slots::new(input.parallelism),
        diags: Mutex::new(Diagnostics::new()),
        outcomes: Mutex::new(Vec::new()),
        deferred: Mutex::new(Vec::new()),
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
        Task::Eval(i) => matches!(graph.node(*i), Node::Provider { .. } | Node::Check { .. }),
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

/// What the tasks of one walk share. Each shared value has its own mutex, never held across
/// an await.
pub(super) struct Walker<'a> {
    pub(super) input: &'a ApplyInput<'a>,
    pub(super) values: Mutex<Values>,
    /// Provider configurations configured so far.
    pub(super) providers: Mutex<HashMap<ProviderAddr, Arc<dyn Provider>>>,
    /// One permit per provider operation in flight (`parallelism`), long-running operations
    /// served first; an operation gives its own back when it starts waiting (see `slot`).
    pub(super) slots: Slots,
    diags: Mutex<Diagnostics>,
    outcomes: Mutex<Vec<(AbsResourceInstance, Action, InstanceOutcome)>>,
    /// Result commits that ride with later ones (`StateSink::commit_deferred`), awaited
    /// before the walk ends.
    pub(super) deferred: Mutex<Vec<(AbsResourceInstance, Deferred)>>,
    /// The plan's changes by resource.
    pub(super) changes: HashMap<ConfigResource, Vec<&'a ResourceChange>>,
}

/// Locks a mutex, recovering the data if a panicking task poisoned it (tasks do not panic,
/// but a poisoned lock must not take the whole apply down with it).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Walker<'_> {
    /// Keeps diagnostics for the outcome; whether they were free of errors.
    pub(super) fn report(&self, diags: Diagnostics) -> bool {
        let ok = !diags.has_errors();
        lock(&self.diags).extend(diags);
        ok
    }

    /// Whether no new operation may start: the user interrupted, or the state sink stopped
    /// taking commits (the stored state changed underneath the run).
    pub(super) fn interrupted(&self) -> bool {
        self.input.interrupted.is_set() || self.input.sink.stopped()
    }

    pub(super) fn event(&self, event: ApplyEvent) {
        if let Some(tx) = &self.input.events {
            let _ = tx.send(event);
        }
    }

    /// Records what happened to one planned change, and tells the CLI.
    pub(super) fn record(
        &self,
        addr: &AbsResourceInstance,
        action: Action,
        outcome: InstanceOutcome,
        started: Instant,
    ) {
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
                self.record(&change.addr, change.action, outcome, Instant::now());
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

    /// The root module's outputs go to state last, with the walk's outcome.
    async fn finish(self) -> ApplyOutcome {
        let mut outputs = BTreeMap::new();
        if !self.input.plan.options.destroy {
            let values = lock(&self.values);
            if let Some(root) = values.module(&ModuleInstance::root()) {
                for (name, value) in &root.outputs {
                    // A deferred output keeps what state had until a round evaluates it.
                    if self.input.plan.has_deferred() && self.input.plan.is_deferred(&format!("output.{name}")) {
                        if let Some(prior) = self.input.state.outputs.get(name) {
                            outputs.insert(name.clone(), prior.clone());
                        }
                        continue;
                    }
                    if value.is_wholly_known() {
                        let (bare, _) = value.clone().unmark_deep();
                        let sensitive = value.contains_sensitive();
                        outputs.insert(name.clone(), OutputState { value: bare.to_json(), ty: bare.ty(), sensitive });
                    }
                }
            }
        }
        // The outputs' commit is submitted while the deferred results are still waiting for
        // one to ride with: commits keep their order, so it carries them (one commit, at once,
        // rather than the results alone after the deferral window and then the outputs).
        let deferred = std::mem::take(&mut *lock(&self.deferred));
        let results = async {
            let mut not_recorded = Diagnostics::new();
            for (addr, pending) in deferred {
                if let Err(e) = pending.await {
                    not_recorded.push(super::provider_call::result_not_recorded(&addr, &e));
                }
            }
            not_recorded
        };
        let outputs_commit = self.input.sink.commit(vec![StateChange::SetOutputs(outputs.clone())]);
        let (not_recorded, outputs_committed) = futures::future::join(results, outputs_commit).await;
        // A provider that died fails every operation it was serving with the same error:
        // told once, pointing at every resource it concerns.
        lock(&self.diags).extend(not_recorded);
        let mut diagnostics = std::mem::take(&mut *lock(&self.diags)).merge_repeats();
        if let Err(e) = outputs_committed {
            diagnostics.push(Diagnostic::error("Cannot record outputs in state").with_detail(e.to_string()));
        }
        let outcomes = std::mem::take(&mut *lock(&self.outcomes));
        ApplyOutcome { diagnostics, outcomes, outputs }
    }
}
