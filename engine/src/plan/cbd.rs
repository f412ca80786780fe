//! Which resources are replaced create-before-destroy.

use std::collections::{BTreeSet, HashMap, HashSet};

use petgraph::stable_graph::NodeIndex;

use crate::addr::{AbsResourceInstance, ConfigResource};
use crate::config::Config;
use crate::graph::{ConfigGraph, Node};
use crate::state::State;

/// Resources replaced create-before-destroy: those that ask for it, and (as Terraform
/// forces) every resource a create-before-destroy resource depends on, since otherwise the
/// order create-new → update-dependents → delete-old would have a cycle. Objects created
/// that way keep it (state records it).
pub(super) fn forced_cbd(
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
