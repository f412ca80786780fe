//! One instance's provider call with the intent and state commits around it (invariant 9):
//! a create's intent is durable before the call, and its result and the intent's removal are
//! committed together. The result commit may be deferred (`defer`): it then rides with the
//! next commit, which for a dependent is its intent commit, so the result is durable before
//! anything that depends on it calls its provider.

use std::sync::Arc;

use tracing::{Instrument, debug, info_span};

use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::{Action, ResourceChange};
use crate::provider::{self, Provider};
use crate::schema::ResourceSchema;
use crate::state::{InstanceState, InstanceStatus, Intent, IntentAction, StateChange};
use crate::value::Value;

use super::sink::{Deferred, StateSink};
use super::slot::Slot;

/// The result of one operation: the instance's new value (for dependents), and problems.
pub(crate) struct OpResult {
    pub value: Option<Value>,
    /// The provider's private data committed with `value` (a failed provisioner commits the
    /// object again, tainted).
    pub private: Option<Vec<u8>>,
    pub diags: Diagnostics,
    /// The result commit, when it was deferred: to await before the walk ends.
    pub pending: Option<Deferred>,
}

fn intent_for(
    change: &ResourceChange,
    action: IntentAction,
    token: &str,
    planned: Option<serde_json::Value>,
) -> Intent {
    Intent {
        id: uuid::Uuid::new_v4(),
        addr: change.addr.to_string(),
        provider: change.provider.clone(),
        type_name: change.type_name.clone(),
        action,
        idempotency_token: token.to_string(),
        planned,
        dependencies: change.dependencies.clone(),
        create_before_destroy: change.create_before_destroy,
        started_at: chrono::Utc::now(),
    }
}

pub(super) fn instance_state(
    change: &ResourceChange,
    value: &Value,
    private: Option<Vec<u8>>,
    status: InstanceStatus,
    schema: &ResourceSchema,
) -> InstanceState {
    let (bare, sensitive_paths) = value.clone().unmark_deep();
    InstanceState {
        addr: change.addr.to_string(),
        provider: change.provider.clone(),
        schema_version: schema.version,
        attributes: bare.to_json(),
        sensitive_paths,
        private,
        dependencies: change.dependencies.clone(),
        create_before_destroy: change.create_before_destroy,
        status,
    }
}

/// A create's or update's intent, durable: the provider call may start.
pub(crate) struct Begun {
    id: uuid::Uuid,
    token: String,
}

/// Commits the intent of a create (no prior object) or update: durable before the call.
/// A create's intent keeps the planned value: after a crash between the create call and the
/// commit of its result, `find_created` gets it back to recognise the object (by its name,
/// for APIs with no idempotency token). Write-only attributes hold digests here.
pub(crate) async fn record_intent(
    sink: &dyn StateSink,
    change: &ResourceChange,
    creating: bool,
    planned: &Value,
) -> Result<Begun, Diagnostic> {
    let token = uuid::Uuid::new_v4().to_string();
    let intent = if creating {
        intent_for(change, IntentAction::Create, &token, Some(planned.clone().without_marks().to_json()))
    } else {
        intent_for(change, IntentAction::Update, &token, None)
    };
    let id = intent.id;
    match sink.commit(vec![StateChange::PutIntent(intent)]).await {
        Ok(()) => Ok(Begun { id, token }),
        Err(e) => {
            Err(Diagnostic::error(format!("Cannot record the intent to change {}", change.addr))
                .with_detail(e.to_string()))
        }
    }
}

/// Gives up an operation whose intent is durable but whose provider call never started (the
/// run was interrupted while it waited for its turn): the intent goes, so the next plan does
/// not look for an object this run never asked for. If it cannot go (the state was taken from
/// under the run), the next plan finds nothing for it and drops it, as after a crash.
pub(crate) async fn abandon(sink: &dyn StateSink, change: &ResourceChange, begun: Begun) {
    take_back(sink, change, begun.id).await;
}

