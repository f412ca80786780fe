//! A Huawei Cloud provider's configuration (`provider "mrs" { ... }`, `provider "iam" { ... }`):
//! - `endpoint`: base URL of the API gateway. Unset: the embedded sandbox is started (or
//!   reused) in `<data_dir>/sandbox` and its default account's keys are used.
//! - `region`: default `cn-north-4`; `project_id`: default the project named after the region
//!   (read from IAM, `GET /v3/auth/projects`, which an IAM user's key may call too).
//! - `access_key` / `secret_key` (sensitive): default `HW_ACCESS_KEY` / `HW_SECRET_KEY`.

use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::ConfigureRequest;
use corral_core::schema::{AttributeSchema, BlockSchema};
use corral_core::value::{Type, Value};

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
    let diagnostic = match e {
        RestError::Api { code, message, request_id, status } => {
            Diagnostic::error(format!("{doing}: {code}: {message}"))
                .with_detail(format!("HTTP {status}, request id {request_id}"))
        }
        other => Diagnostic::error(format!("{doing}: {other}")),
    };
    Diagnostics::from(diagnostic)
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

fn get_str(value: &Value, name: &str) -> Option<String> {
    value.get_attr(name).map(Value::unmarked).and_then(Value::as_str).map(str::to_string)
}

/// Configures provider `provider` (its name, for messages) from its block.
pub async fn connect(provider: &str, request: &ConfigureRequest) -> Result<Connection, Diagnostics> {
    let (endpoint, keys) = endpoint_and_keys(provider, request).await?;
    let region = get_str(&request.config, "region").unwrap_or_else(|| DEFAULT_REGION.to_string());
    let rest = Rest::new(&endpoint, keys).map_err(|e| error(e.to_string()))?;
    let project_id = match get_str(&request.config, "project_id") {
        Some(id) => id,
        None => project_of(provider, &rest, &region).await?,
    };
    Ok(Connection { rest, region, project_id })
}

async fn endpoint_and_keys(provider: &str, request: &ConfigureRequest) -> Result<(String, Keys), Diagnostics> {
    let config = &request.config;
    let configured = match (get_str(config, "access_key"), get_str(config, "secret_key")) {
        (Some(access_key), Some(secret_key)) => Some(Keys { access_key, secret_key }),
        (None, None) => None,
        _ => {
            return Err(error(format!(
                "set both `access_key` and `secret_key` of the `{provider}` provider, or neither"
            )));
        }
    };
    let from_env = || match (std::env::var(ACCESS_KEY_VAR), std::env::var(SECRET_KEY_VAR)) {
        (Ok(access_key), Ok(secret_key)) if !access_key.is_empty() => Some(Keys { access_key, secret_key }),
        _ => None,
    };
    if let Some(endpoint) = get_str(config, "endpoint") {
        let keys = configured.or_else(from_env).ok_or_else(|| {
            error(format!(
                "the `{provider}` provider has no keys for {endpoint}: set `access_key` and `secret_key`, or \
                 {ACCESS_KEY_VAR} and {SECRET_KEY_VAR}"
            ))
        })?;
        return Ok((endpoint, keys));
    }
    let dir = request.data_dir.join("sandbox");
    let endpoint = match tokio::task::spawn_blocking(move || corral_sandbox::start_embedded(&dir)).await {
        Ok(Ok(endpoint)) => endpoint,
        Ok(Err(e)) => return Err(error(format!("cannot start the embedded sandbox: {e}"))),
        Err(e) => return Err(error(format!("cannot start the embedded sandbox: {e}"))),
    };
    // The embedded sandbox's default account, unless the block names other keys (an IAM
    // user's, to try an identity with fewer permissions); the environment's keys are for
    // the real cloud.
    let keys = configured.unwrap_or_else(|| Keys {
        access_key: corral_sandbox::DEFAULT_ACCESS_KEY.to_string(),
        secret_key: corral_sandbox::DEFAULT_SECRET_KEY.to_string(),
    });
    Ok((endpoint, keys))
}

/// The id of the project named `region`, as IAM lists the caller's projects.
async fn project_of(provider: &str, rest: &Rest, region: &str) -> Result<String, Diagnostics> {
    let answer = rest
        .call("GET", corral_api_iam::wire::AUTH_PROJECTS, "", None)
        .await
        .map_err(|e| api_error("listing the IAM projects (to find the region's project)", &e))?;
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
