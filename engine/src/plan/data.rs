//! Data sources: read while planning; when they depend on a resource with a pending change,
//! read while planning and planned as a read during apply that confirms the value (see
//! [`decide::read`]); when their configuration is not known yet, planned as a read during
//! apply only.

use std::collections::BTreeMap;
use std::sync::Arc;

use petgraph::stable_graph::NodeIndex;
use tracing::{Instrument as _, info_span};

use crate::addr::{AbsResourceInstance, ConfigResource, ModuleInstance, ModulePath, ResourceMode};
use crate::config::Resource;
use crate::diag::Diagnostics;
use crate::lang;
use crate::provider::{self, Provider};
use crate::runtime::ResolvedResource;
use crate::runtime::nodes::check_rules;
use crate::schema::{BlockSchema, ResourceSchema};
use crate::value::Value;

use super::decide::{self, DataRead, Decision, PendingDependency};
use super::locate::locate;
use super::planner::Planner;
use super::values::remark;
use super::{ActionReason, ResourceChange};

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
        if let crate::runtime::Expansion::Deferred { reason } = expansion {
            self.defer_expansion(module_instance, &config.addr, reason);
            return;
        }
        let pending = self.pending_dependency(index, config, &module_instance.path());
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
            let value = match decide::read(config_value.is_wholly_known(), pending) {
                DataRead::Now => {
                    let (value, diags) = read_now(&provider, &addr, &config_value, &schema.block).await;
                    self.diags.extend(locate(diags, config));
                    value.unwrap_or_else(|| Value::Unknown(schema.block.ty()))
                }
                DataRead::NowAndConfirm => {
                    // A failed read is no error yet: what it reads may exist only once the
                    // pending dependency is applied. It is then read during apply only.
                    let (value, diags) = read_now(&provider, &addr, &config_value, &schema.block).await;
                    match value.filter(|_| !diags.has_errors()) {
                        Some(value) => {
                            self.record_read(&addr, decide::confirm_read(), value.clone());
                            value
                        }
                        None => {
                            tracing::debug!(%addr, "read to confirm failed while planning; read during apply only");
                            self.record_read(&addr, decide::confirm_failed(), config_value.clone());
                            Value::Unknown(schema.block.ty())
                        }
                    }
                }
                DataRead::DuringApply(decision) => {
                    self.record_read(&addr, decision, config_value.clone());
                    Value::Unknown(schema.block.ty())
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

    /// How the data source depends on resources with pending changes: a create or a
    /// replacement makes it [`NewObjects`](PendingDependency::NewObjects); a resource its
    /// configuration names (count, for_each and its arguments; not `depends_on`), or one of
    /// its own type, makes it [`ReadsBack`](PendingDependency::ReadsBack).
    fn pending_dependency(&self, index: NodeIndex, config: &Resource, module: &ModulePath) -> PendingDependency {
        let Some(deps) = self.resource_deps.get(&index) else { return PendingDependency::None };
        let pending: Vec<&ConfigResource> = deps.iter().filter(|d| self.pending.contains(*d)).collect();
        if pending.is_empty() {
            return PendingDependency::None;
        }
        if pending.iter().any(|p| self.pending_new.contains(*p)) {
            return PendingDependency::NewObjects;
        }
        let mut named = lang::references_in_body(&config.body);
        named.extend(config.count.iter().chain(&config.for_each).flat_map(lang::references));
        let referenced = named.iter().any(|r| match &r.subject {
            lang::Subject::Resource(addr) => pending.iter().any(|p| &p.resource == addr && &p.module == module),
            _ => false,
        });
        let same_type = pending
            .iter()
            .any(|p| p.resource.mode == ResourceMode::Managed && p.resource.type_name == config.addr.type_name);
        if referenced || same_type { PendingDependency::ReadsBack } else { PendingDependency::Waited }
    }

    /// Records a read during apply. Its data source then counts as pending for the data
    /// sources that depend on it: what they read may change with it. One read during apply
    /// only has no value yet, as a resource being created.
    fn record_read(&mut self, addr: &AbsResourceInstance, decision: Decision, after: Value) {
        self.pending.insert(addr.config_resource());
        if decision.reason != Some(ActionReason::ReadToConfirm) {
            self.pending_new.insert(addr.config_resource());
        }
        self.changes.insert(
            (addr.clone(), None),
            ResourceChange {
                addr: addr.clone(),
                provider: String::new(),
                type_name: addr.resource.type_name.clone(),
                action: decision.action,
                reason: decision.reason,
                before: None,
                after: Some(after),
                replace_paths: Vec::new(),
                create_before_destroy: decision.create_before_destroy,
                private: None,
                deposed: None,
                dependencies: Vec::new(),
            },
        );
    }
}

/// Reads a data source now: its value (with the configuration's and the schema's sensitive
/// marks), `None` when the provider returned none, and the provider's diagnostics.
async fn read_now(
    provider: &Arc<dyn Provider>,
    addr: &AbsResourceInstance,
    config_value: &Value,
    block: &BlockSchema,
) -> (Option<Value>, Diagnostics) {
    let response = provider
        .read_data(provider::ReadDataRequest {
            type_name: addr.resource.type_name.clone(),
            config: config_value.clone().unmark_deep().0,
        })
        .instrument(info_span!("read", addr = %addr))
        .await;
    (response.state.map(|v| remark(v, config_value, block)), response.diagnostics)
}
