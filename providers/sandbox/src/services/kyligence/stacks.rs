//! Stack actions: `CreateStack`, `DescribeStack`, `ListStacks`, `ScaleStack`, `StopStack`,
//! `StartStack`, `UpgradeKap`, `DeleteStack`, `ListStorage`.
//!
//! Every action that starts an operation is idempotent in the one way that matters for a
//! client that lost its answer: asking for what the stack is already doing (or has done)
//! answers the stack as it is and starts nothing, so a second stop never takes a second
//! backup over the first, and a second upgrade to the same version never reinstalls.

use std::collections::BTreeMap;

use corral_api_kyligence::errors;
use corral_api_kyligence::kap::Model;
use corral_api_kyligence::limits;
use corral_api_kyligence::stack::{
    Bucket as ApiBucket, CreateStackRequest, Database as ApiDatabase, DeleteStackRequest, ListStacksAnswer,
    ListStacksRequest, ListStorageAnswer, ScaleStackRequest, StackIdRequest, StackStatusAnswer, UpgradeKapRequest,
};
use corral_api_kyligence::status::*;
use corral_provider_sdk::emulator::{ApiError, RequestContext};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::model::*;
use super::{catalog, lifecycle, store};

/// Decodes a body into a request struct; a body that does not fit is `InvalidParameterValue`.
pub(super) fn decode<T: DeserializeOwned>(body: &serde_json::Value) -> Result<T, ApiError> {
    let body = if body.is_null() { serde_json::Value::Object(Default::default()) } else { body.clone() };
    serde_json::from_value(body).map_err(|e| ApiError::bad_request("InvalidParameterValue", e.to_string()))
}

/// An answer as the JSON the server sends; the API's shapes always serialise.
pub(super) fn answer<T: Serialize>(answer: &T) -> serde_json::Value {
    serde_json::to_value(answer).unwrap_or(serde_json::Value::Null)
}

/// A non-empty string field.
pub(super) fn required(value: &Option<String>, name: &str) -> Result<String, ApiError> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_string()),
        _ => Err(ApiError::missing(name)),
    }
}

fn status_answer(stack: &Stack) -> serde_json::Value {
    answer(&StackStatusAnswer { stack_id: stack.stack_id.clone(), stack_status: Some(stack.stack_status.clone()) })
}

fn instance_type(value: &Option<String>, name: &str) -> Result<String, ApiError> {
    let value = required(value, name)?;
    if !limits::INSTANCE_TYPES.contains(&value.as_str()) {
        return Err(ApiError::invalid(
            name,
            format!("`{value}` is not offered; choose one of {}", limits::INSTANCE_TYPES.join(", ")),
        ));
    }
    Ok(value)
}

fn count_in(value: u32, name: &str, min: u32, max: u32) -> Result<u32, ApiError> {
    if value < min || value > max {
        return Err(ApiError::invalid(name, format!("{min} to {max}, not {value}")));
    }
    Ok(value)
}

fn kap_version(value: &Option<String>) -> Result<String, ApiError> {
    let version = required(value, "KapVersion")?;
    if limits::kap_version_rank(&version).is_none() {
        return Err(ApiError::invalid(
            "KapVersion",
            format!("KAP `{version}` is not offered; choose one of {}", limits::KAP_VERSIONS.join(", ")),
        ));
    }
    Ok(version)
}

/// Quota names and their use by the account's stacks.
const QUOTA_STACKS: &str = "kyligence_stacks";
const QUOTA_NODES: &str = "kyligence_nodes";

fn check_nodes(ctx: &RequestContext<'_>, adding: u32) -> Result<(), ApiError> {
    let in_use: u64 = store::list::<Stack>(ctx.tables, STACKS)?
        .iter()
        .filter(|s| s.account == ctx.account)
        .map(|s| u64::from(s.reserved_nodes()))
        .sum();
    ctx.check_quota(errors::QUOTA_NODE, QUOTA_NODES, in_use, u64::from(adding))
}

