//! One instance's operation, as its task runs it: evaluate the configuration with the values
//! known now, take a place in the queue for one of the `parallelism` permits, and once near
//! its turn make the final plan (creates and updates) and its intent durable, so that commit
//! overlaps the operations ahead; then, with the permit (a [`Slot`], given back early when the
//! provider reports that it only waits), call the provider and commit around the call
//! (`provider_call`), and record the outcome. An operation interrupted between its intent and
//! its call takes the intent back. Data sources are read the same way, without intents:
//! reading changes nothing.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use tracing::{Instrument, info_span};

use crate::addr::{AbsResourceInstance, InstanceKey};
use crate::diag::Diagnostic;
use crate::plan::{Action, ActionReason, ResourceChange, used_attributes};
use crate::provider::{self, Provider};
use crate::runtime::{RepetitionData, ResolvedResource};
use crate::schema::ResourceSchema;
use crate::value::Value;

use super::events::{ApplyEvent, InstanceOutcome};
use super::final_plan::final_plan;
use super::provider_call::{self, deposed_id};
use super::slot::Slot;
use super::slots::{Expect, Ticket};
use super::walk::{Walker, lock};

/// What an instance's operation leaves for its resource: its key, its new value (for
/// dependents), and whether it succeeded.
pub(super) type InstanceResult = (InstanceKey, Option<Value>, bool);

