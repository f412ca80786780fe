//! Data sources: read while planning, or, when their configuration is not known yet or
//! they depend on a resource with a pending change, planned as a read during apply.

use std::collections::BTreeMap;
use std::sync::Arc;

use petgraph::stable_graph::NodeIndex;
use tracing::{Instrument as _, info_span};

use crate::addr::{AbsResourceInstance, ModuleInstance};
use crate::provider::{self, Provider};
use crate::runtime::ResolvedResource;
use crate::runtime::nodes::check_rules;
use crate::schema::ResourceSchema;
use crate::value::Value;

use super::ResourceChange;
use super::decide;
use super::locate::locate;
use super::planner::Planner;
use super::values::remark;

impl Planner<'_> {
    pub(super) async fn plan_data_instances(
        &mut self,
        index: NodeIndex,
        module_instance: &ModuleInstance,
        resolved: &ResolvedResource<'_>,
        schema: &ResourceSchema,
        provider: Arc<dyn Provider>,
    ) {
        let config = resolved.config;
        let (expansion, keys, d) = resolved.expand(&self.values, module_instance);
        self.diags.extend(d);
        let depends_on_pending =
            self.resource_deps.get(&index).is_some_and(|deps| deps.iter().any(|d| self.pending.contains(d)));
        let mut instances = BTreeMap::new();
        for (key, repetition) in keys {
            let addr = AbsResourceInstance {
                module: module_instance.clone(),
                resource: config.addr.clone(),
                key: key.clone(),
            };
            let (config_value, d) = resolved.evaluate(&schema.block, &self.values, module_instance, &repetition);
            self.diags.extend(d);
            if self.diags.has_errors() {
                return;
            }
            let value = if let Some(decision) = decide::read(config_value.is_wholly_known(), depends_on_pending) {
                self.changes.insert(
                    (addr.clone(), None),
                    ResourceChange {
                        addr: addr.clone(),
                        provider: String::new(),
                        type_name: config.addr.type_name.clone(),
                        action: decision.action,
                        reason: decision.reason,
                        before: None,
                        after: Some(config_value.clone()),
                        replace_paths: Vec::new(),
                        create_before_destroy: decision.create_before_destroy,
                        private: None,
                        deposed: None,
                        dependencies: Vec::new(),
                    },
                );
                Value::Unknown(schema.block.ty())
            } else {
                let response = provider
                    .read_data(provider::ReadDataRequest {
                        type_name: config.addr.type_name.clone(),
                        config: config_value.clone().unmark_deep().0,
                    })
                    .instrument(info_span!("read", addr = %addr))
                    .await;
                self.diags.extend(locate(response.diagnostics, config));
                match response.state {
                    Some(v) => remark(v, &config_value, &schema.block),
                    None => Value::Unknown(schema.block.ty()),
                }
            };
            let mut post_scope = resolved.scope(&self.values, module_instance, &repetition);
            if value.is_wholly_known() {
                post_scope.self_value = Some(value.clone());
                self.diags.extend(check_rules(
                    &config.lifecycle.postconditions,
                    &post_scope,
                    "Resource postcondition failed",
                ));
            }
            instances.insert(key, value);
        }
        self.values.module_mut(module_instance).resources.insert(config.addr.clone(), (expansion, instances));
    }
}
