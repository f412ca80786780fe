//! `kyligence_stack`: plan (defaults, change classes, the rules in `rules`), apply (create,
//! converge, delete), read, adoption of a lost create, import.
//!
//! Apply converges from what the service says, never from what the plan assumed: an update
//! first waits for any operation under way (one an earlier, killed apply started), then
//! issues only what is still missing — scale, upgrade, stop or start — one operation at a
//! time. Since every multi-step operation is a state machine in the service, a killed apply
//! leaves it running there; the next plan reads the stack mid-operation (its `status` and
//! `step`), plans an update that settles it, and the apply waits for it rather than starting
//! it again: no step runs twice, no backup is taken over a newer one.

mod rules;
pub mod schema;
mod state;

use std::collections::BTreeMap;

use corral_api_kyligence::action;
use corral_api_kyligence::stack::{
    CreateStackRequest, DeleteStackRequest, ListStacksAnswer, ListStacksRequest, ScaleStackRequest, Stack,
    StackIdRequest, StackStatusAnswer, UpgradeKapRequest,
};
use corral_api_kyligence::status::{STATUS_FAILED, STATUS_RUNNING, STATUS_STOPPED};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadRequest, ReadResponse,
};
use corral_core::schema::ChangeClass;
use corral_core::value::{Path, Type, Value};
use corral_provider_sdk::plan::{attributes, known_equal};
use corral_provider_sdk::validate::Checks;

use crate::api::{self, api_error, call, client_token, error};
use crate::provider::Ctx;

pub const TYPE_NAME: &str = "kyligence_stack";

pub(crate) fn str_attr(attrs: &BTreeMap<String, Value>, name: &str) -> Option<String> {
    attrs.get(name).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn int_attr(attrs: &BTreeMap<String, Value>, name: &str) -> Option<i64> {
    attrs.get(name).and_then(Value::as_number).and_then(|n| n.to_i64())
}

pub(crate) fn bool_attr(attrs: &BTreeMap<String, Value>, name: &str) -> Option<bool> {
    attrs.get(name).and_then(Value::as_bool)
}

fn count(attrs: &BTreeMap<String, Value>, name: &str) -> Option<u32> {
    int_attr(attrs, name).and_then(|n| u32::try_from(n).ok())
}

/// Static checks on a configuration whose values may be unknown.
pub fn validate(config: &Value) -> Diagnostics {
    use corral_api_kyligence::limits;
    let mut checks = Checks::new(TYPE_NAME, config);
    checks
        .required(
            &["name", "vpc_id", "subnet_id", "master_instance_type", "core_instance_type", "core_count", "kap_version"],
            None,
        )
        .one_of("desired_state", schema::DESIRED_STATES)
        .one_of("kap_version", limits::KAP_VERSIONS)
        .one_of("master_instance_type", limits::INSTANCE_TYPES)
        .one_of("core_instance_type", limits::INSTANCE_TYPES)
        .one_of("task_instance_type", limits::INSTANCE_TYPES)
        .int_between("core_count", i64::from(limits::CORE_MIN), i64::from(limits::CORE_MAX))
        .int_between("task_count", i64::from(limits::TASK_MIN), i64::from(limits::TASK_MAX));
    if let Some(n) = config.get_attr("master_count").and_then(Value::as_number)
        && !n.to_i64().and_then(|n| u32::try_from(n).ok()).is_some_and(|n| limits::MASTER_COUNTS.contains(&n))
    {
        checks.error("master_count", format!("`master_count` of `{TYPE_NAME}` is 1 or 3 (HA), not {n}"));
    }
    if let Some(name) = config.get_attr("name").and_then(Value::as_str)
        && !limits::name_is_valid(name)
    {
        checks.error(
            "name",
            format!(
                "`name` of `{TYPE_NAME}` is 1 to {} letters, digits and `-`, starting with a letter, not `{name}`",
                limits::NAME_MAX_CHARS
            ),
        );
    }
    checks.finish()
}

/// The status a stack settles in for a desired state.
fn settled(desired: Option<&str>) -> &'static str {
    if desired == Some(STATUS_STOPPED) { STATUS_STOPPED } else { STATUS_RUNNING }
}

/// What destroying a stack with these ids keeps.
pub(crate) fn retained(bucket: &str, rds_id: &str, delete_rds: bool) -> Value {
    let mut kept = vec![Value::string(format!("s3://{bucket}"))];
    if !delete_rds {
        kept.push(Value::string(format!("rds://{rds_id}")));
    }
    Value::List(Type::String, kept)
}

