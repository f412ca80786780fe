//! `kylin_cluster`: an Apache Kylin deployment in cluster mode.
//!
//! - Plan: research §5's rules (`corral_api_kylin::rules`), each a diagnostic at its
//!   attribute; `rendered_properties` (one `kylin.properties` per node, computed); on an
//!   update, `rolling_restart` lists the nodes whose rendered properties changed in restart
//!   order (query nodes one at a time, then `all`, then job nodes, the active job engine
//!   last). `metadata_url`, `name` and `placement_id` changes replace the cluster (a new
//!   metastore is a new cluster); `kylin_version` is immutable (no in-place upgrade).
//! - Apply: create pushes every node's properties and waits for the nodes; update pushes,
//!   then restarts the planned nodes one by one, each back to `running` before the next;
//!   delete removes the deployment.

use std::collections::BTreeMap;
use std::time::Duration;

use corral_api_kylin::restart::{self, NodeChange};
use corral_api_kylin::status::{CLUSTER_RUNNING, NODE_RUNNING};
use corral_api_kylin::wire::{
    Cluster as ApiCluster, ClusterIdRequest, ClusterList, CreateClusterRequest, NodeConfig, NodeRequest,
    UpdateClusterRequest,
};
use corral_api_kylin::{action, render, rules};
use corral_core::diag::Diagnostics;
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse,
};
use corral_core::schema::{AttributeSchema, BlockSchema, NestedBlockSchema, Nesting, ResourceSchema};
use corral_core::value::{Path, Type, Value};

use corral_provider_sdk::refresh::{self, state_attributes as attrs};
use corral_provider_sdk::waiter::Backoff;

use crate::api::{self, Ctx, api_error, call, client_token, error};
use crate::spec::{cluster_spec, default_targets, diagnostic, explicit_targets};

pub(crate) const TYPE_NAME: &str = "kylin_cluster";

/// How long nodes may take to come up before Corral stops waiting.
const WAIT_TIMEOUT: Duration = Duration::from_secs(60 * 60);

pub(crate) fn schema() -> ResourceSchema {
    let node = BlockSchema::new()
        .attr("host", AttributeSchema::required(Type::String).describe("Host name Kylin nodes reach this node by."))
        .attr("port", AttributeSchema::optional(Type::Number).describe("REST port, default 7070."))
        .attr("mode", AttributeSchema::optional(Type::String).describe("`all` (default), `job` or `query`."))
        .attr(
            "metadata_url",
            AttributeSchema::optional(Type::String)
                .describe("A metastore this node is pinned to; must equal the cluster's (rule 1)."),
        );
    let mut nodes = NestedBlockSchema::new(Nesting::List, node);
    nodes.min_items = 1;
    let lb = BlockSchema::new().attr(
        "targets",
        AttributeSchema::optional(Type::list(Type::String))
            .describe("`host:port` of the nodes behind it (query-capable only); default: every query-capable node."),
    );
    let mut load_balancer = NestedBlockSchema::new(Nesting::List, lb);
    load_balancer.max_items = 1;
    let block = BlockSchema::new()
        .attr("id", AttributeSchema::computed(Type::String))
        .attr("name", AttributeSchema::required(Type::String).forces_replacement())
        .attr(
            "kylin_version",
            AttributeSchema::required(Type::String)
                .immutable("Corral does not upgrade Kylin in place: the metastore must be migrated first")
                .describe("e.g. `3.1.3`; decides the property names (1.x legacy, 2.x/3.x, 4.x)."),
        )
        .attr(
            "metadata_url",
            AttributeSchema::required(Type::String)
                .forces_replacement()
                .describe("`kylin.metadata.url`, shared by every node; a new metastore is a new cluster."),
        )
        .attr(
            "job_engine_ha",
            AttributeSchema::optional(Type::String)
                .describe("`none` (default, one job node), `distributed` (2.0+, ZooKeeper lock) or `curator` (3.0+)."),
        )
        .attr("zookeeper", AttributeSchema::optional(Type::String).describe("ZooKeeper quorum `host:port,...`."))
        .attr("hdfs_working_dir", AttributeSchema::optional(Type::String))
        .attr(
            "hbase_cluster_fs",
            AttributeSchema::optional(Type::String).describe(
                "Read/write separation: the HBase (query) cluster's file system, e.g. `hdfs://hbase-nn:8020`.",
            ),
        )
        .attr("hbase_cluster_hdfs_config_file", AttributeSchema::optional(Type::String))
        .attr(
            "build_cluster_fs",
            AttributeSchema::optional(Type::String)
                .describe("The build (Hadoop) cluster's `fs.defaultFS`, to check `hbase_cluster_fs` against."),
        )
        .attr(
            "extra_properties",
            AttributeSchema::optional(Type::map(Type::String))
                .describe("More `kylin.properties` entries; keys Corral writes itself are refused."),
        )
        .attr(
            "placement_id",
            AttributeSchema::optional(Type::String)
                .forces_replacement()
                .describe("The `kyligence_stack` or `kmr_cluster` id the nodes run on."),
        )
        .attr("status", AttributeSchema::computed(Type::String))
        .attr(
            "rendered_properties",
            AttributeSchema::computed(Type::map(Type::String))
                .describe("Each node's `kylin.properties`, by `host:port`."),
        )
        .attr(
            "rolling_restart",
            AttributeSchema::computed(Type::list(Type::String))
                .describe("The restarts an update makes, in order (empty when nothing is pending)."),
        )
        .attr("load_balancer_targets", AttributeSchema::computed(Type::list(Type::String)))
        .attr("load_balancer_dns", AttributeSchema::computed(Type::String))
        .attr("active_job_node", AttributeSchema::computed(Type::String))
        .block("node", nodes)
        .block("load_balancer", load_balancer);
    ResourceSchema { version: 0, block }
}

