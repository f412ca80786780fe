//! Deferral: a `count`/`for_each` known only after apply plans no instances this round, and
//! everything that depends on it (graph edges, transitively) waits with it. The planner
//! records each deferred object with its reason; `corral apply` applies the rest and plans
//! again until nothing is deferred. Instances state already has for a deferred resource are
//! left alone: not refreshed, updated, orphaned or destroyed.

use petgraph::stable_graph::NodeIndex;

use crate::addr::{AbsResourceInstance, ConfigResource, ModuleInstance, ResourceAddr};
use crate::graph::Node;

use super::planner::Planner;
use super::{DeferredChange, DeferredReason};

impl Planner<'_> {
    /// The nearest deferred object a node depends on (through variables, locals, outputs
    /// and module calls), if any.
    pub(super) fn deferred_upstream(&self, index: NodeIndex) -> Option<String> {
        // Nothing deferred (almost every plan): no look at the node's edges.
        if self.deferred_nodes.is_empty() || self.input.options.destroy {
            // Destroying works from state: nothing waits for a later round.
            return None;
        }
        let mut upstream: Vec<&String> =
            self.input.graph.dependencies(index).filter_map(|dep| self.deferred_nodes.get(&dep)).collect();
        upstream.sort();
        upstream.first().map(|s| (*s).clone())
    }

    /// A node that depends on a deferred object: a resource or data source is deferred
    /// with it (no instances planned); a variable, local or output is still evaluated (its
    /// value is unknown where it uses the deferred object) and passes the deferral on; a
    /// root output is listed as deferred.
    pub(super) fn defer_dependent(&mut self, index: NodeIndex, node: &Node, origin: String) {
        match node {
            Node::Resource(resource) => {
                let address = resource.to_string();
                self.deferred_nodes.insert(index, address.clone());
                self.record_deferred(DeferredChange {
                    address,
                    module: resource.module.to_string(),
                    resource: Some(resource.resource.clone()),
                    reason: DeferredReason::DeferredPrereq,
                    detail: format!("depends on deferred {origin}"),
                    existing: Vec::new(),
                });
            }
            Node::Output { module, name } if module.is_root() => {
                self.deferred_nodes.insert(index, origin.clone());
                self.record_deferred(DeferredChange {
                    address: format!("output.{name}"),
                    module: String::new(),
                    resource: None,
                    reason: DeferredReason::DeferredPrereq,
                    detail: format!("depends on deferred {origin}"),
                    existing: Vec::new(),
                });
            }
            _ => {
                self.deferred_nodes.insert(index, origin);
            }
        }
    }

    /// A resource (managed or data) of one module instance whose own `count`/`for_each` is
    /// not known yet.
    pub(super) fn defer_expansion(&mut self, module: &ModuleInstance, resource: &ResourceAddr, reason: String) {
        let address = if module.is_root() { resource.to_string() } else { format!("{module}.{resource}") };
        let static_resource = ConfigResource { module: module.path(), resource: resource.clone() };
        if let Some(&index) = self.input.graph.index.get(&Node::Resource(static_resource)) {
            self.deferred_nodes.insert(index, address.clone());
        }
        self.record_deferred(DeferredChange {
            address,
            module: module.to_string(),
            resource: Some(resource.clone()),
            reason: DeferredReason::InstanceCountUnknown,
            detail: reason,
            existing: Vec::new(),
        });
    }

    /// A module call whose own `count`/`for_each` is not known yet: everything inside it
    /// depends on the call, so it is deferred with it.
    pub(super) fn defer_module_call(&mut self, index: NodeIndex, module: &ModuleInstance, name: &str, reason: String) {
        let address = if module.is_root() { format!("module.{name}") } else { format!("{module}.module.{name}") };
        self.deferred_nodes.insert(index, address.clone());
        self.record_deferred(DeferredChange {
            address,
            module: module.to_string(),
            resource: None,
            reason: DeferredReason::InstanceCountUnknown,
            detail: reason,
            existing: Vec::new(),
        });
    }

    fn record_deferred(&mut self, change: DeferredChange) {
        if self.input.options.destroy {
            return;
        }
        self.deferred.entry(change.address.clone()).or_insert(change);
    }

    /// Whether a state instance belongs to a deferred resource (which leaves it alone).
    pub(super) fn is_deferred_instance(&self, addr: &AbsResourceInstance) -> bool {
        !self.deferred_nodes.is_empty()
            && self
                .input
                .graph
                .index
                .get(&Node::Resource(addr.config_resource()))
                .is_some_and(|index| self.deferred_nodes.contains_key(index))
    }

    /// The deferred objects in address order, each resource with the instances state
    /// already has for it.
    pub(super) fn deferred_changes(&mut self) -> Vec<DeferredChange> {
        let mut out: Vec<DeferredChange> = std::mem::take(&mut self.deferred).into_values().collect();
        // Resources and module calls first, the outputs that wait for them after.
        out.sort_by_key(|d| d.address.starts_with("output."));
        for change in &mut out {
            let Some(resource) = &change.resource else { continue };
            change.existing = self
                .state
                .instances
                .keys()
                .filter(|addr| {
                    &addr.resource == resource
                        && (addr.module.to_string() == change.module || addr.module.path().to_string() == change.module)
                })
                .cloned()
                .collect();
        }
        out
    }
}