pub fn plan(request: PlanRequest) -> PlanResponse {
    if request.proposed_new_state.is_null() {
        return PlanResponse { planned_state: Some(request.proposed_new_state), ..PlanResponse::default() };
    }
    let schema = schema::stack_schema();
    let mut planned = attributes(&request.proposed_new_state, &schema.block);
    for (name, value) in planned.iter_mut() {
        if value.is_null()
            && let Some(default) = schema::default_of(name)
        {
            *value = default;
        }
    }
    if planned.get("task_instance_type").is_some_and(Value::is_null)
        && let Some(core) = planned.get("core_instance_type").cloned()
    {
        planned.insert("task_instance_type".into(), core);
    }
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
    let mut requires_replace = Vec::new();
    if let Some(prior) = &prior {
        for (name, attribute) in &schema.block.attributes {
            let fixed = !matches!(attribute.change, ChangeClass::InPlace);
            let same = match (prior.get(name), planned.get(name)) {
                (Some(a), Some(b)) => known_equal(a, b) || (a.is_null() && b.is_null()),
                _ => true,
            };
            if fixed && !same {
                requires_replace.push(Path::attr(name));
            }
        }
    }
    let mut diagnostics = Diagnostics::new();
    let fresh = match &prior {
        Some(prior) if requires_replace.is_empty() => {
            diagnostics = rules::check(prior, &planned);
            false
        }
        _ => true,
    };
    let desired = str_attr(&planned, "desired_state");
    let status = settled(desired.as_deref());
    let nodes = if status == STATUS_RUNNING {
        ["master_count", "core_count", "task_count"].iter().map(|n| int_attr(&planned, n)).sum::<Option<i64>>()
    } else {
        Some(0)
    };
    planned.insert("status".into(), Value::string(status));
    planned.insert("step".into(), Value::Null(Type::String));
    planned.insert("running_nodes".into(), nodes.map_or(Value::Unknown(Type::Number), Value::int));
    let stopping = prior.as_ref().is_some_and(|p| str_attr(p, "status").as_deref() != Some(STATUS_STOPPED))
        && status == STATUS_STOPPED;
    for name in ["id", "s3_bucket", "rds_id", "rds_endpoint", "load_balancer_dns", "kap_url", "last_backup"] {
        let value = match &prior {
            Some(prior) if !fresh && (name != "last_backup" || !stopping) => {
                prior.get(name).cloned().unwrap_or(Value::Null(Type::String))
            }
            _ => Value::Unknown(Type::String),
        };
        planned.insert(name.into(), value);
    }
    let kept = match (str_attr(&planned, "s3_bucket"), str_attr(&planned, "rds_id")) {
        (Some(bucket), Some(rds)) => {
            retained(&bucket, &rds, bool_attr(&planned, "delete_rds_on_destroy") == Some(true))
        }
        _ => Value::Unknown(Type::list(Type::String)),
    };
    planned.insert("retained_on_destroy".into(), kept);
    if diagnostics.has_errors() {
        return PlanResponse { diagnostics, ..PlanResponse::default() };
    }
    PlanResponse {
        planned_state: Some(Value::Object(planned)),
        requires_replace,
        diagnostics,
        ..PlanResponse::default()
    }
}

pub async fn apply(ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
    let schema = schema::stack_schema();
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
    let planned = request.planned_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
    match (prior, planned) {
        (None, None) => ApplyResponse::default(),
        (None, Some(planned)) => create(ctx, planned, &request.idempotency_token).await,
        (Some(prior), None) => delete(ctx, prior).await,
        (Some(prior), Some(planned)) => update(ctx, prior, planned).await,
    }
}

