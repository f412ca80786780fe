//! Calling the stack API (service `kyligence`, version `2018-01-11`) in its typed shapes:
//! errors as diagnostics, client tokens, describing a stack, and waiting for a stack through
//! its operation's steps with the SDK's waiter, each step reported as progress
//! (`stopping(backing_up)`) and logged.

pub(crate) use corral_provider_sdk::http::{api_error, client_token};
use std::time::Duration;

use corral_api_kyligence::action;
use corral_api_kyligence::stack::{Stack, StackIdRequest, status_label};
use corral_api_kyligence::status::{BUSY_STATUSES, STATUS_DELETED, STATUS_FAILED, steps_of};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_provider_sdk::http::CallError;
use corral_provider_sdk::waiter::Waiter;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::provider::Ctx;

/// How long one operation may take before Corral stops waiting.
const WAIT_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);

pub(crate) fn error(summary: impl Into<String>) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(summary))
}

/// One action: a request and its answer in the API's shapes.
pub(crate) async fn call<A: DeserializeOwned>(
    ctx: &Ctx,
    action: &str,
    request: &impl Serialize,
) -> Result<A, CallError> {
    let unreadable = |what: &str, e: serde_json::Error| CallError::Transport {
        endpoint: ctx.client.config.endpoint.clone(),
        message: format!("the {what} of {action} does not fit the API: {e}"),
    };
    let body = serde_json::to_value(request).map_err(|e| unreadable("request", e))?;
    let answer = ctx.client.call(action, corral_api_kyligence::VERSION, &body).await?;
    serde_json::from_value(answer).map_err(|e| unreadable("answer", e))
}

/// The stack as `DescribeStack` answers, `None` when it does not exist or is deleted.
pub(crate) async fn describe(ctx: &Ctx, id: &str) -> Result<Option<Stack>, CallError> {
    let request = StackIdRequest { stack_id: Some(id.to_string()) };
    match call::<Stack>(ctx, action::DESCRIBE_STACK, &request).await {
        Ok(stack) if stack.stack_status == STATUS_DELETED => Ok(None),
        Ok(stack) => Ok(Some(stack)),
        Err(CallError::Api { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every label a stack shows while an operation runs: `status(step)` for each step of each
/// operation, and the bare busy statuses.
fn busy_labels() -> Vec<String> {
    let operations = ["Create", "Scale", "Stop", "Start", "Upgrade", "Delete"];
    let mut labels: Vec<String> = BUSY_STATUSES.iter().map(|s| s.to_string()).collect();
    for operation in operations {
        let status = corral_api_kyligence::status::status_during(operation);
        labels.extend(steps_of(operation).iter().map(|step| status_label(status, Some(step))));
    }
    labels
}

/// Waits until the stack has no operation under way and is in one of `target` (`None` when
/// it is gone and `gone_ok`). A `failed` stack ends the wait with an error naming the
/// operation and the step it failed in. Each step is progress and a log line.
pub(crate) async fn wait(
    ctx: &Ctx,
    id: &str,
    what: &str,
    target: &[&str],
    gone_ok: bool,
) -> Result<Option<Stack>, Diagnostics> {
    let labels = busy_labels();
    let pending: Vec<&str> = labels.iter().map(String::as_str).filter(|l| !target.contains(l)).collect();
    let mut waiter = Waiter::new(format!("stack {id} {what}"), &pending, target, WAIT_TIMEOUT)
        .intervals(Duration::from_millis(100), Duration::from_secs(5))
        .progress(ctx.progress.clone())
        .failure(&[STATUS_FAILED]);
    if gone_ok {
        waiter = waiter.gone_is_target();
    }
    let last = std::sync::Mutex::new(None::<Stack>);
    let seen = std::sync::Mutex::new(None::<(usize, bool)>);
    let result = waiter
        .wait(|| async {
            let stack = describe(ctx, id).await?;
            let label = stack.as_ref().map(Stack::status_label);
            if let Some(stack) = &stack {
                let mut seen = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                log_steps(stack, &mut seen);
            }
            let mut last = last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *last = stack;
            // A failed stack is a failure whatever the target.
            Ok::<_, CallError>(label.map(|l| if l.starts_with(STATUS_FAILED) { STATUS_FAILED.to_string() } else { l }))
        })
        .await;
    let last = last.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    match result {
        Ok(_) => Ok(last),
        Err(e) => match last.filter(|s| s.stack_status == STATUS_FAILED) {
            Some(stack) => Err(failed(&stack)),
            None => Err(error(e.to_string())),
        },
    }
}

/// Logs the steps of the service's step log not logged yet, each as the `status(step)` it
/// gave the stack, then the status the stack settles in: a step shorter than the interval
/// between two looks is logged all the same. The first look logs the step under way only
/// (what came before is an earlier apply's). `seen` is what the last look saw: how many
/// records the step log had, and whether its last one had finished.
fn log_steps(stack: &Stack, seen: &mut Option<(usize, bool)>) {
    let records = &stack.step_log;
    let settled = records.last().is_none_or(|r| r.finish_time.is_some());
    let from = match *seen {
        Some((count, _)) => count,
        None => records.len() - usize::from(!settled),
    };
    for record in records.iter().skip(from) {
        let status = corral_api_kyligence::status::status_during(&record.operation);
        let label = status_label(status, Some(&record.step));
        tracing::info!(stack = %stack.stack_id, status = %label, started = %record.start_time, "kyligence_stack step");
    }
    let news = seen.is_none_or(|(count, was_settled)| count < records.len() || !was_settled);
    if settled && news {
        tracing::info!(stack = %stack.stack_id, status = %stack.status_label(), "kyligence_stack step");
    }
    *seen = Some((records.len(), settled));
}

/// The error for a failed stack: the operation, the step, and the service's reason.
pub(crate) fn failed(stack: &Stack) -> Diagnostics {
    let (operation, step) = stack
        .operation
        .as_ref()
        .map(|o| (o.operation.to_ascii_lowercase(), o.step.clone()))
        .unwrap_or_else(|| ("last operation".to_string(), "unknown".to_string()));
    Diagnostics::from(
        Diagnostic::error(format!("stack {} failed in its {operation} at step `{step}`", stack.stack_id))
            .with_detail(format!(
                "{}; KAP {} is installed. Nothing more is done to a failed stack.",
                stack.failure_reason.as_deref().unwrap_or("the service gave no reason"),
                stack.kap_version
            ))
            .with_help("destroy it (S3 and RDS are kept) or replace it with `--replace`"),
    )
}
