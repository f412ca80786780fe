//! Cluster actions: `LaunchCluster`, `DescribeCluster`, `ListClusters`,
//! `ScaleOutInstanceGroups`, `ScaleInInstanceGroups`, `TerminateCluster`,
//! `ConvertTrialCluster`, `ModifyClusterName`, `ListClusterVersions`.

use chrono::{DateTime, Utc};
use corral_api_kmr::action;
use corral_api_kmr::cluster::{
    ClusterIdAnswer, ClusterIdRequest, ClusterStatusAnswer, ClusterVersion, ConvertTrialClusterAnswer,
    ConvertTrialClusterRequest, GroupRequirement, LaunchClusterRequest, ListClusterVersionsAnswer, ListClustersAnswer,
    ListClustersRequest, ModifyClusterNameRequest, ScaleRequest,
};
use corral_api_kmr::errors;
use corral_api_kmr::limits;
use corral_provider_sdk::emulator::{ApiError, Quotas, RequestContext, Tables};

use super::model::*;
use super::quota;
use super::request::{answer, check_name, decode, into_spec, invalid, missing, required};
use super::{catalog, lifecycle, network, password, store};

/// What a new cluster is, apart from its spec.
pub(super) struct NewCluster<'a> {
    pub account: &'a str,
    pub name: String,
    pub cluster_type: &'a str,
    pub charge_type: &'a str,
    pub spec: ClusterSpec,
    pub at: DateTime<Utc>,
    pub client_token: Option<String>,
    pub execution_plan_id: Option<String>,
    pub template_id: Option<String>,
    /// Checked against the policy already; `None` for a generated one.
    pub admin_password: Option<String>,
    /// A subscription's term (months or years), checked already.
    pub purchase_time: Option<u32>,
}

/// Makes a cluster record after checking quotas and the network; stores nothing.
pub(super) fn new_cluster(
    tables: &mut dyn Tables,
    quotas: &Quotas,
    existing: &[Cluster],
    new: NewCluster<'_>,
) -> Result<Cluster, ApiError> {
    let trial = new.charge_type == CHARGE_TRIAL;
    let usage = quota::usage(existing, new.account);
    quota::check(quotas, new.account, &usage, trial, 1, u64::from(new.spec.node_count()))?;
    let cluster_id = uuid::Uuid::new_v4().to_string();
    let net = network::attach(tables, new.account, &new.spec.vpc_domain_id, &new.spec.subnet_id, &cluster_id, new.at)?;
    let mut seq = 1;
    let mut groups = Vec::new();
    for (index, group) in new.spec.instance_groups.iter().enumerate() {
        let ids: Vec<String> = (0..group.instance_count)
            .map(|_| {
                seq += 1;
                lifecycle::instance_id(&cluster_id, seq - 1)
            })
            .collect();
        groups.push(InstanceGroup {
            instance_group_id: format!("{}-ig-{}", &cluster_id[..8.min(cluster_id.len())], index + 1),
            instance_group_type: group.instance_group_type.clone(),
            instance_type: group.instance_type.clone(),
            instance_count: group.instance_count,
            instance_ids: ids,
            vpc_subnet_id: new.spec.subnet_id.clone(),
        });
    }
    let jobs = new
        .spec
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| Job {
            job_id: format!("job-{}-{}", &cluster_id[..8.min(cluster_id.len())], i + 1),
            job_name: j.job_name.clone(),
            job_type: j.job_type.clone(),
            job_args: j.job_args.clone(),
            job_status: JOB_PENDING.to_string(),
            start_time: None,
            end_time: None,
            log_path: None,
        })
        .collect();
    Ok(Cluster {
        account: new.account.to_string(),
        admin_password_hash: Some(password::hash(&new.admin_password.unwrap_or_else(password::generated))),
        next_instance_seq: seq,
        api: corral_api_kmr::cluster::Cluster {
            cluster_name: new.name,
            cluster_type: new.cluster_type.to_string(),
            charge_type: new.charge_type.to_string(),
            cluster_status: STATUS_CREATING.to_string(),
            main_version: new.spec.main_version.clone(),
            services: new.spec.services.clone(),
            vpc_domain_id: new.spec.vpc_domain_id.clone(),
            subnet_id: new.spec.subnet_id.clone(),
            security_group_id: net.security_group_id,
            enable_eip: new.spec.enable_eip,
            master_eip: new.spec.enable_eip.then(|| network::eip(&cluster_id)),
            master_private_ip: net.master_private_ip,
            log_uri: new.spec.log_uri.clone(),
            instance_groups: groups,
            jobs,
            client_token: new.client_token,
            create_time: new.at,
            ready_time: None,
            release_time: None,
            expire_time: if trial {
                Some(new.at + catalog::trial_period())
            } else {
                limits::term_end(new.charge_type, new.purchase_time.unwrap_or(1), new.at)
            },
            expires_in_minutes: None,
            purchase_time: new.purchase_time.filter(|_| is_prepaid(new.charge_type)),
            converted_time: None,
            pending_operation: None,
            state_change_reason: None,
            execution_plan_id: new.execution_plan_id,
            template_id: new.template_id,
            serving_minutes: 0,
            cluster_id,
        },
    })
}

