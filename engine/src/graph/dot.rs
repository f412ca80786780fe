//! Graphviz DOT output for `corral graph`. Nodes are named by their address
//! (`"module.net.testing_thing.a"`) and listed in sorted order, so the output is stable and
//! diffable. Arrows go from a node to what it depends on, as `terraform graph` draws them.

use std::fmt::Write as _;

use super::{ConfigGraph, Node};
use crate::addr::ResourceMode;

pub(super) fn to_dot(graph: &ConfigGraph) -> String {
    let mut nodes: Vec<_> = graph.graph.node_indices().map(|i| (graph.graph[i].to_string(), i)).collect();
    nodes.sort();
    let mut out = String::from("digraph corral {\n  rankdir = \"RL\";\n  node [fontname = \"sans-serif\"];\n");
    for (name, index) in &nodes {
        let shape = match &graph.graph[*index] {
            Node::Resource(r) if r.resource.mode == ResourceMode::Data => "box, style = dashed",
            Node::Resource(_) => "box",
            Node::ModuleCall { .. } => "folder",
            Node::Provider { .. } => "diamond",
            Node::Check { .. } => "octagon",
            Node::Variable { .. } | Node::Local { .. } | Node::Output { .. } => "note",
        };
        // Writing to a String cannot fail.
        let _ = writeln!(out, "  {} [shape = {shape}];", quote(name));
    }
    for (name, index) in &nodes {
        let mut dependencies: Vec<String> = graph.dependencies(*index).map(|d| graph.graph[d].to_string()).collect();
        dependencies.sort();
        for dependency in dependencies {
            let _ = writeln!(out, "  {} -> {};", quote(name), quote(&dependency));
        }
    }
    out.push_str("}\n");
    out
}

/// A DOT quoted string.
fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}
