//! Planned deletions a provider wants to see: for the resource types its schema lists in
//! `delete_plans`, every planned delete is sent to its `plan` with the refreshed prior state
//! and a null configuration (so a null proposal), as Terraform plans a destroy. A provider
//! that cannot carry a deletion out (a prepaid MRS cluster is unsubscribed through billing,
//! not deleted) says so there, and the plan fails before anything is applied, instead of the
//! apply failing half way. Run after the walk, before plan-time authorization.

use std::collections::BTreeMap;

use crate::diag::Diagnostics;
use crate::provider::PlanRequest;
use crate::runtime::provider_key;
use crate::value::Value;

use super::Action;
use super::planner::Planner;

impl Planner<'_> {
    pub(super) async fn plan_deletes(&mut self) {
        if self.input.options.refresh_only || self.diags.has_errors() {
            return;
        }
        // Per provider configuration: the instances and their delete plans.
        let mut by_provider: BTreeMap<String, Vec<(crate::addr::AbsResourceInstance, PlanRequest)>> = BTreeMap::new();
        for change in self.changes.values() {
            if change.action != Action::Delete {
                continue;
            }
            let Some(before) = change.before() else { continue };
            let Some(provider) = self.providers.get(&provider_key(&change.provider)) else { continue };
            let schema = provider.schema();
            if !schema.delete_plans.contains(&change.type_name) {
                continue;
            }
            let Some(resource) = schema.resources.get(&change.type_name) else { continue };
            let (prior, _) = before.clone().unmark_deep();
            let request = PlanRequest::new(
                &resource.block,
                change.type_name.clone(),
                Some(prior),
                Value::null(),
                change.private.clone(),
            );
            by_provider.entry(change.provider.clone()).or_default().push((change.addr.clone(), request));
        }
        for (provider_text, planned) in by_provider {
            let Some(provider) = self.providers.get(&provider_key(&provider_text)).cloned() else { continue };
            let (addrs, requests): (Vec<_>, Vec<_>) = planned.into_iter().unzip();
            let responses = provider.plan_batch(requests).await;
            for (addr, response) in addrs.iter().zip(responses) {
                let config =
                    self.input.config.module(&addr.module.path()).and_then(|m| m.resources.get(&addr.resource));
                let diagnostics = Diagnostics(
                    response
                        .diagnostics
                        .into_iter()
                        .map(|d| if d.detail.is_some() { d } else { d.with_detail(format!("Destroying `{addr}`.")) })
                        .collect(),
                );
                let diagnostics = match config {
                    Some(config) => super::locate(diagnostics, config),
                    None => diagnostics,
                };
                self.diags.extend(diagnostics);
            }
        }
    }
}