#[tracing::instrument(skip_all, fields(stack = tracing::field::Empty))]
async fn create(ctx: &Ctx, planned: BTreeMap<String, Value>, idempotency_token: &str) -> ApplyResponse {
    let request = CreateStackRequest {
        stack_name: str_attr(&planned, "name"),
        client_token: Some(client_token(idempotency_token)),
        vpc_id: str_attr(&planned, "vpc_id"),
        subnet_id: str_attr(&planned, "subnet_id"),
        kap_version: str_attr(&planned, "kap_version"),
        master_instance_type: str_attr(&planned, "master_instance_type"),
        master_count: count(&planned, "master_count"),
        core_instance_type: str_attr(&planned, "core_instance_type"),
        core_count: count(&planned, "core_count"),
        task_instance_type: str_attr(&planned, "task_instance_type"),
        task_count: count(&planned, "task_count"),
    };
    let id = match call::<StackStatusAnswer>(ctx, action::CREATE_STACK, &request).await {
        Ok(answer) if !answer.stack_id.is_empty() => answer.stack_id,
        Ok(_) => {
            return ApplyResponse {
                diagnostics: error("CreateStack answered without a StackId"),
                ..Default::default()
            };
        }
        Err(e) => return ApplyResponse { diagnostics: api_error("creating the stack", &e), ..Default::default() },
    };
    tracing::Span::current().record("stack", id.as_str());
    let outcome = async {
        let stack = api::wait(ctx, &id, "to be running", &[STATUS_RUNNING, STATUS_STOPPED], false)
            .await?
            .ok_or_else(|| error(format!("stack {id} disappeared")))?;
        converge(ctx, stack, &planned).await
    }
    .await;
    finish(ctx, &id, planned, outcome).await
}

#[tracing::instrument(skip_all, fields(stack = tracing::field::Empty))]
async fn update(ctx: &Ctx, prior: BTreeMap<String, Value>, planned: BTreeMap<String, Value>) -> ApplyResponse {
    let Some(id) = str_attr(&prior, "id") else {
        return ApplyResponse {
            diagnostics: error("the state of `kyligence_stack` has no `id`"),
            ..Default::default()
        };
    };
    tracing::Span::current().record("stack", id.as_str());
    let outcome = async {
        // An operation an earlier apply started is waited for, never started again.
        let stack = api::wait(ctx, &id, "to finish its operation", &[STATUS_RUNNING, STATUS_STOPPED], false)
            .await?
            .ok_or_else(|| error(format!("stack {id} disappeared")))?;
        converge(ctx, stack, &planned).await
    }
    .await;
    finish(ctx, &id, planned, outcome).await
}

/// Issues what the described stack still lacks to match `planned`, one operation at a time,
/// each waited for: scale, upgrade, then stop or start.
async fn converge(ctx: &Ctx, mut stack: Stack, planned: &BTreeMap<String, Value>) -> Result<(), Diagnostics> {
    let id = stack.stack_id.clone();
    let (core, task) = (count(planned, "core_count"), count(planned, "task_count"));
    if stack.stack_status == STATUS_RUNNING
        && (core.is_some_and(|c| c != stack.core_count) || task.is_some_and(|t| t != stack.task_count))
    {
        let request =
            ScaleStackRequest { stack_id: Some(id.clone()), core_count: core, task_count: task, master_count: None };
        call::<StackStatusAnswer>(ctx, action::SCALE_STACK, &request)
            .await
            .map_err(|e| api_error(&format!("scaling stack {id}"), &e))?;
        stack = wait_settled(ctx, &id, "to finish scaling", STATUS_RUNNING).await?;
    }
    if let Some(version) = str_attr(planned, "kap_version").filter(|v| *v != stack.kap_version) {
        let request = UpgradeKapRequest { stack_id: Some(id.clone()), kap_version: Some(version.clone()) };
        call::<StackStatusAnswer>(ctx, action::UPGRADE_KAP, &request)
            .await
            .map_err(|e| api_error(&format!("upgrading KAP on stack {id} to {version}"), &e))?;
        stack = wait_settled(ctx, &id, "to finish upgrading KAP", STATUS_RUNNING).await?;
    }
    let desired = settled(str_attr(planned, "desired_state").as_deref());
    if desired != stack.stack_status {
        let request = StackIdRequest { stack_id: Some(id.clone()) };
        let (action, doing) = if desired == STATUS_STOPPED {
            (action::STOP_STACK, "stopping")
        } else {
            (action::START_STACK, "starting")
        };
        call::<StackStatusAnswer>(ctx, action, &request)
            .await
            .map_err(|e| api_error(&format!("{doing} stack {id}"), &e))?;
        wait_settled(ctx, &id, &format!("to finish {doing}"), desired).await?;
    }
    Ok(())
}

async fn wait_settled(ctx: &Ctx, id: &str, what: &str, target: &str) -> Result<Stack, Diagnostics> {
    api::wait(ctx, id, what, &[target], false).await?.ok_or_else(|| error(format!("stack {id} disappeared")))
}

