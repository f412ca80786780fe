//! The provider: configuration, and dispatch to the resource types (`types`).
//!
//! Configuration (`provider "mrs" { ... }`):
//! - `endpoint`: base URL of the API gateway. Unset: the embedded sandbox is started (or
//!   reused) in `<data_dir>/sandbox` and its default account's keys are used.
//! - `region`: default `cn-north-4`; `project_id`: default the project named after the region
//!   (read from IAM, `GET /v3/projects`).
//! - `access_key` / `secret_key` (sensitive): default `HW_ACCESS_KEY` / `HW_SECRET_KEY`.

use std::sync::{Arc, PoisonError, RwLock};

use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ConfigureResponse, FindCreatedRequest, FindCreatedResponse,
    PlanRequest, PlanResponse, Provider, ProviderFactory, ReadDataRequest, ReadDataResponse, ReadRequest, ReadResponse,
    ValidateResourceRequest, ValidateResourceResponse,
};
use corral_core::schema::{AttributeSchema, BlockSchema, ProviderSchema};
use corral_core::value::{Type, Value};

use crate::rest::{Keys, Rest, RestError};
use crate::types;

pub(crate) const DEFAULT_REGION: &str = "cn-north-4";
pub(crate) const ACCESS_KEY_VAR: &str = "HW_ACCESS_KEY";
pub(crate) const SECRET_KEY_VAR: &str = "HW_SECRET_KEY";

/// What a configured provider gives the resource.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub rest: Rest,
    pub region: String,
    pub project_id: String,
    pub progress: corral_core::provider::Progress,
}

pub(crate) fn error(summary: impl Into<String>) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(summary))
}

/// An API failure as a diagnostic: what was being done, the service's code and message.
pub(crate) fn api_error(doing: &str, e: &RestError) -> Diagnostics {
    let diagnostic = match e {
        RestError::Api { code, message, request_id, status } => {
            Diagnostic::error(format!("{doing}: {code}: {message}"))
                .with_detail(format!("HTTP {status}, request id {request_id}"))
        }
        other => Diagnostic::error(format!("{doing}: {other}")),
    };
    Diagnostics::from(diagnostic)
}

fn provider_schema() -> BlockSchema {
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

fn schema() -> ProviderSchema {
    ProviderSchema { provider: provider_schema(), resources: types::schemas(), data_sources: Default::default() }
}

/// Makes [`MrsProvider`]s.
pub struct MrsFactory {
    schema: Arc<ProviderSchema>,
}

impl MrsFactory {
    pub fn new() -> MrsFactory {
        MrsFactory { schema: Arc::new(schema()) }
    }
}

impl Default for MrsFactory {
    fn default() -> Self {
        MrsFactory::new()
    }
}

impl ProviderFactory for MrsFactory {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn instantiate(&self) -> Arc<dyn Provider> {
        Arc::new(MrsProvider { schema: self.schema.clone(), ctx: RwLock::new(None) })
    }
}

/// One configured MRS provider.
pub struct MrsProvider {
    schema: Arc<ProviderSchema>,
    ctx: RwLock<Option<Arc<Ctx>>>,
}

fn get_str(value: &Value, name: &str) -> Option<String> {
    value.get_attr(name).map(Value::unmarked).and_then(Value::as_str).map(str::to_string)
}

impl MrsProvider {
    fn target(&self, type_name: &str) -> Result<Arc<Ctx>, Diagnostics> {
        if !types::is_known(type_name) {
            return Err(error(format!("the `mrs` provider has no resource type `{type_name}`")));
        }
        self.ctx
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| error("the `mrs` provider is used before it is configured"))
    }

    async fn connection(&self, request: &ConfigureRequest) -> Result<(String, Keys), Diagnostics> {
        let config = &request.config;
        let configured = match (get_str(config, "access_key"), get_str(config, "secret_key")) {
            (Some(access_key), Some(secret_key)) => Some(Keys { access_key, secret_key }),
            (None, None) => None,
            _ => return Err(error("set both `access_key` and `secret_key` of the `mrs` provider, or neither")),
        };
        if let Some(endpoint) = get_str(config, "endpoint") {
            let keys = match configured {
                Some(keys) => keys,
                None => match (std::env::var(ACCESS_KEY_VAR), std::env::var(SECRET_KEY_VAR)) {
                    (Ok(access_key), Ok(secret_key)) => Keys { access_key, secret_key },
                    _ => {
                        return Err(error(format!(
                            "the `mrs` provider has no keys for {endpoint}: set `access_key` and `secret_key`, or {ACCESS_KEY_VAR} and {SECRET_KEY_VAR}"
                        )));
                    }
                },
            };
            return Ok((endpoint, keys));
        }
        let dir = request.data_dir.join("sandbox");
        let endpoint = match tokio::task::spawn_blocking(move || corral_sandbox::start_embedded(&dir)).await {
            Ok(Ok(endpoint)) => endpoint,
            Ok(Err(e)) => return Err(error(format!("cannot start the embedded sandbox: {e}"))),
            Err(e) => return Err(error(format!("cannot start the embedded sandbox: {e}"))),
        };
        let keys = configured.unwrap_or_else(|| Keys {
            access_key: corral_sandbox::DEFAULT_ACCESS_KEY.to_string(),
            secret_key: corral_sandbox::DEFAULT_SECRET_KEY.to_string(),
        });
        Ok((endpoint, keys))
    }
}

