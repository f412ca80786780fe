//! A Huawei Cloud provider's configuration (`provider "mrs" { ... }`, `provider "iam" { ... }`):
//! - `endpoint`: base URL of the API gateway. Unset: the embedded sandbox is started (or
//!   reused) in `<data_dir>/sandbox` and its default account's keys are used (the SDK's
//!   `connection::connect` decides endpoint and keys, as for every provider).
//! - `region`: default `cn-north-4`; `project_id`: default the project named after the region
//!   (read from IAM, `GET /v3/auth/projects`, which an IAM user's key may call too; it also
//!   finds wrong keys at `configure`; with `project_id` set the same call is made only to
//!   check the keys).
//! - `access_key` / `secret_key` (sensitive): default `HW_ACCESS_KEY` / `HW_SECRET_KEY`.

use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::ConfigureRequest;
use corral_core::schema::{AttributeSchema, BlockSchema};
use corral_core::value::Type;
use corral_provider_sdk::connection::{self as sdk, KeySettings, config_str};
use corral_provider_sdk::http::{ApiAnswer, answered_error};

use crate::rest::{Keys, Rest, RestError};

pub const DEFAULT_REGION: &str = "cn-north-4";
pub const ACCESS_KEY_VAR: &str = "HW_ACCESS_KEY";
pub const SECRET_KEY_VAR: &str = "HW_SECRET_KEY";

/// A configured provider's connection.
#[derive(Clone, Debug)]
pub struct Connection {
    pub rest: Rest,
    pub region: String,
    pub project_id: String,
}

pub fn error(summary: impl Into<String>) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(summary))
}

/// An API failure as a diagnostic: what was being done, the service's code and message.
pub fn api_error(doing: &str, e: &RestError) -> Diagnostics {
    match e {
        RestError::Api { code, message, request_id, status } => {
            answered_error(doing, ApiAnswer { status: *status, code, message, request_id })
        }
        other => error(format!("{doing}: {other}")),
    }
}

/// The provider block every Huawei Cloud provider takes.
pub fn provider_schema() -> BlockSchema {
    BlockSchema::new()
        .attr(
            "endpoint",
            AttributeSchema::optional(Type::String)
                .describe("Base URL of the Huawei Cloud API gateway; unset runs the embedded sandbox"),
        )
        .attr("region", AttributeSchema::optional(Type::String).describe("Default `cn-north-4`"))
        .attr(
            "project_id",
            AttributeSchema::optional(Type::String).describe("Default: the project named after the region (from IAM)"),
        )
        .attr("access_key", AttributeSchema::optional(Type::String).sensitive().describe("Default: HW_ACCESS_KEY"))
        .attr("secret_key", AttributeSchema::optional(Type::String).sensitive().describe("Default: HW_SECRET_KEY"))
}

const fn key_settings(provider: &'static str) -> KeySettings {
    KeySettings { provider, access_key_var: ACCESS_KEY_VAR, secret_key_var: SECRET_KEY_VAR }
}

/// Configures provider `provider` (its name, for messages) from its block: endpoint and keys
/// as every provider decides them (`corral_provider_sdk::connection`), then the project.
pub async fn connect(provider: &'static str, request: &ConfigureRequest) -> Result<Connection, Diagnostics> {
    let sdk::Connection { endpoint, credentials } =
        sdk::connect(&request.config, &request.data_dir, key_settings(provider), corral_sandbox::embedded()).await?;
    let region = config_str(&request.config, "region").unwrap_or_else(|| DEFAULT_REGION.to_string());
    let keys = Keys { access_key: credentials.access_key, secret_key: credentials.secret_key };
    let rest = Rest::new(&endpoint, keys).map_err(|e| error(e.to_string()))?;
    let project_id = match config_str(&request.config, "project_id") {
        Some(id) => {
            check_keys(provider, &rest, &endpoint).await?;
            id
        }
        None => project_of(provider, &rest, &endpoint, &region).await?,
    };
    Ok(Connection { rest, region, project_id })
}

/// The diagnostic of a call that refused the keys (401, or the gateway's signature code),
/// as every provider says it, naming the keys to fix; `None` for any other failure.
fn refused(provider: &'static str, endpoint: &str, e: &RestError) -> Option<Diagnostics> {
    match e {
        RestError::Api { status, code, message, .. }
            if *status == 401 || code == corral_api_mrs::errors::APIGW_SIGNATURE =>
        {
            Some(sdk::keys_refused(key_settings(provider), endpoint, code, message))
        }
        _ => None,
    }
}

/// With `project_id` set there is no project to look up, yet the keys are checked all the
/// same, with the same read call: wrong keys fail `configure` (so `plan`), not the first
/// mutating call of an apply. Only a refusal fails; anything else is left to later calls,
/// as the SDK's `check_keys` does for the other providers.
async fn check_keys(provider: &'static str, rest: &Rest, endpoint: &str) -> Result<(), Diagnostics> {
    match rest.call("GET", corral_api_iam::wire::AUTH_PROJECTS, "", None).await {
        Ok(_) => Ok(()),
        Err(e) => match refused(provider, endpoint, &e) {
            Some(diagnostics) => Err(diagnostics),
            None => {
                tracing::debug!(provider, error = %e, "the key check failed, but not by refusing the keys");
                Ok(())
            }
        },
    }
}

/// The id of the project named `region`, as IAM lists the caller's projects.
/// The one IAM call of `configure`: a refusal of the keys says so as every provider does.
async fn project_of(provider: &'static str, rest: &Rest, endpoint: &str, region: &str) -> Result<String, Diagnostics> {
    let answer = rest.call("GET", corral_api_iam::wire::AUTH_PROJECTS, "", None).await.map_err(|e| {
        refused(provider, endpoint, &e)
            .unwrap_or_else(|| api_error("listing the IAM projects (to find the region's project)", &e))
    })?;
    answer
        .get("projects")
        .and_then(serde_json::Value::as_array)
        .and_then(|projects| {
            projects.iter().find(|p| p.get("name").and_then(serde_json::Value::as_str) == Some(region))
        })
        .and_then(|p| p.get("id").and_then(serde_json::Value::as_str))
        .map(str::to_string)
        .ok_or_else(|| {
            error(format!("IAM lists no project named `{region}`: set `project_id` of the `{provider}` provider"))
        })
}