pub(super) fn launch(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: LaunchClusterRequest = decode(body)?;
    let account = ctx.account.clone();
    if let Some(token) = request.client_token.as_deref().filter(|t| !t.is_empty())
        && let Some(id) = store::created_by_token(ctx.tables, &account, action::LAUNCH_CLUSTER, token)
    {
        // A retried launch: the first one's cluster, not a second cluster.
        return Ok(answer(&ClusterStatusAnswer { cluster_id: id, cluster_status: None }));
    }
    let name = required(&request.cluster_name, "ClusterName")?;
    check_name(&name, "ClusterName")?;
    let cluster_type = match request.cluster_type.as_deref().unwrap_or(TYPE_PERSISTENT).to_ascii_lowercase().as_str() {
        TYPE_PERSISTENT => TYPE_PERSISTENT,
        TYPE_TRANSIENT => TYPE_TRANSIENT,
        other => return Err(invalid("ClusterType", format!("`{other}` is not persistent or transient"))),
    };
    let charge_type = charge_type(request.charge_type.as_deref().unwrap_or(CHARGE_ON_DEMAND), true)?;
    if cluster_type == TYPE_TRANSIENT && charge_type != CHARGE_ON_DEMAND {
        return Err(invalid(
            "ChargeType",
            format!("a transient cluster is billed on demand ({CHARGE_ON_DEMAND}) only, not {charge_type}"),
        ));
    }
    if let Some(why) = request.admin_password.as_deref().and_then(password::problem) {
        return Err(ApiError::bad_request(password::ERROR_CODE, why));
    }
    let spec = into_spec(request.spec, cluster_type == TYPE_TRANSIENT)?;
    let purchase_time = term(charge_type, request.purchase_time)?;
    let existing: Vec<Cluster> = store::list(ctx.tables, CLUSTERS)?;
    let now = ctx.now;
    let quotas = ctx.quotas.clone();
    let cluster = new_cluster(
        ctx.tables,
        &quotas,
        &existing,
        NewCluster {
            account: &account,
            name,
            cluster_type,
            charge_type,
            spec,
            at: now,
            client_token: request.client_token.clone().filter(|t| !t.is_empty()),
            execution_plan_id: None,
            template_id: None,
            admin_password: request.admin_password,
            purchase_time,
        },
    )?;
    store::put(ctx.tables, CLUSTERS, &cluster.cluster_id, &cluster)?;
    if let Some(token) = &cluster.client_token {
        store::remember_token(ctx.tables, &account, action::LAUNCH_CLUSTER, token, &cluster.cluster_id);
    }
    Ok(status_answer(&cluster))
}

/// The answer of an action that changes a cluster's status.
fn status_answer(cluster: &Cluster) -> serde_json::Value {
    answer(&ClusterStatusAnswer {
        cluster_id: cluster.cluster_id.clone(),
        cluster_status: Some(cluster.cluster_status.clone()),
    })
}

/// A charge type by its API name; `trial_allowed` is false for conversions.
fn charge_type(name: &str, trial_allowed: bool) -> Result<&'static str, ApiError> {
    match name {
        CHARGE_ON_DEMAND => Ok(CHARGE_ON_DEMAND),
        CHARGE_MONTHLY => Ok(CHARGE_MONTHLY),
        CHARGE_YEARLY => Ok(CHARGE_YEARLY),
        CHARGE_TRIAL if trial_allowed => Ok(CHARGE_TRIAL),
        other => {
            let allowed = if trial_allowed {
                "HourlyInstantSettlement, Monthly, Yearly or Trial"
            } else {
                "HourlyInstantSettlement, Monthly or Yearly"
            };
            Err(invalid("ChargeType", format!("`{other}` is not {allowed}")))
        }
    }
}

