//! Creating, changing, reading and deleting a cluster through MRS's REST API, waiting on the
//! cluster's state (`progress.waiting` tells the engine Corral only waits from then on).

use std::collections::BTreeMap;
use std::time::Duration;

use corral_api_mrs::cluster::{
    self as wire, ChargeInfo, ClusterDetail, ClusterInfo, ClusterList, CreateClusterRequest, CreateClusterResponse,
    ExpandRequest, NodeGroupRequest, RenameRequest, ShrinkRequest, UpgradeMasterSpecRequest,
};
use corral_api_mrs::errors;
use corral_api_mrs::operation::Operation;
use corral_api_mrs::state::ClusterState;
use corral_api_mrs::tag::{self, Tag, TagsAction};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ReadRequest, ReadResponse,
};
use corral_core::value::{Type, Value};
use corral_provider_sdk::refresh;
use corral_provider_sdk::waiter::Backoff;

use super::{POST_PAID, PRE_PAID, attrs, int_of, str_of, tags_of};
use crate::provider::{Ctx, api_error, error};
use crate::rest::RestError;

/// How long Corral waits for a cluster to start, scale or go before it gives up.
const WAIT_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);

type Applied = Result<Option<Value>, (Option<Value>, Diagnostics)>;

async fn call<A: serde::de::DeserializeOwned>(
    ctx: &Ctx,
    operation: Operation,
    id: &str,
    body: Option<&impl serde::Serialize>,
) -> Result<A, RestError> {
    let unreadable = |what: &str, e: serde_json::Error| RestError::Transport {
        endpoint: String::new(),
        message: format!("the {what} of {operation:?} does not fit the API: {e}"),
    };
    let body = body.map(serde_json::to_value).transpose().map_err(|e| unreadable("request", e))?;
    let path = operation.path(&[("pid", &ctx.project_id), ("id", id)]);
    let answer = ctx.rest.call(operation.method(), &path, "", body.as_ref()).await?;
    serde_json::from_value(answer).map_err(|e| unreadable("answer", e))
}

/// A mutating call that waits out "busy" answers (`12000018` one scale at a time,
/// `12000012` not running yet): the cluster finishes what it does, then takes this one.
async fn call_when_free(
    ctx: &Ctx,
    operation: Operation,
    id: &str,
    body: &impl serde::Serialize,
) -> Result<serde_json::Value, RestError> {
    let mut backoff = Backoff::start(WAIT_TIMEOUT, Duration::from_millis(100), Duration::from_secs(5));
    loop {
        match call::<serde_json::Value>(ctx, operation, id, Some(body)).await {
            Err(e) if e.code().is_some_and(errors::is_retryable) && !backoff.expired() => {
                tracing::info!(cluster = %id, %e, "MRS is busy with this cluster; retrying");
                backoff.sleep().await;
            }
            outcome => return outcome,
        }
    }
}

fn is_gone(e: &RestError) -> bool {
    e.code() == Some(errors::CLUSTER_NOT_FOUND)
}

