//! Calling KMR (service `kmr`, version `2021-09-02`): errors as diagnostics, client tokens,
//! describing a cluster, and waiting for a cluster's status with the SDK's waiter.

use std::time::Duration;

use corral_api_kmr::action;
use corral_api_kmr::cluster::{Cluster, ClusterIdRequest};
use corral_core::diag::Diagnostics;
use corral_provider_sdk::http::CallError;
use corral_provider_sdk::waiter::Waiter;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::resource::Ctx;
use crate::support::call_api;
pub(crate) use crate::support::{api_error, client_token, error, is_not_found};

/// The KMR API version every call uses.
pub(crate) use corral_api_kmr::VERSION as KMR_VERSION;

/// How long a create, scale or release may take before Corral stops waiting.
pub(crate) const WAIT_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// One KMR action: a request and its answer in the API's shapes (`corral_api_kmr`).
pub(crate) async fn call<A: DeserializeOwned>(
    ctx: &Ctx,
    action: &str,
    request: &impl Serialize,
) -> Result<A, CallError> {
    call_api(&ctx.kmr, action, KMR_VERSION, request).await
}

/// The cluster as `DescribeCluster` answers, `None` when it does not exist.
pub(crate) async fn describe_cluster(ctx: &Ctx, id: &str) -> Result<Option<Cluster>, CallError> {
    let request = ClusterIdRequest { cluster_id: Some(id.to_string()) };
    match call(ctx, action::DESCRIBE_CLUSTER, &request).await {
        Ok(cluster) => Ok(Some(cluster)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) fn status_of(cluster: &Cluster) -> String {
    cluster.cluster_status.clone()
}

/// Waits until the cluster reaches one of `target`, through `pending`; returns the cluster
/// as last described (`None` if it is gone and `gone_ok`).
pub(crate) async fn wait_cluster(
    ctx: &Ctx,
    id: &str,
    what: &str,
    pending: &[&str],
    target: &[&str],
    gone_ok: bool,
) -> Result<Option<Cluster>, Diagnostics> {
    let mut waiter = Waiter::new(format!("cluster {id} {what}"), pending, target, WAIT_TIMEOUT)
        .intervals(Duration::from_millis(100), Duration::from_secs(5))
        .progress(ctx.progress.clone());
    if gone_ok {
        waiter = waiter.gone_is_target();
    }
    let last = std::sync::Mutex::new(None::<Cluster>);
    let result = waiter
        .wait(|| async {
            let cluster = describe_cluster(ctx, id).await?;
            let status = cluster.as_ref().map(status_of);
            *last.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = cluster;
            Ok::<_, CallError>(status)
        })
        .await;
    match result {
        Ok(_) => Ok(last.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)),
        Err(e) => Err(error(e.to_string())),
    }
}
