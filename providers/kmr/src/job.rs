//! `kmr_job`: one run of a job on a **persistent** KMR cluster (kmr-faq.md: jobs are
//! submitted to clusters), through the SDK's shared job semantics
//! (`corral_provider_sdk::job`, the same as `mrs_job`): create submits (`SubmitJob`, with a
//! `ClientToken` from the idempotency token, so a killed apply's run is found again, never
//! submitted twice) and waits for the result, failing the apply unless it is `SUCCEEDED`;
//! every attribute that defines the run forces replacement (a new run the plan names),
//! `triggers` runs it again unchanged; delete cancels a job still running.
//!
//! A transient cluster runs the jobs it was launched with (`job` blocks of `kmr_cluster`) and
//! takes no others: a `kmr_job` on one is refused at plan time when the cluster is known
//! (read with `DescribeCluster`), else by the service (`InvalidClusterType`).

use std::collections::BTreeMap;

use corral_api_kmr::action;
use corral_api_kmr::job::{ClusterJob, JobIdRequest, ListJobsAnswer, ListJobsRequest, SubmitJobRequest};
use corral_api_kmr::limits::JOB_TYPES;
use corral_api_kmr::status::{JOB_CANCELLED, JOB_FAILED, JOB_PENDING, JOB_RUNNING, JOB_SUCCEEDED, TYPE_TRANSIENT};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse,
};
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_core::value::{Path, Type, Value};
use corral_provider_sdk::http::CallError;
use corral_provider_sdk::job::{self, JobApi, JobStatus, Outcome};
use corral_provider_sdk::plan::{attributes, plan_from_schema};

use crate::kmr_api::{api_error, call, client_token, describe_cluster, error, is_not_found};
use crate::resource::{Ctx, ResourceType};

pub const TYPE_NAME: &str = "kmr_job";

/// `kmr_job`.
pub struct Job;

fn schema() -> ResourceSchema {
    let run = |ty: Type, text: &str| AttributeSchema::required(ty).forces_replacement().describe(text);
    let block = BlockSchema::new()
        .attr("id", AttributeSchema::computed(Type::String).describe("The job's id."))
        .attr("cluster_id", run(Type::String, "A running persistent cluster (a transient one takes no jobs)."))
        .attr("name", run(Type::String, "At most 64 characters."))
        .attr("type", run(Type::String, "`spark`, `hive` or `mapreduce`."))
        .attr(
            "args",
            AttributeSchema::optional(Type::list(Type::String))
                .forces_replacement()
                .describe("The job's arguments (the program first); changing any submits a new run."),
        )
        .attr(
            "triggers",
            AttributeSchema::optional(Type::map(Type::String))
                .forces_replacement()
                .describe("Change any value to run the job again with the same arguments."),
        )
        .attr(
            "status",
            AttributeSchema::computed(Type::String).describe("PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED."),
        )
        .attr("message", AttributeSchema::computed(Type::String).describe("What the service says about the run."))
        .attr("log_path", AttributeSchema::computed(Type::String).describe("Where the job's output and logs went."))
        .attr("submitted_at", AttributeSchema::computed(Type::String))
        .attr("finished_at", AttributeSchema::computed(Type::String));
    ResourceSchema { version: 0, block }
}

fn text(map: &BTreeMap<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_string)
}

/// `spark` → `SPARK`, as the API names job types.
fn api_type(kind: &str) -> String {
    kind.to_ascii_uppercase()
}

fn outcome_of(status: &str) -> Outcome {
    match status {
        JOB_SUCCEEDED => Outcome::Succeeded,
        JOB_FAILED | JOB_CANCELLED => Outcome::Failed,
        _ => Outcome::Pending,
    }
}