async fn describe(ctx: &Ctx, id: &str) -> Result<Option<ClusterInfo>, RestError> {
    match call::<ClusterDetail>(ctx, Operation::GetCluster, id, None::<&()>).await {
        Ok(detail) if detail.cluster.cluster_state == ClusterState::Terminated.as_str() => Ok(None),
        Ok(detail) => Ok(Some(detail.cluster)),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Polls until the cluster is `running` (`None` = until it is gone).
async fn wait_for(ctx: &Ctx, id: &str, what: &str, running: bool) -> Result<Option<ClusterInfo>, Diagnostics> {
    let mut backoff = Backoff::start(WAIT_TIMEOUT, Duration::from_millis(50), Duration::from_secs(5));
    ctx.progress.waiting(&format!("cluster {id}: {what}"));
    loop {
        match describe(ctx, id).await {
            Ok(None) if !running => return Ok(None),
            Ok(None) => return Err(error(format!("MRS cluster {id} disappeared while {what}"))),
            Ok(Some(c)) if running && c.cluster_state == ClusterState::Running.as_str() => return Ok(Some(c)),
            Ok(Some(c)) if c.cluster_state == ClusterState::Failed.as_str() => {
                return Err(error(format!("MRS cluster {id} failed while {what} ({})", c.stage_desc)));
            }
            Ok(Some(_)) => {}
            Err(e) => return Err(api_error(&format!("waiting for cluster {id} ({what})"), &e)),
        }
        if backoff.next().await.is_err() {
            return Err(error(format!("MRS cluster {id}: gave up waiting for {what}")));
        }
    }
}

fn groups(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "streaming" => (wire::GROUP_CORE_STREAMING, wire::GROUP_TASK_STREAMING),
        // A mixed cluster's analysis groups are the ones Corral sizes.
        _ => (wire::GROUP_CORE_ANALYSIS, wire::GROUP_TASK_ANALYSIS),
    }
}

fn count(map: &BTreeMap<String, Value>, name: &str) -> u32 {
    int_of(map, name).and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

/// The state from the planned (or prior) attributes and what the service answers.
fn state_from_api(c: &ClusterInfo, mut base: BTreeMap<String, Value>) -> Value {
    let text = |s: &str| if s.is_empty() { Value::Null(Type::String) } else { Value::string(s) };
    let kind = c.cluster_type.to_ascii_lowercase();
    let (core_group, task_group) = groups(&kind);
    let group = |name: &str| c.node_groups.iter().find(|g| g.group_name == name);
    base.insert("id".into(), Value::string(&c.cluster_id));
    base.insert("name".into(), Value::string(&c.cluster_name));
    base.insert("version".into(), Value::string(&c.cluster_version));
    base.insert("type".into(), Value::string(kind.clone()));
    base.insert(
        "components".into(),
        Value::List(Type::String, c.component_list.iter().map(|x| Value::string(&x.component_name)).collect()),
    );
    base.insert("availability_zone".into(), text(&c.availability_zone));
    base.insert("vpc_name".into(), Value::string(&c.vpc));
    base.insert("subnet_id".into(), Value::string(&c.subnet_id));
    base.insert("security_group_id".into(), text(&c.security_groups_id));
    base.insert("safe_mode".into(), Value::Bool(c.safe_mode == wire::SAFE_MODE_KERBEROS));
    if let Some(g) = group(wire::GROUP_MASTER) {
        base.insert("master_flavor".into(), Value::string(&g.node_size));
        base.insert("master_count".into(), Value::int(i64::from(g.node_num)));
    }
    if let Some(g) = group(core_group) {
        base.insert("core_flavor".into(), Value::string(&g.node_size));
        base.insert("core_count".into(), Value::int(i64::from(g.node_num)));
    }
    let task = group(task_group);
    base.insert("task_count".into(), Value::int(task.map_or(0, |g| i64::from(g.node_num))));
    if let Some(g) = task {
        base.insert("task_flavor".into(), Value::string(&g.node_size));
    }
    let tags: BTreeMap<String, Value> = c
        .tags
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            let (k, v) = t.split_once('=').unwrap_or((t, ""));
            (k.to_string(), Value::string(v))
        })
        .collect();
    if !tags.is_empty() || base.get("tags").is_some_and(|t| !t.is_null()) {
        base.insert("tags".into(), Value::Map(Type::String, tags));
    }
    let mode = if c.charge_mode == wire::CHARGE_PREPAID { PRE_PAID } else { POST_PAID };
    base.insert("charging_mode".into(), Value::string(mode));
    base.insert("status".into(), Value::string(&c.cluster_state));
    base.insert("master_ip".into(), text(&c.master_node_ip));
    base.entry("order_id".into()).and_modify(|v| {
        if !v.is_known() {
            *v = Value::Null(Type::String);
        }
    });
    Value::Object(base)
}

