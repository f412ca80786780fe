//! `kmr_cluster`: a KMR cluster. Launch waits for `running`; core and task counts scale in
//! place (one group per call, waiting for `running` after each); a trial converts to a paid
//! billing mode in place; delete releases the cluster and waits for `terminated`.
//!
//! What the service does on its own is not drift: a **transient** cluster that ran its jobs
//! and released itself reads as its final record (status `released`, job results), and the
//! next plan shows no change unless its configuration changes, which plans a new run (a
//! replacement). A cluster released by someone else, or a trial the service deleted, reads
//! as gone, so the next plan creates it again.

pub mod data;
pub mod schema;
pub mod spec;

use std::collections::BTreeMap;

use corral_api_kmr::cluster::{
    Cluster as ApiCluster, ClusterIdAnswer, ClusterIdRequest, ClusterStatusAnswer, ConvertTrialClusterAnswer,
    ConvertTrialClusterRequest, InstanceRef, LaunchClusterRequest, ListClustersAnswer, ListClustersRequest,
    ModifyClusterNameRequest, ScaleGroup, ScaleRequest,
};
use corral_api_kmr::status::{CHARGE_MONTHLY, CHARGE_YEARLY};
use corral_api_kmr::status::{
    STATUS_CREATING, STATUS_RELEASED, STATUS_RUNNING, STATUS_SCALING_IN, STATUS_SCALING_OUT, STATUS_TERMINATED,
    STATUS_TERMINATING, TYPE_PERSISTENT,
};
use corral_api_kmr::{action, errors};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadRequest, ReadResponse,
};
use corral_core::schema::{ChangeClass, ResourceSchema};
use corral_core::value::{Path, Type, Value};
use corral_provider_sdk::validate::Checks;

use crate::kmr_api::{self, api_error, call, client_token, error, status_of, wait_cluster};
use crate::resource::{Ctx, ResourceType};
use spec::{attributes, billing_from_api, billing_to_api, bool_attr, int_attr, opt_string, str_attr, time_string};

pub const TYPE_NAME: &str = "kmr_cluster";

/// Statuses a cluster passes through on its way to `running`.
const BUSY: &[&str] = &[STATUS_CREATING, STATUS_SCALING_OUT, STATUS_SCALING_IN];

pub struct Cluster;

#[async_trait::async_trait]
impl ResourceType for Cluster {
    fn name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> ResourceSchema {
        schema::cluster_schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut checks = Checks::new(TYPE_NAME, config);
        checks
            .required(
                &["version", "vpc_id", "subnet_id", "master_instance_type", "core_instance_type", "core_count"],
                None,
            )
            .one_of("type", schema::TYPES)
            .one_of("billing", schema::BILLINGS);
        if let Some(jobs) = config.get_attr("job").and_then(Value::as_seq) {
            for (i, job) in jobs.iter().enumerate() {
                if let Some(v) = job.get_attr("type").and_then(Value::as_str)
                    && !schema::JOB_TYPES.contains(&v)
                {
                    let list = schema::JOB_TYPES.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
                    checks.push(
                        Diagnostic::error(format!("`type` of a `job` must be one of {list}, not `{v}`"))
                            .with_attribute(Path::attr("job").index(i as i64).then("type")),
                    );
                }
            }
        }
        if let Some(period) = config.get_attr("billing_period").and_then(Value::as_number) {
            let billing = config.get_attr("billing").and_then(Value::as_str);
            match billing.map(spec::billing_to_api) {
                Some(charge @ (CHARGE_MONTHLY | CHARGE_YEARLY)) => {
                    let term = period.to_i64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
                    if let Err(why) = corral_api_kmr::limits::check_term(charge, term) {
                        checks.error("billing_period", format!("`billing_period`: {why}"));
                    }
                }
                Some(_) => checks.error(
                    "billing_period",
                    format!(
                        "`billing_period` is for monthly and yearly billing, not `{}`",
                        billing.unwrap_or_default()
                    ),
                ),
                // Unknown billing: judged when it is known.
                None => {}
            }
        }
        for (name, min) in [("core_count", 1), ("task_count", 0), ("master_count", 1)] {
            if let Some(n) = config.get_attr(name).and_then(Value::as_number)
                && n.to_i64().is_none_or(|n| n < min)
            {
                checks.error(name, format!("`{name}` of `{TYPE_NAME}` must be a whole number ≥ {min}, not {n}"));
            }
        }
        if let Some(uri) = config.get_attr("log_uri").and_then(Value::as_str)
            && !corral_api_kmr::limits::is_ks3_uri(uri)
        {
            checks.error("log_uri", format!("`log_uri` must be a KS3 location (`ks3://bucket/path`), not `{uri}`"));
        }
        // The value is a secret: the policy's answer never quotes it.
        if let Some(password) = config.get_attr("admin_password").map(Value::unmarked).and_then(Value::as_str)
            && let Some(why) = corral_api_kmr::password::problem(password)
        {
            checks.push(
                Diagnostic::error(format!("`admin_password` of `{TYPE_NAME}`: {why}"))
                    .with_attribute(Path::attr("admin_password")),
            );
        }
        checks.finish()
    }

