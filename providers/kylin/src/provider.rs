//! The provider: configuration and dispatch to `kylin_cluster`.
//!
//! Configuration (`provider "kylin" { ... }`):
//! - `endpoint`: base URL of the Kylin service. Unset: the embedded sandbox is started (or
//!   reused) in `<data_dir>/sandbox` and its default account's keys are used.
//! - `region`: default `cn-beijing-6` (the sandbox's).
//! - `access_key` / `secret_key` (sensitive): default `KYLIN_ACCESS_KEY` / `KYLIN_SECRET_KEY`.
//!   Checked by one `ListClusters` call; only a refusal of the keys fails `configure`.

use std::sync::Arc;

use corral_core::diag::Diagnostics;
use corral_core::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ConfigureResponse, FindCreatedRequest, FindCreatedResponse,
    PlanRequest, PlanResponse, Provider, ProviderFactory, ReadDataRequest, ReadDataResponse, ReadRequest, ReadResponse,
    ValidateResourceRequest, ValidateResourceResponse,
};
use corral_core::schema::{AttributeSchema, BlockSchema, ProviderSchema};
use corral_core::value::Type;
use corral_provider_sdk::connection::{Configured, KeySettings, ServiceSettings};

use crate::api::{Ctx, error};
use crate::cluster;

pub(crate) const DEFAULT_REGION: &str = "cn-beijing-6";
pub(crate) const ACCESS_KEY_VAR: &str = "KYLIN_ACCESS_KEY";
pub(crate) const SECRET_KEY_VAR: &str = "KYLIN_SECRET_KEY";
const KEYS: KeySettings =
    KeySettings { provider: "kylin", access_key_var: ACCESS_KEY_VAR, secret_key_var: SECRET_KEY_VAR };
const SERVICE: ServiceSettings = ServiceSettings {
    service: corral_api_kylin::SERVICE,
    version: corral_api_kylin::VERSION,
    key_check: corral_api_kylin::action::LIST_CLUSTERS,
    default_region: DEFAULT_REGION,
};

fn provider_schema() -> BlockSchema {
    BlockSchema::new()
        .attr(
            "endpoint",
            AttributeSchema::optional(Type::String)
                .describe("Base URL of the Kylin deployment service; unset runs the embedded sandbox"),
        )
        .attr("region", AttributeSchema::optional(Type::String).describe("Default `cn-beijing-6`"))
        .attr("access_key", AttributeSchema::optional(Type::String).sensitive().describe("Default: KYLIN_ACCESS_KEY"))
        .attr("secret_key", AttributeSchema::optional(Type::String).sensitive().describe("Default: KYLIN_SECRET_KEY"))
}

fn schema() -> ProviderSchema {
    ProviderSchema {
        provider: provider_schema(),
        resources: [(cluster::TYPE_NAME.to_string(), cluster::schema())].into_iter().collect(),
        data_sources: Default::default(),
        ..ProviderSchema::default()
    }
}

/// Makes [`KylinProvider`]s.
pub struct KylinFactory {
    schema: Arc<ProviderSchema>,
}

impl KylinFactory {
    pub fn new() -> KylinFactory {
        KylinFactory { schema: Arc::new(schema()) }
    }
}

impl Default for KylinFactory {
    fn default() -> Self {
        KylinFactory::new()
    }
}

impl ProviderFactory for KylinFactory {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn instantiate(&self) -> Arc<dyn Provider> {
        Arc::new(KylinProvider { schema: self.schema.clone(), ctx: Configured::new("kylin") })
    }
}

/// One configured Kylin provider.
pub struct KylinProvider {
    schema: Arc<ProviderSchema>,
    ctx: Configured<Ctx>,
}

impl KylinProvider {
    fn target(&self, type_name: &str) -> Result<Arc<Ctx>, Diagnostics> {
        if type_name != cluster::TYPE_NAME {
            return Err(error(format!("the `kylin` provider has no resource type `{type_name}`")));
        }
        self.ctx.get()
    }
}

#[async_trait::async_trait]
impl Provider for KylinProvider {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn validate_resource(&self, request: ValidateResourceRequest) -> ValidateResourceResponse {
        if request.type_name != cluster::TYPE_NAME {
            let diagnostics = error(format!("the `kylin` provider has no resource type `{}`", request.type_name));
            return ValidateResourceResponse { diagnostics };
        }
        ValidateResourceResponse { diagnostics: cluster::validate(&request.config) }
    }

    async fn configure(&self, request: ConfigureRequest) -> ConfigureResponse {
        let make = |kylin| Ok(Ctx { kylin, progress: Default::default() });
        self.ctx.configure(&request, KEYS, corral_sandbox::embedded(), SERVICE, make).await
    }

    async fn plan(&self, request: PlanRequest) -> PlanResponse {
        match self.target(&request.type_name) {
            Ok(_) => cluster::plan(request),
            Err(diagnostics) => PlanResponse { diagnostics, ..PlanResponse::default() },
        }
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        match self.target(&request.type_name) {
            Ok(ctx) => {
                let ctx = Ctx { progress: request.progress.clone(), ..Ctx::clone(&ctx) };
                cluster::apply(&ctx, request).await
            }
            Err(diagnostics) => {
                ApplyResponse { new_state: request.prior_state, diagnostics, ..ApplyResponse::default() }
            }
        }
    }

    async fn read(&self, request: ReadRequest) -> ReadResponse {
        match self.target(&request.type_name) {
            Ok(ctx) => cluster::read(&ctx, request).await,
            Err(diagnostics) => {
                ReadResponse { new_state: Some(request.current_state), diagnostics, ..ReadResponse::default() }
            }
        }
    }

    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse {
        let diagnostics = error(format!("the `kylin` provider has no data source `{}`", request.type_name));
        ReadDataResponse { diagnostics, ..ReadDataResponse::default() }
    }

    async fn find_created(&self, request: FindCreatedRequest) -> FindCreatedResponse {
        match self.target(&request.type_name) {
            Ok(ctx) => cluster::find_created(&ctx, request).await,
            Err(diagnostics) => FindCreatedResponse { diagnostics, ..FindCreatedResponse::default() },
        }
    }
}