/// Static checks (none beyond the schema's: the rules need the whole cluster, at plan).
pub(crate) fn validate(_config: &Value) -> Diagnostics {
    Diagnostics::new()
}

fn str_of(map: &BTreeMap<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_string)
}

fn string_map(entries: &[(String, String)]) -> Value {
    Value::Map(Type::String, entries.iter().map(|(k, v)| (k.clone(), Value::string(v))).collect())
}

fn string_list(items: &[String]) -> Value {
    Value::List(Type::String, items.iter().map(Value::string).collect())
}

fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => corral_provider_sdk::plan::known_equal(a, b),
        (None, None) => true,
        _ => false,
    }
}

pub(crate) fn plan(request: PlanRequest) -> PlanResponse {
    if request.proposed_new_state.is_null() {
        return PlanResponse { planned_state: Some(request.proposed_new_state), ..PlanResponse::default() };
    }
    let proposed = &request.proposed_new_state;
    let mut planned = attrs(proposed);
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(attrs);
    let mut diagnostics = Diagnostics::new();
    let spec = cluster_spec(proposed);
    if let Some(spec) = &spec {
        for problem in rules::check(spec).iter().chain(&rules::warnings(spec)) {
            diagnostics.push(diagnostic(problem));
        }
    }
    if diagnostics.has_errors() {
        return PlanResponse { diagnostics, ..PlanResponse::default() };
    }
    let mut requires_replace = Vec::new();
    if let Some(prior) = &prior {
        for name in ["name", "metadata_url", "placement_id", "kylin_version"] {
            if !same(prior.get(name), planned.get(name)) {
                requires_replace.push(Path::attr(name));
            }
        }
    }
    let fresh = prior.is_none() || !requires_replace.is_empty();
    let rendered = spec.as_ref().and_then(render::render_all);
    let keep = |name: &str, ty: Type| match (&prior, fresh) {
        (Some(prior), false) => prior.get(name).cloned().unwrap_or(Value::Null(ty)),
        _ => Value::Unknown(ty),
    };
    planned.insert("id".into(), keep("id", Type::String));
    planned.insert("status".into(), keep("status", Type::String));
    planned.insert("load_balancer_dns".into(), keep("load_balancer_dns", Type::String));
    planned.insert("active_job_node".into(), keep("active_job_node", Type::String));
    let (rendered_value, restart_value, targets_value) = match (&spec, &rendered) {
        (Some(spec), Some(rendered)) => {
            let steps = match (&prior, fresh) {
                (Some(prior), false) => restart_steps(spec, rendered, prior),
                _ => Vec::new(),
            };
            let targets = if explicit_targets(proposed) || !spec.load_balancer_targets.is_empty() {
                spec.load_balancer_targets.clone()
            } else {
                Vec::new()
            };
            (string_map(rendered), string_list(&steps), string_list(&targets))
        }
        _ => (
            Value::Unknown(Type::map(Type::String)),
            Value::Unknown(Type::list(Type::String)),
            Value::Unknown(Type::list(Type::String)),
        ),
    };
    planned.insert("rendered_properties".into(), rendered_value);
    planned.insert("rolling_restart".into(), restart_value);
    planned.insert("load_balancer_targets".into(), targets_value);
    PlanResponse {
        planned_state: Some(Value::Object(planned)),
        requires_replace,
        diagnostics,
        ..PlanResponse::default()
    }
}