    async fn plan(&self, ctx: &Ctx, request: PlanRequest) -> PlanResponse {
        if request.proposed_new_state.is_null() {
            return PlanResponse { planned_state: Some(request.proposed_new_state), ..PlanResponse::default() };
        }
        let schema = self.schema();
        let mut planned = attributes(&request.proposed_new_state, &schema);
        for (name, value) in planned.iter_mut() {
            if value.is_null()
                && let Some(default) = schema::default_of(name)
            {
                *value = default;
            }
        }
        let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema));
        let mut diagnostics = check_rules(&planned, prior.as_ref());
        let mut requires_replace = Vec::new();
        if let Some(prior) = &prior {
            requires_replace = replace_paths(&schema, prior, &planned);
            if str_attr(prior, "status").as_deref() == Some(STATUS_RELEASED) {
                // A finished run: any change to what it was asked to do is a new run.
                for (name, attribute) in &schema.block.attributes {
                    let changed = !attribute.computed || attribute.optional;
                    if changed && name != "allow_core_shrink" && !same(prior.get(name), planned.get(name)) {
                        requires_replace.push(Path::attr(name));
                    }
                }
                requires_replace.sort();
                requires_replace.dedup();
            } else if requires_replace.is_empty() {
                check_core_shrink(&mut diagnostics, prior, &planned);
            }
        }
        let fresh = prior.is_none() || !requires_replace.is_empty();
        for (name, attribute) in &schema.block.attributes {
            if attribute.computed && !attribute.optional {
                let value = match (&prior, fresh) {
                    (Some(prior), false) => prior.get(name).cloned().unwrap_or(Value::Null(attribute.ty.clone())),
                    _ => Value::Unknown(attribute.ty.clone()),
                };
                planned.insert(name.clone(), value);
            }
        }
        let billing = str_attr(&planned, "billing");
        let prepaid = matches!(billing.as_deref(), Some("monthly" | "yearly"));
        if prepaid && planned.get("billing_period").is_none_or(Value::is_null) {
            planned.insert("billing_period".into(), Value::int(1));
        }
        if !fresh && let Some(prior) = &prior {
            let converting =
                str_attr(prior, "billing").as_deref() == Some("trial") && billing.as_deref() != Some("trial");
            if converting {
                // The trial's end gives way to the bought term's (none on demand).
                let end = if prepaid { Value::Unknown(Type::String) } else { Value::Null(Type::String) };
                planned.insert("expires_at".into(), end);
            }
            diagnostics.extend(check_period_change(prior, &planned, converting));
        }
        if diagnostics.has_errors() {
            return PlanResponse { diagnostics, ..PlanResponse::default() };
        }
        if let Some(prior) = &prior {
            diagnostics.extend(expiry_warning(ctx, prior, &planned).await);
        }
        PlanResponse {
            planned_state: Some(Value::Object(planned)),
            requires_replace,
            diagnostics,
            ..PlanResponse::default()
        }
    }

    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
        let schema = self.schema();
        let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema));
        let planned = request.planned_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema));
        match (prior, planned) {
            (None, None) => ApplyResponse::default(),
            (None, Some(planned)) => {
                // Write-only: the planned state holds a digest; the value is only in `config`.
                let password = request
                    .config
                    .get_attr("admin_password")
                    .map(Value::unmarked)
                    .and_then(Value::as_str)
                    .map(str::to_string);
                create(ctx, planned, password, &request.idempotency_token).await
            }
            (Some(prior), None) => delete(ctx, prior).await,
            (Some(prior), Some(planned)) => update(ctx, prior, planned).await,
        }
    }

    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        let schema = self.schema();
        let prior = attributes(&request.current_state, &schema);
        let Some(id) = str_attr(&prior, "id") else {
            return ReadResponse {
                diagnostics: error("the state of `kmr_cluster` has no `id`"),
                ..ReadResponse::default()
            };
        };
        match kmr_api::describe_cluster(ctx, &id).await {
            Ok(Some(cluster)) if status_of(&cluster) != STATUS_TERMINATED => ReadResponse {
                new_state: Some(state_from_api(&cluster, prior)),
                private: request.private,
                ..ReadResponse::default()
            },
            // Released by someone else, or a trial the service deleted: gone.
            Ok(_) => ReadResponse::default(),
            Err(e) => ReadResponse {
                new_state: Some(request.current_state),
                diagnostics: api_error(&format!("reading cluster {id}"), &e),
                ..ReadResponse::default()
            },
        }
    }

    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        let schema = self.schema();
        let token = client_token(&request.idempotency_token);
        let list = ListClustersRequest { client_token: Some(token), ..ListClustersRequest::default() };
        let found = match call::<ListClustersAnswer>(ctx, action::LIST_CLUSTERS, &list).await {
            Ok(answer) => answer.clusters.into_iter().next(),
            Err(e) => {
                return FindCreatedResponse {
                    diagnostics: api_error("looking for a launched cluster", &e),
                    ..Default::default()
                };
            }
        };
        let base = request.planned_state.as_ref().map(|p| attributes(p, &schema)).unwrap_or_default();
        FindCreatedResponse { state: found.map(|c| state_from_api(&c, base)), ..FindCreatedResponse::default() }
    }

    async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse {
        match kmr_api::describe_cluster(ctx, &request.id).await {
            Ok(Some(cluster)) => {
                let base = attributes(&Value::empty_object(), &self.schema());
                ImportResponse { state: Some(state_from_api(&cluster, base)), diagnostics: Diagnostics::new() }
            }
            Ok(None) => {
                ImportResponse { state: None, diagnostics: error(format!("no KMR cluster has id `{}`", request.id)) }
            }
            Err(e) => ImportResponse { state: None, diagnostics: api_error("importing a cluster", &e) },
        }
    }
}

fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => corral_provider_sdk::plan::known_equal(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// Attributes whose change class is not in place and whose value changes, and blocks that
/// force replacement. (The engine finds these too; the provider needs them to know that the
/// planned object is a new one.)
fn replace_paths(
    schema: &ResourceSchema,
    prior: &BTreeMap<String, Value>,
    planned: &BTreeMap<String, Value>,
) -> Vec<Path> {
    let mut paths = Vec::new();
    for (name, attribute) in &schema.block.attributes {
        let fixed = !matches!(attribute.change, ChangeClass::InPlace);
        if fixed && !same(prior.get(name), planned.get(name)) {
            paths.push(Path::attr(name));
        }
    }
    for (name, block) in &schema.block.blocks {
        if block.forces_replacement && !same(prior.get(name), planned.get(name)) {
            paths.push(Path::attr(name));
        }
    }
    paths
}

/// Rules of the service the plan can check before any call.
fn check_rules(planned: &BTreeMap<String, Value>, prior: Option<&BTreeMap<String, Value>>) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let kind = str_attr(planned, "type");
    let billing = str_attr(planned, "billing");
    let transient = kind.as_deref() == Some("transient");
    if transient && billing.as_deref().is_some_and(|b| b != "on_demand") {
        diagnostics.push(
            Diagnostic::error(format!(
                "a transient cluster is billed on demand only, not `{}`",
                billing.as_deref().unwrap_or("")
            ))
            .with_detail(
                "KMR bills transient clusters by the hour; monthly, yearly and trial billing are for persistent clusters",
            )
            .with_help("remove `billing` or set it to \"on_demand\"")
            .with_attribute(Path::attr("billing")),
        );
    }
    if transient && planned.get("log_uri").is_some_and(Value::is_null) {
        diagnostics.push(
            Diagnostic::error("a transient cluster needs `log_uri`")
                .with_detail("a transient cluster releases itself when its jobs finish; its logs and results must go to KS3 to outlive it")
                .with_help("set `log_uri = \"ks3://bucket/path\"`")
                .with_attribute(Path::attr("log_uri")),
        );
    }
    let jobs = planned.get("job").and_then(Value::as_seq).map_or(0, <[Value]>::len);
    if kind.as_deref() == Some("persistent") && jobs > 0 {
        diagnostics.push(
            Diagnostic::error("only a transient cluster has `job` blocks")
                .with_help("submit jobs to a persistent cluster, or make it `type = \"transient\"`")
                .with_attribute(Path::attr("job")),
        );
    }
    if let (Some(prior), Some(new)) = (prior.and_then(|p| str_attr(p, "billing")), billing.as_deref())
        && prior != new
        && !(prior == "trial" && new != "trial")
    {
        diagnostics.push(
            Diagnostic::error(format!("billing cannot change from `{prior}` to `{new}`"))
                .with_detail("only a trial cluster changes its billing in place (it converts to a paid mode)")
                .with_attribute(Path::attr("billing")),
        );
    }
    diagnostics
}