/// The account's cluster by id; another account's cluster does not exist for this one.
pub(super) fn find(ctx: &RequestContext<'_>, id: &str) -> Result<Cluster, ApiError> {
    match store::get::<Cluster>(ctx.tables, CLUSTERS, id)? {
        Some(c) if c.account == ctx.account => Ok(c),
        _ => Err(ApiError::not_found(errors::CLUSTER_NOT_FOUND, format!("cluster `{id}` does not exist"))),
    }
}

pub(super) fn describe(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: ClusterIdRequest = decode(body)?;
    let id = required(&request.cluster_id, "ClusterId")?;
    let cluster = find(ctx, &id)?;
    Ok(answer(&cluster.view(ctx.now)))
}

pub(super) fn list(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: ListClustersRequest = decode(body)?;
    let (limit, offset) = parse_marker(request.marker.as_deref())?;
    let mut clusters: Vec<Cluster> = store::list::<Cluster>(ctx.tables, CLUSTERS)?
        .into_iter()
        .filter(|c| c.account == ctx.account)
        .filter(|c| request.cluster_status.as_ref().is_none_or(|s| &c.cluster_status == s))
        .filter(|c| request.client_token.as_ref().is_none_or(|t| c.client_token.as_ref() == Some(t)))
        .filter(|c| request.execution_plan_id.as_ref().is_none_or(|p| c.execution_plan_id.as_ref() == Some(p)))
        .collect();
    clusters.sort_by(|a, b| (a.create_time, &a.cluster_id).cmp(&(b.create_time, &b.cluster_id)));
    let total = clusters.len();
    let page = clusters.iter().skip(offset).take(limit).map(|c| c.view(ctx.now)).collect();
    let marker = (offset + limit < total).then(|| format!("limit={limit}&offset={}", offset + limit));
    Ok(answer(&ListClustersAnswer { clusters: page, total, marker }))
}

fn parse_marker(marker: Option<&str>) -> Result<(usize, usize), ApiError> {
    let (mut limit, mut offset) = (limits::PAGE_DEFAULT, 0usize);
    for part in marker.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) =
            part.split_once('=').ok_or_else(|| invalid("Marker", format!("`{part}` is not key=value")))?;
        let number: usize = value.parse().map_err(|_| invalid("Marker", format!("`{value}` is not a number")))?;
        match key {
            "limit" => limit = number.clamp(1, limits::PAGE_MAX),
            "offset" => offset = number,
            other => return Err(invalid("Marker", format!("unknown key `{other}`"))),
        }
    }
    Ok((limit, offset))
}

