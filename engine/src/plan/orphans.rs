//! Objects in state that the configuration no longer asks for: instances of resources (or
//! modules) that are gone or no longer expanded, and deposed objects left by an interrupted
//! create-before-destroy replacement. Each is refreshed (an object already gone is
//! forgotten) and planned for deletion.

use std::sync::Arc;

use tracing::{Instrument as _, info_span};

use crate::addr::{AbsResourceInstance, ResourceMode};
use crate::config::Resource;
use crate::diag::Diagnostic;
use crate::provider::{self, Provider};
use crate::runtime::nodes::null_object;
use crate::runtime::{ProviderAddr, provider_key};
use crate::state::{InstanceState, Intent, IntentAction, StateChange};
use crate::value::{Type, Value};

use super::ResourceChange;
use super::decide::{self, Decision, Lifecycle, Orphan};
use super::planner::Planner;
use super::values::decode_state;

impl Planner<'_> {
    /// Instances in state whose resource (or module) is no longer in the configuration.
    pub(super) async fn plan_orphans(&mut self) {
        let orphans: Vec<AbsResourceInstance> = self
            .state
            .instances
            .keys()
            .filter(|addr| {
                addr.resource.mode == ResourceMode::Managed
                    && !self.changes.contains_key(&((*addr).clone(), None))
                    && !self.is_deferred_instance(addr)
                    && self.module_config(&addr.module.path()).is_none_or(|m| {
                        !m.resources.contains_key(&addr.resource) || !self.values.modules.contains_key(&addr.module)
                    })
            })
            .cloned()
            .collect();
        for addr in orphans {
            let module_gone =
                self.module_config(&addr.module.path()).is_none() || !self.values.modules.contains_key(&addr.module);
            let orphan = if module_gone { Orphan::NoModule } else { Orphan::NoResourceConfig };
            let ty = self
                .input
                .registry
                .get(provider_key(&self.state.instances[&addr].provider).name())
                .and_then(|f| f.schema().resources.get(&addr.resource.type_name).map(|s| s.block.ty()))
                .unwrap_or(Type::Dynamic);
            // With `--target`, only targeted orphans go (they are no one's dependency).
            if !self.input.options.targets.is_empty() && !self.input.options.targets.iter().any(|t| t.contains(&addr)) {
                continue;
            }
            // With `-exclude`, excluded orphans stay.
            if self.input.options.excludes.iter().any(|t| t.contains(&addr)) {
                continue;
            }
            if self.forgotten(&addr) {
                self.plan_forget(addr, ty);
                continue;
            }
            self.plan_orphan_delete(addr, orphan, ty, None).await;
        }
    }

    /// Refreshes an orphan and plans its deletion; `config` is its resource's block when
    /// the configuration still has one (its `prevent_destroy` applies).
    pub(super) async fn plan_orphan_delete(
        &mut self,
        addr: AbsResourceInstance,
        orphan: Orphan<'_>,
        ty: Type,
        config: Option<&Resource>,
    ) {
        let Some(state) = self.state.instances.get(&addr).cloned() else { return };
        let provider_addr = provider_key(&state.provider);
        let provider = match self.providers.get(&provider_addr).cloned() {
            Some(p) => Some(p),
            None => self.configure_implied(&provider_addr).await,
        };
        let mut before = decode_state(&state, &ty);
        if self.input.options.refresh
            && let Some(provider) = provider
        {
            let response = provider
                .read(provider::ReadRequest {
                    type_name: addr.resource.type_name.clone(),
                    current_state: before.clone().unmark_deep().0,
                    private: state.private.clone(),
                })
                .instrument(info_span!("refresh", addr = %addr))
                .await;
            self.diags.extend(response.diagnostics);
            match response.new_state {
                Some(v) => before = v.mark_paths(&state.sensitive_paths),
                None => {
                    // Already gone: nothing to delete; forget it.
                    self.recovered.push(StateChange::RemoveInstance(addr.clone()));
                    self.state.instances.remove(&addr);
                    return;
                }
            }
        }
        let lifecycle = Lifecycle {
            create_before_destroy: state.create_before_destroy,
            prevent_destroy: config.is_some_and(|c| c.lifecycle.prevent_destroy),
        };
        let decision = decide::delete(orphan, self.input.options.destroy, lifecycle);
        let change = delete_change(&addr, state.provider.clone(), before, &state, &decision);
        if decision.prevented
            && let Some(config) = config
        {
            self.diags.push(prevent_destroy_error(&addr, config));
        }
        self.changes.insert((addr, None), change);
    }

    /// Configures a provider no block configures (it is needed only for orphans): with a
    /// null configuration, as Terraform does.
    pub(super) async fn configure_implied(&mut self, addr: &ProviderAddr) -> Option<Arc<dyn Provider>> {
        let factory = self.input.registry.get(addr.name())?.clone();
        let provider = provider::instantiate(factory.as_ref(), &self.input.key);
        let config = null_object(&factory.schema().provider);
        let response =
            provider.configure(provider::ConfigureRequest { config, data_dir: self.input.data_dir.clone() }).await;
        self.diags.extend(response.diagnostics);
        self.providers.insert(addr.clone(), provider.clone());
        self.recover_intents(addr, provider.clone()).await;
        Some(provider)
    }

    /// Objects left by an interrupted create-before-destroy replacement, waiting to be
    /// deleted.
    pub(super) async fn plan_deposed(&mut self) {
        let intents: Vec<Intent> =
            self.state.intents.values().filter(|i| i.action == IntentAction::Delete).cloned().collect();
        for intent in intents {
            let Ok(addr) = intent.addr.parse::<AbsResourceInstance>() else { continue };
            let Some(attributes) = &intent.planned else {
                self.recovered.push(StateChange::RemoveIntent(intent.id));
                continue;
            };
            let provider_addr = provider_key(&intent.provider);
            let provider = match self.providers.get(&provider_addr).cloned() {
                Some(p) => Some(p),
                None => self.configure_implied(&provider_addr).await,
            };
            let Some(provider) = provider else { continue };
            let ty = provider.schema().resources.get(&intent.type_name).map(|s| s.block.ty()).unwrap_or(Type::Dynamic);
            let Ok(before) = Value::from_json(attributes, &ty) else { continue };
            let response = provider
                .read(provider::ReadRequest {
                    type_name: intent.type_name.clone(),
                    current_state: before.clone(),
                    private: None,
                })
                .await;
            self.diags.extend(response.diagnostics);
            let Some(current) = response.new_state else {
                self.recovered.push(StateChange::RemoveIntent(intent.id));
                continue;
            };
            let decision = decide::delete_deposed();
            self.changes.insert(
                (addr.clone(), Some(intent.id)),
                ResourceChange {
                    addr,
                    provider: intent.provider.clone(),
                    type_name: intent.type_name.clone(),
                    action: decision.action,
                    reason: decision.reason,
                    before: Some(current),
                    after: None,
                    replace_paths: Vec::new(),
                    create_before_destroy: decision.create_before_destroy,
                    private: None,
                    deposed: Some(intent.id),
                    dependencies: intent.dependencies.clone(),
                },
            );
        }
    }
}

/// The error for a plan that would destroy an object under `lifecycle.prevent_destroy`.
pub(super) fn prevent_destroy_error(addr: &AbsResourceInstance, config: &Resource) -> Diagnostic {
    Diagnostic::error("Instance cannot be destroyed")
        .with_span(config.decl_span)
        .with_detail(format!("Resource {addr} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed"))
        .with_help("to avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using `--target`")
}

/// The change that deletes a state instance as `decision` says (orphans and `plan --destroy`).
pub(super) fn delete_change(
    addr: &AbsResourceInstance,
    provider: String,
    before: Value,
    state: &InstanceState,
    decision: &Decision,
) -> ResourceChange {
    ResourceChange {
        addr: addr.clone(),
        provider,
        type_name: addr.resource.type_name.clone(),
        action: decision.action,
        reason: decision.reason,
        before: Some(before),
        after: None,
        replace_paths: Vec::new(),
        create_before_destroy: decision.create_before_destroy,
        private: state.private.clone(),
        deposed: None,
        dependencies: state.dependencies.clone(),
    }
}