/// The plan's rolling restart: nodes that exist before and after and whose rendered
/// properties change, in rule 8's order; new nodes start with their configuration, removed
/// ones stop.
fn restart_steps(
    spec: &corral_api_kylin::spec::ClusterSpec,
    rendered: &[(String, String)],
    prior: &BTreeMap<String, Value>,
) -> Vec<String> {
    let before: BTreeMap<String, String> = prior
        .get("rendered_properties")
        .and_then(Value::as_entries)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    let changes: Vec<NodeChange> = spec
        .nodes
        .iter()
        .zip(rendered)
        .filter_map(|(node, (address, text))| {
            let old = before.get(address)?;
            Some(NodeChange { address: address.clone(), mode: node.mode()?, changed: old != text })
        })
        .collect();
    let active = str_of(prior, "active_job_node");
    let mut steps: Vec<String> = rendered
        .iter()
        .filter(|(address, _)| !before.contains_key(address))
        .map(|(address, _)| format!("start {address} (new node)"))
        .collect();
    steps.extend(restart::describe(&changes, active.as_deref()));
    steps.extend(
        before.keys().filter(|a| !rendered.iter().any(|(r, _)| r == *a)).map(|a| format!("stop {a} (removed)")),
    );
    steps
}

fn node_configs(spec: &corral_api_kylin::spec::ClusterSpec, rendered: &[(String, String)]) -> Vec<NodeConfig> {
    spec.nodes
        .iter()
        .zip(rendered)
        .map(|(n, (_, text))| NodeConfig { host: n.host.clone(), port: n.port, properties: text.clone() })
        .collect()
}

/// The state from the planned (or prior) attributes and what the service answers.
fn state_from_api(cluster: &ApiCluster, mut base: BTreeMap<String, Value>) -> Value {
    base.insert("id".into(), Value::string(&cluster.cluster_id));
    base.insert("status".into(), Value::string(&cluster.status));
    // What each node runs, not what was pushed: after an update that stopped half way (a
    // failed or killed restart), the next plan still sees the nodes left to restart.
    let rendered: Vec<(String, String)> =
        cluster.nodes.iter().map(|n| (n.address.clone(), n.running_properties.clone())).collect();
    base.insert("rendered_properties".into(), string_map(&rendered));
    base.insert("rolling_restart".into(), string_list(&[]));
    base.insert("load_balancer_targets".into(), string_list(&cluster.load_balancer_targets));
    base.insert(
        "load_balancer_dns".into(),
        cluster.load_balancer_dns.as_deref().map_or(Value::Null(Type::String), Value::string),
    );
    base.insert(
        "active_job_node".into(),
        cluster.active_job_nodes.first().map_or(Value::Null(Type::String), Value::string),
    );
    Value::Object(base)
}

