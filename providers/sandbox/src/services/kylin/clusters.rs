//! Cluster actions: `CreateCluster`, `DescribeCluster`, `ListClusters`, `UpdateCluster`,
//! `DeleteCluster`, and the configuration check they share.

use chrono::Duration;
use corral_api_kylin::errors;
use corral_api_kylin::limits::{MAX_NODES, START_SECONDS};
use corral_api_kylin::properties::parse;
use corral_api_kylin::rules;
use corral_api_kylin::spec::{ClusterSpec, NodeSpec};
use corral_api_kylin::status::*;
use corral_api_kylin::version::Line;
use corral_api_kylin::wire::{ClusterIdRequest, ClusterList, CreateClusterRequest, NodeConfig, UpdateClusterRequest};
use corral_provider_sdk::emulator::{ApiError, RequestContext, new_id};

use super::model::{self, Cluster, NodeRecord};

pub(super) fn decode<T: serde::de::DeserializeOwned>(body: &serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(body.clone())
        .map_err(|e| ApiError::bad_request("InvalidParameterValue", format!("the request body is invalid: {e}")))
}

pub(super) fn answer<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::new(500, "InternalError", e.to_string()))
}

/// The cluster of the requesting account, settled to now.
pub(super) fn owned(ctx: &RequestContext<'_>, id: &str) -> Result<Cluster, ApiError> {
    match model::get(ctx.tables, id)? {
        Some(mut cluster) if cluster.account_id == ctx.account => {
            cluster.settle(ctx.now);
            Ok(cluster)
        }
        _ => Err(ApiError::not_found(errors::CLUSTER_NOT_FOUND, format!("no Kylin cluster `{id}`"))),
    }
}

/// What the pushed properties say the cluster is, read with the version's names, checked
/// against the rules a running Kylin would trip over (one metastore, the server list, the
/// modes, the load balancer). Two job engines without a lock are not refused: Kylin starts
/// them, and they duplicate builds. Returns the metastore.
fn check_config(version: &str, nodes: &[NodeConfig], targets: &[String]) -> Result<String, ApiError> {
    let line = Line::of(version)
        .ok_or_else(|| ApiError::invalid("KylinVersion", format!("`{version}` is not a Kylin version")))?;
    if nodes.is_empty() || nodes.len() > MAX_NODES {
        return Err(ApiError::invalid("Nodes", format!("a cluster has 1 to {MAX_NODES} nodes")));
    }
    let keys = line.keys();
    let props: Vec<_> = nodes.iter().map(|n| parse(&n.properties)).collect();
    let metadata_url = props[0].get(keys.metadata_url).cloned().unwrap_or_default();
    let mut spec = ClusterSpec {
        kylin_version: version.into(),
        metadata_url: metadata_url.clone(),
        job_engine_ha: "none".into(),
        load_balancer_targets: targets.to_vec(),
        ..ClusterSpec::default()
    };
    for (node, p) in nodes.iter().zip(&props) {
        spec.nodes.push(NodeSpec {
            host: node.host.clone(),
            port: node.port,
            mode: p.get(keys.server_mode).cloned().unwrap_or_else(|| "all".into()),
            metadata_url: Some(p.get(keys.metadata_url).cloned().unwrap_or_default()),
        });
    }
    let mut problems = rules::same_metadata_url(&spec);
    problems.extend(rules::cluster_servers(&spec));
    problems.extend(rules::node_modes(&spec));
    problems.extend(rules::load_balancer(&spec));
    let all: std::collections::BTreeSet<String> = spec.addresses().into_iter().collect();
    for (node, p) in spec.nodes.iter().zip(&props) {
        let listed: std::collections::BTreeSet<String> = p
            .get(keys.cluster_servers)
            .map(|s| s.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect())
            .unwrap_or_default();
        if listed != all {
            return Err(ApiError::bad_request(
                errors::INVALID_CONFIGURATION,
                format!("{} lists cluster servers {listed:?}, the cluster is {all:?}", node.address()),
            ));
        }
    }
    match problems.first() {
        Some(problem) => Err(ApiError::bad_request(
            errors::INVALID_CONFIGURATION,
            format!("{} (at {})", problem.summary(), problem.attribute_text()),
        )),
        None => Ok(metadata_url),
    }
}

fn starting(config: &NodeConfig, ctx: &RequestContext<'_>) -> NodeRecord {
    NodeRecord {
        address: format!("{}:{}", config.host, config.port),
        properties: config.properties.clone(),
        running_properties: config.properties.clone(),
        status: NODE_STARTING.into(),
        ready_at: Some(ctx.now + Duration::seconds(START_SECONDS)),
    }
}

