//! `mrs_job`: one run of a job on an MRS cluster (research.md §7.11), through the SDK's shared
//! job semantics (`corral_provider_sdk::job`): create submits and waits for the result and
//! fails the apply unless the job succeeded; every attribute that defines the run forces
//! replacement (a new run, which the plan says in words), `triggers` runs it again unchanged;
//! delete kills a job still running, then removes its record.
//!
//! MRS's v2 job API takes `arguments` only: the program, `args`, `input` and `output` go in
//! that order (`-e SQL` for the SQL types), as huaweicloud's provider flattens them. The
//! submission carries the create's idempotency token as the property
//! [`TOKEN_PROPERTY`] (MRS passes properties to the job as configuration, where an unknown
//! key is ignored), so an apply killed while it waited finds its run again instead of
//! submitting a second one.

use std::collections::BTreeMap;

use corral_api_mrs::errors;
use corral_api_mrs::job::{
    self as wire, BatchDeleteRequest, JobDetail, JobDetailBody, JobList, SubmitJobRequest, SubmitJobResponse,
};
use corral_api_mrs::operation::Operation;
use corral_api_mrs::state;
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse,
};
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_core::value::{Path, Type, Value};
use corral_provider_sdk::job::{self, JobApi, JobStatus, Outcome};
use corral_provider_sdk::plan::{attributes, plan_from_schema};

use crate::provider::{Ctx, api_error, error};
use crate::rest::RestError;

pub(crate) const TYPE_NAME: &str = "mrs_job";

/// The property that carries the create's idempotency token.
pub(crate) const TOKEN_PROPERTY: &str = "corral.client_token";

/// The attributes that make a run's `arguments`. They force a new run like the others, but
/// the provider decides it (see [`settle_adopted`]), so the declared schema leaves them to it.
const ARGUMENT_ATTRIBUTES: &[&str] = &["program_path", "args", "input", "output", "sql"];

/// The schema as planned: every attribute that defines the run forces replacement.
fn planning_schema() -> ResourceSchema {
    let mut schema = schema();
    for name in ARGUMENT_ATTRIBUTES {
        if let Some(attribute) = schema.block.attributes.get_mut(*name) {
            attribute.change = corral_core::schema::ChangeClass::ForcesReplacement;
        }
    }
    schema
}

pub(crate) fn schema() -> ResourceSchema {
    // Arguments: a change submits a new run (the provider plans the replacement).
    let args = |ty: Type, text: &str| AttributeSchema::optional(ty).describe(text);
    let run = |ty: Type, text: &str| AttributeSchema::required(ty).forces_replacement().describe(text);
    let optional_run = |ty: Type, text: &str| AttributeSchema::optional(ty).forces_replacement().describe(text);
    let block = BlockSchema::new()
        .attr("id", AttributeSchema::computed(Type::String).describe("The job's id."))
        .attr("cluster_id", run(Type::String, "The running cluster the job runs on."))
        .attr("name", run(Type::String, "1–64 letters, digits, `_`, `-`."))
        .attr(
            "type",
            run(Type::String, "MapReduce, SparkSubmit, SparkSql, SparkScript, HiveSql, HiveScript, Flink or DistCp."),
        )
        .attr(
            "program_path",
            args(
                Type::String,
                "The jar or script (`obs://...` or `/user/...`); MapReduce, SparkSubmit and the script types need one.",
            ),
        )
        .attr("args", args(Type::list(Type::String), "Arguments after the program; changing any submits a new run."))
        .attr("input", args(Type::String, "Input path, passed after `args`; changing it submits a new run."))
        .attr("output", args(Type::String, "Output path, passed after `input`; changing it submits a new run."))
        .attr("sql", args(Type::String, "The statement of a SparkSql or HiveSql job; changing it submits a new run."))
        .attr("properties", optional_run(Type::map(Type::String), "Job configuration (`key = value`)."))
        .attr(
            "triggers",
            optional_run(Type::map(Type::String), "Change any value to run the job again with the same arguments."),
        )
        .attr(
            "arguments",
            AttributeSchema::computed(Type::list(Type::String)).describe("The `arguments` MRS runs, as submitted."),
        )
        .attr("state", AttributeSchema::computed(Type::String).describe("`job_state` when last seen."))
        .attr("result", AttributeSchema::computed(Type::String).describe("`job_result`: SUCCEEDED, FAILED, KILLED."))
        .attr("tracking_url", AttributeSchema::computed(Type::String).describe("Where YARN shows the run's logs."))
        .attr("submitted_at", AttributeSchema::computed(Type::String))
        .attr("finished_at", AttributeSchema::computed(Type::String));
    ResourceSchema { version: 0, block }
}