pub(super) fn create(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: CreateStackRequest = decode(body)?;
    let account = ctx.account.clone();
    if let Some(token) = request.client_token.as_deref().filter(|t| !t.is_empty())
        && let Some(id) = store::created_by_token(ctx.tables, &account, token)
    {
        // A retried create: the first one's stack, not a second stack.
        return Ok(answer(&StackStatusAnswer { stack_id: id, stack_status: None }));
    }
    let name = required(&request.stack_name, "StackName")?;
    if !limits::name_is_valid(&name) {
        return Err(ApiError::invalid(
            "StackName",
            format!("`{name}`: 1 to {} letters, digits and `-`, starting with a letter", limits::NAME_MAX_CHARS),
        ));
    }
    let kap_version = kap_version(&request.kap_version)?;
    let master_instance_type = instance_type(&request.master_instance_type, "MasterInstanceType")?;
    let core_instance_type = instance_type(&request.core_instance_type, "CoreInstanceType")?;
    let task_instance_type = match &request.task_instance_type {
        Some(_) => instance_type(&request.task_instance_type, "TaskInstanceType")?,
        None => core_instance_type.clone(),
    };
    let master_count = request.master_count.unwrap_or(1);
    if !limits::MASTER_COUNTS.contains(&master_count) {
        return Err(ApiError::invalid("MasterCount", format!("1 or 3 (HA), not {master_count}")));
    }
    let core_count = count_in(
        request.core_count.ok_or_else(|| ApiError::missing("CoreCount"))?,
        "CoreCount",
        limits::CORE_MIN,
        limits::CORE_MAX,
    )?;
    let task_count = count_in(request.task_count.unwrap_or(0), "TaskCount", limits::TASK_MIN, limits::TASK_MAX)?;
    let vpc_id = required(&request.vpc_id, "VpcId")?;
    let subnet_id = required(&request.subnet_id, "SubnetId")?;
    let live = store::list::<Stack>(ctx.tables, STACKS)?
        .into_iter()
        .filter(|s| s.account == account && !s.is_deleted())
        .count() as u64;
    ctx.check_quota(errors::QUOTA_STACK, QUOTA_STACKS, live, 1)?;
    check_nodes(ctx, master_count + core_count + task_count)?;

    let now = ctx.now;
    let short = uuid::Uuid::new_v4().simple().to_string();
    let short = &short[..12];
    let stack_id = format!("stk-{short}");
    let bucket = format!("kyligence-{short}");
    let rds_id = format!("rds-{short}");
    let rds_endpoint = format!("{rds_id}.rds.sandbox.internal");
    // The storage is made at once and outlives the stack; the sample project's metadata goes
    // to RDS and its cube data to S3.
    let mut objects = BTreeMap::new();
    for (_, _, cube, rows) in catalog::SAMPLE {
        objects.insert(cube_key(cube), serde_json::json!({ "SourceRows": rows }));
    }
    let bucket_record =
        Bucket { bucket: bucket.clone(), account: account.clone(), stack_id: stack_id.clone(), objects };
    store::put(ctx.tables, BUCKETS, &bucket, &bucket_record)?;
    let database = Database {
        rds_id: rds_id.clone(),
        account: account.clone(),
        stack_id: stack_id.clone(),
        endpoint: rds_endpoint.clone(),
        models: catalog::SAMPLE
            .iter()
            .map(|(model, fact, _, _)| Model { model_name: model.to_string(), fact_table: fact.to_string() })
            .collect(),
        cubes: catalog::SAMPLE
            .iter()
            .map(|(model, _, cube, _)| CubeMeta { cube_name: cube.to_string(), model_name: model.to_string() })
            .collect(),
    };
    store::put(ctx.tables, DATABASES, &rds_id, &database)?;
    let client_token = request.client_token.clone().filter(|t| !t.is_empty());
    let load_balancer_dns = format!("{stack_id}.elb.sandbox.internal");
    let mut stack = Stack {
        api: corral_api_kyligence::stack::Stack {
            stack_id: stack_id.clone(),
            stack_name: name,
            stack_status: STATUS_CREATING.to_string(),
            desired_state: STATUS_RUNNING.to_string(),
            vpc_id,
            subnet_id,
            kap_version,
            master_instance_type,
            master_count,
            core_instance_type,
            core_count,
            task_instance_type,
            task_count,
            running_nodes: 0,
            s3_bucket: bucket,
            rds_id,
            rds_endpoint,
            kap_url: format!("http://{load_balancer_dns}:7070/kylin"),
            load_balancer_dns,
            operation: None,
            failure_reason: None,
            step_log: Vec::new(),
            last_backup: None,
            client_token: client_token.clone(),
            create_time: now,
        },
        account: account.clone(),
        kap_local: None,
        backup_seq: 0,
        fail_at_step: None,
    };
    lifecycle::start_operation(&mut stack, lifecycle::operation(OP_CREATE, now), now);
    store::put(ctx.tables, STACKS, &stack_id, &stack)?;
    if let Some(token) = &client_token {
        store::remember_token(ctx.tables, &account, token, &stack_id);
    }
    Ok(status_answer(&stack))
}

