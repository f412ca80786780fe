//! Execution plans (transient clusters only): run a template once or on a cron schedule in a
//! time zone. Each run launches a transient cluster from the template, which runs the jobs
//! and releases itself; the run record follows the cluster. Actions: `CreateExecutionPlan`,
//! `DescribeExecutionPlan`, `ListExecutionPlans`, `ModifyExecutionPlan`,
//! `DeleteExecutionPlan`, `ListExecutionPlanRuns`.
//!
//! Firing is lazy like everything else: [`fire_times`] lists the fire times between the
//! plan's cursor (`ScheduledFrom`) and now, and the service's advance starts a run for each,
//! at its own time.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use corral_api_kmr::action;
use corral_api_kmr::errors;
use corral_api_kmr::plan::{
    ExecutionPlanIdAnswer, ExecutionPlanRequest as PlanRequest, ListExecutionPlanRunsAnswer, ListExecutionPlansAnswer,
};
use corral_provider_sdk::emulator::{ApiError, RequestContext};
use croner::Cron;

use super::model::*;
use super::request::{answer, check_name, decode, invalid, required};
use super::{catalog, store, templates};

pub fn create(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: PlanRequest = decode(body)?;
    let account = ctx.account.clone();
    let token = request.client_token.clone().filter(|t| !t.is_empty());
    if let Some(token) = &token
        && let Some(id) = store::created_by_token(ctx.tables, &account, action::CREATE_EXECUTION_PLAN, token)
    {
        return Ok(id_answer(id));
    }
    let name = required(&request.execution_plan_name, "ExecutionPlanName")?;
    let in_use = store::list::<ExecutionPlan>(ctx.tables, PLANS)?.iter().filter(|p| p.account == account).count();
    ctx.check_quota(errors::QUOTA_EXECUTION_PLAN, "execution_plans", in_use as u64, 1)?;
    let template_id = required(&request.template_id, "TemplateId")?;
    templates::find(ctx, &template_id)?;
    let plan = ExecutionPlan {
        execution_plan_id: format!("ep-{}", uuid::Uuid::new_v4().simple()),
        account: account.clone(),
        execution_plan_name: name,
        template_id,
        strategy: request.strategy.clone().unwrap_or_else(|| STRATEGY_SCHEDULE.to_string()),
        cron_expression: request.cron_expression.clone().filter(|c| !c.is_empty()),
        time_zone: request.time_zone.clone().unwrap_or_else(|| "UTC".to_string()),
        start_time: request.start_time,
        enabled: request.enabled.unwrap_or(true),
        scheduled_from: ctx.now,
        fired: false,
        run_count: 0,
        last_run_id: None,
        client_token: token.clone(),
        create_time: ctx.now,
        update_time: ctx.now,
    };
    check(&plan)?;
    store::put(ctx.tables, PLANS, &plan.execution_plan_id, &plan)?;
    if let Some(token) = &token {
        store::remember_token(ctx.tables, &account, action::CREATE_EXECUTION_PLAN, token, &plan.execution_plan_id);
    }
    Ok(id_answer(plan.execution_plan_id))
}

/// The strategy, cron expression and time zone make sense together.
fn check(plan: &ExecutionPlan) -> Result<(), ApiError> {
    check_name(&plan.execution_plan_name, "ExecutionPlanName")?;
    time_zone(&plan.time_zone)?;
    match plan.strategy.as_str() {
        STRATEGY_ONCE => Ok(()),
        STRATEGY_SCHEDULE => {
            let cron = plan.cron_expression.as_deref().ok_or_else(|| {
                ApiError::bad_request("MissingParameter", "`CronExpression` is required for a scheduled plan")
            })?;
            parse_cron(cron).map(|_| ())
        }
        other => Err(invalid("Strategy", format!("`{other}` is not once or schedule"))),
    }
}

fn time_zone(name: &str) -> Result<Tz, ApiError> {
    Tz::from_str(name).map_err(|_| invalid("TimeZone", format!("`{name}` is not an IANA time zone")))
}

fn parse_cron(expression: &str) -> Result<Cron, ApiError> {
    Cron::from_str(expression).map_err(|e| invalid("CronExpression", format!("`{expression}`: {e}")))
}