fn text(map: &BTreeMap<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_string)
}

fn at(name: &str, summary: String) -> Diagnostic {
    Diagnostic::error(summary).with_attribute(Path::attr(name))
}

/// The service's rules for a submission, each at its attribute (unknown values pass).
fn check(planned: &BTreeMap<String, Value>) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(name) = text(planned, "name")
        && let Err(e) = wire::check_job_name(&name)
    {
        d.push(at("name", e));
    }
    let kind = text(planned, "type");
    if let Some(kind) = &kind
        && let Err(e) = wire::check_job_type(kind)
    {
        d.push(at("type", e));
    }
    let program = planned.get("program_path").filter(|v| !v.is_null());
    if let Some(path) = program.and_then(Value::as_str)
        && let Err(e) = wire::check_program_path(path)
    {
        d.push(at("program_path", e));
    }
    if let Some(kind) = &kind {
        if wire::NEEDS_PROGRAM.contains(&kind.as_str()) && program.is_none() {
            d.push(at("type", format!("a {kind} job needs `program_path`")));
        }
        let sql = planned.get("sql").filter(|v| !v.is_null());
        if wire::SQL_TYPES.contains(&kind.as_str()) && sql.is_none() && program.is_none() {
            d.push(at("type", format!("a {kind} job needs `sql` (or a script in `program_path`)")));
        }
        if sql.is_some() && !wire::SQL_TYPES.contains(&kind.as_str()) {
            d.push(at("sql", format!("`sql` is for {} jobs, not {kind}", wire::SQL_TYPES.join(" and "))));
        }
    }
    if let Some(props) = planned.get("properties").and_then(Value::as_entries)
        && props.contains_key(TOKEN_PROPERTY)
    {
        d.push(at("properties", format!("`{TOKEN_PROPERTY}` is Corral's own property")));
    }
    d
}

/// An adopted run (found by its token after a crash) knows its `arguments`, not the
/// attributes they were made from (its own attributes do not explain them): when the
/// configuration makes the same arguments, those attributes are the configuration's, and the
/// plan is no new run.
fn settle_adopted(request: &mut PlanRequest, schema: &ResourceSchema) {
    let (Some(prior_value), false) = (request.prior_state.as_ref(), request.proposed_new_state.is_null()) else {
        return;
    };
    let mut prior = attributes(prior_value, &schema.block);
    let proposed = attributes(&request.proposed_new_state, &schema.block);
    let list = |args: Vec<String>| Value::List(Type::String, args.into_iter().map(Value::string).collect());
    let matches =
        |made: &Value| prior.get("arguments").is_some_and(|a| corral_provider_sdk::plan::known_equal(a, made));
    // Only a prior whose own attributes do not explain its arguments was adopted.
    if matches(&list(arguments(&prior))) || !matches(&list(arguments(&proposed))) {
        return;
    }
    for name in ARGUMENT_ATTRIBUTES {
        prior.insert(name.to_string(), proposed.get(*name).cloned().unwrap_or(Value::null()));
    }
    request.prior_state = Some(Value::Object(prior));
}