/// Scales one group out (`out`) or in. One group per call, one operation per cluster at a
/// time, never the master group.
pub(super) fn scale(
    ctx: &mut RequestContext<'_>,
    body: &serde_json::Value,
    out: bool,
) -> Result<serde_json::Value, ApiError> {
    let action = if out { action::SCALE_OUT_INSTANCE_GROUPS } else { action::SCALE_IN_INSTANCE_GROUPS };
    let request: ScaleRequest = decode(body)?;
    let id = required(&request.cluster_id, "ClusterId")?;
    let mut cluster = find(ctx, &id)?;
    let account = ctx.account.clone();
    if let Some(token) = request.client_token.as_deref().filter(|t| !t.is_empty())
        && store::created_by_token(ctx.tables, &account, action, token).is_some()
    {
        return Ok(status_answer(&cluster));
    }
    let [group_request] = request.instance_groups.as_slice() else {
        return Err(invalid("InstanceGroups", "exactly one instance group per call"));
    };
    check_idle(&cluster)?;
    let group = cluster
        .instance_groups
        .iter()
        .find(|g| {
            group_request.instance_group_id.as_ref().map_or_else(
                || {
                    group_request
                        .instance_group_type
                        .as_ref()
                        .is_some_and(|t| t.eq_ignore_ascii_case(&g.instance_group_type))
                },
                |gid| gid == &g.instance_group_id,
            )
        })
        .cloned()
        .ok_or_else(|| {
            ApiError::not_found(errors::INSTANCE_GROUP_NOT_FOUND, "no such instance group in the cluster")
        })?;
    if group.instance_group_type == GROUP_MASTER {
        return Err(invalid("InstanceGroups", "the number of master nodes is fixed when the cluster is launched"));
    }
    let (min, max) = catalog::group_limits(&group.instance_group_type).unwrap_or((0, 500));
    let now = ctx.now;
    let operation = if out {
        let count = group_request.instance_count.ok_or_else(|| missing("InstanceGroups[].InstanceCount"))?;
        if count == 0 || group.instance_count + count > max {
            return Err(invalid(
                "InstanceCount",
                format!("a {} group has at most {max} nodes", group.instance_group_type),
            ));
        }
        let existing: Vec<Cluster> = store::list(ctx.tables, CLUSTERS)?;
        let usage = quota::usage(&existing, &account);
        quota::check(&ctx.quotas, &account, &usage, cluster.is_trial(), 0, u64::from(count))?;
        PendingOperation {
            operation: OP_SCALE_OUT.to_string(),
            instance_group_id: Some(group.instance_group_id.clone()),
            instance_count: count,
            instance_ids: Vec::new(),
            start_time: now,
            finish_time: now + catalog::scale_duration(),
        }
    } else {
        let victims: Vec<String> = if group_request.instances.is_empty() {
            // Without explicit instances, the newest nodes go first.
            let count = group_request.instance_count.ok_or_else(|| missing("InstanceGroups[].Instances"))? as usize;
            group.instance_ids.iter().rev().take(count).cloned().collect()
        } else {
            group_request.instances.iter().map(|i| i.instance_id.clone()).collect()
        };
        if let Some(stranger) = victims.iter().find(|v| !group.instance_ids.contains(v)) {
            return Err(invalid("Instances", format!("`{stranger}` is not in group `{}`", group.instance_group_id)));
        }
        let remaining = group.instance_ids.len().saturating_sub(victims.len()) as u32;
        if victims.is_empty() || remaining < min {
            return Err(invalid(
                "Instances",
                format!("a {} group keeps at least {min} nodes", group.instance_group_type),
            ));
        }
        if request.graceful_scale_in_timeout > limits::GRACEFUL_SCALE_IN_MAX_SECONDS {
            return Err(invalid(
                "GracefulScaleInTimeout",
                format!("0 to {} seconds", limits::GRACEFUL_SCALE_IN_MAX_SECONDS),
            ));
        }
        let grace = if request.graceful_scale_in { i64::from(request.graceful_scale_in_timeout) } else { 0 };
        PendingOperation {
            operation: OP_SCALE_IN.to_string(),
            instance_group_id: Some(group.instance_group_id.clone()),
            instance_count: victims.len() as u32,
            instance_ids: victims,
            start_time: now,
            finish_time: now + catalog::scale_duration() + chrono::Duration::seconds(grace),
        }
    };
    cluster.cluster_status = if out { STATUS_SCALING_OUT } else { STATUS_SCALING_IN }.to_string();
    cluster.pending_operation = Some(operation);
    store::put(ctx.tables, CLUSTERS, &cluster.cluster_id, &cluster)?;
    if let Some(token) = request.client_token.as_deref().filter(|t| !t.is_empty()) {
        store::remember_token(ctx.tables, &account, action, token, &cluster.cluster_id);
    }
    Ok(status_answer(&cluster))
}

/// A cluster takes a new operation only when `running` and nothing else is under way.
fn check_idle(cluster: &Cluster) -> Result<(), ApiError> {
    match cluster.cluster_status.as_str() {
        STATUS_RUNNING if cluster.pending_operation.is_none() => Ok(()),
        STATUS_SCALING_OUT | STATUS_SCALING_IN => Err(ApiError::new(
            409,
            errors::CLUSTER_BUSY,
            format!("cluster `{}` is {}; one scale operation at a time", cluster.cluster_id, cluster.cluster_status),
        )),
        other => Err(ApiError::new(
            409,
            errors::INVALID_CLUSTER_STATUS,
            format!("cluster `{}` is {other}; it must be running", cluster.cluster_id),
        )),
    }
}

pub(super) fn terminate(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: ClusterIdRequest = decode(body)?;
    let id = required(&request.cluster_id, "ClusterId")?;
    let mut cluster = find(ctx, &id)?;
    match cluster.cluster_status.as_str() {
        // Already going or gone: releasing twice is releasing once.
        STATUS_TERMINATING | STATUS_TERMINATED | STATUS_RELEASED => {}
        STATUS_SCALING_OUT | STATUS_SCALING_IN => return Err(check_idle(&cluster).err().unwrap_or_else(|| busy(&id))),
        _ => {
            let now = ctx.now;
            cluster.cluster_status = STATUS_TERMINATING.to_string();
            cluster.pending_operation = Some(PendingOperation {
                operation: OP_TERMINATE.to_string(),
                instance_group_id: None,
                instance_count: 0,
                instance_ids: Vec::new(),
                start_time: now,
                finish_time: now + catalog::terminate_duration(),
            });
            store::put(ctx.tables, CLUSTERS, &id, &cluster)?;
        }
    }
    Ok(status_answer(&cluster))
}