/// The term a monthly or yearly cluster buys.
fn term_of(planned: &BTreeMap<String, Value>) -> Option<u32> {
    matches!(str_attr(planned, "billing").as_deref(), Some("monthly" | "yearly"))
        .then(|| int_attr(planned, "billing_period").and_then(|n| u32::try_from(n).ok()).unwrap_or(1))
}

/// A term is bought at launch or at a trial's conversion; it does not change afterwards.
fn check_period_change(
    prior: &BTreeMap<String, Value>,
    planned: &BTreeMap<String, Value>,
    converting: bool,
) -> Diagnostics {
    let mut d = Diagnostics::new();
    let (old, new) = (int_attr(prior, "billing_period"), int_attr(planned, "billing_period"));
    if !converting && old.is_some() && old != new {
        d.push(
            Diagnostic::error(format!(
                "`billing_period` cannot change from {} to {} on a running subscription",
                old.unwrap_or_default(),
                new.map_or("unset".to_string(), |n| n.to_string())
            ))
            .with_detail(
                "KMR sells a term when the cluster is launched (or a trial converted); renew it with the service",
            )
            .with_attribute(Path::attr("billing_period")),
        );
    }
    d
}

/// The service's expiry reminder as a plan warning: a trial (or a monthly or yearly term)
/// that ends within two days, after which the service deletes the cluster.
async fn expiry_warning(ctx: &Ctx, prior: &BTreeMap<String, Value>, planned: &BTreeMap<String, Value>) -> Diagnostics {
    let mut d = Diagnostics::new();
    let billing = str_attr(planned, "billing");
    let Some(billing) = billing.filter(|b| str_attr(prior, "billing").as_ref() == Some(b)) else { return d };
    if !matches!(billing.as_str(), "trial" | "monthly" | "yearly") {
        return d;
    }
    let Some(id) = str_attr(prior, "id") else { return d };
    // How long is left is the service's to say, by its clock.
    let Ok(Some(cluster)) = kmr_api::describe_cluster(ctx, &id).await else { return d };
    let Some(left) = cluster.expires_in_minutes.filter(|m| *m <= corral_api_kmr::limits::EXPIRY_WARNING_MINUTES) else {
        return d;
    };
    let at = time_string(cluster.expire_time.as_ref());
    let at = at.as_str().unwrap_or("soon");
    let name = &cluster.cluster_name;
    let (summary, help) = if billing == "trial" {
        (
            format!("trial cluster `{name}` expires at {at} (in {}): the service then deletes it", span(left)),
            r#"convert it: set `billing` to "on_demand", "monthly" or "yearly""#,
        )
    } else {
        (
            format!(
                "the {billing} term of cluster `{name}` ends at {at} (in {}): unrenewed, the service then deletes it",
                span(left)
            ),
            "renew the subscription with the service",
        )
    };
    d.push(Diagnostic::warning(summary).with_help(help).with_attribute(Path::attr("billing")));
    d
}