/// The account's stack by id; another account's stack does not exist for this one.
pub(super) fn find(ctx: &RequestContext<'_>, body: &serde_json::Value) -> Result<Stack, ApiError> {
    let request: StackIdRequest = decode(body)?;
    find_id(ctx, &required(&request.stack_id, "StackId")?)
}

pub(super) fn find_id(ctx: &RequestContext<'_>, id: &str) -> Result<Stack, ApiError> {
    match store::get::<Stack>(ctx.tables, STACKS, id)? {
        Some(s) if s.account == ctx.account => Ok(s),
        _ => Err(ApiError::not_found(errors::STACK_NOT_FOUND, format!("stack `{id}` does not exist"))),
    }
}

pub(super) fn describe(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    Ok(answer(&find(ctx, body)?.view()))
}

pub(super) fn list(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: ListStacksRequest = decode(body)?;
    let stacks = store::list::<Stack>(ctx.tables, STACKS)?
        .into_iter()
        .filter(|s| s.account == ctx.account && !s.is_deleted())
        .filter(|s| request.client_token.as_ref().is_none_or(|t| s.client_token.as_ref() == Some(t)))
        .filter(|s| request.stack_name.as_ref().is_none_or(|n| &s.stack_name == n))
        .map(|s| s.view())
        .collect();
    Ok(answer(&ListStacksAnswer { stacks }))
}

/// The refusal of an action on a stack that is in another operation, or in a status that
/// does not take it.
fn not_now(stack: &Stack, doing: &str) -> ApiError {
    match &stack.operation {
        Some(op) if stack.stack_status != STATUS_FAILED => ApiError::conflict(
            errors::STACK_BUSY,
            format!(
                "stack `{}` is {} (step {}); it cannot {doing} until that finishes",
                stack.stack_id, stack.stack_status, op.step
            ),
        ),
        _ => ApiError::conflict(
            errors::INVALID_STACK_STATUS,
            format!("stack `{}` is {}; it cannot {doing}", stack.stack_id, stack.stack_status),
        ),
    }
}

pub(super) fn scale(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: ScaleStackRequest = decode(body)?;
    let mut stack = find_id(ctx, &required(&request.stack_id, "StackId")?)?;
    if let Some(master) = request.master_count
        && master != stack.master_count
    {
        return Err(ApiError::bad_request(
            errors::MASTER_COUNT_FIXED,
            format!("the master count of a stack is fixed at {}; only core and task nodes scale", stack.master_count),
        ));
    }
    let core =
        count_in(request.core_count.unwrap_or(stack.core_count), "CoreCount", limits::CORE_MIN, limits::CORE_MAX)?;
    let task =
        count_in(request.task_count.unwrap_or(stack.task_count), "TaskCount", limits::TASK_MIN, limits::TASK_MAX)?;
    if let Some(op) = &stack.operation
        && op.operation == OP_SCALE
        && op.target_core_count == Some(core)
        && op.target_task_count == Some(task)
    {
        return Ok(status_answer(&stack));
    }
    if stack.stack_status != STATUS_RUNNING || stack.operation.is_some() {
        return Err(not_now(&stack, "scale"));
    }
    if core == stack.core_count && task == stack.task_count {
        return Ok(status_answer(&stack));
    }
    let adding = (core + task).saturating_sub(stack.core_count + stack.task_count);
    check_nodes(ctx, adding)?;
    let now = ctx.now;
    let mut op = lifecycle::operation(OP_SCALE, now);
    op.target_core_count = Some(core);
    op.target_task_count = Some(task);
    lifecycle::start_operation(&mut stack, op, now);
    store::put(ctx.tables, STACKS, &stack.stack_id.clone(), &stack)?;
    Ok(status_answer(&stack))
}