/// The id of the project named `region`, as IAM lists the caller's projects.
async fn project_of(rest: &Rest, region: &str) -> Result<String, Diagnostics> {
    let answer = rest
        .call("GET", "/v3/projects", "", None)
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
        .ok_or_else(|| error(format!("IAM lists no project named `{region}`: set `project_id` of the `mrs` provider")))
}

#[async_trait::async_trait]
impl Provider for MrsProvider {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn validate_resource(&self, request: ValidateResourceRequest) -> ValidateResourceResponse {
        ValidateResourceResponse { diagnostics: types::validate(&request.type_name, &request.config) }
    }

    async fn configure(&self, request: ConfigureRequest) -> ConfigureResponse {
        let (endpoint, keys) = match self.connection(&request).await {
            Ok(connection) => connection,
            Err(diagnostics) => return ConfigureResponse { diagnostics },
        };
        let region = get_str(&request.config, "region").unwrap_or_else(|| DEFAULT_REGION.to_string());
        let rest = match Rest::new(&endpoint, keys) {
            Ok(rest) => rest,
            Err(e) => return ConfigureResponse { diagnostics: error(e.to_string()) },
        };
        let project_id = match get_str(&request.config, "project_id") {
            Some(id) => id,
            None => match project_of(&rest, &region).await {
                Ok(id) => id,
                Err(diagnostics) => return ConfigureResponse { diagnostics },
            },
        };
        let ctx = Ctx { rest, region, project_id, progress: Default::default() };
        *self.ctx.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(ctx));
        ConfigureResponse::default()
    }

    async fn plan(&self, request: PlanRequest) -> PlanResponse {
        match self.target(&request.type_name) {
            Ok(_) => types::plan(request),
            Err(diagnostics) => PlanResponse { diagnostics, ..PlanResponse::default() },
        }
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        match self.target(&request.type_name) {
            Ok(ctx) => {
                let ctx = Ctx { progress: request.progress.clone(), ..Ctx::clone(&ctx) };
                types::apply(&ctx, request).await
            }
            Err(diagnostics) => {
                ApplyResponse { new_state: request.prior_state, diagnostics, ..ApplyResponse::default() }
            }
        }
    }

    async fn read(&self, request: ReadRequest) -> ReadResponse {
        match self.target(&request.type_name) {
            Ok(ctx) => types::read(&ctx, request).await,
            Err(diagnostics) => {
                ReadResponse { new_state: Some(request.current_state), diagnostics, ..ReadResponse::default() }
            }
        }
    }

    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse {
        let diagnostics = error(format!("the `mrs` provider has no data source `{}`", request.type_name));
        ReadDataResponse { diagnostics, ..ReadDataResponse::default() }
    }

    async fn find_created(&self, request: FindCreatedRequest) -> FindCreatedResponse {
        match self.target(&request.type_name) {
            Ok(ctx) => types::find_created(&ctx, request).await,
            Err(diagnostics) => FindCreatedResponse { diagnostics, ..FindCreatedResponse::default() },
        }
    }
}