/// The fire times in (`plan.scheduled_from`, `now`], at most `limit` of them.
pub fn fire_times(plan: &ExecutionPlan, now: DateTime<Utc>, limit: usize) -> Vec<DateTime<Utc>> {
    if !plan.enabled {
        return Vec::new();
    }
    match plan.strategy.as_str() {
        STRATEGY_ONCE => {
            let due = plan.start_time.unwrap_or(plan.create_time).max(plan.scheduled_from);
            if plan.fired || due > now { Vec::new() } else { vec![due] }
        }
        _ => {
            let (Some(expression), Ok(tz)) = (plan.cron_expression.as_deref(), time_zone(&plan.time_zone)) else {
                return Vec::new();
            };
            let Ok(cron) = parse_cron(expression) else { return Vec::new() };
            let from = match plan.start_time {
                // No fire before the start time: iterate from just before it.
                Some(start) if start > plan.scheduled_from => start - chrono::Duration::seconds(1),
                _ => plan.scheduled_from,
            };
            cron.iter_after(from.with_timezone(&tz))
                .map(|t| t.with_timezone(&Utc))
                .take_while(|t| *t <= now)
                .take(limit)
                .collect()
        }
    }
}

/// When the plan fires next after `now`, if it will.
pub fn next_run_time(plan: &ExecutionPlan, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if !plan.enabled {
        return None;
    }
    match plan.strategy.as_str() {
        STRATEGY_ONCE => (!plan.fired).then(|| plan.start_time.unwrap_or(plan.create_time).max(now)),
        _ => {
            let tz = time_zone(&plan.time_zone).ok()?;
            let cron = parse_cron(plan.cron_expression.as_deref()?).ok()?;
            let from = plan.start_time.map_or(now, |s| (s - chrono::Duration::seconds(1)).max(now));
            cron.iter_after(from.with_timezone(&tz)).next().map(|t| t.with_timezone(&Utc))
        }
    }
}

pub fn find(ctx: &RequestContext<'_>, id: &str) -> Result<ExecutionPlan, ApiError> {
    match store::get::<ExecutionPlan>(ctx.tables, PLANS, id)? {
        Some(p) if p.account == ctx.account => Ok(p),
        _ => {
            Err(ApiError::not_found(errors::EXECUTION_PLAN_NOT_FOUND, format!("execution plan `{id}` does not exist")))
        }
    }
}

fn id_answer(execution_plan_id: String) -> serde_json::Value {
    answer(&ExecutionPlanIdAnswer { execution_plan_id })
}

/// The plan as the API answers it: with when it fires next and its last run.
fn view(ctx: &RequestContext<'_>, plan: &ExecutionPlan) -> Result<api::ExecutionPlan, ApiError> {
    let last_run = match &plan.last_run_id {
        Some(key) => store::get::<Run>(ctx.tables, RUNS, key)?.map(|r| r.view()),
        None => None,
    };
    Ok(api::ExecutionPlan {
        execution_plan_id: plan.execution_plan_id.clone(),
        execution_plan_name: plan.execution_plan_name.clone(),
        template_id: plan.template_id.clone(),
        strategy: plan.strategy.clone(),
        cron_expression: plan.cron_expression.clone(),
        time_zone: plan.time_zone.clone(),
        start_time: plan.start_time,
        enabled: plan.enabled,
        run_count: plan.run_count,
        client_token: plan.client_token.clone(),
        create_time: plan.create_time,
        update_time: plan.update_time,
        next_run_time: next_run_time(plan, ctx.now),
        last_run,
    })
}

/// The API's shape of a plan, beside the stored record of the same name.
mod api {
    pub use corral_api_kmr::plan::ExecutionPlan;
}

pub fn describe(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: PlanRequest = decode(body)?;
    let id = required(&request.execution_plan_id, "ExecutionPlanId")?;
    let plan = find(ctx, &id)?;
    Ok(answer(&view(ctx, &plan)?))
}

