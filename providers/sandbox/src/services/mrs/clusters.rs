//! Cluster operations: create (v2), detail and list (v1.1), hosts, resize (v1.1 PUT and v2
//! expand/shrink: one scale at a time, core floor 3, 500 core+task nodes), master spec upgrade
//! (one master at a time; the cluster keeps answering), rename, delete (prepaid clusters are
//! unsubscribed through billing, not deleted), tags and auto-scaling policies.

use corral_api_mrs::cluster::*;
use corral_api_mrs::errors;
use corral_api_mrs::scaling::{AutoScalingPolicy, ScalingPolicyRequest};
use corral_api_mrs::state::{ClusterState, durations};
use corral_api_mrs::tag::{self, Tag, TagBody, TagList, TagsAction};
use corral_provider_sdk::emulator::{ApiError, RequestContext, new_id};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::lifecycle::upgrade_stage;
use super::model::{CLUSTERS, ClusterRecord, Pending, get, list, put};
use super::{Answer, answer, parse, refuse};

fn not_found(id: &str) -> ApiError {
    refuse(404, errors::CLUSTER_NOT_FOUND, format!("cluster `{id}` does not exist"))
}

/// The account's cluster in `project`; a terminated one is gone.
pub(super) fn load(ctx: &RequestContext<'_>, project: &str, id: &str) -> Result<ClusterRecord, ApiError> {
    match get::<ClusterRecord>(ctx.tables, CLUSTERS, &ctx.account, id)? {
        Some(c) if c.project_id == project && c.state != ClusterState::Terminated => Ok(c),
        _ => Err(not_found(id)),
    }
}

pub(super) fn create(ctx: &mut RequestContext<'_>, project: &str, body: &Value) -> Answer {
    let request: CreateClusterRequest = parse(body)?;
    check_cluster_name(&request.cluster_name).map_err(|e| refuse(400, errors::INVALID_CLUSTER_NAME, e))?;
    let existing = list::<ClusterRecord>(ctx.tables, CLUSTERS, &ctx.account)?;
    if existing.iter().any(|c| c.state != ClusterState::Terminated && c.cluster_name == request.cluster_name) {
        return Err(invalid(format!("a cluster named `{}` exists", request.cluster_name)));
    }
    if !CLUSTER_TYPES.contains(&request.cluster_type.as_str()) {
        return Err(invalid(format!(
            "cluster_type `{}` is not one of {}",
            request.cluster_type,
            CLUSTER_TYPES.join(", ")
        )));
    }
    if ![SAFE_MODE_SIMPLE, SAFE_MODE_KERBEROS].contains(&request.safe_mode.as_str()) {
        return Err(invalid(format!("safe_mode `{}` is not SIMPLE or KERBEROS", request.safe_mode)));
    }
    if request.tags.len() > MAX_TAGS {
        return Err(invalid(format!("{} tags; a cluster has at most {MAX_TAGS}", request.tags.len())));
    }
    for t in &request.tags {
        tag::check_tag(t).map_err(invalid)?;
    }
    let masters = request.node_groups.iter().find(|g| g.group_name == GROUP_MASTER);
    if masters.is_none_or(|m| m.node_num == 0) {
        return Err(invalid(format!("`{GROUP_MASTER}` with at least one node is required")));
    }
    let core_and_task: u32 =
        request.node_groups.iter().filter(|g| g.group_name != GROUP_MASTER).map(|g| g.node_num).sum();
    if core_and_task > MAX_CORE_AND_TASK_NODES {
        return Err(refuse(
            400,
            errors::MAX_NODES,
            format!("{core_and_task} core and task nodes; at most {MAX_CORE_AND_TASK_NODES}"),
        ));
    }
    let charge_mode = request.charge_info.as_ref().map_or(CHARGE_POSTPAID.to_string(), |c| c.charge_mode.clone());
    let id = new_id("mrs");
    let record = ClusterRecord {
        account: ctx.account.clone(),
        project_id: project.to_string(),
        cluster_id: id.clone(),
        cluster_name: request.cluster_name,
        cluster_version: request.cluster_version,
        cluster_type: request.cluster_type,
        region: request.region,
        availability_zone: request.availability_zone,
        vpc_name: request.vpc_name,
        subnet_id: request.subnet_id.or(request.subnet_name).unwrap_or_default(),
        security_groups_id: request.security_groups_id.unwrap_or_default(),
        safe_mode: request.safe_mode,
        charge_mode: charge_mode.clone(),
        components: request.components.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect(),
        node_groups: request
            .node_groups
            .iter()
            .map(|g| NodeGroupInfo {
                group_name: g.group_name.clone(),
                node_num: g.node_num,
                node_size: g.node_size.clone(),
                root_volume_type: g.root_volume.as_ref().map(|v| v.kind.clone()).unwrap_or_default(),
                root_volume_size: g.root_volume.as_ref().map_or(0, |v| v.size),
                data_volume_type: g.data_volume.as_ref().map(|v| v.kind.clone()).unwrap_or_default(),
                data_volume_size: g.data_volume.as_ref().map_or(0, |v| v.size),
                data_volume_count: g.data_volume_count.unwrap_or(0),
            })
            .collect(),
        tags: request.tags,
        state: ClusterState::Starting,
        stage_desc: "Installing".into(),
        admin_password_hash: hex::encode(Sha256::digest(format!("{id}/{}", request.manager_admin_password))),
        created_at: ctx.now,
        updated_at: None,
        pending: Some(Pending::Create { since: ctx.now }),
        scaling_policies: request
            .node_groups
            .iter()
            .filter_map(|g| Some((g.group_name.clone(), g.auto_scaling_policy.clone()?)))
            .collect(),
    };
    put(ctx.tables, CLUSTERS, &id, &record)?;
    let response = if charge_mode == CHARGE_PREPAID {
        CreateClusterResponse { cluster_id: Some(id.clone()), order_id: Some(new_id("order")) }
    } else {
        CreateClusterResponse { cluster_id: Some(id), order_id: None }
    };
    answer(200, &response)
}