pub(crate) fn plan(mut request: PlanRequest) -> PlanResponse {
    let schema = planning_schema();
    settle_adopted(&mut request, &schema);
    let mut response = plan_from_schema(&schema, &request);
    let Some(planned) = response.planned_state.as_ref().filter(|p| !p.is_null()) else { return response };
    let planned = attributes(planned, &schema.block);
    let problems = check(&planned);
    if problems.has_errors() {
        return PlanResponse { diagnostics: problems, ..PlanResponse::default() };
    }
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
    if let Some(prior) = prior {
        let name = text(&prior, "name").unwrap_or_default();
        let outcome = job::outcome_of(prior.get("result"), state::RESULT_SUCCEEDED, &[state::RESULT_UNDEFINED]);
        if outcome == Outcome::Pending
            && response.requires_replace.is_empty()
            && let Some(Value::Object(planned)) = response.planned_state.as_mut()
        {
            // A run still going (an apply stopped waiting, or adopted it after a crash): this
            // apply waits for its result, and fails unless it succeeds.
            for name in ["state", "result", "tracking_url", "finished_at"] {
                planned.insert(name.into(), Value::Unknown(Type::String));
            }
        }
        let ended = text(&prior, "result").filter(|r| r != state::RESULT_UNDEFINED);
        let warnings = job::plan_warnings(&format!("mrs_job `{name}`"), ended.as_deref(), &response.requires_replace);
        response.diagnostics.extend(warnings);
    }
    response
}

/// The `arguments` MRS runs: the program, `args`, `input`, `output`; `-e SQL` for SQL jobs.
fn arguments(planned: &BTreeMap<String, Value>) -> Vec<String> {
    let mut arguments = Vec::new();
    arguments.extend(text(planned, "program_path"));
    if let Some(args) = planned.get("args").and_then(Value::as_seq) {
        arguments.extend(args.iter().filter_map(Value::as_str).map(str::to_string));
    }
    arguments.extend(text(planned, "input"));
    arguments.extend(text(planned, "output"));
    if let Some(sql) = text(planned, "sql") {
        arguments.extend(["-e".to_string(), sql]);
    }
    arguments
}

/// One job on one cluster, as the SDK's job semantics see it.
struct MrsJobs<'a> {
    ctx: &'a Ctx,
    cluster_id: String,
    submission: Option<SubmitJobRequest>,
}

