//! The apply graph: tasks and the edges between them, built from the configuration graph
//! and the plan.

use std::collections::{BTreeSet, HashMap};

use petgraph::stable_graph::NodeIndex;

use crate::addr::{ConfigResource, Target};
use crate::graph::{ConfigGraph, Node};
use crate::plan::{Action, Plan};
use crate::runtime::provider_key;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Task {
    /// Evaluate a variable, local, output, module call, or configure a provider.
    Eval(NodeIndex),
    /// Creates, updates, the create half of replacements, and data reads of a resource.
    Apply(ConfigResource),
    /// Deletions of a resource's instances (including the delete half of replacements).
    Destroy(ConfigResource),
}

pub(crate) struct TaskGraph {
    pub tasks: Vec<Task>,
    /// For each task, the tasks it waits for.
    pub waits_for: Vec<BTreeSet<usize>>,
}

impl TaskGraph {
    /// Each task's dependents.
    pub(super) fn dependents(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.tasks.len()];
        for (task, waits) in self.waits_for.iter().enumerate() {
            for &w in waits {
                out[w].push(task);
            }
        }
        out
    }

    /// A cycle, if the edges have one (a bug in the ordering rules, or a configuration that
    /// mixes create-before-destroy in a way no order satisfies).
    pub(super) fn find_cycle(&self) -> Option<Vec<usize>> {
        let mut remaining: Vec<usize> = self.waits_for.iter().map(BTreeSet::len).collect();
        let dependents = self.dependents();
        let mut ready: Vec<usize> = (0..self.tasks.len()).filter(|&t| remaining[t] == 0).collect();
        let mut done = 0;
        while let Some(t) = ready.pop() {
            done += 1;
            for &d in &dependents[t] {
                remaining[d] -= 1;
                if remaining[d] == 0 {
                    ready.push(d);
                }
            }
        }
        if done == self.tasks.len() {
            None
        } else {
            Some((0..self.tasks.len()).filter(|&t| remaining[t] > 0).collect())
        }
    }
}

pub(crate) fn build(
    graph: &ConfigGraph,
    plan: &Plan,
    resource_deps: &HashMap<NodeIndex, BTreeSet<ConfigResource>>,
) -> TaskGraph {
    let mut tasks = Vec::new();
    let mut index_of: HashMap<Task, usize> = HashMap::new();
    let mut add = |task: Task, tasks: &mut Vec<Task>| -> usize {
        *index_of.entry(task.clone()).or_insert_with(|| {
            tasks.push(task);
            tasks.len() - 1
        })
    };

    // One task per configuration node.
    let mut node_task: HashMap<NodeIndex, usize> = HashMap::new();
    for index in graph.graph.node_indices() {
        let task = match graph.node(index) {
            Node::Resource(r) => Task::Apply(r.clone()),
            _ => Task::Eval(index),
        };
        node_task.insert(index, add(task, &mut tasks));
    }

    // Which resources have deletions, their dependencies and whether they are CBD.
    let mut destroys: HashMap<ConfigResource, (BTreeSet<ConfigResource>, bool, String)> = HashMap::new();
    for change in &plan.changes {
        // A forgotten instance leaves state in its resource's Destroy task.
        let deletes = matches!(
            change.action,
            Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete | Action::Forget
        );
        if !deletes {
            continue;
        }
        let resource = change.addr.config_resource();
        let entry =
            destroys.entry(resource.clone()).or_insert_with(|| (BTreeSet::new(), false, change.provider.clone()));
        entry.1 |=
            change.action == Action::CreateThenDelete || (change.deposed.is_some() && change.create_before_destroy);
        for dep in &change.dependencies {
            if let Ok(target) = dep.parse::<Target>() {
                match target {
                    Target::Resource(r) => {
                        entry.0.insert(ConfigResource { module: r.module.path(), resource: r.resource });
                    }
                    Target::Instance(i) => {
                        entry.0.insert(i.config_resource());
                    }
                    Target::Module(_) => {}
                }
            }
        }
        if let Some(index) = graph.index.get(&Node::Resource(resource.clone()))
            && let Some(deps) = resource_deps.get(index)
        {
            entry.0.extend(deps.iter().cloned());
        }
    }
    let mut destroy_task: HashMap<ConfigResource, usize> = HashMap::new();
    let mut sorted: Vec<&ConfigResource> = destroys.keys().collect();
    sorted.sort();
    for resource in sorted {
        destroy_task.insert(resource.clone(), add(Task::Destroy(resource.clone()), &mut tasks));
    }

    let mut waits_for = vec![BTreeSet::new(); tasks.len()];
    // Configuration edges: a node waits for what it refers to.
    for index in graph.graph.node_indices() {
        let task = node_task[&index];
        for dep in graph.dependencies(index) {
            waits_for[task].insert(node_task[&dep]);
        }
    }
    for (resource, (deps, cbd, provider)) in &destroys {
        let d = destroy_task[resource];
        // Dependents are destroyed before their dependencies.
        for dep in deps {
            if let Some(&dd) = destroy_task.get(dep)
                && dd != d
            {
                waits_for[dd].insert(d);
            }
        }
        // The provider must be configured first.
        let provider = provider_key(provider);
        if let Some(pi) =
            graph.index.get(&Node::Provider { module: provider.module.clone(), key: provider.key.clone() })
        {
            waits_for[d].insert(node_task[pi]);
        }
        let apply_task = graph.index.get(&Node::Resource(resource.clone())).map(|i| node_task[i]);
        if *cbd {
            // Create the new object, let dependents move to it, then delete the old one.
            if let Some(a) = apply_task {
                waits_for[d].insert(a);
            }
            for (index, other_deps) in resource_deps {
                if other_deps.contains(resource) {
                    waits_for[d].insert(node_task[index]);
                }
            }
        } else if let Some(a) = apply_task {
            waits_for[a].insert(d);
        }
    }
    TaskGraph { tasks, waits_for }
}
