//! Applying a `-refresh-only` plan: the refreshed objects its drift found are written to
//! state as they are (changed attributes, or the instance dropped when its object is gone),
//! with no provider call; everything else about each instance is kept.

use crate::state::{State, StateChange};

use super::Plan;

/// The state changes that record a refresh-only plan's drift, against `state` (the state
/// the plan was made from).
pub fn refreshed_state(plan: &Plan, state: &State) -> Vec<StateChange> {
    let mut changes = Vec::new();
    for drift in plan.drift.iter().filter(|d| d.deposed.is_none()) {
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