pub fn list(ctx: &mut RequestContext<'_>) -> Result<serde_json::Value, ApiError> {
    let plans: Vec<ExecutionPlan> =
        store::list::<ExecutionPlan>(ctx.tables, PLANS)?.into_iter().filter(|p| p.account == ctx.account).collect();
    let views = plans.iter().map(|p| view(ctx, p)).collect::<Result<Vec<_>, _>>()?;
    Ok(answer(&ListExecutionPlansAnswer { total: views.len(), execution_plans: views }))
}

/// Changes what is given. A new schedule, or enabling a disabled plan, counts from now:
/// fire times that passed while it was off are not made up.
pub fn modify(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: PlanRequest = decode(body)?;
    let id = required(&request.execution_plan_id, "ExecutionPlanId")?;
    let mut plan = find(ctx, &id)?;
    let before = plan.clone();
    if request.execution_plan_name.is_some() {
        plan.execution_plan_name = required(&request.execution_plan_name, "ExecutionPlanName")?;
    }
    if let Some(template_id) = request.template_id.as_ref().filter(|t| !t.is_empty()) {
        templates::find(ctx, template_id)?;
        plan.template_id = template_id.clone();
    }
    if let Some(strategy) = &request.strategy {
        plan.strategy = strategy.clone();
    }
    if request.cron_expression.is_some() {
        plan.cron_expression = request.cron_expression.clone().filter(|c| !c.is_empty());
    }
    if let Some(tz) = &request.time_zone {
        plan.time_zone = tz.clone();
    }
    if request.start_time.is_some() {
        plan.start_time = request.start_time;
    }
    if let Some(enabled) = request.enabled {
        plan.enabled = enabled;
    }
    check(&plan)?;
    let rescheduled = plan.strategy != before.strategy
        || plan.cron_expression != before.cron_expression
        || plan.time_zone != before.time_zone
        || plan.start_time != before.start_time
        || (plan.enabled && !before.enabled);
    if rescheduled {
        plan.scheduled_from = ctx.now;
        if plan.strategy == STRATEGY_ONCE && plan.start_time != before.start_time {
            plan.fired = false;
        }
    }
    plan.update_time = ctx.now;
    store::put(ctx.tables, PLANS, &id, &plan)?;
    Ok(id_answer(id))
}

/// Deletes the plan and its run records; clusters of runs under way carry on and release
/// themselves.
pub fn delete(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: PlanRequest = decode(body)?;
    let id = required(&request.execution_plan_id, "ExecutionPlanId")?;
    find(ctx, &id)?;
    ctx.tables.delete(PLANS, &id);
    let prefix = format!("{id}/");
    for (key, _) in ctx.tables.list(RUNS) {
        if key.starts_with(&prefix) {
            ctx.tables.delete(RUNS, &key);
        }
    }
    Ok(id_answer(id))
}

pub fn list_runs(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: PlanRequest = decode(body)?;
    let id = required(&request.execution_plan_id, "ExecutionPlanId")?;
    find(ctx, &id)?;
    let prefix = format!("{id}/");
    let runs: Vec<_> = store::list::<Run>(ctx.tables, RUNS)?
        .iter()
        .filter(|r| r.account == ctx.account && run_key(r).starts_with(&prefix))
        .map(Run::view)
        .collect();
    Ok(answer(&ListExecutionPlanRunsAnswer { total: runs.len(), runs }))
}

/// Runs are stored under `plan/sequence`, so a plan's runs list in order.
pub fn run_key(run: &Run) -> String {
    format!("{}/{}", run.execution_plan_id, run.run_id.rsplit('-').next().unwrap_or(""))
}

pub fn new_run_id(plan_id: &str, seq: u64) -> String {
    format!("{plan_id}-run-{seq:08}")
}

/// The cluster name of a run: the plan's name and the scheduled time in the plan's zone.
pub fn run_cluster_name(plan: &ExecutionPlan, at: DateTime<Utc>) -> String {
    let local = match time_zone(&plan.time_zone) {
        Ok(tz) => at.with_timezone(&tz).format("%Y%m%d%H%M").to_string(),
        Err(_) => at.format("%Y%m%d%H%M").to_string(),
    };
    let base: String = plan.execution_plan_name.chars().take(64 - 13).collect();
    format!("{base}-{local}")
}

/// Cap on runs started per plan per advance.
pub fn runs_per_advance() -> usize {
    catalog::MAX_RUNS_PER_ADVANCE
}