fn status_of(job: &ClusterJob) -> JobStatus {
    let mut message = job.message.clone();
    if let Some(path) = job.log_path.as_deref().filter(|_| !message.contains("ks3://")) {
        message = format!("{message} (logs: {path})").trim().to_string();
    }
    JobStatus {
        id: job.job_id.clone(),
        state: job.job_status.clone(),
        result: None,
        outcome: outcome_of(&job.job_status),
        message,
    }
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    t.map_or(Value::Null(Type::String), |t| Value::string(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
}

fn state_of(mut base: BTreeMap<String, Value>, job: &ClusterJob) -> Value {
    let opt = |s: &str| if s.is_empty() { Value::Null(Type::String) } else { Value::string(s) };
    base.insert("id".into(), Value::string(&job.job_id));
    base.insert("status".into(), Value::string(&job.job_status));
    base.insert("message".into(), opt(&job.message));
    base.insert("log_path".into(), job.log_path.as_deref().map_or(Value::Null(Type::String), Value::string));
    base.insert("submitted_at".into(), time(Some(job.submit_time)));
    base.insert("finished_at".into(), time(job.end_time));
    Value::Object(base)
}

/// One job on one cluster, as the SDK's job semantics see it.
struct KmrJobs<'a> {
    ctx: &'a Ctx,
    submission: Option<SubmitJobRequest>,
}

impl KmrJobs<'_> {
    async fn describe(&self, id: &str) -> Result<Option<ClusterJob>, CallError> {
        match call::<ClusterJob>(self.ctx, action::DESCRIBE_JOB, &JobIdRequest { job_id: Some(id.to_string()) }).await {
            Ok(job) => Ok(Some(job)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[async_trait::async_trait]
impl JobApi for KmrJobs<'_> {
    async fn submit(&self) -> Result<String, Diagnostics> {
        let Some(request) = &self.submission else { return Err(error("nothing to submit")) };
        let name = request.job_name.clone().unwrap_or_default();
        call::<ClusterJob>(self.ctx, action::SUBMIT_JOB, request)
            .await
            .map(|job| job.job_id)
            .map_err(|e| api_error(&format!("submitting job `{name}`"), &e))
    }

    async fn status(&self, id: &str) -> Result<Option<JobStatus>, Diagnostics> {
        let job = self.describe(id).await.map_err(|e| api_error(&format!("reading job {id}"), &e))?;
        Ok(job.as_ref().map(status_of))
    }

    async fn kill(&self, id: &str) -> Result<(), Diagnostics> {
        match call::<ClusterJob>(self.ctx, action::CANCEL_JOB, &JobIdRequest { job_id: Some(id.to_string()) }).await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(api_error(&format!("cancelling job {id}"), &e)),
        }
    }
}

fn wait_settings() -> job::Wait {
    job::Wait { max_interval: std::time::Duration::from_secs(5), ..job::Wait::default() }
}

/// Plan-time rules that need no call: the name's length and the type.
fn check(planned: &BTreeMap<String, Value>) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(name) = text(planned, "name")
        && (name.is_empty() || name.chars().count() > corral_api_kmr::limits::NAME_MAX_CHARS)
    {
        d.push(
            Diagnostic::error(format!(
                "job name `{name}` must be 1–{} characters",
                corral_api_kmr::limits::NAME_MAX_CHARS
            ))
            .with_attribute(Path::attr("name")),
        );
    }
    if let Some(kind) = text(planned, "type")
        && !JOB_TYPES.contains(&api_type(&kind).as_str())
    {
        d.push(
            Diagnostic::error(format!("job type `{kind}` is not one of spark, hive, mapreduce"))
                .with_attribute(Path::attr("type")),
        );
    }
    d
}

#[async_trait::async_trait]
impl ResourceType for Job {
    fn name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> ResourceSchema {
        schema()
    }

    async fn plan(&self, ctx: &Ctx, request: PlanRequest) -> PlanResponse {
        let schema = schema();
        let mut response = plan_from_schema(&schema, &request);
        let Some(planned) = response.planned_state.as_ref().filter(|p| !p.is_null()) else { return response };
        let planned = attributes(planned, &schema.block);
        let mut problems = check(&planned);
        let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
        let creates = prior.is_none() || !response.requires_replace.is_empty();
        // Whether the cluster takes jobs is the service's to say; a read, at plan time.
        if creates && let Some(cluster_id) = text(&planned, "cluster_id") {
            match describe_cluster(ctx, &cluster_id).await {
                Ok(Some(cluster)) if cluster.cluster_type == TYPE_TRANSIENT => problems.push(
                    Diagnostic::error(format!(
                        "cluster `{}` is transient: it runs the jobs it was launched with and takes no others",
                        cluster.cluster_name
                    ))
                    .with_help(
                        "add the job to the transient cluster's `job` blocks, or submit it to a persistent cluster",
                    )
                    .with_attribute(Path::attr("cluster_id")),
                ),
                Ok(None) if prior.is_none() => problems.push(
                    Diagnostic::error(format!("cluster `{cluster_id}` does not exist"))
                        .with_attribute(Path::attr("cluster_id")),
                ),
                Ok(_) => {}
                Err(e) => problems.extend(api_error(&format!("reading cluster {cluster_id}"), &e)),
            }
        }
        if problems.has_errors() {
            return PlanResponse { diagnostics: problems, ..PlanResponse::default() };
        }
        if let Some(prior) = prior {
            let name = text(&prior, "name").unwrap_or_default();
            let status = text(&prior, "status");
            if status.as_deref().is_some_and(|s| outcome_of(s) == Outcome::Pending)
                && response.requires_replace.is_empty()
                && let Some(Value::Object(planned)) = response.planned_state.as_mut()
            {
                // A run still going (adopted after a crash): this apply waits for its result.
                for name in ["status", "message", "log_path", "finished_at"] {
                    planned.insert(name.into(), Value::Unknown(Type::String));
                }
            }
            let ended = status.filter(|s| outcome_of(s) != Outcome::Pending);
            let warnings =
                job::plan_warnings(&format!("kmr_job `{name}`"), ended.as_deref(), &response.requires_replace);
            response.diagnostics.extend(warnings);
        }
        response
    }

    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
        let schema = schema();
        let planned = request.planned_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
        let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
        match (prior, planned) {
            (Some(prior), None) => delete(ctx, prior).await,
            (Some(prior), Some(planned)) => settle(ctx, prior, planned).await,
            (None, Some(planned)) => create(ctx, planned, &request.idempotency_token).await,
            (None, None) => ApplyResponse::default(),
        }
    }

    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        let schema = schema();
        let prior = attributes(&request.current_state, &schema.block);
        let Some(id) = text(&prior, "id") else {
            return ReadResponse {
                diagnostics: error("the state of `kmr_job` has no `id`"),
                ..ReadResponse::default()
            };
        };
        let api = KmrJobs { ctx, submission: None };
        match api.describe(&id).await {
            Ok(Some(job)) => ReadResponse {
                new_state: Some(state_of(prior, &job)),
                private: request.private,
                ..ReadResponse::default()
            },
            Ok(None) => {
                // A finished run the service forgot stays: it happened.
                let kept = text(&prior, "status").is_some_and(|s| outcome_of(&s) != Outcome::Pending);
                ReadResponse { new_state: kept.then_some(request.current_state), ..ReadResponse::default() }
            }
            Err(e) => ReadResponse {
                new_state: Some(request.current_state),
                diagnostics: api_error(&format!("reading job {id}"), &e),
                ..ReadResponse::default()
            },
        }
    }

    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        let schema = schema();
        let base = request
            .planned_state
            .as_ref()
            .map(|p| attributes(p, &schema.block))
            .unwrap_or_else(|| attributes(&Value::Object(BTreeMap::new()), &schema.block));
        let query = ListJobsRequest { cluster_id: None, client_token: Some(client_token(&request.idempotency_token)) };
        match call::<ListJobsAnswer>(ctx, action::LIST_JOBS, &query).await {
            Ok(answer) => {
                let state = answer.jobs.first().map(|job| {
                    let mut base = base;
                    base.insert("cluster_id".into(), Value::string(&job.cluster_id));
                    base.insert("name".into(), Value::string(&job.job_name));
                    base.insert("type".into(), Value::string(job.job_type.to_ascii_lowercase()));
                    let args = job.job_args.iter().map(Value::string).collect::<Vec<_>>();
                    let args = if args.is_empty() {
                        Value::Null(Type::list(Type::String))
                    } else {
                        Value::List(Type::String, args)
                    };
                    base.insert("args".into(), args);
                    state_of(base, job)
                });
                FindCreatedResponse { state, ..FindCreatedResponse::default() }
            }
            Err(e) => FindCreatedResponse {
                diagnostics: api_error("looking for a submitted KMR job", &e),
                ..FindCreatedResponse::default()
            },
        }
    }
}

