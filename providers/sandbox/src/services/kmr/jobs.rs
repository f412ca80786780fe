//! Jobs on a persistent cluster: `SubmitJob` (running persistent clusters only; a transient
//! one runs what it was launched with), `DescribeJob`, `CancelJob`, `ListJobs`. A job is
//! `PENDING` until 10 sandbox seconds after submission, then `RUNNING` for its type's run
//! time (`catalog::job_duration`), then `SUCCEEDED` — or `FAILED` when an argument is
//! `catalog::SIMULATE_FAILURE_ARG`. A job whose cluster goes is `CANCELLED` then.

use chrono::{DateTime, Duration, Utc};
use corral_api_kmr::errors;
use corral_api_kmr::job::{ClusterJob, JobIdRequest, ListJobsAnswer, ListJobsRequest, SubmitJobRequest};
use corral_provider_sdk::emulator::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};

use super::clusters::find;
use super::model::*;
use super::request::{answer, check_name, decode, invalid, required};
use super::{catalog, lifecycle, store};

pub(super) const JOBS: &str = "kmr.jobs";

/// A stored job: the API's shape plus its owner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct JobRecord {
    #[serde(flatten)]
    pub api: ClusterJob,
    #[serde(rename = "AccountId")]
    pub account: String,
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(errors::JOB_NOT_FOUND, format!("job `{id}` does not exist"))
}

fn load(ctx: &RequestContext<'_>, id: &str) -> Result<JobRecord, ApiError> {
    match store::get::<JobRecord>(ctx.tables, JOBS, id)? {
        Some(job) if job.account == ctx.account => Ok(job),
        _ => Err(not_found(id)),
    }
}

pub(super) fn submit(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: SubmitJobRequest = decode(body)?;
    if let Some(token) = &request.client_token
        && let Some(id) = store::created_by_token(ctx.tables, &ctx.account, corral_api_kmr::action::SUBMIT_JOB, token)
    {
        return Ok(answer(&load(ctx, &id)?.api));
    }
    let cluster_id = required(&request.cluster_id, "ClusterId")?;
    let name = required(&request.job_name, "JobName")?;
    check_name(&name, "JobName")?;
    let job_type = required(&request.job_type, "JobType")?;
    if !catalog::JOB_TYPES.contains(&job_type.as_str()) {
        return Err(invalid("JobType", format!("`{job_type}` is not one of {}", catalog::JOB_TYPES.join(", "))));
    }
    let cluster = find(ctx, &cluster_id)?;
    if cluster.cluster_type == TYPE_TRANSIENT {
        return Err(ApiError::bad_request(
            errors::INVALID_CLUSTER_TYPE,
            format!(
                "cluster `{cluster_id}` is transient: it runs the jobs it was launched with and releases itself; submit jobs to a persistent cluster"
            ),
        ));
    }
    if cluster.cluster_status != STATUS_RUNNING {
        return Err(ApiError::new(
            409,
            errors::INVALID_CLUSTER_STATUS,
            format!("jobs cannot be submitted while cluster `{cluster_id}` is {}", cluster.cluster_status),
        ));
    }
    let job_id = format!("job-{}", uuid::Uuid::new_v4().simple());
    let job = JobRecord {
        api: ClusterJob {
            job_id: job_id.clone(),
            cluster_id,
            job_name: name,
            job_type,
            job_args: request.job_args,
            job_status: JOB_PENDING.into(),
            submit_time: ctx.now,
            start_time: None,
            end_time: None,
            message: String::new(),
            log_path: None,
            client_token: request.client_token.clone(),
        },
        account: ctx.account.clone(),
    };
    store::put(ctx.tables, JOBS, &job_id, &job)?;
    if let Some(token) = &request.client_token {
        store::remember_token(ctx.tables, &ctx.account, corral_api_kmr::action::SUBMIT_JOB, token, &job_id);
    }
    Ok(answer(&job.api))
}

pub(super) fn describe(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: JobIdRequest = decode(body)?;
    let id = required(&request.job_id, "JobId")?;
    Ok(answer(&load(ctx, &id)?.api))
}

pub(super) fn cancel(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: JobIdRequest = decode(body)?;
    let id = required(&request.job_id, "JobId")?;
    let mut job = load(ctx, &id)?;
    // Cancelling a job that is over changes nothing.
    if !lifecycle::is_job_final(&job.api.job_status) {
        job.api.job_status = JOB_CANCELLED.into();
        job.api.end_time = Some(ctx.now);
        job.api.message = "cancelled at the user's request".into();
        store::put(ctx.tables, JOBS, &id, &job)?;
    }
    Ok(answer(&job.api))
}

pub(super) fn list(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: ListJobsRequest = decode(body)?;
    let jobs = store::list::<JobRecord>(ctx.tables, JOBS)?
        .into_iter()
        .filter(|j| j.account == ctx.account)
        .filter(|j| request.cluster_id.as_ref().is_none_or(|c| &j.api.cluster_id == c))
        .filter(|j| request.client_token.is_none() || j.api.client_token == request.client_token)
        .map(|j| j.api)
        .collect();
    Ok(answer(&ListJobsAnswer { jobs }))
}

/// Moves every job to `now`; `clusters` are the service's clusters as advanced.
pub(super) fn advance(ctx: &mut RequestContext<'_>, clusters: &[Cluster]) -> Result<(), ApiError> {
    for mut job in store::list::<JobRecord>(ctx.tables, JOBS)? {
        let cluster = clusters.iter().find(|c| c.cluster_id == job.api.cluster_id);
        if advance_job(&mut job.api, cluster, ctx.now) {
            store::put(ctx.tables, JOBS, &job.api.job_id.clone(), &job)?;
        }
    }
    Ok(())
}

fn advance_job(job: &mut ClusterJob, cluster: Option<&Cluster>, now: DateTime<Utc>) -> bool {
    if lifecycle::is_job_final(&job.job_status) {
        return false;
    }
    let start = job.submit_time + Duration::seconds(10);
    let end = start + catalog::job_duration(&job.job_type);
    // The cluster went before the job ended: the job ends with it.
    if let Some(gone_at) = cluster.filter(|c| c.is_gone()).map(|c| c.release_time.unwrap_or(now))
        && gone_at < end
    {
        job.job_status = JOB_CANCELLED.into();
        job.end_time = Some(gone_at.max(job.submit_time));
        job.message = "the cluster was released while the job ran".into();
        return true;
    }
    if now >= end {
        let failed = job.job_args.iter().any(|a| a == catalog::SIMULATE_FAILURE_ARG);
        job.start_time = Some(start);
        job.end_time = Some(end);
        let root = cluster.and_then(|c| c.log_uri.clone()).unwrap_or_else(|| "ks3://kmr-logs".into());
        let log_path = format!("{}/{}/jobs/{}", root.trim_end_matches('/'), job.cluster_id, job.job_id);
        if failed {
            job.job_status = JOB_FAILED.into();
            job.message = format!("the job exited with status 1; see {log_path}/stderr");
        } else {
            job.job_status = JOB_SUCCEEDED.into();
            job.message = "the job finished".into();
        }
        job.log_path = Some(log_path);
        true
    } else if now >= start && job.job_status == JOB_PENDING {
        job.job_status = JOB_RUNNING.into();
        job.start_time = Some(start);
        true
    } else {
        false
    }
}