/// The state after an operation on stack `id`: described afresh, with the operation's
/// diagnostics. A stack that exists is always in the answer, so nothing is forgotten.
async fn finish(
    ctx: &Ctx,
    id: &str,
    planned: BTreeMap<String, Value>,
    outcome: Result<(), Diagnostics>,
) -> ApplyResponse {
    let mut diagnostics = outcome.err().unwrap_or_default();
    let state = match api::describe(ctx, id).await {
        Ok(Some(stack)) => state::from_api(&stack, planned),
        Ok(None) => {
            diagnostics.extend(error(format!("stack {id} disappeared")));
            return ApplyResponse { diagnostics, ..ApplyResponse::default() };
        }
        Err(e) => {
            diagnostics.extend(api_error(&format!("reading stack {id}"), &e));
            state::known_part(planned, id)
        }
    };
    ApplyResponse { new_state: Some(state), diagnostics, ..ApplyResponse::default() }
}

#[tracing::instrument(skip_all, fields(stack = tracing::field::Empty))]
async fn delete(ctx: &Ctx, prior: BTreeMap<String, Value>) -> ApplyResponse {
    let Some(id) = str_attr(&prior, "id") else { return ApplyResponse::default() };
    tracing::Span::current().record("stack", id.as_str());
    let keep = |diagnostics| ApplyResponse {
        new_state: Some(Value::Object(prior.clone())),
        diagnostics,
        ..Default::default()
    };
    // An operation under way finishes first; a failed stack can always be deleted.
    match api::wait(ctx, &id, "to take a delete", &[STATUS_RUNNING, STATUS_STOPPED, STATUS_FAILED], true).await {
        Ok(Some(_)) => {}
        Ok(None) => return ApplyResponse::default(),
        Err(d) => return keep(d),
    }
    let delete_rds = bool_attr(&prior, "delete_rds_on_destroy") == Some(true);
    let request = DeleteStackRequest { stack_id: Some(id.clone()), delete_rds };
    if let Err(e) = call::<StackStatusAnswer>(ctx, action::DELETE_STACK, &request).await {
        return keep(api_error(&format!("deleting stack {id}"), &e));
    }
    match api::wait(ctx, &id, "to be deleted", &[], true).await {
        Ok(_) => ApplyResponse::default(),
        Err(d) => keep(d),
    }
}

pub async fn read(ctx: &Ctx, request: ReadRequest) -> ReadResponse {
    let prior = attributes(&request.current_state, &schema::stack_schema().block);
    let Some(id) = str_attr(&prior, "id") else {
        return ReadResponse {
            diagnostics: error("the state of `kyligence_stack` has no `id`"),
            ..ReadResponse::default()
        };
    };
    match api::describe(ctx, &id).await {
        Ok(Some(stack)) => ReadResponse {
            new_state: Some(state::from_api(&stack, prior)),
            private: request.private,
            ..ReadResponse::default()
        },
        Ok(None) => ReadResponse::default(),
        Err(e) => ReadResponse {
            new_state: Some(request.current_state),
            diagnostics: api_error(&format!("reading stack {id}"), &e),
            ..ReadResponse::default()
        },
    }
}

pub async fn find_created(ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
    let schema = schema::stack_schema();
    let list = ListStacksRequest { client_token: Some(client_token(&request.idempotency_token)), stack_name: None };
    let found = match call::<ListStacksAnswer>(ctx, action::LIST_STACKS, &list).await {
        Ok(answer) => answer.stacks.into_iter().next(),
        Err(e) => {
            return FindCreatedResponse {
                diagnostics: api_error("looking for a created stack", &e),
                ..Default::default()
            };
        }
    };
    let base = request.planned_state.as_ref().map(|p| attributes(p, &schema.block)).unwrap_or_default();
    FindCreatedResponse { state: found.map(|s| state::from_api(&s, base)), ..FindCreatedResponse::default() }
}

pub async fn import(ctx: &Ctx, request: ImportRequest) -> ImportResponse {
    match api::describe(ctx, &request.id).await {
        Ok(Some(stack)) => {
            let base = attributes(&Value::empty_object(), &schema::stack_schema().block);
            ImportResponse { state: Some(state::from_api(&stack, base)), diagnostics: Diagnostics::new() }
        }
        Ok(None) => ImportResponse {
            state: None,
            diagnostics: Diagnostics::from(Diagnostic::error(format!("no Kyligence stack has id `{}`", request.id))),
        },
        Err(e) => ImportResponse { state: None, diagnostics: api_error("importing a stack", &e) },
    }
}

#[cfg(test)]
mod tests;
