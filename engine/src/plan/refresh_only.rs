//! A `-refresh-only` plan's output changes, and applying such a plan: the refreshed objects
//! its drift found are written to state as they are (changed attributes, or the instance
//! dropped when its object is gone), with no provider call; everything else about each
//! instance is kept; and the root outputs become what the refreshed objects make them, as
//! Terraform records them.

use std::collections::{BTreeMap, BTreeSet};

use crate::addr::ModuleInstance;
use crate::state::{OutputState, State, StateChange};
use crate::value::Value;

use super::console::{ConsoleInput, evaluate_for_console};
use super::planner::PlanInput;
use super::{Action, OutputChange, Plan, ResourceChange};

/// The root outputs as the refreshed objects make them, against those in `state`: the
/// configuration is evaluated over the state with the drift recorded (no provider is asked
/// anything again), as Terraform evaluates a refresh-only plan's outputs.
pub(super) fn output_changes(input: &PlanInput<'_>, state: &State, drift: &[ResourceChange]) -> Vec<OutputChange> {
    let mut refreshed = state.clone();
    refreshed.apply_changes(record_drift(drift, state));
    let console = ConsoleInput {
        config: input.config,
        graph: input.graph,
        state: &refreshed,
        registry: input.registry,
        variables: input.variables,
        workspace: input.workspace.clone(),
        cwd: input.cwd.clone(),
    };
    let (values, _) = evaluate_for_console(&console);
    let root = values.module(&ModuleInstance::root());
    let mut names: BTreeSet<&String> = input.config.root.outputs.keys().collect();
    names.extend(state.outputs.keys());
    let mut out = Vec::new();
    for name in names {
        let before = state
            .outputs
            .get(name)
            .map(|o| Value::from_json(&o.value, &o.ty).unwrap_or(Value::null()).marked_if(o.sensitive));
        let sensitive = input.config.root.outputs.get(name).is_some_and(|o| o.sensitive);
        let after = root.and_then(|m| m.outputs.get(name)).cloned().filter(Value::is_wholly_known);
        let action = match (&before, &after) {
            (None, None) => continue,
            (None, Some(_)) => Action::Create,
            (Some(_), None) => Action::Delete,
            (Some(b), Some(a)) if b.eq_unmarked(a) => Action::NoOp,
            (Some(_), Some(_)) => Action::Update,
        };
        out.push(OutputChange { name: name.clone(), action, before, after, sensitive });
    }
    out
}

/// The state changes that record a refresh-only plan's drift, against `state` (the state
/// the plan was made from).
pub fn refreshed_state(plan: &Plan, state: &State) -> Vec<StateChange> {
    let mut changes = record_drift(&plan.drift, state);
    if plan.output_changes.iter().any(|o| o.action != Action::NoOp) {
        changes.push(StateChange::SetOutputs(refreshed_outputs(plan)));
    }
    changes
}

/// The root module's outputs as a refresh-only plan has them, to record and to show.
pub fn refreshed_outputs(plan: &Plan) -> BTreeMap<String, OutputState> {
    plan.output_changes
        .iter()
        .filter_map(|o| {
            let value = o.after.as_ref()?;
            let (bare, _) = value.clone().unmark_deep();
            let sensitive = o.sensitive || value.contains_sensitive();
            Some((o.name.clone(), OutputState { value: bare.to_json(), ty: bare.ty(), sensitive }))
        })
        .collect()
}

fn record_drift(drift: &[ResourceChange], state: &State) -> Vec<StateChange> {
    let mut changes = Vec::new();
    for drift in drift.iter().filter(|d| d.deposed.is_none()) {
        let Some(prior) = state.instances.get(&drift.addr) else { continue };
        match &drift.after {
            None => changes.push(StateChange::RemoveInstance(drift.addr.clone())),
            Some(after) => {
                let (bare, sensitive_paths) = after.clone().unmark_deep();
                let mut instance = prior.clone();
                instance.attributes = bare.to_json();
                instance.sensitive_paths = sensitive_paths;
                changes.push(StateChange::PutInstance(instance));
            }
        }
    }
    changes
}