async fn take_back(sink: &dyn StateSink, change: &ResourceChange, intent: uuid::Uuid) {
    if let Err(e) = sink.commit(vec![StateChange::RemoveIntent(intent)]).await {
        debug!(addr = %change.addr, error = %e, "the intent of an operation not started stays");
    }
}

/// Creates (or updates) the object, its intent already durable (`begun`): `planned` is the
/// final plan made at apply time with every upstream value known. The operation's `slot` is
/// given back as soon as the provider call ends (or its provider starts waiting): the commit
/// after it is not provider work. For a create-before-destroy replacement the old object is
/// recorded as a pending deletion in the same commit that records the new one.
#[expect(clippy::too_many_arguments, reason = "one operation's inputs, each used once")]
pub(crate) async fn create_or_update(
    sink: &dyn StateSink,
    provider: Arc<dyn Provider>,
    change: &ResourceChange,
    schema: &ResourceSchema,
    begun: Begun,
    prior: Option<Value>,
    planned: Value,
    config: Value,
    slot: Slot,
    defer: bool,
) -> OpResult {
    let mut diags = Diagnostics::new();
    let creating = prior.is_none();
    let Begun { id: intent_id, token } = begun;
    let response = provider
        .apply(provider::ApplyRequest {
            type_name: change.type_name.clone(),
            prior_state: prior.clone().map(Value::without_marks),
            planned_state: Some(planned.clone().without_marks()),
            config: config.without_marks(),
            planned_private: change.private.clone(),
            idempotency_token: token,
            progress: slot.progress(&change.addr, change.action),
        })
        .instrument(info_span!("provider.apply", addr = %change.addr))
        .await;
    drop(slot);
    let failed = response.diagnostics.has_errors();
    diags.extend(response.diagnostics);
    let new_value = response.new_state.map(|v| v.mark_paths(&planned.marked_paths()));
    // A create that failed without an object may still have made one: the provider
    // process died mid-call, or the call timed out. Keep its intent; the next plan asks
    // `find_created` with the token and adopts or drops it.
    let outcome_unknown = creating && failed && new_value.is_none();
    let mut commit = if outcome_unknown { Vec::new() } else { vec![StateChange::RemoveIntent(intent_id)] };
    match &new_value {
        Some(value) => {
            // As Terraform: only a failed create leaves a tainted object (it may be half
            // made). A failed update keeps the object as the provider reports it, so the next
            // plan retries the update; replacing a persistent cluster because a resize was
            // refused would lose its data.
            let status = if failed && creating { InstanceStatus::Tainted } else { InstanceStatus::Ready };
            commit.push(StateChange::PutInstance(instance_state(
                change,
                value,
                response.private.clone(),
                status,
                schema,
            )));
            if change.action == Action::CreateThenDelete
                && let Some(old) = change.before()
            {
                // The old object stays until the Destroy task deletes it: record it as a
                // pending deletion so a crash in between does not forget it.
                let mut pending =
                    intent_for(change, IntentAction::Delete, "", Some(old.clone().without_marks().to_json()));
                pending.id = deposed_id(change);
                commit.push(StateChange::PutIntent(pending));
            }
        }
        None if !creating && failed => {
            // An update that failed without an answer: keep what we knew.
        }
        None => {}
    }
    let mut pending = None;
    if !commit.is_empty() {
        // A failed operation's dependents do not start, so nothing waits to carry its result.
        if defer && !failed {
            pending = Some(sink.commit_deferred(commit).await);
        } else if let Err(e) = sink.commit(commit).await {
            diags.push(result_not_recorded(&change.addr, &e));
        }
    }
    debug!(addr = %change.addr, failed, "applied");
    OpResult { value: if failed { None } else { new_value }, private: response.private, diags, pending }
}

/// A result that could not be committed: the object exists, state does not say so.
pub(crate) fn result_not_recorded(
    addr: &crate::addr::AbsResourceInstance,
    error: &crate::state::StateError,
) -> Diagnostic {
    Diagnostic::error(format!("Cannot record the result for {addr} in state")).with_detail(error.to_string())
}

