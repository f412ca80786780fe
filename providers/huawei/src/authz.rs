//! Plan-time authorization for a Huawei Cloud provider: one read of the identity's effective
//! policies in the provider's project (`GET /v3.0/OS-PERMISSION/effective-policies`, with the
//! provider's own keys), then every action evaluated locally with `corral_api_iam` — the same
//! evaluation the service applies to each request, so the plan refuses exactly what the
//! service would. A key that may not read its policies is an error that says so (the engine
//! adds the `--skip-authz-check` hint).

use corral_api_iam::wire::{EFFECTIVE_POLICIES, EffectivePolicies};
use corral_core::provider::{AuthorizeRequest, AuthorizeResponse, Denial};

use crate::connect::{Connection, api_error, error};

/// The identity's effective policies in the connection's project.
pub async fn effective_policies(connection: &Connection) -> Result<EffectivePolicies, corral_core::diag::Diagnostics> {
    let query = format!("project_id={}", connection.project_id);
    let answer = connection
        .rest
        .call("GET", EFFECTIVE_POLICIES, &query, None)
        .await
        .map_err(|e| api_error("reading the identity's IAM policies (to check the plan's permissions)", &e))?;
    serde_json::from_value(answer)
        .map_err(|e| error(format!("IAM answered the effective policies with an unexpected body: {e}")))
}

/// Evaluates every check of `request` for the connection's identity.
pub async fn authorize(connection: &Connection, request: AuthorizeRequest) -> AuthorizeResponse {
    let policies = match effective_policies(connection).await {
        Ok(policies) => policies,
        Err(diagnostics) => return AuthorizeResponse { supported: true, denials: Vec::new(), diagnostics },
    };
    let denials = request
        .checks
        .into_iter()
        .filter_map(|check| {
            let decision = policies.decide(&check.action);
            (!decision.allowed).then(|| Denial {
                instance: check.instance,
                action: check.action,
                reason: format!("{decision} (identity `{}`)", identity(&policies)),
            })
        })
        .collect();
    AuthorizeResponse { supported: true, denials, diagnostics: Default::default() }
}

fn identity(policies: &EffectivePolicies) -> &str {
    if policies.account_admin { "the account" } else { &policies.user_name }
}