/// `1 day 3 hours`, `45 minutes`.
fn span(minutes: i64) -> String {
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    let unit = |n: i64, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
    match (days, hours) {
        (0, 0) => unit(mins, "minute"),
        (0, h) => unit(h, "hour"),
        (d, 0) => unit(d, "day"),
        (d, h) => format!("{} {}", unit(d, "day"), unit(h, "hour")),
    }
}

/// The shared HDFS guard (`corral_provider_sdk::guard`), on this cluster's counts.
fn check_core_shrink(
    diagnostics: &mut Diagnostics,
    prior: &BTreeMap<String, Value>,
    planned: &BTreeMap<String, Value>,
) {
    let (Some(from), Some(to)) = (int_attr(prior, "core_count"), int_attr(planned, "core_count")) else { return };
    let allowed = bool_attr(planned, "allow_core_shrink") == Some(true);
    if let Some(refused) = corral_provider_sdk::guard::core_shrink(from, to, allowed) {
        diagnostics.push(refused);
    }
}

/// The state from a described cluster: the API's view of everything it knows, with what only
/// the configuration knows (`allow_core_shrink`) and equivalent spellings kept from `base`.
fn state_from_api(cluster: &ApiCluster, base: BTreeMap<String, Value>) -> Value {
    let mut attrs = base.clone();
    attrs.insert("id".into(), Value::string(&cluster.cluster_id));
    attrs.insert("name".into(), Value::string(&cluster.cluster_name));
    attrs.insert("type".into(), Value::string(&cluster.cluster_type));
    attrs.insert("billing".into(), Value::string(billing_from_api(&cluster.charge_type)));
    attrs.insert("status".into(), Value::string(&cluster.cluster_status));
    attrs.insert("master_ip".into(), Value::string(&cluster.master_private_ip));
    attrs.insert("public_ip".into(), opt_string(cluster.master_eip.as_deref()));
    attrs.insert("security_group_id".into(), Value::string(&cluster.security_group_id));
    attrs.insert("released_at".into(), time_string(cluster.release_time.as_ref()));
    attrs.insert("expires_at".into(), time_string(cluster.expire_time.as_ref()));
    attrs.insert(
        "billing_period".into(),
        cluster.purchase_time.map_or(Value::Null(Type::Number), |t| Value::int(i64::from(t))),
    );
    if attrs.get("allow_core_shrink").is_none_or(Value::is_null) {
        attrs.insert("allow_core_shrink".into(), Value::Bool(false));
    }
    spec::spec_from_api(cluster.into(), &base, &mut attrs);
    let results: Vec<Value> = cluster
        .jobs
        .iter()
        .map(|job| {
            Value::object([
                ("name".to_string(), Value::string(&job.job_name)),
                ("status".to_string(), Value::string(&job.job_status)),
                ("started_at".to_string(), time_string(job.start_time.as_ref())),
                ("finished_at".to_string(), time_string(job.end_time.as_ref())),
                ("log_path".to_string(), opt_string(job.log_path.as_deref())),
            ])
        })
        .collect();
    attrs.insert("job_results".into(), Value::List(schema::job_result_type(), results));
    Value::Object(attrs)
}