fn invalid(message: impl Into<String>) -> ApiError {
    refuse(400, errors::INVALID_PARAMETER, message)
}

pub(super) fn detail(ctx: &RequestContext<'_>, project: &str, id: &str) -> Answer {
    answer(200, &ClusterDetail { cluster: load(ctx, project, id)?.info() })
}

pub(super) fn list_clusters(ctx: &RequestContext<'_>, project: &str, query: &str) -> Answer {
    let filter = super::query_param(query, "clusterState").unwrap_or("existing");
    let clusters: Vec<ClusterInfo> = list::<ClusterRecord>(ctx.tables, CLUSTERS, &ctx.account)?
        .into_iter()
        .filter(|c| c.project_id == project)
        .filter(|c| match filter {
            "existing" => c.state != ClusterState::Terminated,
            "history" => c.state == ClusterState::Terminated,
            state => c.state.as_str() == state,
        })
        .map(|c| c.info())
        .collect();
    answer(200, &ClusterList { cluster_total: clusters.len() as u32, clusters })
}

pub(super) fn hosts(ctx: &RequestContext<'_>, project: &str, id: &str) -> Answer {
    let hosts = load(ctx, project, id)?.hosts();
    answer(200, &HostList { total: hosts.len() as u32, hosts })
}

/// Refuses a second operation while one runs, and any scale of a cluster not running.
fn ready_to_scale(cluster: &ClusterRecord) -> Result<(), ApiError> {
    if cluster.pending.is_some() && cluster.state != ClusterState::Starting {
        return Err(refuse(
            409,
            errors::SCALING_IN_PROGRESS,
            format!(
                "cluster `{}` is {} ({}): one operation at a time; retry when it is running",
                cluster.cluster_id,
                cluster.state.as_str(),
                cluster.stage_desc
            ),
        ));
    }
    if !cluster.state.can_scale() {
        return Err(refuse(
            409,
            errors::CLUSTER_NOT_RUNNING,
            format!(
                "cluster `{}` is {}; only a running cluster can be resized",
                cluster.cluster_id,
                cluster.state.as_str()
            ),
        ));
    }
    Ok(())
}

fn scale(ctx: &mut RequestContext<'_>, mut cluster: ClusterRecord, group: &str, to: u32) -> Result<(), ApiError> {
    ready_to_scale(&cluster)?;
    let from = cluster
        .group(group)
        .map(|g| g.node_num)
        .ok_or_else(|| invalid(format!("cluster has no node group `{group}`")))?;
    if group == GROUP_MASTER {
        return Err(invalid("the number of masters never changes through resize"));
    }
    let others = cluster.core_and_task() - from;
    check_resize(ClusterRecord::is_core(group), from, to, others).map_err(|e| {
        let code = if to > from { errors::MAX_NODES } else { errors::SCALE_IN_FAILED };
        refuse(400, code, e)
    })?;
    if to == from {
        return Ok(());
    }
    cluster.state = if to > from { ClusterState::ScalingOut } else { ClusterState::ScalingIn };
    cluster.stage_desc = format!("Scaling {group} from {from} to {to} nodes");
    cluster.pending = Some(Pending::Scale { since: ctx.now, group: group.to_string(), to });
    put(ctx.tables, CLUSTERS, &cluster.cluster_id.clone(), &cluster)
}

