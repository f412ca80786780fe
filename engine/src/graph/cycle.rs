//! Finding cycles and explaining them. petgraph's `toposort` names one node of a cycle and
//! its strongly connected components are unordered sets, so we take each component and walk
//! a concrete path through it: that path, with the reference behind each step, is what a
//! user needs to break the cycle.

use std::collections::VecDeque;

use petgraph::Direction;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::{EdgeRef, NodeIndexable};

use super::{Edge, Node};
use crate::diag::Diagnostic;

/// One cycle per strongly connected component that has one, as the nodes in "refers to"
/// order: `[a, x, b]` means a refers to x, x to b, and b back to a. Each cycle starts at its
/// first node by [`start_rank`], and cycles come in that order too, so output is stable.
pub(crate) fn find_cycles(graph: &StableDiGraph<Node, Edge>) -> Vec<Vec<NodeIndex>> {
    let mut cycles = Vec::new();
    // Component number of each node, for walking inside one component only.
    let mut component = vec![usize::MAX; graph.node_bound()];
    // Kosaraju, not Tarjan: petgraph's Tarjan recurses once per node on a path and
    // overflows the stack on long chains; Kosaraju walks with explicit stacks.
    let sccs = petgraph::algo::kosaraju_scc(graph);
    for (number, scc) in sccs.iter().enumerate() {
        for node in scc {
            component[graph.to_index(*node)] = number;
        }
    }
    for (number, scc) in sccs.iter().enumerate() {
        let Some(start) = scc.iter().copied().min_by_key(|n| start_rank(&graph[*n])) else { continue };
        if scc.len() == 1 {
            if graph.find_edge(start, start).is_some() {
                cycles.push(vec![start]);
            }
            continue;
        }
        if let Some(path) = path_back_to(graph, start, |n| component[graph.to_index(n)] == number) {
            cycles.push(path);
        }
    }
    cycles.sort_by_key(|cycle| start_rank(&graph[cycle[0]]));
    cycles
}

/// Where a cycle's description starts: at a resource when it has one (what users think in),
/// else at the smallest node, so the same cycle is always told the same way.
fn start_rank(node: &Node) -> (bool, &Node) {
    (!matches!(node, Node::Resource(_)), node)
}

/// The shortest walk from `start` along dependencies (edges against their direction) that
/// comes back to `start`, staying on nodes for which `inside` holds.
fn path_back_to(
    graph: &StableDiGraph<Node, Edge>,
    start: NodeIndex,
    inside: impl Fn(NodeIndex) -> bool,
) -> Option<Vec<NodeIndex>> {
    let mut previous = vec![None::<NodeIndex>; graph.node_bound()];
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for dependency in graph.neighbors_directed(node, Direction::Incoming) {
            if dependency == start {
                let mut path = vec![node];
                let mut at = node;
                while let Some(before) = previous[graph.to_index(at)] {
                    path.push(before);
                    at = before;
                }
                path.reverse();
                return Some(path);
            }
            if inside(dependency) && previous[graph.to_index(dependency)].is_none() {
                previous[graph.to_index(dependency)] = Some(node);
                queue.push_back(dependency);
            }
        }
    }
    None
}

/// The error for one cycle: names every node in order and labels the reference behind each
/// step. Steps without a reference (a node inside a module depends on the module call, a
/// resource on its provider) are explained in the detail instead.
pub(crate) fn cycle_diagnostic(graph: &StableDiGraph<Node, Edge>, cycle: &[NodeIndex]) -> Diagnostic {
    let mut names: Vec<String> = cycle.iter().map(|n| graph[*n].to_string()).collect();
    if let Some(first) = names.first().cloned() {
        names.push(first);
    }
    let mut diagnostic = Diagnostic::error(format!("Cycle: {}", names.join(" → ")));
    let mut implicit = Vec::new();
    for (i, dependent) in cycle.iter().enumerate() {
        let dependency = cycle[(i + 1) % cycle.len()];
        let span = graph
            .edges_directed(*dependent, Direction::Incoming)
            .find(|edge| edge.source() == dependency)
            .and_then(|edge| edge.weight().span);
        let target = if dependency == *dependent { "itself".to_string() } else { graph[dependency].to_string() };
        match span {
            // No primary span: every step is equally to blame, and a primary span on top of
            // the first label would make miette draw that reference twice.
            Some(span) => {
                diagnostic = diagnostic.with_label(span, format!("{} refers to {target} here", graph[*dependent]))
            }
            None => implicit.push(format!("{} depends on {target} implicitly", graph[*dependent])),
        }
    }
    if !implicit.is_empty() {
        diagnostic = diagnostic.with_detail(implicit.join("; "));
    }
    diagnostic.with_help("break the cycle by removing one of these references")
}