async fn create(
    ctx: &Ctx,
    planned: BTreeMap<String, Value>,
    admin_password: Option<String>,
    idempotency_token: &str,
) -> ApplyResponse {
    let billing = str_attr(&planned, "billing").unwrap_or_else(|| "on_demand".into());
    let request = LaunchClusterRequest {
        cluster_name: str_attr(&planned, "name"),
        cluster_type: Some(str_attr(&planned, "type").unwrap_or_else(|| TYPE_PERSISTENT.into())),
        charge_type: Some(billing_to_api(&billing).to_string()),
        purchase_time: term_of(&planned),
        client_token: Some(client_token(idempotency_token)),
        admin_password,
        spec: spec::spec_body(&planned),
    };
    let id = match call::<ClusterStatusAnswer>(ctx, action::LAUNCH_CLUSTER, &request).await {
        Ok(answer) => match Some(answer.cluster_id).filter(|id| !id.is_empty()) {
            Some(id) => id,
            None => {
                return ApplyResponse {
                    diagnostics: error("LaunchCluster answered without a ClusterId"),
                    ..Default::default()
                };
            }
        },
        Err(e) => return ApplyResponse { diagnostics: api_error("launching the cluster", &e), ..Default::default() },
    };
    // A transient cluster may run its jobs and release itself before the first poll.
    let waited = wait_cluster(ctx, &id, "to be running", BUSY, &[STATUS_RUNNING, STATUS_RELEASED], false).await;
    finish(ctx, &id, planned, waited.map(|_| ())).await
}

/// The state after an operation on cluster `id`: described afresh, with the operation's
/// diagnostics. A cluster that exists is always in the answer, so nothing is forgotten.
async fn finish(
    ctx: &Ctx,
    id: &str,
    planned: BTreeMap<String, Value>,
    outcome: Result<(), Diagnostics>,
) -> ApplyResponse {
    let mut diagnostics = outcome.err().unwrap_or_default();
    let state = match kmr_api::describe_cluster(ctx, id).await {
        Ok(Some(cluster)) => state_from_api(&cluster, planned),
        Ok(None) => {
            diagnostics.extend(error(format!("cluster {id} disappeared")));
            return ApplyResponse { diagnostics, ..ApplyResponse::default() };
        }
        Err(e) => {
            diagnostics.extend(api_error(&format!("reading cluster {id}"), &e));
            crate::record::known_part(planned, id)
        }
    };
    ApplyResponse { new_state: Some(state), diagnostics, ..ApplyResponse::default() }
}

async fn update(ctx: &Ctx, prior: BTreeMap<String, Value>, planned: BTreeMap<String, Value>) -> ApplyResponse {
    let Some(id) = str_attr(&prior, "id") else {
        return ApplyResponse { diagnostics: error("the state of `kmr_cluster` has no `id`"), ..Default::default() };
    };
    let outcome = async {
        if str_attr(&prior, "name") != str_attr(&planned, "name") {
            let request =
                ModifyClusterNameRequest { cluster_id: Some(id.clone()), cluster_name: str_attr(&planned, "name") };
            call::<ClusterIdAnswer>(ctx, action::MODIFY_CLUSTER_NAME, &request)
                .await
                .map_err(|e| api_error("renaming the cluster", &e))?;
        }
        let (old_billing, new_billing) = (str_attr(&prior, "billing"), str_attr(&planned, "billing"));
        if old_billing.as_deref() == Some("trial") && new_billing.as_deref().is_some_and(|b| b != "trial") {
            let request = ConvertTrialClusterRequest {
                cluster_id: Some(id.clone()),
                charge_type: Some(billing_to_api(new_billing.as_deref().unwrap_or("")).to_string()),
                purchase_time: term_of(&planned),
            };
            call::<ConvertTrialClusterAnswer>(ctx, action::CONVERT_TRIAL_CLUSTER, &request)
                .await
                .map_err(|e| api_error("converting the trial cluster", &e))?;
        }
        for (group_type, attr) in [("CORE", "core_count"), ("TASK", "task_count")] {
            if let Some(to) = int_attr(&planned, attr)
                && int_attr(&prior, attr) != Some(to)
            {
                scale(ctx, &id, group_type, to).await?;
            }
        }
        Ok(())
    }
    .await;
    finish(ctx, &id, planned, outcome).await
}

