//! Calling the Kylin service in its typed shapes (`corral_api_kylin::wire`), and errors as
//! diagnostics.

use corral_api_kylin::action;
use corral_api_kylin::wire::{Cluster, ClusterIdRequest};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_provider_sdk::http::{CallError, Client};
pub(crate) use corral_provider_sdk::http::{api_error, client_token};

/// What a configured provider gives the resource.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub kylin: Client,
    pub progress: corral_core::provider::Progress,
}

pub(crate) fn error(summary: impl Into<String>) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(summary))
}

/// One action: a request and its answer in the API's shapes.
pub(crate) async fn call<A: serde::de::DeserializeOwned>(
    ctx: &Ctx,
    action: &str,
    request: &impl serde::Serialize,
) -> Result<A, CallError> {
    let unreadable = |what: &str, e: serde_json::Error| CallError::Transport {
        endpoint: ctx.kylin.config.endpoint.clone(),
        message: format!("the {what} of {action} does not fit the API: {e}"),
    };
    let body = serde_json::to_value(request).map_err(|e| unreadable("request", e))?;
    let answer = ctx.kylin.call(action, corral_api_kylin::VERSION, &body).await?;
    serde_json::from_value(answer).map_err(|e| unreadable("answer", e))
}

fn is_not_found(e: &CallError) -> bool {
    matches!(e, CallError::Api { status: 404, .. }) || e.code().is_some_and(|c| c.contains("NotFound"))
}

/// The cluster as `DescribeCluster` answers, `None` when it does not exist.
pub(crate) async fn describe(ctx: &Ctx, id: &str) -> Result<Option<Cluster>, CallError> {
    match call(ctx, action::DESCRIBE_CLUSTER, &ClusterIdRequest { cluster_id: id.to_string() }).await {
        Ok(cluster) => Ok(Some(cluster)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}
