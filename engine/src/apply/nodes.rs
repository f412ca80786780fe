//! `Eval` tasks: variables, locals, outputs and module calls evaluated with the values known
//! now, and provider configurations, each configured once (on first use, whichever task
//! needs it first).

use std::sync::Arc;

use tracing::{Instrument, info_span};

use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::Node;
use crate::provider::{self, Provider};
use crate::runtime::{ProviderAddr, nodes};

use super::walk::{Walker, lock};

impl Walker<'_> {
    pub(super) async fn run_eval(&self, index: petgraph::stable_graph::NodeIndex) -> bool {
        let config = self.input.config;
        let node = self.input.graph.node(index).clone();
        let diags = match &node {
            Node::Variable { module, name } => {
                if module.is_root() {
                    // Root variables come from the plan.
                    Diagnostics::new()
                } else {
                    nodes::eval_child_variable(config, &mut lock(&self.values), module, name)
                }
            }
            Node::Local { module, name } => nodes::eval_local(config, &mut lock(&self.values), module, name),
            Node::Output { module, name } => nodes::eval_output(config, &mut lock(&self.values), module, name),
            Node::ModuleCall { module, name } if self.module_call_deferred(module, name) => Diagnostics::new(),
            Node::ModuleCall { module, name } => nodes::eval_module_call(config, &mut lock(&self.values), module, name),
            Node::Provider { module, key } => {
                let addr = ProviderAddr { module: module.clone(), key: key.clone() };
                return self.configure_provider(&addr).await.is_some();
            }
            Node::Check { module, name } => return self.run_check(module, name).await,
            Node::Resource(_) => Diagnostics::new(),
        };
        self.report(diags)
    }

    /// Whether the plan deferred a module call in one of its module instances: it is not
    /// expanded this round, so everything inside it waits (and reads as unknown).
    fn module_call_deferred(&self, module: &crate::addr::ModulePath, name: &str) -> bool {
        let plan = self.input.plan;
        if !plan.has_deferred() {
            return false;
        }
        lock(&self.values).instances_of(module).iter().any(|instance| {
            let address =
                if instance.is_root() { format!("module.{name}") } else { format!("{instance}.module.{name}") };
            plan.is_deferred(&address)
        })
    }

    /// The configured provider for `addr`, configuring it first if no task has yet.
    pub(super) async fn configure_provider(&self, addr: &ProviderAddr) -> Option<Arc<dyn Provider>> {
        if let Some(p) = lock(&self.providers).get(addr) {
            return Some(p.clone());
        }
        let Some(factory) = self.input.registry.get(addr.name()) else {
            self.report(Diagnostic::error(format!("Provider `{}` is not available", addr.name())).into());
            return None;
        };
        let schema = factory.schema();
        let (config_value, diags) = {
            let values = lock(&self.values);
            nodes::eval_provider_config(self.input.config, &values, &addr.module, &addr.key, &schema.provider)
        };
        if !self.report(diags) {
            return None;
        }
        let provider = provider::instantiate(factory.as_ref(), &self.input.key);
        let response = provider
            .configure(provider::ConfigureRequest {
                config: config_value.unmark_deep().0,
                data_dir: self.input.data_dir.clone(),
            })
            .instrument(info_span!("configure", provider = %addr))
            .await;
        if !self.report(response.diagnostics) {
            return None;
        }
        lock(&self.providers).insert(addr.clone(), provider.clone());
        Some(provider)
    }
}
