//! Rule 8: a node reads `kylin.properties` only at start, so a changed configuration is a
//! restart, and restarting every node at once takes the cluster down. The order: query-only
//! nodes one at a time (the load balancer keeps sending queries to the others), then `all`
//! nodes, then job-only nodes; the active job engine last of all, so scheduling moves once.

use crate::spec::Mode;

/// A node as the restart order sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeChange {
    pub address: String,
    pub mode: Mode,
    /// Whether the node's rendered properties differ from what it runs.
    pub changed: bool,
}

/// The addresses to restart, one at a time, in order.
pub fn order(nodes: &[NodeChange], active_job_node: Option<&str>) -> Vec<String> {
    let rank = |n: &NodeChange| {
        let class = match n.mode {
            Mode::Query => 0,
            Mode::All => 1,
            Mode::Job => 2,
        };
        (active_job_node == Some(n.address.as_str()), class)
    };
    let mut changed: Vec<(usize, &NodeChange)> = nodes.iter().enumerate().filter(|(_, n)| n.changed).collect();
    // Stable by declaration order within a class.
    changed.sort_by_key(|(i, n)| (rank(n), *i));
    changed.into_iter().map(|(_, n)| n.address.clone()).collect()
}

/// How a plan says one restart step: `restart 10.0.0.2:7070 (query)`.
pub fn describe(nodes: &[NodeChange], active_job_node: Option<&str>) -> Vec<String> {
    order(nodes, active_job_node)
        .into_iter()
        .filter_map(|address| {
            let node = nodes.iter().find(|n| n.address == address)?;
            let active = if active_job_node == Some(address.as_str()) { ", active job engine" } else { "" };
            Some(format!("restart {address} ({}{active})", node.mode.name()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(address: &str, mode: Mode, changed: bool) -> NodeChange {
        NodeChange { address: address.into(), mode, changed }
    }

    #[test]
    fn query_nodes_first_then_all_then_job_active_last() {
        let nodes = [
            node("j1:7070", Mode::Job, true),
            node("a1:7070", Mode::All, true),
            node("q1:7070", Mode::Query, true),
            node("j2:7070", Mode::Job, true),
            node("q2:7070", Mode::Query, true),
            node("q3:7070", Mode::Query, false),
        ];
        assert_eq!(
            order(&nodes, Some("j1:7070")),
            ["q1:7070", "q2:7070", "a1:7070", "j2:7070", "j1:7070"].map(String::from)
        );
        assert_eq!(order(&nodes, None)[3..], ["j1:7070", "j2:7070"].map(String::from));
    }

    #[test]
    fn unchanged_nodes_are_not_restarted() {
        let nodes = [node("q1:7070", Mode::Query, false), node("j1:7070", Mode::Job, false)];
        assert!(order(&nodes, None).is_empty());
        let nodes = [node("q1:7070", Mode::Query, false), node("j1:7070", Mode::Job, true)];
        assert_eq!(describe(&nodes, Some("j1:7070")), ["restart j1:7070 (job, active job engine)"]);
    }
}