fn busy(id: &str) -> ApiError {
    ApiError::new(409, errors::CLUSTER_BUSY, format!("cluster `{id}` is busy"))
}

fn is_prepaid(charge_type: &str) -> bool {
    charge_type == CHARGE_MONTHLY || charge_type == CHARGE_YEARLY
}

/// The term a prepaid charge type buys (default 1), refused when the service does not sell
/// it; charge types without a term take none.
fn term(charge_type: &str, asked: Option<u32>) -> Result<Option<u32>, ApiError> {
    if !is_prepaid(charge_type) {
        return match asked {
            Some(_) => Err(invalid("PurchaseTime", format!("{charge_type} billing buys no term"))),
            None => Ok(None),
        };
    }
    let term = asked.unwrap_or(1);
    limits::check_term(charge_type, term).map_err(|e| invalid("PurchaseTime", e))?;
    Ok(Some(term))
}

/// Trial → paid, in place: same cluster, same nodes, a paid charge type.
pub(super) fn convert_trial(
    ctx: &mut RequestContext<'_>,
    body: &serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    let request: ConvertTrialClusterRequest = decode(body)?;
    let id = required(&request.cluster_id, "ClusterId")?;
    let target = charge_type(&required(&request.charge_type, "ChargeType")?, false)?;
    let mut cluster = find(ctx, &id)?;
    if cluster.is_gone() || cluster.cluster_status == STATUS_TERMINATING {
        return Err(ApiError::new(
            409,
            errors::INVALID_CLUSTER_STATUS,
            format!("cluster `{id}` is {}", cluster.cluster_status),
        ));
    }
    if !cluster.is_trial() {
        if cluster.charge_type == target {
            return Ok(answer(&ConvertTrialClusterAnswer { cluster_id: id, charge_type: target.to_string() }));
        }
        return Err(ApiError::new(
            409,
            errors::NOT_TRIAL_CLUSTER,
            format!("cluster `{id}` is already billed {}", cluster.charge_type),
        ));
    }
    let account = ctx.account.clone();
    let existing: Vec<Cluster> = store::list(ctx.tables, CLUSTERS)?;
    let usage = quota::usage(existing.iter().filter(|c| c.cluster_id != id), &account);
    quota::check(&ctx.quotas, &account, &usage, false, 1, u64::from(cluster.node_count()))?;
    let purchase_time = term(target, request.purchase_time)?;
    cluster.charge_type = target.to_string();
    cluster.converted_time = Some(ctx.now);
    cluster.expire_time = limits::term_end(target, purchase_time.unwrap_or(1), ctx.now);
    cluster.purchase_time = purchase_time;
    store::put(ctx.tables, CLUSTERS, &id, &cluster)?;
    Ok(answer(&ConvertTrialClusterAnswer { cluster_id: id, charge_type: target.to_string() }))
}

pub(super) fn rename(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: ModifyClusterNameRequest = decode(body)?;
    let id = required(&request.cluster_id, "ClusterId")?;
    let name = required(&request.cluster_name, "ClusterName")?;
    check_name(&name, "ClusterName")?;
    let mut cluster = find(ctx, &id)?;
    if cluster.is_gone() {
        return Err(ApiError::new(
            409,
            errors::INVALID_CLUSTER_STATUS,
            format!("cluster `{id}` is {}", cluster.cluster_status),
        ));
    }
    cluster.cluster_name = name;
    store::put(ctx.tables, CLUSTERS, &id, &cluster)?;
    Ok(answer(&ClusterIdAnswer { cluster_id: id }))
}

/// Versions, their services and the node-group rules (`InstanceGroupRequirements`).
pub(super) fn list_versions() -> serde_json::Value {
    let requirements: Vec<GroupRequirement> = GROUP_TYPES
        .iter()
        .filter_map(|t| {
            catalog::group_limits(t).map(|(min, max)| GroupRequirement {
                name: t.to_string(),
                essential: *t != GROUP_TASK,
                is_primary: *t == GROUP_MASTER,
                min,
                max,
                step: 1,
            })
        })
        .collect();
    let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let versions = catalog::MAIN_VERSIONS
        .iter()
        .map(|v| ClusterVersion {
            main_version: v.to_string(),
            distribution: "Hadoop".to_string(),
            mandatory_services: strings(catalog::MANDATORY_SERVICES),
            optional_services: strings(catalog::OPTIONAL_SERVICES),
            instance_types: strings(catalog::INSTANCE_TYPES),
            instance_group_requirements: requirements.clone(),
        })
        .collect();
    answer(&ListClusterVersionsAnswer { cluster_versions: versions })
}