pub(super) fn resize(ctx: &mut RequestContext<'_>, project: &str, id: &str, body: &Value) -> Answer {
    let ResizeRequest { parameters } = parse(body)?;
    let cluster = load(ctx, project, id)?;
    let group = parameters.node_group.clone().unwrap_or_else(|| default_core(&cluster));
    let count: u32 = parameters
        .instances
        .parse()
        .map_err(|_| invalid(format!("instances `{}` is not a count", parameters.instances)))?;
    let from = cluster.group(&group).map_or(0, |g| g.node_num);
    let to = match parameters.scale_type.as_str() {
        SCALE_OUT => from.saturating_add(count),
        SCALE_IN => from
            .checked_sub(count)
            .ok_or_else(|| refuse(400, errors::SCALE_IN_FAILED, format!("{group} has only {from} nodes")))?,
        other => return Err(invalid(format!("scale_type `{other}` is not scale_out or scale_in"))),
    };
    scale(ctx, cluster, &group, to)?;
    answer(200, &ResultAnswer { result: RESULT_SUCCEEDED.into() })
}

fn default_core(cluster: &ClusterRecord) -> String {
    cluster
        .node_groups
        .iter()
        .find(|g| ClusterRecord::is_core(&g.group_name))
        .map(|g| g.group_name.clone())
        .unwrap_or_default()
}

pub(super) fn expand(ctx: &mut RequestContext<'_>, project: &str, id: &str, body: &Value) -> Answer {
    let request: ExpandRequest = parse(body)?;
    let cluster = load(ctx, project, id)?;
    let from = cluster.group(&request.node_group_name).map_or(0, |g| g.node_num);
    scale(ctx, cluster, &request.node_group_name, from.saturating_add(request.count))?;
    answer(200, &ResultAnswer { result: RESULT_SUCCEEDED.into() })
}

pub(super) fn shrink(ctx: &mut RequestContext<'_>, project: &str, id: &str, body: &Value) -> Answer {
    let request: ShrinkRequest = parse(body)?;
    let cluster = load(ctx, project, id)?;
    let count = request.count.unwrap_or(request.resource_ids.len() as u32);
    let from = cluster.group(&request.node_group_name).map_or(0, |g| g.node_num);
    let to = from.checked_sub(count).ok_or_else(|| {
        refuse(400, errors::SCALE_IN_FAILED, format!("{} has only {from} nodes", request.node_group_name))
    })?;
    scale(ctx, cluster, &request.node_group_name, to)?;
    answer(200, &ResultAnswer { result: RESULT_SUCCEEDED.into() })
}

pub(super) fn upgrade_master(ctx: &mut RequestContext<'_>, project: &str, id: &str, body: &Value) -> Answer {
    let request: UpgradeMasterSpecRequest = parse(body)?;
    let mut cluster = load(ctx, project, id)?;
    ready_to_scale(&cluster)?;
    let masters = cluster.masters();
    if masters < MIN_MASTERS_FOR_UPGRADE {
        return Err(invalid(format!(
            "cluster `{id}` has {masters} master; upgrading the master spec needs at least {MIN_MASTERS_FOR_UPGRADE} (master HA keeps the cluster up)"
        )));
    }
    if cluster.group(GROUP_MASTER).is_some_and(|g| g.node_size == request.node_size) {
        return Err(invalid(format!("the masters already are `{}`", request.node_size)));
    }
    cluster.state = ClusterState::ScalingOut;
    cluster.stage_desc = upgrade_stage(0, masters);
    cluster.pending = Some(Pending::MasterUpgrade { since: ctx.now, node_size: request.node_size, done: 0 });
    put(ctx.tables, CLUSTERS, id, &cluster)?;
    answer(
        200,
        &json!({"result": RESULT_SUCCEEDED, "duration_seconds": durations::MASTER_UPGRADE_PER_MASTER_SECS * i64::from(masters)}),
    )
}

pub(super) fn rename(ctx: &mut RequestContext<'_>, project: &str, id: &str, body: &Value) -> Answer {
    let request: RenameRequest = parse(body)?;
    check_cluster_name(&request.cluster_name).map_err(|e| refuse(400, errors::INVALID_CLUSTER_NAME, e))?;
    let mut cluster = load(ctx, project, id)?;
    cluster.cluster_name = request.cluster_name;
    put(ctx.tables, CLUSTERS, id, &cluster)?;
    answer(200, &ResultAnswer { result: RESULT_SUCCEEDED.into() })
}