pub(super) fn create(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: CreateClusterRequest = decode(body)?;
    let mine: Vec<Cluster> = model::all(ctx.tables)?.into_iter().filter(|c| c.account_id == ctx.account).collect();
    if let Some(token) = request.client_token.as_deref().filter(|t| !t.is_empty())
        && let Some(existing) = mine.iter().find(|c| c.client_token.as_deref() == Some(token))
    {
        let mut existing = existing.clone();
        existing.settle(ctx.now);
        return answer(&existing.view());
    }
    if request.cluster_name.trim().is_empty() {
        return Err(ApiError::missing("ClusterName"));
    }
    ctx.check_quota(errors::QUOTA_CLUSTER, "kylin_clusters", mine.len() as u64, 1)?;
    let metadata_url = check_config(&request.kylin_version, &request.nodes, &request.load_balancer_targets)?;
    if let Some(other) = mine.iter().find(|c| c.metadata_url == metadata_url) {
        return Err(ApiError::conflict(
            errors::INVALID_CONFIGURATION,
            format!("metastore `{metadata_url}` already belongs to cluster {}", other.cluster_id),
        ));
    }
    let mut cluster = Cluster {
        account_id: ctx.account.clone(),
        cluster_id: new_id("kylin"),
        cluster_name: request.cluster_name,
        kylin_version: request.kylin_version,
        metadata_url,
        nodes: request.nodes.iter().map(|n| starting(n, ctx)).collect(),
        load_balancer_targets: request.load_balancer_targets,
        placement_id: request.placement_id,
        client_token: request.client_token,
        lb_cursor: 0,
        lock_holder: None,
        active_job_nodes: Vec::new(),
        duplicated_builds: false,
    };
    cluster.settle(ctx.now);
    model::put(ctx.tables, &cluster)?;
    answer(&cluster.view())
}

pub(super) fn describe(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: ClusterIdRequest = decode(body)?;
    let cluster = owned(ctx, &request.cluster_id)?;
    answer(&cluster.view())
}

pub(super) fn list(ctx: &mut RequestContext<'_>) -> Result<serde_json::Value, ApiError> {
    let mut clusters = Vec::new();
    for mut cluster in model::all(ctx.tables)?.into_iter().filter(|c| c.account_id == ctx.account) {
        cluster.settle(ctx.now);
        clusters.push(cluster.view());
    }
    answer(&ClusterList { clusters })
}

/// Pushes configurations: existing nodes keep running what they read at start (the cluster
/// is `restart_pending` until each is restarted), new nodes start, dropped nodes go.
pub(super) fn update(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: UpdateClusterRequest = decode(body)?;
    let mut cluster = owned(ctx, &request.cluster_id)?;
    let metadata_url = check_config(&cluster.kylin_version, &request.nodes, &request.load_balancer_targets)?;
    if metadata_url != cluster.metadata_url {
        return Err(ApiError::bad_request(
            errors::INVALID_CONFIGURATION,
            format!("the cluster's metastore is `{}`: a new metastore is a new cluster", cluster.metadata_url),
        ));
    }
    let mut nodes = Vec::new();
    for config in &request.nodes {
        let address = format!("{}:{}", config.host, config.port);
        match cluster.nodes.iter().find(|n| n.address == address) {
            Some(existing) => nodes.push(NodeRecord { properties: config.properties.clone(), ..existing.clone() }),
            None => nodes.push(starting(config, ctx)),
        }
    }
    cluster.nodes = nodes;
    cluster.load_balancer_targets = request.load_balancer_targets;
    cluster.settle(ctx.now);
    model::put(ctx.tables, &cluster)?;
    answer(&cluster.view())
}

pub(super) fn delete(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: ClusterIdRequest = decode(body)?;
    let cluster = owned(ctx, &request.cluster_id)?;
    ctx.tables.delete(model::CLUSTERS, &cluster.cluster_id);
    let mut view = cluster.view();
    view.status = CLUSTER_DELETING.into();
    answer(&view)
}

/// Moves every cluster to now (nodes up, job engines recounted).
pub(super) fn settle_all(ctx: &mut RequestContext<'_>) -> Result<(), ApiError> {
    for mut cluster in model::all(ctx.tables)? {
        let before = cluster.clone();
        cluster.settle(ctx.now);
        if cluster != before {
            model::put(ctx.tables, &cluster)?;
        }
    }
    Ok(())
}