/// Scales one group to `to` nodes: waits until the cluster takes operations, then one scale
/// call, then waits for `running` again. KMR runs one scale operation per cluster at a time:
/// when someone else's operation slips in between (`ClusterBusy`), wait for it and try again.
async fn scale(ctx: &Ctx, id: &str, group_type: &str, to: i64) -> Result<(), Diagnostics> {
    const ATTEMPTS: usize = 5;
    let doing = format!("scaling the {} group of {id} to {to}", group_type.to_ascii_lowercase());
    for attempt in 1..=ATTEMPTS {
        let cluster = wait_cluster(ctx, id, "to take a scale operation", BUSY, &[STATUS_RUNNING], false)
            .await?
            .ok_or_else(|| error(format!("cluster {id} disappeared")))?;
        let Some((action, mut request)) = scale_request(&cluster, id, group_type, to)? else { return Ok(()) };
        // One token per call: the client's retries of this call are one operation.
        request.client_token = Some(uuid::Uuid::new_v4().to_string());
        match call::<ClusterStatusAnswer>(ctx, action, &request).await {
            Ok(_) => {
                return wait_cluster(ctx, id, "to finish scaling", BUSY, &[STATUS_RUNNING], false).await.map(|_| ());
            }
            Err(e) if e.code() == Some(errors::CLUSTER_BUSY) && attempt < ATTEMPTS => continue,
            Err(e) => return Err(api_error(&doing, &e)),
        }
    }
    Err(error(format!("{doing}: the cluster stayed busy")))
}

/// The scale call that takes `group_type` of a described cluster to `to` nodes, if any.
fn scale_request(
    cluster: &ApiCluster,
    id: &str,
    group_type: &str,
    to: i64,
) -> Result<Option<(&'static str, ScaleRequest)>, Diagnostics> {
    let group = cluster
        .group(group_type)
        .ok_or_else(|| error(format!("cluster {id} has no {group_type} group; set its instance type at launch")))?;
    let ids = &group.instance_ids;
    let current = ids.len() as i64;
    let request = |group: ScaleGroup| ScaleRequest {
        cluster_id: Some(id.to_string()),
        instance_groups: vec![group],
        ..ScaleRequest::default()
    };
    Ok(if to > current {
        let grow = ScaleGroup {
            instance_group_id: Some(group.instance_group_id.clone()),
            instance_count: u32::try_from(to - current).ok(),
            ..ScaleGroup::default()
        };
        Some((action::SCALE_OUT_INSTANCE_GROUPS, request(grow)))
    } else if to < current {
        // The newest nodes go first.
        let victims =
            ids.iter().rev().take((current - to) as usize).map(|i| InstanceRef { instance_id: i.clone() }).collect();
        let shrink = ScaleGroup {
            instance_group_id: Some(group.instance_group_id.clone()),
            instances: victims,
            ..ScaleGroup::default()
        };
        let request = ScaleRequest { graceful_scale_in: true, graceful_scale_in_timeout: 60, ..request(shrink) };
        Some((action::SCALE_IN_INSTANCE_GROUPS, request))
    } else {
        None
    })
}

async fn delete(ctx: &Ctx, prior: BTreeMap<String, Value>) -> ApplyResponse {
    let Some(id) = str_attr(&prior, "id") else { return ApplyResponse::default() };
    let keep = |diagnostics| ApplyResponse {
        new_state: Some(Value::Object(prior.clone())),
        diagnostics,
        ..Default::default()
    };
    // A released or terminating cluster is already on its way: wait, do not ask again.
    let cluster = match wait_cluster(
        ctx,
        &id,
        "to take a release",
        BUSY,
        &[STATUS_RUNNING, STATUS_RELEASED, STATUS_TERMINATING, STATUS_TERMINATED],
        true,
    )
    .await
    {
        Ok(cluster) => cluster,
        Err(d) => return keep(d),
    };
    let Some(cluster) = cluster else { return ApplyResponse::default() };
    if matches!(status_of(&cluster).as_str(), STATUS_RELEASED | STATUS_TERMINATED) {
        return ApplyResponse::default();
    }
    let request = ClusterIdRequest { cluster_id: Some(id.clone()) };
    if let Err(e) = call::<ClusterStatusAnswer>(ctx, action::TERMINATE_CLUSTER, &request).await {
        return keep(api_error(&format!("releasing cluster {id}"), &e));
    }
    match wait_cluster(ctx, &id, "to be released", &[STATUS_TERMINATING], &[STATUS_TERMINATED, STATUS_RELEASED], true)
        .await
    {
        Ok(_) => ApplyResponse::default(),
        Err(d) => keep(d),
    }
}

#[cfg(test)]
mod tests;