/// Polls until `done` holds of the cluster (or the wait times out).
async fn wait_for(
    ctx: &Ctx,
    id: &str,
    what: &str,
    done: impl Fn(&ApiCluster) -> bool,
) -> Result<ApiCluster, Diagnostics> {
    let mut backoff = Backoff::start(WAIT_TIMEOUT, Duration::from_millis(50), Duration::from_secs(2));
    // From here Corral only waits for the service: the engine may give the slot to others.
    ctx.progress.waiting(&format!("cluster {id}: {what}"));
    loop {
        match api::describe(ctx, id).await {
            Ok(Some(cluster)) if done(&cluster) => return Ok(cluster),
            Ok(Some(_)) => {}
            Ok(None) => return Err(error(format!("Kylin cluster {id} disappeared while {what}"))),
            Err(e) => return Err(api_error(&format!("waiting for cluster {id} ({what})"), &e)),
        }
        if backoff.next().await.is_err() {
            return Err(error(format!("Kylin cluster {id}: gave up waiting for {what}")));
        }
    }
}

fn all_running(cluster: &ApiCluster) -> bool {
    cluster.nodes.iter().all(|n| n.status == NODE_RUNNING)
}

fn planned_spec(planned: &Value) -> Result<(corral_api_kylin::spec::ClusterSpec, Vec<(String, String)>), Diagnostics> {
    let spec = cluster_spec(planned).ok_or_else(|| error("the planned `kylin_cluster` still has unknown values"))?;
    let rendered = render::render_all(&spec).ok_or_else(|| error("the planned `kylin_cluster` does not render"))?;
    Ok((spec, rendered))
}

pub(crate) async fn apply(ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null());
    let planned = request.planned_state.as_ref().filter(|p| !p.is_null());
    let result = match (prior, planned) {
        (None, None) => return ApplyResponse::default(),
        (None, Some(planned)) => create(ctx, planned, &request.idempotency_token).await,
        (Some(prior), None) => delete(ctx, prior).await.map(|()| None),
        (Some(prior), Some(planned)) => update(ctx, prior, planned).await,
    };
    match result {
        Ok(state) => ApplyResponse { new_state: state, ..ApplyResponse::default() },
        Err((state, diagnostics)) => ApplyResponse { new_state: state, diagnostics, ..ApplyResponse::default() },
    }
}

type Applied = Result<Option<Value>, (Option<Value>, Diagnostics)>;

async fn create(ctx: &Ctx, planned: &Value, token: &str) -> Applied {
    let span = tracing::info_span!("kylin_cluster.create");
    let _guard = span.enter();
    let (spec, rendered) = planned_spec(planned).map_err(|d| (None, d))?;
    let base = attrs(planned);
    let request = CreateClusterRequest {
        cluster_name: str_of(&base, "name").unwrap_or_default(),
        kylin_version: spec.kylin_version.clone(),
        nodes: node_configs(&spec, &rendered),
        load_balancer_targets: lb_targets(planned, &spec),
        placement_id: str_of(&base, "placement_id"),
        client_token: Some(client_token(token)),
    };
    let created: ApiCluster = call(ctx, action::CREATE_CLUSTER, &request)
        .await
        .map_err(|e| (None, api_error("creating a Kylin cluster", &e)))?;
    let partial = state_from_api(&created, base.clone());
    let cluster = wait_for(ctx, &created.cluster_id, "its nodes to start", all_running)
        .await
        .map_err(|d| (Some(partial.clone()), d))?;
    Ok(Some(state_from_api(&cluster, base)))
}

fn lb_targets(planned: &Value, spec: &corral_api_kylin::spec::ClusterSpec) -> Vec<String> {
    if planned.get_attr("load_balancer").and_then(Value::as_seq).is_some_and(|s| !s.is_empty()) {
        if explicit_targets(planned) { spec.load_balancer_targets.clone() } else { default_targets(spec) }
    } else {
        Vec::new()
    }
}

