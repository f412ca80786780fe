//! The dependency graph of a configuration: one node per variable, local, output, resource
//! (all its instances), module call and provider configuration, in the static module tree.
//! Edges point from a dependency to what depends on it, so a topological order is an
//! evaluation order. Building it is a pure function of the configuration.

mod build;
mod cycle;
mod dot;

use std::collections::HashMap;
use std::fmt;

use petgraph::stable_graph::{NodeIndex, StableDiGraph};

use crate::addr::{ConfigResource, ModulePath};
use crate::config::Config;
use crate::diag::{Diagnostics, Span};

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Variable {
        module: ModulePath,
        name: String,
    },
    Local {
        module: ModulePath,
        name: String,
    },
    Output {
        module: ModulePath,
        name: String,
    },
    Resource(ConfigResource),
    /// The call `module "name"` inside `module` (evaluates count/for_each and arguments).
    ModuleCall {
        module: ModulePath,
        name: String,
    },
    /// A provider configuration (`kmr` or `kmr.alias`) inside `module`; implied ones too.
    Provider {
        module: ModulePath,
        key: String,
    },
    /// A `check` block: its scoped data source and assertions, after what they refer to.
    Check {
        module: ModulePath,
        name: String,
    },
}

impl Node {
    pub fn module(&self) -> &ModulePath {
        match self {
            Node::Variable { module, .. }
            | Node::Local { module, .. }
            | Node::Output { module, .. }
            | Node::ModuleCall { module, .. }
            | Node::Provider { module, .. }
            | Node::Check { module, .. } => module,
            Node::Resource(r) => &r.module,
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = |f: &mut fmt::Formatter<'_>, m: &ModulePath| if m.is_root() { Ok(()) } else { write!(f, "{m}.") };
        match self {
            Node::Variable { module, name } => {
                prefix(f, module)?;
                write!(f, "var.{name}")
            }
            Node::Local { module, name } => {
                prefix(f, module)?;
                write!(f, "local.{name}")
            }
            Node::Output { module, name } => {
                prefix(f, module)?;
                write!(f, "output.{name}")
            }
            Node::Resource(r) => write!(f, "{r}"),
            Node::ModuleCall { module, name } => {
                prefix(f, module)?;
                write!(f, "module.{name}")
            }
            Node::Provider { module, key } => {
                prefix(f, module)?;
                write!(f, "provider.{key}")
            }
            Node::Check { module, name } => {
                prefix(f, module)?;
                write!(f, "check.{name}")
            }
        }
    }
}

/// Why an edge exists: the reference (or `depends_on` entry) that made it, when there is one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Edge {
    pub span: Option<Span>,
}

#[derive(Debug, Default)]
pub struct ConfigGraph {
    pub graph: StableDiGraph<Node, Edge>,
    pub index: HashMap<Node, NodeIndex>,
}

impl ConfigGraph {
    /// Nodes in an order where every node comes after all its dependencies.
    pub fn topo_order(&self) -> Vec<NodeIndex> {
        petgraph::algo::toposort(&self.graph, None).unwrap_or_default()
    }

    /// The index of a node, if the configuration declares it.
    pub fn get(&self, node: &Node) -> Option<NodeIndex> {
        self.index.get(node).copied()
    }

    pub fn node(&self, index: NodeIndex) -> &Node {
        &self.graph[index]
    }

    /// Direct dependencies of a node.
    pub fn dependencies(&self, index: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.neighbors_directed(index, petgraph::Direction::Incoming)
    }

    /// Direct dependents of a node.
    pub fn dependents(&self, index: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.neighbors_directed(index, petgraph::Direction::Outgoing)
    }
}

/// Builds the graph. Reports references to undeclared things and cycles (naming every node
/// of the cycle with the location of each reference) as diagnostics. The graph is returned
/// even when there are errors; with a cycle, [`ConfigGraph::topo_order`] is empty.
pub fn build(config: &Config) -> (ConfigGraph, Diagnostics) {
    build::build(config)
}

/// The graph in Graphviz DOT, in a stable order. Arrows point from a node to what it
/// depends on, as in `terraform graph`.
pub fn to_dot(graph: &ConfigGraph) -> String {
    dot::to_dot(graph)
}

#[cfg(test)]
mod tests;
