//! `plan --destroy`: every instance of a resource is refreshed and planned for deletion.

use std::collections::BTreeMap;
use std::sync::Arc;

use tracing::{Instrument as _, info_span};

use crate::addr::{AbsResourceInstance, ConfigResource, InstanceKey, ModuleInstance};
use crate::provider::{self, Provider};
use crate::runtime::{Expansion, ProviderAddr};
use crate::schema::ResourceSchema;
use crate::state::StateChange;
use crate::value::Value;

use super::decide::{self, Lifecycle, Orphan};
use super::orphans::{delete_change, prevent_destroy_error};
use super::planner::{Planner, state_instances_of};
use super::values::decode_state;

impl Planner<'_> {
    /// Plans the deletion of a resource's instances. Refreshed first (unless `--refresh=false`),
    /// as Terraform's destroy plan is: an object already gone (deleted by an interrupted
    /// destroy whose last commit was lost) is forgotten, not counted as one to destroy.
    pub(super) async fn plan_destroy_instances(
        &mut self,
        module_instance: &ModuleInstance,
        resource: &ConfigResource,
        schema: &ResourceSchema,
        provider_addr: &ProviderAddr,
        provider: Arc<dyn Provider>,
    ) {
        let ty = schema.block.ty();
        let addrs = state_instances_of(&self.state, module_instance, &resource.resource);
        let mut refreshed: BTreeMap<AbsResourceInstance, Option<Value>> = BTreeMap::new();
        if self.input.options.refresh {
            let selected: Vec<(AbsResourceInstance, provider::ReadRequest)> = addrs
                .iter()
                .filter(|addr| self.targeted(addr))
                .filter_map(|addr| {
                    let state = self.state.instances.get(addr)?;
                    let request = provider::ReadRequest {
                        type_name: addr.resource.type_name.clone(),
                        current_state: decode_state(state, &ty).unmark_deep().0,
                        private: state.private.clone(),
                    };
                    Some((addr.clone(), request))
                })
                .collect();
            let (read_addrs, requests): (Vec<_>, Vec<_>) = selected.into_iter().unzip();
            let responses = provider
                .read_batch(requests, self.input.parallelism)
                .instrument(info_span!("refresh", resource = %resource))
                .await;
            for (addr, response) in read_addrs.into_iter().zip(responses) {
                let failed = response.diagnostics.has_errors();
                self.diags.extend(response.diagnostics);
                if !failed {
                    refreshed.insert(addr, response.new_state);
                }
            }
        }
        let config = self.module_config(&resource.module).and_then(|m| m.resources.get(&resource.resource));
        let mut instances = BTreeMap::new();
        for addr in addrs {
            let Some(state) = self.state.instances.get(&addr) else { continue };
            let value = match refreshed.remove(&addr) {
                Some(Some(current)) => current.mark_paths(&state.sensitive_paths),
                Some(None) => {
                    // Already gone: nothing to delete; forget it.
                    self.recovered.push(StateChange::RemoveInstance(addr.clone()));
                    self.state.instances.remove(&addr);
                    continue;
                }
                None => decode_state(state, &ty),
            };
            instances.insert(addr.key.clone(), value.clone());
            if !self.targeted(&addr) {
                continue;
            }
            let lifecycle = Lifecycle {
                create_before_destroy: state.create_before_destroy,
                prevent_destroy: config.is_some_and(|c| c.lifecycle.prevent_destroy),
            };
            let decision = decide::delete(Orphan::Destroy, true, lifecycle);
            let change = delete_change(&addr, provider_addr.to_string(), value, state, &decision);
            if decision.prevented
                && let Some(config) = config
            {
                self.diags.push(prevent_destroy_error(&addr, config));
            }
            self.changes.insert((addr, None), change);
        }
        let expansion = guess_expansion(&instances);
        self.values.module_mut(module_instance).resources.insert(resource.resource.clone(), (expansion, instances));
    }
}

/// The expansion the keys in state suggest, for a resource whose configuration is not
/// evaluated (destroy mode).
fn guess_expansion(instances: &BTreeMap<InstanceKey, Value>) -> Expansion {
    match instances.keys().next() {
        Some(InstanceKey::Int(_)) => Expansion::Count(instances.len()),
        Some(InstanceKey::Str(_)) => Expansion::ForEach(
            instances.keys().filter_map(|k| if let InstanceKey::Str(s) = k { Some(s.clone()) } else { None }).collect(),
        ),
        _ => Expansion::Single,
    }
}