async fn update(ctx: &Ctx, prior: &Value, planned: &Value) -> Applied {
    let span = tracing::info_span!("kylin_cluster.update");
    let _guard = span.enter();
    let prior_attrs = attrs(prior);
    let keep = || Some(prior.clone());
    let id = str_of(&prior_attrs, "id").ok_or_else(|| (keep(), error("the state of `kylin_cluster` has no `id`")))?;
    let (spec, rendered) = planned_spec(planned).map_err(|d| (keep(), d))?;
    let request = UpdateClusterRequest {
        cluster_id: id.clone(),
        nodes: node_configs(&spec, &rendered),
        load_balancer_targets: lb_targets(planned, &spec),
    };
    let pushed: ApiCluster = call(ctx, action::UPDATE_CLUSTER, &request)
        .await
        .map_err(|e| (keep(), api_error(&format!("pushing the configuration of cluster {id}"), &e)))?;
    let base = attrs(planned);
    let changes: Vec<NodeChange> = pushed
        .nodes
        .iter()
        .filter_map(|n| {
            let mode = corral_api_kylin::spec::Mode::parse(&n.mode)?;
            Some(NodeChange { address: n.address.clone(), mode, changed: n.properties != n.running_properties })
        })
        .collect();
    let order = restart::order(&changes, pushed.active_job_nodes.first().map(String::as_str));
    // New nodes start with their configuration; wait for them before restarting others.
    let mut last = wait_for(ctx, &id, "new nodes to start", all_running)
        .await
        .map_err(|d| (Some(state_from_api(&pushed, base.clone())), d))?;
    for address in order {
        tracing::info!(cluster = %id, node = %address, "rolling restart");
        let request = NodeRequest { cluster_id: id.clone(), node: address.clone() };
        let restarted: Result<ApiCluster, _> = call(ctx, action::RESTART_NODE, &request).await;
        if let Err(e) = restarted {
            return Err((Some(state_from_api(&last, base.clone())), api_error(&format!("restarting {address}"), &e)));
        }
        last = wait_for(ctx, &id, &format!("{address} to restart"), |c| {
            c.nodes.iter().any(|n| n.address == address && n.status == NODE_RUNNING)
        })
        .await
        .map_err(|d| (Some(state_from_api(&last, base.clone())), d))?;
    }
    if last.status != CLUSTER_RUNNING {
        last = wait_for(ctx, &id, "every node to run its configuration", |c| c.status == CLUSTER_RUNNING)
            .await
            .map_err(|d| (Some(state_from_api(&last, base.clone())), d))?;
    }
    Ok(Some(state_from_api(&last, base)))
}

async fn delete(ctx: &Ctx, prior: &Value) -> Result<(), (Option<Value>, Diagnostics)> {
    let span = tracing::info_span!("kylin_cluster.delete");
    let _guard = span.enter();
    let Some(id) = str_of(&attrs(prior), "id") else { return Ok(()) };
    match call::<ApiCluster>(ctx, action::DELETE_CLUSTER, &ClusterIdRequest { cluster_id: id.clone() }).await {
        Ok(_) => Ok(()),
        Err(e) if e.code().is_some_and(|c| c.contains("NotFound")) => Ok(()),
        Err(e) => Err((Some(prior.clone()), api_error(&format!("deleting cluster {id}"), &e))),
    }
}

pub(crate) async fn read(ctx: &Ctx, request: ReadRequest) -> ReadResponse {
    let id = match refresh::id_of(TYPE_NAME, &request) {
        Ok(id) => id,
        Err(no_id) => return no_id,
    };
    let found = api::describe(ctx, &id).await.map_err(|e| api_error(&format!("reading cluster {id}"), &e));
    refresh::answer(request, found, state_from_api)
}

pub(crate) async fn find_created(ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
    let token = client_token(&request.idempotency_token);
    let list = match call::<ClusterList>(ctx, action::LIST_CLUSTERS, &serde_json::json!({})).await {
        Ok(list) => list,
        Err(e) => {
            return FindCreatedResponse {
                diagnostics: api_error("looking for a created Kylin cluster", &e),
                ..FindCreatedResponse::default()
            };
        }
    };
    let found = list.clusters.into_iter().find(|c| c.client_token.as_deref() == Some(token.as_str()));
    let base = request.planned_state.as_ref().map(attrs).unwrap_or_default();
    FindCreatedResponse { state: found.map(|c| state_from_api(&c, base)), ..FindCreatedResponse::default() }
}