impl Walker<'_> {
    /// Waits until the ticket is near its turn; `false` if the run is interrupted first.
    async fn near(&self, ticket: &mut Ticket) -> bool {
        tokio::select! {
            () = ticket.near() => {}
            () = self.input.interrupted.triggered() => {}
        }
        !self.interrupted()
    }

    /// Waits for the ticket's permit, held until the operation ends or its provider starts
    /// waiting for the remote side; `None` if the run is interrupted first.
    async fn turn(&self, ticket: Ticket) -> Option<Slot> {
        let permit = tokio::select! {
            permit = ticket.permit() => permit,
            () = self.input.interrupted.triggered() => return None,
        };
        if self.interrupted() {
            return None;
        }
        Some(Slot::new(Some(permit), self.input.events.clone()))
    }

    /// Tells the CLI that the operation started (or failed before its call: it is shown
    /// started, then failed).
    fn started(&self, change: &ResourceChange, deposed: bool) {
        self.event(ApplyEvent::Started { addr: change.addr.clone(), action: change.action, deposed });
    }

    /// Reads a data source. One the plan read already ([`ActionReason::ReadToConfirm`]) must
    /// read the same again: its dependents were planned with that value, so a different one
    /// fails the read and the walk skips them.
    pub(super) async fn read_data(
        &self,
        addr: AbsResourceInstance,
        change: Option<&ResourceChange>,
        repetition: RepetitionData,
        resource: &ResolvedResource<'_>,
        schema: &ResourceSchema,
        provider: Arc<dyn Provider>,
    ) -> InstanceResult {
        let started = Instant::now();
        let (config_value, diags) = resource.evaluate(&schema.block, &lock(&self.values), &addr.module, &repetition);
        if !self.report(diags) {
            return (addr.key, None, false);
        }
        let _permit = self.slots.acquire(Expect::Quick).await;
        if self.interrupted() {
            return (addr.key, None, false);
        }
        // What the read depends on is in state before it runs, as before any provider call.
        if let Err(e) = self.input.sink.sync().await {
            self.report(Diagnostic::error(format!("Cannot read {addr}")).with_detail(e.to_string()).into());
            return (addr.key, None, false);
        }
        let response = provider
            .read_data(provider::ReadDataRequest {
                type_name: addr.resource.type_name.clone(),
                config: config_value.without_marks(),
            })
            .instrument(info_span!("read", addr = %addr))
            .await;
        let ok = self.report(response.diagnostics);
        let planned = change.filter(|c| c.reason == Some(ActionReason::ReadToConfirm)).and_then(|c| c.after.as_ref());
        if let (true, Some(planned), Some(read)) = (ok, planned, response.state.as_ref()) {
            let used = self.input.config.module(&addr.module.path()).and_then(|m| used_attributes(m, &addr.resource));
            let changed = changed_attributes(planned, read, used.as_ref());
            if !changed.is_empty() {
                self.report(data_changed(&addr, resource, &changed).into());
                let outcome = InstanceOutcome::Failed("data changed since the plan".to_string());
                self.record(&addr, Action::Read, outcome, started);
                return (addr.key, None, false);
            }
        }
        (addr.key, response.state, ok)
    }

    pub(super) async fn create_or_update(
        &self,
        change: &ResourceChange,
        repetition: RepetitionData,
        resource: &ResolvedResource<'_>,
        schema: &ResourceSchema,
        provider: Arc<dyn Provider>,
    ) -> InstanceResult {
        let key = change.addr.key.clone();
        let started = Instant::now();
        if self.interrupted() {
            self.record(&change.addr, change.action, InstanceOutcome::Interrupted, started);
            return (key, None, false);
        }
        let (config_value, diags) =
            resource.evaluate(&schema.block, &lock(&self.values), &change.addr.module, &repetition);
        if !self.report(diags) {
            self.record(&change.addr, change.action, InstanceOutcome::Failed("invalid configuration".into()), started);
            return (key, None, false);
        }
        // The final plan and the intent's commit are made once the operation is near its
        // turn, while the ones ahead still hold the slots: the fsync overlaps their work.
        let mut ticket = self.slots.enqueue(expect(schema));
        if !self.near(&mut ticket).await {
            self.record(&change.addr, change.action, InstanceOutcome::Interrupted, started);
            return (key, None, false);
        }
        let prior = if change.action == Action::Update { change.before().cloned() } else { None };
        let (planned, diags) = final_plan(provider.as_ref(), schema, change, prior.clone(), config_value.clone()).await;
        if diags.has_errors() {
            let message = diags.errors().next().map(ToString::to_string).unwrap_or_default();
            self.started(change, false);
            self.report(crate::plan::locate(diags, resource.config));
            self.record(&change.addr, change.action, InstanceOutcome::Failed(message), started);
            return (key, None, false);
        }
        let begun = match provider_call::record_intent(self.input.sink, change, prior.is_none(), &planned).await {
            Ok(begun) => begun,
            Err(diag) => {
                let message = diag.to_string();
                self.started(change, false);
                self.report(crate::plan::locate(diag.into(), resource.config));
                self.record(&change.addr, change.action, InstanceOutcome::Failed(message), started);
                return (key, None, false);
            }
        };
        let Some(slot) = self.turn(ticket).await else {
            provider_call::abandon(self.input.sink, change, begun).await;
            self.record(&change.addr, change.action, InstanceOutcome::Interrupted, started);
            return (key, None, false);
        };
        self.started(change, false);
        let result = provider_call::create_or_update(
            self.input.sink,
            provider,
            change,
            schema,
            begun,
            prior,
            planned,
            config_value,
            slot,
            // A provisioner acts on the object: its result is durable first.
            resource.config.provisioners.is_empty(),
        )
        .await;
        if let Some(pending) = result.pending {
            lock(&self.deferred).push((change.addr.clone(), pending));
        }
        let mut failed = result.diags.has_errors();
        let mut message = result.diags.errors().next().map(ToString::to_string).unwrap_or_default();
        self.report(crate::plan::locate(result.diags, resource.config));
        let mut value = result.value;
        if !failed
            && change.action != Action::Update
            && let Some(created) = &value
            && !self.provision(&change.addr, resource.config, &repetition, created, false).await
        {
            // As in Terraform: an object whose provisioner failed exists but is not what
            // the configuration asked for, so the next plan replaces it.
            self.taint(change, schema, created, result.private).await;
            failed = true;
            message = "a provisioner failed".to_string();
            value = None;
        }
        let outcome = if failed { InstanceOutcome::Failed(message) } else { InstanceOutcome::Done };
        self.record(&change.addr, change.action, outcome, started);
        (key, value, !failed)
    }

    pub(super) async fn delete_one(&self, change: &ResourceChange) -> bool {
        let started = Instant::now();
        let deposed = change.deposed.is_some() || change.action == Action::CreateThenDelete;
        if self.interrupted() {
            self.record(&change.addr, change.action, InstanceOutcome::Interrupted, started);
            return false;
        }
        let provider_addr = crate::runtime::provider_key(&change.provider);
        let Some(provider) = self.configure_provider(&provider_addr).await else {
            self.record(
                &change.addr,
                change.action,
                InstanceOutcome::Failed("provider not configured".into()),
                started,
            );
            return false;
        };
        let long_running = provider
            .schema()
            .resources
            .get(&change.addr.resource.type_name)
            .is_some_and(|schema| schema.block.long_running);
        let Some(before) = change.before().cloned() else {
            // Nothing was there to delete.
            self.started(change, deposed);
            self.record(&change.addr, change.action, InstanceOutcome::Done, started);
            return true;
        };
        // As for a create: the intent is made durable near the operation's turn.
        let mut ticket = self.slots.enqueue(if long_running { Expect::LongRunning } else { Expect::Quick });
        if !self.near(&mut ticket).await {
            self.record(&change.addr, change.action, InstanceOutcome::Interrupted, started);
            return false;
        }
        let pending = if deposed { Some(deposed_id(change)) } else { None };
        let begun = match provider_call::begin_delete(self.input.sink, change, pending).await {
            Ok(begun) => begun,
            Err(diag) => {
                let message = diag.to_string();
                self.started(change, deposed);
                self.report(diag.into());
                self.record(&change.addr, change.action, InstanceOutcome::Failed(message), started);
                return false;
            }
        };
        let Some(slot) = self.turn(ticket).await else {
            provider_call::abandon_delete(self.input.sink, change, begun).await;
            self.record(&change.addr, change.action, InstanceOutcome::Interrupted, started);
            return false;
        };
        self.started(change, deposed);
        if let Some(resource) =
            self.input.config.module(&change.addr.module.path()).and_then(|m| m.resources.get(&change.addr.resource))
            && resource.provisioners.iter().any(|p| p.when_destroy)
        {
            let repetition = super::provisioner::repetition_of(&change.addr.key);
            if !self.provision(&change.addr, resource, &repetition, &before, true).await {
                provider_call::abandon_delete(self.input.sink, change, begun).await;
                self.record(
                    &change.addr,
                    change.action,
                    InstanceOutcome::Failed("a provisioner failed".into()),
                    started,
                );
                return false;
            }
        }
        let result = provider_call::delete(self.input.sink, provider, change, before, begun, slot).await;
        let failed = result.diags.has_errors();
        let message = result.diags.errors().next().map(ToString::to_string).unwrap_or_default();
        self.report(result.diags);
        // The delete half of a plain replacement is reported with the create half.
        if change.action != Action::DeleteThenCreate || failed {
            let outcome = if failed { InstanceOutcome::Failed(message) } else { InstanceOutcome::Done };
            self.record(&change.addr, change.action, outcome, started);
        }
        !failed
    }
}

