//! `--target` and `-exclude`: which graph nodes the walk evaluates, which instances are
//! selected, and the values of resources left out (what state says).

use std::collections::{BTreeMap, HashSet};

use petgraph::stable_graph::NodeIndex;

use crate::addr::{AbsResourceInstance, ConfigResource, InstanceKey, Target};
use crate::graph::{ConfigGraph, Node};
use crate::runtime::Expansion;
use crate::value::Type;

use super::PlanOptions;
use super::planner::{Planner, state_instances_of};
use super::values::decode_state;

impl Planner<'_> {
    /// With `--target`, whether an instance is selected (in destroy mode: a target or a
    /// dependent of one).
    pub(super) fn targeted(&self, addr: &AbsResourceInstance) -> bool {
        targeted(&self.input.options.targets, addr) && !self.input.options.excludes.iter().any(|t| t.contains(addr))
    }

    /// Values of a resource outside `--target`: what state says, no change planned.
    pub(super) fn use_prior_values(&mut self, resource: &ConfigResource) {
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
}

fn targeted(targets: &[Target], addr: &AbsResourceInstance) -> bool {
    if targets.is_empty() {
        return true;
    }
    if targets.iter().any(|t| t.contains(addr)) {
        return true;
    }
    // A resource included only as a dependency (plan) or dependent (destroy) of a
    // target is planned whole, unless an instance-level target names it.
    let config_resource = addr.config_resource();
    let named_instance =
        targets.iter().any(|t| matches!(t, Target::Instance(i) if i.config_resource() == config_resource));
    !named_instance
}

/// With `--target`: the targeted resources and everything they depend on (plan), or the
/// targeted resources and everything that depends on them (destroy).
pub(super) fn targets_closure(graph: &ConfigGraph, options: &PlanOptions) -> Option<HashSet<NodeIndex>> {
    let targeted = targets_only(graph, options);
    if options.excludes.is_empty() {
        return targeted;
    }
    // `-exclude`: the excluded resources and their dependents (in destroy mode, their
    // dependencies: destroying those would break them) are left out. An instance-level
    // exclude leaves its resource in the walk; `targeted` then skips that instance.
    let whole: Vec<Target> = options.excludes.iter().filter(|t| !matches!(t, Target::Instance(_))).cloned().collect();
    let seeds = resource_nodes(graph, &whole);
    let direction = if options.destroy { petgraph::Direction::Incoming } else { petgraph::Direction::Outgoing };
    let mut excluded: HashSet<NodeIndex> = HashSet::new();
    let mut stack = seeds;
    while let Some(index) = stack.pop() {
        if excluded.insert(index) {
            stack.extend(graph.graph.neighbors_directed(index, direction));
        }
    }
    let all = targeted.unwrap_or_else(|| graph.index.values().copied().collect());
    Some(
        all.into_iter()
            .filter(|index| !(excluded.contains(index) && matches!(graph.node(*index), Node::Resource(_))))
            .collect(),
    )
}

/// The graph nodes of the resources `targets` name.
fn resource_nodes(graph: &ConfigGraph, targets: &[Target]) -> Vec<NodeIndex> {
    let mut seeds = Vec::new();
    for (node, index) in &graph.index {
        if let Node::Resource(r) = node {
            let hit = targets.iter().any(|t| match t {
                Target::Module(m) => r.module.0.starts_with(&m.path().0),
                Target::Resource(a) => a.module.path() == r.module && a.resource == r.resource,
                Target::Instance(i) => i.module.path() == r.module && i.resource == r.resource,
            });
            if hit {
                seeds.push(*index);
            }
        }
    }
    seeds
}

fn targets_only(graph: &ConfigGraph, options: &PlanOptions) -> Option<HashSet<NodeIndex>> {
    if options.targets.is_empty() {
        return None;
    }
    let seeds = resource_nodes(graph, &options.targets);
    let mut included: HashSet<NodeIndex> = HashSet::new();
    let direction = if options.destroy { petgraph::Direction::Outgoing } else { petgraph::Direction::Incoming };
    let mut stack = seeds;
    while let Some(index) = stack.pop() {
        if included.insert(index) {
            stack.extend(graph.graph.neighbors_directed(index, direction));
        }
    }
    // Non-resource nodes (variables, providers, ...) are cheap and side-effect free: keep
    // them all so every reference resolves. In destroy mode what the targets depend on
    // stays out (Terraform destroys a target's dependents, never its dependencies): the walk
    // takes those resources' values from state.
    for (node, index) in &graph.index {
        if !matches!(node, Node::Resource(_)) {
            included.insert(*index);
        }
    }
    Some(included)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_target_narrows_its_resource_and_leaves_others_whole() {
        let addr = |s: &str| s.parse::<AbsResourceInstance>().unwrap();
        let target = |s: &str| s.parse::<Target>().unwrap();
        assert!(targeted(&[], &addr("testing_thing.a[0]")));
        let targets = [target("testing_thing.a[1]")];
        assert!(targeted(&targets, &addr("testing_thing.a[1]")));
        assert!(!targeted(&targets, &addr("testing_thing.a[0]")));
        // Included as a dependency: planned whole.
        assert!(targeted(&targets, &addr("testing_thing.b[0]")));
    }
}