pub(crate) async fn apply(ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null());
    let planned = request.planned_state.as_ref().filter(|p| !p.is_null());
    let result = match (prior, planned) {
        (None, None) => return ApplyResponse::default(),
        (None, Some(planned)) => create(ctx, planned, &request.config).await,
        (Some(prior), None) => delete(ctx, prior).await.map(|()| None),
        (Some(prior), Some(planned)) => update(ctx, prior, planned).await,
    };
    match result {
        Ok(state) => ApplyResponse { new_state: state, ..ApplyResponse::default() },
        Err((state, diagnostics)) => ApplyResponse { new_state: state, diagnostics, ..ApplyResponse::default() },
    }
}

fn create_request(ctx: &Ctx, planned: &BTreeMap<String, Value>, config: &Value) -> CreateClusterRequest {
    let secret = |name: &str| config.get_attr(name).map(Value::unmarked).and_then(Value::as_str).map(str::to_string);
    let kind = str_of(planned, "type").unwrap_or_else(|| "analysis".into());
    let (core_group, task_group) = groups(&kind);
    let group = |name: &str, size: Option<String>, num: u32| NodeGroupRequest {
        group_name: name.to_string(),
        node_num: num,
        node_size: size.unwrap_or_default(),
        root_volume: None,
        data_volume: None,
        data_volume_count: None,
        charge_info: None,
        auto_scaling_policy: None,
        assigned_roles: Vec::new(),
    };
    let mut node_groups = vec![
        group(wire::GROUP_MASTER, str_of(planned, "master_flavor"), count(planned, "master_count")),
        group(core_group, str_of(planned, "core_flavor"), count(planned, "core_count")),
    ];
    // A task group exists from the start (possibly empty) so that it can be scaled later.
    if let Some(flavor) = str_of(planned, "task_flavor") {
        node_groups.push(group(task_group, Some(flavor), count(planned, "task_count")));
    }
    let prepaid = str_of(planned, "charging_mode").as_deref() == Some(PRE_PAID);
    let keypair = str_of(planned, "node_keypair_name");
    let components: Vec<String> = planned
        .get("components")
        .and_then(Value::as_seq)
        .map(|s| s.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    CreateClusterRequest {
        cluster_version: str_of(planned, "version").unwrap_or_default(),
        cluster_name: str_of(planned, "name").unwrap_or_default(),
        cluster_type: kind.to_ascii_uppercase(),
        region: ctx.region.clone(),
        availability_zone: str_of(planned, "availability_zone").unwrap_or_else(|| format!("{}a", ctx.region)),
        vpc_name: str_of(planned, "vpc_name").unwrap_or_default(),
        subnet_id: str_of(planned, "subnet_id"),
        subnet_name: None,
        components: components.join(","),
        safe_mode: if planned.get("safe_mode").and_then(Value::as_bool) == Some(false) {
            wire::SAFE_MODE_SIMPLE
        } else {
            wire::SAFE_MODE_KERBEROS
        }
        .to_string(),
        manager_admin_password: secret("admin_password").unwrap_or_default(),
        login_mode: if keypair.is_some() { wire::LOGIN_KEYPAIR } else { wire::LOGIN_PASSWORD }.to_string(),
        node_root_password: secret("node_root_password"),
        node_keypair_name: keypair,
        security_groups_id: str_of(planned, "security_group_id"),
        enterprise_project_id: None,
        log_collection: None,
        tags: tags_of(planned),
        charge_info: Some(ChargeInfo {
            charge_mode: if prepaid { wire::CHARGE_PREPAID } else { wire::CHARGE_POSTPAID }.to_string(),
            period_type: prepaid.then(|| "month".to_string()),
            period_num: prepaid.then(|| count(planned, "period_months").max(1)),
            is_auto_pay: prepaid.then_some(true),
            is_auto_renew: None,
        }),
        node_groups,
    }
}

async fn create(ctx: &Ctx, planned: &Value, config: &Value) -> Applied {
    let span = tracing::info_span!("mrs_cluster.create");
    let _guard = span.enter();
    let base = attrs(planned);
    let request = create_request(ctx, &base, config);
    let created: CreateClusterResponse = call(ctx, Operation::CreateCluster, "", Some(&request))
        .await
        .map_err(|e| (None, api_error("creating an MRS cluster", &e)))?;
    let id = created.cluster_id.ok_or_else(|| (None, error("MRS created a cluster but answered no `cluster_id`")))?;
    let mut base = base;
    base.insert("order_id".into(), created.order_id.map_or(Value::Null(Type::String), Value::string));
    let partial = {
        let mut p = base.clone();
        p.insert("id".into(), Value::string(&id));
        p.insert("status".into(), Value::string(ClusterState::Starting.as_str()));
        for name in ["master_ip", "availability_zone", "security_group_id"] {
            if p.get(name).is_some_and(|v| !v.is_known()) {
                p.insert(name.into(), Value::Null(Type::String));
            }
        }
        Value::Object(p)
    };
    let cluster = wait_for(ctx, &id, "starting", true).await.map_err(|d| (Some(partial.clone()), d))?;
    Ok(cluster.map(|c| state_from_api(&c, base)))
}

async fn update(ctx: &Ctx, prior: &Value, planned: &Value) -> Applied {
    let span = tracing::info_span!("mrs_cluster.update");
    let _guard = span.enter();
    let (before, after) = (attrs(prior), attrs(planned));
    let keep = || Some(prior.clone());
    let id = str_of(&before, "id").ok_or_else(|| (keep(), error("the state of `mrs_cluster` has no `id`")))?;
    let fail = |doing: String, e: RestError| (keep(), api_error(&doing, &e));
    let changed = |name: &str| before.get(name) != after.get(name);
    if changed("name") {
        let body = RenameRequest { cluster_name: str_of(&after, "name").unwrap_or_default() };
        call_when_free(ctx, Operation::RenameCluster, &id, &body)
            .await
            .map_err(|e| fail(format!("renaming cluster {id}"), e))?;
    }
    if changed("master_flavor") {
        let node_size = str_of(&after, "master_flavor").unwrap_or_default();
        tracing::info!(cluster = %id, %node_size, "upgrading the masters one at a time");
        call_when_free(ctx, Operation::UpgradeMasterSpec, &id, &UpgradeMasterSpecRequest { node_size })
            .await
            .map_err(|e| fail(format!("upgrading the masters of cluster {id}"), e))?;
        wait_for(ctx, &id, "upgrading its masters", true).await.map_err(|d| (keep(), d))?;
    }
    let (core_group, task_group) = groups(&str_of(&after, "type").unwrap_or_default());
    for (name, group) in [("core_count", core_group), ("task_count", task_group)] {
        let (from, to) = (count(&before, name), count(&after, name));
        let outcome = if to > from {
            let body = ExpandRequest {
                node_group_name: group.to_string(),
                count: to - from,
                skip_bootstrap_scripts: None,
                scale_without_start: None,
            };
            call_when_free(ctx, Operation::ExpandCluster, &id, &body).await
        } else if to < from {
            let body =
                ShrinkRequest { node_group_name: group.to_string(), count: Some(from - to), resource_ids: vec![] };
            call_when_free(ctx, Operation::ShrinkCluster, &id, &body).await
        } else {
            continue;
        };
        outcome.map_err(|e| fail(format!("scaling {group} of cluster {id} from {from} to {to} nodes"), e))?;
        wait_for(ctx, &id, &format!("scaling {group} to {to} nodes"), true).await.map_err(|d| (keep(), d))?;
    }
    let (old_tags, new_tags) = (tags_of(&before), tags_of(&after));
    let removed: Vec<Tag> = old_tags.iter().filter(|t| !new_tags.iter().any(|n| n.key == t.key)).cloned().collect();
    let added: Vec<Tag> = new_tags.iter().filter(|t| !old_tags.contains(t)).cloned().collect();
    for (action, tags) in [(tag::ACTION_DELETE, removed), (tag::ACTION_CREATE, added)] {
        if tags.is_empty() {
            continue;
        }
        let body = TagsAction { action: action.to_string(), tags };
        call_when_free(ctx, Operation::BatchTags, &id, &body)
            .await
            .map_err(|e| fail(format!("changing the tags of cluster {id}"), e))?;
    }
    let cluster = describe(ctx, &id)
        .await
        .map_err(|e| fail(format!("reading cluster {id}"), e))?
        .ok_or_else(|| (None, error(format!("MRS cluster {id} disappeared during the update"))))?;
    Ok(Some(state_from_api(&cluster, after)))
}

async fn delete(ctx: &Ctx, prior: &Value) -> Result<(), (Option<Value>, Diagnostics)> {
    let span = tracing::info_span!("mrs_cluster.delete");
    let _guard = span.enter();
    let prior_attrs = attrs(prior);
    let Some(id) = str_of(&prior_attrs, "id") else { return Ok(()) };
    if str_of(&prior_attrs, "charging_mode").as_deref() == Some(PRE_PAID) {
        let diagnostic = Diagnostic::error(format!("cluster {id} is prepaid: MRS does not delete it"))
            .with_detail(
                "a yearly/monthly cluster is released by unsubscribing it (Billing Center > Orders > \
                 Unsubscriptions); the API refuses to terminate it (12000024), so Corral does not try",
            )
            .with_help("unsubscribe it in the billing console, then `corral state rm` it");
        return Err((Some(prior.clone()), Diagnostics::from(diagnostic)));
    }
    let mut backoff = Backoff::start(WAIT_TIMEOUT, Duration::from_millis(100), Duration::from_secs(5));
    loop {
        match call::<serde_json::Value>(ctx, Operation::DeleteCluster, &id, None::<&()>).await {
            Ok(_) => break,
            Err(e) if is_gone(&e) => return Ok(()),
            // Still scaling or starting: it can be terminated once it is quiet.
            Err(e)
                if e.code().is_some_and(|c| c == errors::CANNOT_TERMINATE || errors::is_retryable(c))
                    && !backoff.expired() =>
            {
                backoff.sleep().await;
            }
            Err(e) => return Err((Some(prior.clone()), api_error(&format!("deleting cluster {id}"), &e))),
        }
    }
    wait_for(ctx, &id, "terminating", false).await.map_err(|d| (Some(prior.clone()), d))?;
    Ok(())
}

pub(crate) async fn read(ctx: &Ctx, request: ReadRequest) -> ReadResponse {
    let id = match refresh::id_of(super::TYPE_NAME, &request) {
        Ok(id) => id,
        Err(no_id) => return no_id,
    };
    let found = describe(ctx, &id).await.map_err(|e| api_error(&format!("reading cluster {id}"), &e));
    refresh::answer(request, found, state_from_api)
}

/// After an interrupted create: the live cluster with the planned name (names are unique
/// among a project's live clusters). One still starting is waited for, as the interrupted
/// create would have: what depends on it is applied next, against a running cluster.
pub(crate) async fn find_created(ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
    let base = request.planned_state.as_ref().map(attrs).unwrap_or_default();
    let Some(name) = str_of(&base, "name") else { return FindCreatedResponse::default() };
    let list = match call::<ClusterList>(ctx, Operation::ListClusters, "", None::<&()>).await {
        Ok(list) => list,
        Err(e) => {
            return FindCreatedResponse {
                diagnostics: api_error("looking for a created MRS cluster", &e),
                ..FindCreatedResponse::default()
            };
        }
    };
    let Some(found) = list.clusters.into_iter().find(|c| c.cluster_name == name) else {
        return FindCreatedResponse::default();
    };
    if found.cluster_state == ClusterState::Starting.as_str() {
        return match wait_for(ctx, &found.cluster_id, "starting", true).await {
            Ok(running) => FindCreatedResponse {
                state: running.map(|c| state_from_api(&c, base)),
                ..FindCreatedResponse::default()
            },
            // Adopted all the same: the object exists and is Corral's; the error says why
            // it is not running.
            Err(diagnostics) => FindCreatedResponse {
                state: Some(state_from_api(&found, base)),
                diagnostics,
                ..FindCreatedResponse::default()
            },
        };
    }
    FindCreatedResponse { state: Some(state_from_api(&found, base)), ..FindCreatedResponse::default() }
}