impl MrsJobs<'_> {
    fn path(&self, operation: Operation, job: &str) -> String {
        operation.path(&[("pid", &self.ctx.project_id), ("id", &self.cluster_id), ("job", job)])
    }

    async fn call<A: serde::de::DeserializeOwned>(
        &self,
        operation: Operation,
        job: &str,
        body: Option<serde_json::Value>,
    ) -> Result<A, RestError> {
        let answer = self.ctx.rest.call(operation.method(), &self.path(operation, job), "", body.as_ref()).await?;
        serde_json::from_value(answer).map_err(|e| RestError::Transport {
            endpoint: String::new(),
            message: format!("the answer of {operation:?} does not fit the API: {e}"),
        })
    }

    async fn detail(&self, id: &str) -> Result<Option<JobDetail>, RestError> {
        match self.call::<JobDetailBody>(Operation::GetJob, id, None).await {
            Ok(body) => Ok(Some(body.job_detail)),
            Err(e) if gone(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The job or its cluster no longer exists.
fn gone(e: &RestError) -> bool {
    matches!(e.code(), Some(errors::JOB_NOT_FOUND | errors::CLUSTER_NOT_FOUND))
}

fn status_of(detail: &JobDetail) -> JobStatus {
    let over = matches!(detail.job_state.as_str(), state::JOB_FINISHED | state::JOB_FAILED | state::JOB_KILLED);
    let outcome = match (over, detail.job_result.as_str()) {
        (false, _) => Outcome::Pending,
        (true, state::RESULT_SUCCEEDED) => Outcome::Succeeded,
        (true, _) => Outcome::Failed,
    };
    let message =
        if detail.tracking_url.is_empty() { String::new() } else { format!("the run's logs: {}", detail.tracking_url) };
    JobStatus {
        id: detail.job_id.clone(),
        state: detail.job_state.clone(),
        result: Some(detail.job_result.clone()),
        outcome,
        message,
    }
}

#[async_trait::async_trait]
impl JobApi for MrsJobs<'_> {
    async fn submit(&self) -> Result<String, Diagnostics> {
        let Some(request) = &self.submission else { return Err(error("nothing to submit")) };
        let body = serde_json::to_value(request).map_err(|e| error(e.to_string()))?;
        let answer: SubmitJobResponse = self.call(Operation::SubmitJob, "", Some(body)).await.map_err(|e| {
            api_error(&format!("submitting job `{}` to cluster {}", request.job_name, self.cluster_id), &e)
        })?;
        if answer.job_submit_result.state != wire::SUBMIT_COMPLETE {
            return Err(error(format!(
                "MRS did not take job `{}`: {}",
                request.job_name, answer.job_submit_result.state
            )));
        }
        Ok(answer.job_submit_result.job_id)
    }

    async fn status(&self, id: &str) -> Result<Option<JobStatus>, Diagnostics> {
        let detail = self.detail(id).await.map_err(|e| api_error(&format!("reading job {id}"), &e))?;
        Ok(detail.as_ref().map(status_of))
    }

    async fn kill(&self, id: &str) -> Result<(), Diagnostics> {
        match self.call::<serde_json::Value>(Operation::KillJob, id, None).await {
            Ok(_) => Ok(()),
            Err(e) if gone(&e) => Ok(()),
            Err(e) => Err(api_error(&format!("killing job {id}"), &e)),
        }
    }
}

fn millis(ms: i64) -> Value {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .filter(|_| ms > 0)
        .map_or(Value::Null(Type::String), |t| Value::string(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
}

/// The state: the configuration's attributes as planned, the run's as the service answers.
fn state_of(mut base: BTreeMap<String, Value>, detail: &JobDetail) -> Value {
    let text = |s: &str| if s.is_empty() { Value::Null(Type::String) } else { Value::string(s) };
    base.insert("id".into(), Value::string(&detail.job_id));
    base.insert("arguments".into(), Value::List(Type::String, detail.arguments.iter().map(Value::string).collect()));
    base.insert("state".into(), Value::string(&detail.job_state));
    base.insert("result".into(), Value::string(&detail.job_result));
    base.insert("tracking_url".into(), text(&detail.tracking_url));
    base.insert("submitted_at".into(), millis(detail.submitted_time));
    base.insert("finished_at".into(), millis(detail.finished_time));
    Value::Object(base)
}

/// A state for a run whose detail could not be read (it was submitted; the wait failed).
fn submitted_state(mut base: BTreeMap<String, Value>, id: &str) -> Value {
    let made = Value::List(Type::String, arguments(&base).into_iter().map(Value::string).collect());
    base.insert("arguments".into(), made);
    base.insert("id".into(), Value::string(id));
    base.insert("state".into(), Value::string(state::JOB_ACCEPTED));
    base.insert("result".into(), Value::string(state::RESULT_UNDEFINED));
    for name in ["tracking_url", "submitted_at", "finished_at"] {
        base.insert(name.into(), Value::Null(Type::String));
    }
    Value::Object(base)
}

fn wait_settings() -> job::Wait {
    job::Wait { max_interval: std::time::Duration::from_secs(5), ..job::Wait::default() }
}

pub(crate) async fn apply(ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
    let schema = schema();
    let planned = request.planned_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
    match (prior, planned) {
        (Some(prior), None) => delete(ctx, prior).await,
        // Nothing that defines the run changed (those force replacement): never a new run.
        (Some(prior), Some(planned)) => settle(ctx, prior, planned).await,
        (None, Some(planned)) => create(ctx, planned, &request.idempotency_token).await,
        (None, None) => ApplyResponse::default(),
    }
}

async fn create(ctx: &Ctx, planned: BTreeMap<String, Value>, token: &str) -> ApplyResponse {
    let (Some(cluster_id), Some(name), Some(job_type)) =
        (text(&planned, "cluster_id"), text(&planned, "name"), text(&planned, "type"))
    else {
        return ApplyResponse {
            diagnostics: error("`mrs_job` needs `cluster_id`, `name` and `type`"),
            ..Default::default()
        };
    };
    let mut properties: BTreeMap<String, String> = planned
        .get("properties")
        .and_then(Value::as_entries)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    properties.insert(TOKEN_PROPERTY.into(), token.to_string());
    let submission = SubmitJobRequest { job_type, job_name: name.clone(), arguments: arguments(&planned), properties };
    let api = MrsJobs { ctx, cluster_id, submission: Some(submission) };
    let what = format!("mrs_job `{name}`");
    match job::run(&api, &what, &ctx.progress, &wait_settings()).await {
        Ok(status) => {
            let detail = api.detail(&status.id).await.ok().flatten();
            let new_state = match &detail {
                Some(detail) => state_of(planned, detail),
                None => submitted_state(planned, &status.id),
            };
            let diagnostics = job::outcome_error(&what, &status).map(Diagnostics::from).unwrap_or_default();
            ApplyResponse { new_state: Some(new_state), diagnostics, ..ApplyResponse::default() }
        }
        Err((Some(id), diagnostics)) => {
            ApplyResponse { new_state: Some(submitted_state(planned, &id)), diagnostics, ..ApplyResponse::default() }
        }
        Err((None, diagnostics)) => ApplyResponse { diagnostics, ..ApplyResponse::default() },
    }
}

/// An update: the state follows the configuration; a run still going is waited for.
async fn settle(ctx: &Ctx, prior: BTreeMap<String, Value>, mut planned: BTreeMap<String, Value>) -> ApplyResponse {
    let outcome = job::outcome_of(prior.get("result"), state::RESULT_SUCCEEDED, &[state::RESULT_UNDEFINED]);
    let (Some(cluster_id), Some(id)) = (text(&prior, "cluster_id"), text(&prior, "id")) else {
        return ApplyResponse { new_state: Some(Value::Object(planned)), ..ApplyResponse::default() };
    };
    if outcome != Outcome::Pending {
        for name in ["id", "state", "result", "tracking_url", "submitted_at", "finished_at"] {
            planned.insert(name.into(), prior.get(name).cloned().unwrap_or(Value::Null(Type::String)));
        }
        return ApplyResponse { new_state: Some(Value::Object(planned)), ..ApplyResponse::default() };
    }
    let api = MrsJobs { ctx, cluster_id, submission: None };
    let what = format!("mrs_job `{}`", text(&prior, "name").unwrap_or_default());
    let (api_ref, id_ref) = (&api, &id);
    let refresh = async move { api_ref.detail(id_ref).await.ok().flatten().map(|detail| state_of(planned, &detail)) };
    job::settle(&api, &id, &what, &ctx.progress, &wait_settings(), Value::Object(prior), refresh).await
}

async fn delete(ctx: &Ctx, prior: BTreeMap<String, Value>) -> ApplyResponse {
    let (Some(cluster_id), Some(id)) = (text(&prior, "cluster_id"), text(&prior, "id")) else {
        return ApplyResponse::default();
    };
    let api = MrsJobs { ctx, cluster_id, submission: None };
    let what = format!("mrs_job `{}`", text(&prior, "name").unwrap_or_default());
    if let Err(diagnostics) = job::stop(&api, &id, &what, &ctx.progress, &wait_settings()).await {
        return ApplyResponse { new_state: Some(Value::Object(prior)), diagnostics, ..ApplyResponse::default() };
    }
    let body = serde_json::to_value(BatchDeleteRequest { job_id_list: vec![id.clone()] }).ok();
    match api.call::<serde_json::Value>(Operation::BatchDeleteJobs, "", body).await {
        Ok(_) => ApplyResponse::default(),
        Err(e) if gone(&e) => ApplyResponse::default(),
        Err(e) => ApplyResponse {
            new_state: Some(Value::Object(prior)),
            diagnostics: api_error(&format!("deleting the record of job {id}"), &e),
            ..ApplyResponse::default()
        },
    }
}

pub(crate) async fn read(ctx: &Ctx, request: ReadRequest) -> ReadResponse {
    let schema = schema();
    let prior = attributes(&request.current_state, &schema.block);
    let (Some(cluster_id), Some(id)) = (text(&prior, "cluster_id"), text(&prior, "id")) else {
        return ReadResponse { diagnostics: error("the state of `mrs_job` has no `id`"), ..ReadResponse::default() };
    };
    let api = MrsJobs { ctx, cluster_id, submission: None };
    match api.detail(&id).await {
        Ok(Some(detail)) => ReadResponse {
            new_state: Some(state_of(prior, &detail)),
            private: request.private,
            ..ReadResponse::default()
        },
        Ok(None) => {
            let outcome = job::outcome_of(prior.get("result"), state::RESULT_SUCCEEDED, &[state::RESULT_UNDEFINED]);
            let kept = outcome != Outcome::Pending;
            ReadResponse {
                new_state: kept.then_some(request.current_state),
                private: request.private.filter(|_| kept),
                ..ReadResponse::default()
            }
        }
        Err(e) => ReadResponse {
            new_state: Some(request.current_state),
            diagnostics: api_error(&format!("reading job {id}"), &e),
            ..ReadResponse::default()
        },
    }
}

/// After an interrupted create: the job whose properties carry the create's token. The
/// engine gives no planned state then, so every live cluster of the project is searched (a
/// recovery is rare; a second run of a job is worse than a few reads).
pub(crate) async fn find_created(ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
    let schema = schema();
    let base = request
        .planned_state
        .as_ref()
        .map(|p| attributes(p, &schema.block))
        .unwrap_or_else(|| attributes(&Value::Object(BTreeMap::new()), &schema.block));
    let failed = |e: &RestError| FindCreatedResponse {
        diagnostics: api_error("looking for a submitted MRS job", e),
        ..FindCreatedResponse::default()
    };
    let clusters: Vec<String> = match text(&base, "cluster_id") {
        Some(id) => vec![id],
        None => {
            let operation = Operation::ListClusters;
            let path = operation.path(&[("pid", &ctx.project_id)]);
            match ctx.rest.call(operation.method(), &path, "", None).await {
                Ok(answer) => serde_json::from_value::<corral_api_mrs::cluster::ClusterList>(answer)
                    .map(|l| l.clusters.into_iter().map(|c| c.cluster_id).collect())
                    .unwrap_or_default(),
                Err(e) => return failed(&e),
            }
        }
    };
    for cluster_id in clusters {
        let api = MrsJobs { ctx, cluster_id: cluster_id.clone(), submission: None };
        let list = match api.call::<JobList>(Operation::ListJobs, "", None).await {
            Ok(list) => list,
            Err(e) if gone(&e) => continue,
            Err(e) => return failed(&e),
        };
        let token = request.idempotency_token.as_str();
        let Some(found) =
            list.job_list.into_iter().find(|j| j.properties.get(TOKEN_PROPERTY).map(String::as_str) == Some(token))
        else {
            continue;
        };
        let mut base = base;
        base.insert("cluster_id".into(), Value::string(&cluster_id));
        base.insert("name".into(), Value::string(&found.job_name));
        base.insert("type".into(), Value::string(&found.job_type));
        let properties: BTreeMap<String, Value> = found
            .properties
            .iter()
            .filter(|(k, _)| k.as_str() != TOKEN_PROPERTY)
            .map(|(k, v)| (k.clone(), Value::string(v)))
            .collect();
        let properties = if properties.is_empty() {
            Value::Null(Type::map(Type::String))
        } else {
            Value::Map(Type::String, properties)
        };
        base.insert("properties".into(), properties);
        return FindCreatedResponse { state: Some(state_of(base, &found)), ..FindCreatedResponse::default() };
    }
    FindCreatedResponse::default()
}

#[cfg(test)]
mod tests;