pub(super) fn stop(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let mut stack = find(ctx, body)?;
    match stack.stack_status.as_str() {
        // Stopping or stopped already: nothing new starts, no second backup.
        STATUS_STOPPING | STATUS_STOPPED => return Ok(status_answer(&stack)),
        STATUS_RUNNING if stack.operation.is_none() => {}
        _ => return Err(not_now(&stack, "stop")),
    }
    let now = ctx.now;
    stack.desired_state = STATUS_STOPPED.to_string();
    lifecycle::start_operation(&mut stack, lifecycle::operation(OP_STOP, now), now);
    store::put(ctx.tables, STACKS, &stack.stack_id.clone(), &stack)?;
    Ok(status_answer(&stack))
}

pub(super) fn start(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let mut stack = find(ctx, body)?;
    match stack.stack_status.as_str() {
        STATUS_STARTING | STATUS_RUNNING => return Ok(status_answer(&stack)),
        STATUS_STOPPED if stack.operation.is_none() => {}
        _ => return Err(not_now(&stack, "start")),
    }
    check_nodes(ctx, stack.node_count())?;
    let now = ctx.now;
    stack.desired_state = STATUS_RUNNING.to_string();
    lifecycle::start_operation(&mut stack, lifecycle::operation(OP_START, now), now);
    store::put(ctx.tables, STACKS, &stack.stack_id.clone(), &stack)?;
    Ok(status_answer(&stack))
}

pub(super) fn upgrade(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: UpgradeKapRequest = decode(body)?;
    let mut stack = find_id(ctx, &required(&request.stack_id, "StackId")?)?;
    let version = kap_version(&request.kap_version)?;
    if let Some(op) = &stack.operation
        && op.operation == OP_UPGRADE
        && op.target_kap_version.as_deref() == Some(version.as_str())
    {
        // The same upgrade, under way (or failed, which the stack says): not a second one.
        return Ok(status_answer(&stack));
    }
    if stack.kap_version == version && stack.operation.is_none() {
        return Ok(status_answer(&stack));
    }
    if limits::kap_version_rank(&version) < limits::kap_version_rank(&stack.kap_version) {
        return Err(ApiError::bad_request(
            errors::KAP_DOWNGRADE,
            format!("KAP {} is installed; KAP does not downgrade to {version}", stack.kap_version),
        ));
    }
    if stack.stack_status != STATUS_RUNNING || stack.operation.is_some() {
        return Err(not_now(&stack, "upgrade KAP"));
    }
    let now = ctx.now;
    let mut op = lifecycle::operation(OP_UPGRADE, now);
    op.target_kap_version = Some(version);
    lifecycle::start_operation(&mut stack, op, now);
    store::put(ctx.tables, STACKS, &stack.stack_id.clone(), &stack)?;
    Ok(status_answer(&stack))
}

pub(super) fn delete(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: DeleteStackRequest = decode(body)?;
    let mut stack = find_id(ctx, &required(&request.stack_id, "StackId")?)?;
    match stack.stack_status.as_str() {
        STATUS_DELETING | STATUS_DELETED => return Ok(status_answer(&stack)),
        // A failed stack can always be deleted: that is the way out of a failure.
        STATUS_RUNNING | STATUS_STOPPED | STATUS_FAILED
            if stack.operation.is_none() || stack.stack_status == STATUS_FAILED => {}
        _ => return Err(not_now(&stack, "be deleted")),
    }
    let now = ctx.now;
    let mut op = lifecycle::operation(OP_DELETE, now);
    op.delete_rds = request.delete_rds;
    lifecycle::start_operation(&mut stack, op, now);
    store::put(ctx.tables, STACKS, &stack.stack_id.clone(), &stack)?;
    Ok(status_answer(&stack))
}

pub(super) fn list_storage(ctx: &mut RequestContext<'_>) -> Result<serde_json::Value, ApiError> {
    let buckets = store::list::<Bucket>(ctx.tables, BUCKETS)?
        .into_iter()
        .filter(|b| b.account == ctx.account)
        .map(|b| ApiBucket { bucket: b.bucket, stack_id: b.stack_id, keys: b.objects.into_keys().collect() })
        .collect();
    let databases = store::list::<Database>(ctx.tables, DATABASES)?
        .into_iter()
        .filter(|d| d.account == ctx.account)
        .map(|d| ApiDatabase {
            rds_id: d.rds_id,
            stack_id: d.stack_id,
            endpoint: d.endpoint,
            models: d.models.into_iter().map(|m| m.model_name).collect(),
            cubes: d.cubes.into_iter().map(|c| c.cube_name).collect(),
        })
        .collect();
    Ok(answer(&ListStorageAnswer { buckets, databases }))
}