/// How soon an operation on a resource of this schema is expected to give its slot back.
fn expect(schema: &ResourceSchema) -> Expect {
    if schema.block.long_running { Expect::LongRunning } else { Expect::Quick }
}

/// The top-level attributes whose values differ between the plan-time read and the apply-time
/// one (sensitivity aside), among those the configuration uses (`None`: all of them); the
/// whole value when it is not an object.
fn changed_attributes(planned: &Value, read: &Value, used: Option<&BTreeSet<String>>) -> Vec<String> {
    if planned.eq_unmarked(read) {
        return Vec::new();
    }
    let whole = || vec!["the whole value".to_string()];
    let (Some(before), Some(after)) = (planned.as_entries(), read.as_entries()) else { return whole() };
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let changed: Vec<String> = names
        .into_iter()
        .filter(|name| used.is_none_or(|used| used.contains(*name)))
        .filter(|name| match (before.get(*name), after.get(*name)) {
            (Some(b), Some(a)) => !b.eq_unmarked(a),
            _ => true,
        })
        .cloned()
        .collect();
    if changed.is_empty() && used.is_none() { whole() } else { changed }
}

/// "Data changed since the plan": the read differs from the one the plan showed.
fn data_changed(addr: &AbsResourceInstance, resource: &ResolvedResource<'_>, changed: &[String]) -> Diagnostic {
    Diagnostic::error(format!("Data changed since the plan: {addr}"))
        .with_span(resource.config.decl_span)
        .with_detail(format!(
            "{addr} was read while planning and again during apply, after the changes it depends on, and the two \
             reads differ in what the configuration uses ({}). The plan's changes that use it were made with the first value, so they are not \
             applied: nothing is applied that the plan did not show.",
            changed.join(", ")
        ))
        .with_help("run `corral plan` again to plan with what it reads now")
}
