//! Moving the whole service forward to `now`: execution plans fire at each of their fire
//! times (each run launches a transient cluster at that time, with the quotas as they were
//! then), every cluster replays its transitions, and run records follow their clusters.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use corral_api_kmr::errors;
use corral_provider_sdk::emulator::{ApiError, RequestContext};

use super::clusters::{self, NewCluster};
use super::lifecycle::advance_cluster;
use super::model::*;
use super::{network, plans, quota, store};

pub(super) fn advance_all(ctx: &mut RequestContext<'_>) -> Result<(), ApiError> {
    let now = ctx.now;
    let mut all: Vec<Cluster> = store::list(ctx.tables, CLUSTERS)?;
    let mut changed: BTreeSet<usize> = BTreeSet::new();
    let mut plan_records: Vec<ExecutionPlan> = store::list(ctx.tables, PLANS)?;

    // Every fire time due, across plans, in time order.
    let mut fires: Vec<(DateTime<Utc>, usize)> = Vec::new();
    for (index, plan) in plan_records.iter_mut().enumerate() {
        let limit = plans::runs_per_advance();
        let times = plans::fire_times(plan, now, limit);
        // When capped, the rest is picked up by the next advance.
        plan.scheduled_from = if times.len() == limit { times.last().copied().unwrap_or(now) } else { now };
        fires.extend(times.into_iter().map(|t| (t, index)));
    }
    fires.sort();
    let mut plans_changed: BTreeSet<usize> = fires.iter().map(|(_, i)| *i).collect();

    for (at, index) in fires {
        let Some(plan) = plan_records.get(index).cloned() else { continue };
        // The world as it was at the fire time decides the quota.
        for (i, cluster) in all.iter_mut().enumerate() {
            if cluster.account == plan.account && advance_cluster(cluster, at) {
                changed.insert(i);
            }
        }
        let seq = plan.run_count + 1;
        let mut run = Run {
            run_id: plans::new_run_id(&plan.execution_plan_id, seq),
            account: plan.account.clone(),
            execution_plan_id: plan.execution_plan_id.clone(),
            scheduled_time: at,
            cluster_id: None,
            run_status: RUN_RUNNING.to_string(),
            start_time: at,
            finish_time: None,
            message: None,
        };
        match launch_run(ctx, &all, &plan, at) {
            Ok(cluster) => {
                run.cluster_id = Some(cluster.cluster_id.clone());
                all.push(cluster);
                changed.insert(all.len() - 1);
            }
            Err(error) => {
                run.run_status = RUN_FAILED.to_string();
                run.finish_time = Some(at);
                run.message = Some(format!("{}: {}", error.code, error.message));
            }
        }
        let key = plans::run_key(&run);
        store::put(ctx.tables, RUNS, &key, &run)?;
        if let Some(record) = plan_records.get_mut(index) {
            record.run_count = seq;
            record.last_run_id = Some(key);
            if record.strategy == STRATEGY_ONCE {
                record.fired = true;
            }
        }
        plans_changed.insert(index);
    }

    for (i, cluster) in all.iter_mut().enumerate() {
        if advance_cluster(cluster, now) {
            changed.insert(i);
        }
    }
    for i in changed {
        if let Some(cluster) = all.get(i) {
            let before: Option<Cluster> = store::get(ctx.tables, CLUSTERS, &cluster.cluster_id)?;
            if cluster.is_gone() && before.is_none_or(|b| !b.is_gone()) {
                // Gone clusters no longer hold their subnet and KSCKMR group.
                network::detach(ctx.tables, &cluster.subnet_id, &cluster.security_group_id, &cluster.cluster_id);
            }
            store::put(ctx.tables, CLUSTERS, &cluster.cluster_id, cluster)?;
        }
    }
    for i in plans_changed {
        if let Some(plan) = plan_records.get(i) {
            store::put(ctx.tables, PLANS, &plan.execution_plan_id, plan)?;
        }
    }
    super::jobs::advance(ctx, &all)?;
    follow_runs(ctx, &all)
}

fn launch_run(
    ctx: &mut RequestContext<'_>,
    all: &[Cluster],
    plan: &ExecutionPlan,
    at: DateTime<Utc>,
) -> Result<Cluster, ApiError> {
    let template = match store::get::<Template>(ctx.tables, TEMPLATES, &plan.template_id)? {
        Some(t) if t.account == plan.account => t,
        _ => {
            return Err(ApiError::not_found(
                errors::TEMPLATE_NOT_FOUND,
                format!("cluster template `{}` no longer exists", plan.template_id),
            ));
        }
    };
    let quotas = quota::quotas_of(ctx.tables, &plan.account);
    clusters::new_cluster(
        ctx.tables,
        &quotas,
        all,
        NewCluster {
            account: &plan.account,
            name: plans::run_cluster_name(plan, at),
            cluster_type: TYPE_TRANSIENT,
            charge_type: CHARGE_ON_DEMAND,
            spec: template.spec.clone(),
            at,
            client_token: None,
            execution_plan_id: Some(plan.execution_plan_id.clone()),
            template_id: Some(template.template_id.clone()),
            // A template carries no password: each run's cluster gets one of its own.
            admin_password: None,
            purchase_time: None,
        },
    )
}

/// A run is over when its cluster is: succeeded when every job did.
fn follow_runs(ctx: &mut RequestContext<'_>, all: &[Cluster]) -> Result<(), ApiError> {
    for (key, json) in ctx.tables.list(RUNS) {
        let Ok(mut run) = serde_json::from_value::<Run>(json) else { continue };
        if run.run_status != RUN_RUNNING {
            continue;
        }
        let Some(cluster) = run.cluster_id.as_ref().and_then(|id| all.iter().find(|c| &c.cluster_id == id)) else {
            continue;
        };
        if !cluster.is_gone() {
            continue;
        }
        let failed_jobs = cluster.jobs.iter().filter(|j| j.job_status != JOB_SUCCEEDED).count();
        run.run_status =
            if cluster.cluster_status == STATUS_RELEASED && failed_jobs == 0 { RUN_SUCCEEDED } else { RUN_FAILED }
                .to_string();
        run.finish_time = cluster.release_time;
        run.message = cluster.state_change_reason.as_ref().map(|r| r.message.clone());
        store::put(ctx.tables, RUNS, &key, &run)?;
    }
    Ok(())
}
