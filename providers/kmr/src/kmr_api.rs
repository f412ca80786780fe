//! Calling KMR (service `kmr`, version `2021-09-02`): errors as diagnostics, client tokens,
//! describing a cluster, and waiting for a cluster's status with the SDK's waiter.

use std::time::Duration;

use corral_engine::diag::Diagnostics;
use corral_provider_sdk::http::CallError;
use corral_provider_sdk::waiter::Waiter;

use crate::resource::Ctx;
pub use crate::support::{api_error, client_token, error, is_not_found};

/// The KMR API version every call uses.
pub use corral_api_kmr::VERSION as KMR_VERSION;

/// How long a create, scale or release may take before Corral stops waiting.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(60 * 60);

pub async fn call(ctx: &Ctx, action: &str, body: serde_json::Value) -> Result<serde_json::Value, CallError> {
    ctx.kmr.call(action, KMR_VERSION, &body).await
}

/// The cluster as `DescribeCluster` answers, `None` when it does not exist.
pub async fn describe_cluster(ctx: &Ctx, id: &str) -> Result<Option<serde_json::Value>, CallError> {
    match call(ctx, "DescribeCluster", serde_json::json!({ "ClusterId": id })).await {
        Ok(cluster) => Ok(Some(cluster)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn status_of(cluster: &serde_json::Value) -> String {
    cluster.get("ClusterStatus").and_then(|s| s.as_str()).unwrap_or("unknown").to_string()
}

/// Waits until the cluster reaches one of `target`, through `pending`; returns the cluster
/// as last described (`None` if it is gone and `gone_ok`).
pub async fn wait_cluster(
    ctx: &Ctx,
    id: &str,
    what: &str,
    pending: &[&str],
    target: &[&str],
    gone_ok: bool,
) -> Result<Option<serde_json::Value>, Diagnostics> {
    let mut waiter = Waiter::new(format!("cluster {id} {what}"), pending, target, WAIT_TIMEOUT)
        .intervals(Duration::from_millis(100), Duration::from_secs(5));
    if gone_ok {
        waiter = waiter.gone_is_target();
    }
    let last = std::sync::Mutex::new(None::<serde_json::Value>);
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
