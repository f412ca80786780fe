//! Intent recovery: what an interrupted apply left for a provider's objects is settled when
//! the provider is configured, before anything of it is planned.

use std::sync::Arc;

use tracing::debug;

use crate::addr::AbsResourceInstance;
use crate::diag::Diagnostic;
use crate::provider::{self, Provider};
use crate::runtime::ProviderAddr;
use crate::state::{InstanceState, InstanceStatus, Intent, IntentAction, StateChange};
use crate::value::{Type, Value};

use super::planner::Planner;

impl Planner<'_> {
    /// Settles intents left by an interrupted apply for this provider's objects: adopts
    /// what a lost create made, and keeps objects still waiting to be deleted.
    pub(super) async fn recover_intents(&mut self, addr: &ProviderAddr, provider: Arc<dyn Provider>) {
        let key = addr.to_string();
        let intents: Vec<Intent> = self.state.intents.values().filter(|i| i.provider == key).cloned().collect();
        for intent in intents {
            let Ok(instance_addr) = intent.addr.parse::<AbsResourceInstance>() else {
                self.diags.push(Diagnostic::warning(format!("Dropping an unreadable intent for `{}`", intent.addr)));
                self.recovered.push(StateChange::RemoveIntent(intent.id));
                self.state.intents.remove(&intent.id);
                continue;
            };
            match intent.action {
                IntentAction::Create => self.recover_create(addr, intent, instance_addr, &provider).await,
                IntentAction::Update => {
                    // Refresh will read whatever the update did.
                    self.recovered.push(StateChange::RemoveIntent(intent.id));
                    self.state.intents.remove(&intent.id);
                }
                IntentAction::Delete => {
                    // Kept: planned as the deletion of a deposed object (`plan_deposed`), or
                    // dropped there if the object is already gone.
                }
            }
        }
    }

    /// Adopts the object an interrupted create made, if the provider finds one. The provider
    /// gets the token and the planned value the intent recorded.
    async fn recover_create(
        &mut self,
        addr: &ProviderAddr,
        intent: Intent,
        instance_addr: AbsResourceInstance,
        provider: &Arc<dyn Provider>,
    ) {
        let planned_state = intent.planned.as_ref().map(|json| {
            let ty = self
                .input
                .registry
                .get(addr.name())
                .and_then(|factory| factory.schema().resources.get(&intent.type_name).map(|s| s.block.ty()))
                .unwrap_or(Type::Dynamic);
            Value::from_json(json, &ty).or_else(|_| Value::from_json(json, &Type::Dynamic)).unwrap_or(Value::null())
        });
        let response = provider
            .find_created(provider::FindCreatedRequest {
                type_name: intent.type_name.clone(),
                idempotency_token: intent.idempotency_token.clone(),
                planned_state,
            })
            .await;
        self.diags.extend(response.diagnostics);
        self.recovered.push(StateChange::RemoveIntent(intent.id));
        self.state.intents.remove(&intent.id);
        let Some(found) = response.state else {
            debug!(addr = %instance_addr, "interrupted create made nothing");
            return;
        };
        tracing::info!(addr = %instance_addr, "adopting the object of an interrupted create");
        let adopted = InstanceState {
            addr: intent.addr.clone(),
            provider: intent.provider.clone(),
            schema_version: 0,
            attributes: found.to_json(),
            sensitive_paths: Vec::new(),
            private: response.private,
            dependencies: intent.dependencies.clone(),
            create_before_destroy: intent.create_before_destroy,
            status: InstanceStatus::Ready,
        };
        if let Some(previous) = self.state.instances.get(&instance_addr).cloned() {
            // The create was the first half of a create-before-destroy replacement:
            // the old object is now deposed, waiting to be deleted.
            if previous.attributes != adopted.attributes {
                let deposed = Intent {
                    id: uuid::Uuid::new_v4(),
                    addr: intent.addr.clone(),
                    provider: intent.provider.clone(),
                    type_name: intent.type_name.clone(),
                    action: IntentAction::Delete,
                    idempotency_token: String::new(),
                    planned: Some(previous.attributes.clone()),
                    dependencies: previous.dependencies.clone(),
                    create_before_destroy: true,
                    started_at: chrono::Utc::now(),
                };
                self.recovered.push(StateChange::PutIntent(deposed.clone()));
                self.state.intents.insert(deposed.id, deposed);
            }
        }
        self.recovered.push(StateChange::PutInstance(adopted.clone()));
        self.state.instances.insert(instance_addr, adopted);
    }
}
