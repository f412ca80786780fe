//! Node actions: `RestartNode` (the node reads its pushed properties), `StopNode`,
//! `StartNode`, and `Query` through the load balancer.

use chrono::Duration;
use corral_api_kylin::errors;
use corral_api_kylin::limits::{RESTART_SECONDS, START_SECONDS};
use corral_api_kylin::spec::Mode;
use corral_api_kylin::status::*;
use corral_api_kylin::wire::{NodeRequest, QueryAnswer, QueryRequest};
use corral_provider_sdk::emulator::{ApiError, RequestContext};

use super::clusters::{answer, decode, owned};
use super::model::{self, Cluster};

fn node_index(cluster: &Cluster, address: &str) -> Result<usize, ApiError> {
    cluster.nodes.iter().position(|n| n.address == address).ok_or_else(|| {
        ApiError::not_found(errors::NODE_NOT_FOUND, format!("cluster {} has no node {address}", cluster.cluster_id))
    })
}

/// Restarts one node: it stops serving at once and reads its pushed properties on the way up.
pub(super) fn restart(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: NodeRequest = decode(body)?;
    let mut cluster = owned(ctx, &request.cluster_id)?;
    let i = node_index(&cluster, &request.node)?;
    let node = &mut cluster.nodes[i];
    if matches!(node.status.as_str(), NODE_STARTING | NODE_RESTARTING) {
        return Err(ApiError::conflict(errors::NODE_BUSY, format!("node {} is {}", node.address, node.status)));
    }
    node.running_properties = node.properties.clone();
    node.status = NODE_RESTARTING.into();
    node.ready_at = Some(ctx.now + Duration::seconds(RESTART_SECONDS));
    cluster.settle(ctx.now);
    model::put(ctx.tables, &cluster)?;
    answer(&cluster.view())
}

pub(super) fn stop(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: NodeRequest = decode(body)?;
    let mut cluster = owned(ctx, &request.cluster_id)?;
    let i = node_index(&cluster, &request.node)?;
    cluster.nodes[i].status = NODE_STOPPED.into();
    cluster.nodes[i].ready_at = None;
    cluster.settle(ctx.now);
    model::put(ctx.tables, &cluster)?;
    answer(&cluster.view())
}

pub(super) fn start(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: NodeRequest = decode(body)?;
    let mut cluster = owned(ctx, &request.cluster_id)?;
    let i = node_index(&cluster, &request.node)?;
    let node = &mut cluster.nodes[i];
    if node.status == NODE_STOPPED {
        node.running_properties = node.properties.clone();
        node.status = NODE_STARTING.into();
        node.ready_at = Some(ctx.now + Duration::seconds(START_SECONDS));
    }
    cluster.settle(ctx.now);
    model::put(ctx.tables, &cluster)?;
    answer(&cluster.view())
}

/// One query: the load balancer's next running, query-capable target answers (every
/// query-capable node when the cluster has no load balancer).
pub(super) fn query(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: QueryRequest = decode(body)?;
    let mut cluster = owned(ctx, &request.cluster_id)?;
    let Some(line) = cluster.line() else {
        return Err(ApiError::new(500, "InternalError", "the cluster's version is unreadable"));
    };
    let pool: Vec<String> = cluster
        .nodes
        .iter()
        .filter(|n| n.running() && n.mode(line).is_some_and(Mode::query_capable))
        .filter(|n| cluster.load_balancer_targets.is_empty() || cluster.load_balancer_targets.contains(&n.address))
        .map(|n| n.address.clone())
        .collect();
    if pool.is_empty() {
        return Err(ApiError::new(
            503,
            errors::NO_QUERY_NODE,
            format!("no query-capable node of cluster {} is running", cluster.cluster_id),
        ));
    }
    let served_by = pool[cluster.lb_cursor % pool.len()].clone();
    cluster.lb_cursor = cluster.lb_cursor.wrapping_add(1);
    model::put(ctx.tables, &cluster)?;
    answer(&QueryAnswer { served_by })
}