pub(super) fn delete(ctx: &mut RequestContext<'_>, project: &str, id: &str) -> Answer {
    let mut cluster = load(ctx, project, id)?;
    if cluster.charge_mode == CHARGE_PREPAID {
        return Err(refuse(
            400,
            errors::PREPAID_CANNOT_TERMINATE,
            "Yearly/Monthly clusters cannot be terminated: unsubscribe them through billing",
        ));
    }
    if !cluster.state.can_delete() || cluster.pending.is_some() {
        return Err(refuse(
            409,
            errors::CANNOT_TERMINATE,
            format!("cluster `{id}` cannot be terminated while {}", cluster.state.as_str()),
        ));
    }
    cluster.state = ClusterState::Terminating;
    cluster.pending = Some(Pending::Terminate { since: ctx.now });
    put(ctx.tables, CLUSTERS, id, &cluster)?;
    Ok((204, Value::Null))
}

pub(super) fn tags(
    ctx: &mut RequestContext<'_>,
    project: &str,
    id: &str,
    key: Option<&str>,
    method: &str,
    body: &Value,
) -> Answer {
    let mut cluster = load(ctx, project, id)?;
    let changed: Vec<Tag> = match (method, key) {
        ("GET", _) => return answer(200, &TagList { tags: cluster.tags.clone() }),
        ("DELETE", Some(key)) => {
            cluster.tags.retain(|t| t.key != key);
            Vec::new()
        }
        ("POST", None) if body.get("action").is_some() => {
            let TagsAction { action, tags } = parse(body)?;
            match action.as_str() {
                tag::ACTION_CREATE => tags,
                tag::ACTION_DELETE => {
                    cluster.tags.retain(|t| !tags.iter().any(|d| d.key == t.key));
                    Vec::new()
                }
                other => return Err(invalid(format!("action `{other}` is not create or delete"))),
            }
        }
        _ => vec![parse::<TagBody>(body)?.tag],
    };
    for t in changed {
        tag::check_tag(&t).map_err(invalid)?;
        cluster.tags.retain(|old| old.key != t.key);
        cluster.tags.push(t);
    }
    if cluster.tags.len() > MAX_TAGS {
        return Err(invalid(format!("a cluster has at most {MAX_TAGS} tags")));
    }
    put(ctx.tables, CLUSTERS, id, &cluster)?;
    Ok((204, Value::Null))
}

pub(super) fn scaling_policy(
    ctx: &mut RequestContext<'_>,
    project: &str,
    id: &str,
    method: &str,
    query: &str,
    body: &Value,
) -> Answer {
    let mut cluster = load(ctx, project, id)?;
    match method {
        "GET" => answer(200, &json!({"auto_scaling_policies": cluster.scaling_policies})),
        "DELETE" => {
            let group = super::query_param(query, "node_group_name").unwrap_or_default().to_string();
            if cluster.scaling_policies.remove(&group).is_none() {
                return Err(refuse(
                    404,
                    errors::SCALING_POLICY_NOT_FOUND,
                    format!("node group `{group}` has no scaling policy"),
                ));
            }
            put(ctx.tables, CLUSTERS, id, &cluster)?;
            Ok((204, Value::Null))
        }
        _ => {
            let request: ScalingPolicyRequest = parse(body)?;
            if cluster.group(&request.node_group).is_none() {
                return Err(invalid(format!("cluster `{id}` has no node group `{}`", request.node_group)));
            }
            if ClusterRecord::is_core(&request.node_group) || request.node_group == GROUP_MASTER {
                return Err(invalid("auto-scaling policies are for task node groups only"));
            }
            request.auto_scaling_policy.check().map_err(invalid)?;
            let AutoScalingPolicy { auto_scaling_enable, .. } = request.auto_scaling_policy;
            if auto_scaling_enable || method != "POST" || !request.auto_scaling_policy.rules.is_empty() {
                cluster.scaling_policies.insert(request.node_group, request.auto_scaling_policy);
            } else {
                // v1 "delete": a POST that disables the policy.
                cluster.scaling_policies.remove(&request.node_group);
            }
            put(ctx.tables, CLUSTERS, id, &cluster)?;
            answer(200, &ResultAnswer { result: RESULT_SUCCEEDED.into() })
        }
    }
}