/// The intent id under which the old object of a create-before-destroy replacement waits.
pub(crate) fn deposed_id(change: &ResourceChange) -> uuid::Uuid {
    change.deposed.unwrap_or_else(|| {
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("deposed:{}", change.addr).as_bytes())
    })
}

/// A deletion whose intent is durable: its provider call may start.
pub(crate) struct DeleteBegun {
    intent: uuid::Uuid,
    /// Recorded for this call (a plain deletion), not the pending-deletion record a deposed
    /// object already had.
    fresh: bool,
}

/// Makes a deletion's intent durable: a plain deletion records one (without attributes: one
/// that is interrupted is settled by refresh, not treated as a deposed object); a deposed
/// object's deletion runs under its pending-deletion record (`pending_intent`) and commits
/// nothing first, but a deferred result it waits for must be durable before the call all the
/// same.
pub(crate) async fn begin_delete(
    sink: &dyn StateSink,
    change: &ResourceChange,
    pending_intent: Option<uuid::Uuid>,
) -> Result<DeleteBegun, Diagnostic> {
    match pending_intent {
        Some(intent) => match sink.sync().await {
            Ok(()) => Ok(DeleteBegun { intent, fresh: false }),
            Err(e) => {
                Err(Diagnostic::error(format!("Cannot delete {}: earlier results are not recorded", change.addr))
                    .with_detail(e.to_string()))
            }
        },
        None => {
            let intent = intent_for(change, IntentAction::Delete, "", None);
            let id = intent.id;
            match sink.commit(vec![StateChange::PutIntent(intent)]).await {
                Ok(()) => Ok(DeleteBegun { intent: id, fresh: true }),
                Err(e) => Err(Diagnostic::error(format!("Cannot record the intent to delete {}", change.addr))
                    .with_detail(e.to_string())),
            }
        }
    }
}

/// Gives up a deletion whose call never started: a plain deletion's intent goes (as
/// [`abandon`]); a deposed object keeps its pending-deletion record.
pub(crate) async fn abandon_delete(sink: &dyn StateSink, change: &ResourceChange, begun: DeleteBegun) {
    if begun.fresh {
        take_back(sink, change, begun.intent).await;
    }
}

/// Deletes an object (`before`), its intent durable (`begun`). A deposed object's deletion
/// removes only its pending-deletion record: the address holds another object now. The
/// `slot` is given back when the provider call ends, as for a create.
pub(crate) async fn delete(
    sink: &dyn StateSink,
    provider: Arc<dyn Provider>,
    change: &ResourceChange,
    before: Value,
    begun: DeleteBegun,
    slot: Slot,
) -> OpResult {
    let mut diags = Diagnostics::new();
    let DeleteBegun { intent: intent_id, fresh } = begun;
    let response = provider
        .apply(provider::ApplyRequest {
            type_name: change.type_name.clone(),
            prior_state: Some(before.without_marks()),
            planned_state: None,
            config: Value::null(),
            planned_private: change.private.clone(),
            idempotency_token: String::new(),
            progress: slot.progress(&change.addr, change.action),
        })
        .instrument(info_span!("provider.delete", addr = %change.addr))
        .await;
    drop(slot);
    let failed = response.diagnostics.has_errors();
    diags.extend(response.diagnostics);
    let mut commit = vec![StateChange::RemoveIntent(intent_id)];
    if failed {
        if !fresh {
            // Keep waiting for deletion.
            commit.clear();
        }
    } else if fresh {
        commit.push(StateChange::RemoveInstance(change.addr.clone()));
    }
    if !commit.is_empty()
        && let Err(e) = sink.commit(commit).await
    {
        diags.push(
            Diagnostic::error(format!("Cannot record the deletion of {} in state", change.addr))
                .with_detail(e.to_string()),
        );
    }
    OpResult { value: None, private: None, diags, pending: None }
}
