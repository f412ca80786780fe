//! The provider: configuration, and dispatch to `kyligence_stack`.
//!
//! Configuration (`provider "kyligence" { ... }`):
//! - `endpoint`: base URL of the stack API. Unset: the embedded sandbox is started (or
//!   reused) in `<data_dir>/sandbox` and its default account's keys are used.
//! - `region`: default `cn-beijing-6`.
//! - `access_key` / `secret_key` (sensitive): default `KYLIGENCE_ACCESS_KEY` /
//!   `KYLIGENCE_SECRET_KEY`. Checked by one `ListStacks` call; only a refusal of the keys
//!   fails `configure`.
//! - `max_retries` (default 8) and `request_timeout_seconds` (default 60) per API call.

use std::sync::Arc;

use corral_core::diag::Diagnostics;
use corral_core::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ConfigureResponse, FindCreatedRequest, FindCreatedResponse,
    ImportRequest, ImportResponse, PlanRequest, PlanResponse, Progress, Provider, ProviderFactory, ReadDataRequest,
    ReadDataResponse, ReadRequest, ReadResponse, ValidateResourceRequest, ValidateResourceResponse,
};
use corral_core::schema::{AttributeSchema, BlockSchema, ProviderSchema};
use corral_core::value::Type;
use corral_provider_sdk::connection::{Configured, KeySettings, ServiceSettings};
use corral_provider_sdk::http::Client;

use crate::api::error;
use crate::stack;

pub(crate) const DEFAULT_REGION: &str = "cn-beijing-6";
pub const ACCESS_KEY_VAR: &str = "KYLIGENCE_ACCESS_KEY";
pub const SECRET_KEY_VAR: &str = "KYLIGENCE_SECRET_KEY";
const KEYS: KeySettings =
    KeySettings { provider: "kyligence", access_key_var: ACCESS_KEY_VAR, secret_key_var: SECRET_KEY_VAR };
const SERVICE: ServiceSettings = ServiceSettings {
    service: corral_api_kyligence::SERVICE,
    version: corral_api_kyligence::VERSION,
    key_check: corral_api_kyligence::action::LIST_STACKS,
    default_region: DEFAULT_REGION,
};

/// What a configured provider gives `kyligence_stack`: the API client, and the apply
/// request's progress handle (no-op outside an apply).
#[derive(Clone)]
pub struct Ctx {
    pub client: Client,
    pub progress: Progress,
}

fn provider_schema() -> BlockSchema {
    BlockSchema::new()
        .attr(
            "endpoint",
            AttributeSchema::optional(Type::String)
                .describe("Base URL of the Kyligence Cloud stack API; unset runs the embedded sandbox"),
        )
        .attr("region", AttributeSchema::optional(Type::String).describe("Default `cn-beijing-6`"))
        .attr(
            "access_key",
            AttributeSchema::optional(Type::String).sensitive().describe("Default: KYLIGENCE_ACCESS_KEY"),
        )
        .attr(
            "secret_key",
            AttributeSchema::optional(Type::String).sensitive().describe("Default: KYLIGENCE_SECRET_KEY"),
        )
        .attr("max_retries", AttributeSchema::optional(Type::Number).describe("Retries of throttled or failed calls"))
        .attr("request_timeout_seconds", AttributeSchema::optional(Type::Number))
}

/// Makes [`KyligenceProvider`]s.
pub struct KyligenceFactory {
    schema: Arc<ProviderSchema>,
}

impl KyligenceFactory {
    pub fn new() -> KyligenceFactory {
        let schema = ProviderSchema {
            provider: provider_schema(),
            resources: [(stack::TYPE_NAME.to_string(), stack::schema::stack_schema())].into_iter().collect(),
            data_sources: [(crate::kap::TYPE_NAME.to_string(), crate::kap::schema())].into_iter().collect(),
            ..ProviderSchema::default()
        };
        KyligenceFactory { schema: Arc::new(schema) }
    }
}

impl Default for KyligenceFactory {
    fn default() -> Self {
        KyligenceFactory::new()
    }
}

impl ProviderFactory for KyligenceFactory {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn instantiate(&self) -> Arc<dyn Provider> {
        Arc::new(KyligenceProvider { schema: self.schema.clone(), ctx: Configured::new("kyligence") })
    }
}

/// One configured Kyligence provider.
pub struct KyligenceProvider {
    schema: Arc<ProviderSchema>,
    ctx: Configured<Ctx>,
}

impl KyligenceProvider {
    /// The configured context for `type_name`, or the diagnostics saying why not.
    fn target(&self, type_name: &str) -> Result<Arc<Ctx>, Diagnostics> {
        if type_name != stack::TYPE_NAME {
            return Err(error(format!("the `kyligence` provider has no resource type `{type_name}`")));
        }
        self.ctx.get()
    }
}

#[async_trait::async_trait]
impl Provider for KyligenceProvider {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn validate_resource(&self, request: ValidateResourceRequest) -> ValidateResourceResponse {
        let diagnostics = if request.type_name == stack::TYPE_NAME {
            stack::validate(&request.config)
        } else if request.type_name == crate::kap::TYPE_NAME {
            Diagnostics::new()
        } else {
            error(format!("the `kyligence` provider has no resource type `{}`", request.type_name))
        };
        ValidateResourceResponse { diagnostics }
    }

    async fn configure(&self, request: ConfigureRequest) -> ConfigureResponse {
        let make = |client| Ok(Ctx { client, progress: Progress::default() });
        self.ctx.configure(&request, KEYS, corral_sandbox::embedded(), SERVICE, make).await
    }

    async fn plan(&self, request: PlanRequest) -> PlanResponse {
        match self.target(&request.type_name) {
            Ok(_) => stack::plan(request),
            Err(diagnostics) => PlanResponse { diagnostics, ..PlanResponse::default() },
        }
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        match self.target(&request.type_name) {
            Ok(ctx) => {
                let ctx = Ctx { progress: request.progress.clone(), ..Ctx::clone(&ctx) };
                stack::apply(&ctx, request).await
            }
            Err(diagnostics) => {
                ApplyResponse { new_state: request.prior_state, diagnostics, ..ApplyResponse::default() }
            }
        }
    }

    async fn read(&self, request: ReadRequest) -> ReadResponse {
        match self.target(&request.type_name) {
            Ok(ctx) => stack::read(&ctx, request).await,
            Err(diagnostics) => {
                ReadResponse { new_state: Some(request.current_state), diagnostics, ..ReadResponse::default() }
            }
        }
    }

    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse {
        if request.type_name != crate::kap::TYPE_NAME {
            return ReadDataResponse {
                diagnostics: error(format!("the `kyligence` provider has no data source `{}`", request.type_name)),
                ..ReadDataResponse::default()
            };
        }
        match self.ctx.get() {
            Ok(ctx) => crate::kap::read(&ctx, request).await,
            Err(diagnostics) => ReadDataResponse { diagnostics, ..ReadDataResponse::default() },
        }
    }

    async fn find_created(&self, request: FindCreatedRequest) -> FindCreatedResponse {
        match self.target(&request.type_name) {
            Ok(ctx) => stack::find_created(&ctx, request).await,
            Err(diagnostics) => FindCreatedResponse { diagnostics, ..FindCreatedResponse::default() },
        }
    }

    async fn import(&self, request: ImportRequest) -> ImportResponse {
        match self.target(&request.type_name) {
            Ok(ctx) => stack::import(&ctx, request).await,
            Err(diagnostics) => ImportResponse { diagnostics, ..ImportResponse::default() },
        }
    }
}
