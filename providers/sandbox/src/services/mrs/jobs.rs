//! v2 jobs: submit (running clusters only, `0056` otherwise; a cluster upgrading its masters
//! still takes jobs, master HA serves them), detail, list, kill, batch delete, SQL result.
//! A job ends `FINISHED`/`SUCCEEDED` after its run time unless its properties ask the
//! sandbox for another end: `corral.sandbox.result = FAILED` (how tests make a job fail).

use corral_api_mrs::errors;
use corral_api_mrs::job::*;
use corral_api_mrs::state::{self, ClusterState};
use corral_provider_sdk::emulator::{ApiError, RequestContext, new_id};
use serde_json::{Value, json};

use super::clusters::load;
use super::model::{JOBS, JobRecord, Pending, get, list, put};
use super::{Answer, answer, parse, refuse};

/// The property that makes a sandbox job end otherwise than `SUCCEEDED`.
pub const RESULT_PROPERTY: &str = "corral.sandbox.result";

fn not_found(id: &str) -> ApiError {
    refuse(404, errors::JOB_NOT_FOUND, format!("job `{id}` does not exist"))
}

pub(super) fn submit(ctx: &mut RequestContext<'_>, project: &str, cluster_id: &str, body: &Value) -> Answer {
    let request: SubmitJobRequest = parse(body)?;
    let cluster = load(ctx, project, cluster_id)?;
    let upgrading = matches!(cluster.pending, Some(Pending::MasterUpgrade { .. }));
    if !(cluster.state.accepts_jobs() || (upgrading && cluster.state == ClusterState::ScalingOut)) {
        return Err(refuse(
            409,
            errors::JOB_SUBMIT_STATE,
            format!("jobs cannot be submitted while cluster `{cluster_id}` is {}", cluster.state.as_str()),
        ));
    }
    if !JOB_TYPES.contains(&request.job_type.as_str()) {
        return Err(refuse(
            400,
            errors::INVALID_PARAMETER,
            format!("job_type `{}` is not one of {}", request.job_type, JOB_TYPES.join(", ")),
        ));
    }
    check_job_name(&request.job_name).map_err(|e| refuse(400, errors::INVALID_PARAMETER, e))?;
    // The program is the argument naming a jar or script (options may come before it).
    let is_program = |a: &&String| [".jar", ".py", ".sql", ".sh"].iter().any(|ext| a.ends_with(ext));
    if PROGRAM_TYPES.contains(&request.job_type.as_str())
        && let Some(program) = request.arguments.iter().find(is_program)
    {
        check_program_path(program).map_err(|e| refuse(400, errors::INVALID_PARAMETER, e))?;
    }
    let outcome = request.properties.get(RESULT_PROPERTY).cloned().unwrap_or_else(|| state::RESULT_SUCCEEDED.into());
    let job_id = new_id("job");
    let record = JobRecord {
        account: ctx.account.clone(),
        cluster_id: cluster_id.to_string(),
        outcome,
        detail: JobDetail {
            job_id: job_id.clone(),
            job_name: request.job_name,
            job_type: request.job_type,
            job_state: state::JOB_ACCEPTED.into(),
            job_result: state::RESULT_UNDEFINED.into(),
            job_progress: 0.0,
            arguments: request.arguments,
            properties: request.properties,
            submitted_time: ctx.now.timestamp_millis(),
            started_time: 0,
            finished_time: 0,
            tracking_url: String::new(),
        },
    };
    put(ctx.tables, JOBS, &job_id, &record)?;
    answer(200, &SubmitJobResponse { job_submit_result: SubmitResult { job_id, state: SUBMIT_COMPLETE.into() } })
}

fn load_job(ctx: &RequestContext<'_>, project: &str, cluster_id: &str, job_id: &str) -> Result<JobRecord, ApiError> {
    load(ctx, project, cluster_id)?;
    get::<JobRecord>(ctx.tables, JOBS, &ctx.account, job_id)?
        .filter(|j| j.cluster_id == cluster_id)
        .ok_or_else(|| not_found(job_id))
}

pub(super) fn detail(ctx: &RequestContext<'_>, project: &str, cluster_id: &str, job_id: &str) -> Answer {
    answer(200, &JobDetailBody { job_detail: load_job(ctx, project, cluster_id, job_id)?.detail })
}

pub(super) fn list_jobs(ctx: &RequestContext<'_>, project: &str, cluster_id: &str) -> Answer {
    load(ctx, project, cluster_id)?;
    let job_list: Vec<JobDetail> = list::<JobRecord>(ctx.tables, JOBS, &ctx.account)?
        .into_iter()
        .filter(|j| j.cluster_id == cluster_id)
        .map(|j| j.detail)
        .collect();
    answer(200, &JobList { total_record: job_list.len() as u32, job_list })
}

pub(super) fn kill(ctx: &mut RequestContext<'_>, project: &str, cluster_id: &str, job_id: &str) -> Answer {
    let mut job = load_job(ctx, project, cluster_id, job_id)?;
    if matches!(job.detail.job_state.as_str(), state::JOB_FINISHED | state::JOB_FAILED | state::JOB_KILLED) {
        return Err(refuse(
            409,
            errors::INVALID_PARAMETER,
            format!("job `{job_id}` is already {}", job.detail.job_state),
        ));
    }
    job.detail.job_state = state::JOB_KILLED.into();
    job.detail.job_result = state::RESULT_KILLED.into();
    job.detail.finished_time = ctx.now.timestamp_millis();
    put(ctx.tables, JOBS, job_id, &job)?;
    Ok((204, Value::Null))
}

pub(super) fn batch_delete(ctx: &mut RequestContext<'_>, project: &str, cluster_id: &str, body: &Value) -> Answer {
    let BatchDeleteRequest { job_id_list } = parse(body)?;
    for job_id in &job_id_list {
        let job = load_job(ctx, project, cluster_id, job_id)?;
        if !matches!(job.detail.job_state.as_str(), state::JOB_FINISHED | state::JOB_FAILED | state::JOB_KILLED) {
            return Err(refuse(
                409,
                errors::INVALID_PARAMETER,
                format!("job `{job_id}` is still {}: kill it first", job.detail.job_state),
            ));
        }
    }
    for job_id in &job_id_list {
        ctx.tables.delete(JOBS, job_id);
    }
    Ok((204, Value::Null))
}

pub(super) fn sql_result(ctx: &RequestContext<'_>, project: &str, cluster_id: &str, job_id: &str) -> Answer {
    let job = load_job(ctx, project, cluster_id, job_id)?;
    answer(
        200,
        &json!({"id": job_id, "job_state": job.detail.job_state, "job_result": job.detail.job_result, "result_path": format!("/user/mrs/sql-results/{job_id}")}),
    )
}