async fn create(ctx: &Ctx, planned: BTreeMap<String, Value>, token: &str) -> ApplyResponse {
    let name = text(&planned, "name").unwrap_or_default();
    let args: Vec<String> = planned
        .get("args")
        .and_then(Value::as_seq)
        .map(|l| l.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let submission = SubmitJobRequest {
        cluster_id: text(&planned, "cluster_id"),
        job_name: Some(name.clone()),
        job_type: text(&planned, "type").map(|t| api_type(&t)),
        job_args: args,
        client_token: Some(client_token(token)),
    };
    let api = KmrJobs { ctx, submission: Some(submission) };
    let what = format!("kmr_job `{name}`");
    match job::run(&api, &what, &ctx.progress, &wait_settings()).await {
        Ok(status) => {
            let new_state = match api.describe(&status.id).await.ok().flatten() {
                Some(job) => state_of(planned, &job),
                None => pending_state(planned, &status.id),
            };
            let diagnostics = job::outcome_error(&what, &status).map(Diagnostics::from).unwrap_or_default();
            ApplyResponse { new_state: Some(new_state), diagnostics, ..ApplyResponse::default() }
        }
        Err((Some(id), diagnostics)) => {
            ApplyResponse { new_state: Some(pending_state(planned, &id)), diagnostics, ..ApplyResponse::default() }
        }
        Err((None, diagnostics)) => ApplyResponse { diagnostics, ..ApplyResponse::default() },
    }
}

fn pending_state(mut base: BTreeMap<String, Value>, id: &str) -> Value {
    base.insert("id".into(), Value::string(id));
    base.insert("status".into(), Value::string(JOB_PENDING));
    for name in ["message", "log_path", "submitted_at", "finished_at"] {
        base.insert(name.into(), Value::Null(Type::String));
    }
    Value::Object(base)
}

/// An update never re-runs: the state follows; a run still going is waited for.
async fn settle(ctx: &Ctx, prior: BTreeMap<String, Value>, mut planned: BTreeMap<String, Value>) -> ApplyResponse {
    let Some(id) = text(&prior, "id") else {
        return ApplyResponse { new_state: Some(Value::Object(planned)), ..ApplyResponse::default() };
    };
    let going = text(&prior, "status").is_some_and(|s| outcome_of(&s) == Outcome::Pending || s == JOB_RUNNING);
    if !going {
        for name in ["id", "status", "message", "log_path", "submitted_at", "finished_at"] {
            planned.insert(name.into(), prior.get(name).cloned().unwrap_or(Value::Null(Type::String)));
        }
        return ApplyResponse { new_state: Some(Value::Object(planned)), ..ApplyResponse::default() };
    }
    let api = KmrJobs { ctx, submission: None };
    let what = format!("kmr_job `{}`", text(&prior, "name").unwrap_or_default());
    let (api_ref, id_ref) = (&api, &id);
    let refresh = async move { api_ref.describe(id_ref).await.ok().flatten().map(|job| state_of(planned, &job)) };
    job::settle(&api, &id, &what, &ctx.progress, &wait_settings(), Value::Object(prior), refresh).await
}

async fn delete(ctx: &Ctx, prior: BTreeMap<String, Value>) -> ApplyResponse {
    let Some(id) = text(&prior, "id") else { return ApplyResponse::default() };
    let api = KmrJobs { ctx, submission: None };
    let what = format!("kmr_job `{}`", text(&prior, "name").unwrap_or_default());
    match job::stop(&api, &id, &what, &ctx.progress, &wait_settings()).await {
        Ok(_) => ApplyResponse::default(),
        Err(diagnostics) => ApplyResponse { new_state: Some(Value::Object(prior)), diagnostics, ..Default::default() },
    }
}
