//! The provider: configuration, and dispatch to resource types.
//!
//! Configuration (`provider "kmr" { ... }`):
//! - `endpoint`: base URL of the APIs (KMR and VPC). Unset: the embedded sandbox is started
//!   (or reused) in `<data_dir>/sandbox` and its default account's keys are used.
//! - `region`: default `cn-beijing-6`.
//! - `access_key` / `secret_key` (sensitive): default `KSYUN_ACCESS_KEY` / `KSYUN_SECRET_KEY`.
//!   The keys are checked by one `ListClusters` call; only a refusal of them fails `configure`.
//! - `max_retries` (default 8) and `request_timeout_seconds` (default 60) per API call.

use std::collections::BTreeMap;
use std::sync::Arc;

use corral_core::diag::Diagnostics;
use corral_core::provider::{
    ApplyRequest, ApplyResponse, CallFunctionRequest, CallFunctionResponse, ConfigureRequest, ConfigureResponse,
    FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest, PlanResponse, Provider,
    ProviderFactory, ReadDataRequest, ReadDataResponse, ReadRequest, ReadResponse, ValidateResourceRequest,
    ValidateResourceResponse,
};
use corral_core::schema::{AttributeSchema, BlockSchema, ProviderSchema};
use corral_core::value::{Type, Value};
use corral_provider_sdk::connection::{Configured, KeySettings, ServiceSettings};
use corral_provider_sdk::http::{Client, ClientConfig};

use crate::network;
use crate::resource::{Ctx, DataSourceType, ResourceType};
use crate::support::error;

pub const DEFAULT_REGION: &str = "cn-beijing-6";
pub const ACCESS_KEY_VAR: &str = "KSYUN_ACCESS_KEY";
pub const SECRET_KEY_VAR: &str = "KSYUN_SECRET_KEY";
const KEYS: KeySettings =
    KeySettings { provider: "kmr", access_key_var: ACCESS_KEY_VAR, secret_key_var: SECRET_KEY_VAR };
/// The KMR service; the VPC client is the same but for the service name.
const SERVICE: ServiceSettings = ServiceSettings {
    service: corral_api_kmr::SERVICE,
    version: corral_api_kmr::VERSION,
    key_check: corral_api_kmr::action::LIST_CLUSTERS,
    default_region: DEFAULT_REGION,
};

/// The resource types and data sources of the provider. **The one list**: a new type is one
/// line here.
pub fn registry() -> TypeRegistry {
    TypeRegistry::new(
        vec![
            Arc::new(network::vpc::VPC),
            Arc::new(network::subnet::SUBNET),
            Arc::new(network::security_group::GROUP),
            Arc::new(network::rule::Rule),
            Arc::new(network::peering::PEERING),
            Arc::new(crate::cluster::Cluster),
            Arc::new(crate::job::Job),
            Arc::new(crate::template::TEMPLATE),
            Arc::new(crate::execution_plan::EXECUTION_PLAN),
        ],
        vec![Arc::new(network::security_group::SecurityGroupData), Arc::new(crate::cluster::data::ClusterData)],
    )
}

/// Resource types and data sources by name.
pub struct TypeRegistry {
    pub resources: BTreeMap<&'static str, Arc<dyn ResourceType>>,
    pub data_sources: BTreeMap<&'static str, Arc<dyn DataSourceType>>,
}

impl TypeRegistry {
    pub fn new(resources: Vec<Arc<dyn ResourceType>>, data_sources: Vec<Arc<dyn DataSourceType>>) -> TypeRegistry {
        TypeRegistry {
            resources: resources.into_iter().map(|r| (r.name(), r)).collect(),
            data_sources: data_sources.into_iter().map(|d| (d.name(), d)).collect(),
        }
    }

    pub fn schema(&self) -> ProviderSchema {
        ProviderSchema {
            provider: provider_schema(),
            resources: self.resources.iter().map(|(name, r)| (name.to_string(), r.schema())).collect(),
            data_sources: self.data_sources.iter().map(|(name, d)| (name.to_string(), d.schema())).collect(),
            functions: crate::functions::functions().schemas(),
            ..ProviderSchema::default()
        }
    }
}

fn provider_schema() -> BlockSchema {
    BlockSchema::new()
        .attr(
            "endpoint",
            AttributeSchema::optional(Type::String)
                .describe("Base URL of the KMR and VPC APIs; unset runs the embedded sandbox"),
        )
        .attr("region", AttributeSchema::optional(Type::String).describe("Default `cn-beijing-6`"))
        .attr("access_key", AttributeSchema::optional(Type::String).sensitive().describe("Default: KSYUN_ACCESS_KEY"))
        .attr("secret_key", AttributeSchema::optional(Type::String).sensitive().describe("Default: KSYUN_SECRET_KEY"))
        .attr("max_retries", AttributeSchema::optional(Type::Number).describe("Retries of throttled or failed calls"))
        .attr("request_timeout_seconds", AttributeSchema::optional(Type::Number))
}

/// Makes [`KmrProvider`]s.
pub struct KmrFactory {
    schema: Arc<ProviderSchema>,
}

impl KmrFactory {
    pub fn new() -> KmrFactory {
        KmrFactory { schema: Arc::new(registry().schema()) }
    }
}

impl Default for KmrFactory {
    fn default() -> Self {
        KmrFactory::new()
    }
}

impl ProviderFactory for KmrFactory {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn instantiate(&self) -> Arc<dyn Provider> {
        Arc::new(KmrProvider { schema: self.schema.clone(), types: registry(), ctx: Configured::new("kmr") })
    }
}

/// One configured KMR provider.
pub struct KmrProvider {
    schema: Arc<ProviderSchema>,
    types: TypeRegistry,
    ctx: Configured<Ctx>,
}

impl KmrProvider {
    fn ctx(&self) -> Result<Arc<Ctx>, Diagnostics> {
        self.ctx.get()
    }

    fn resource(&self, type_name: &str) -> Result<Arc<dyn ResourceType>, Diagnostics> {
        self.types
            .resources
            .get(type_name)
            .cloned()
            .ok_or_else(|| error(format!("the `kmr` provider has no resource type `{type_name}`")))
    }

    /// The resource type and the configured context, or the diagnostics saying why not.
    fn target(&self, type_name: &str) -> Result<(Arc<dyn ResourceType>, Arc<Ctx>), Diagnostics> {
        Ok((self.resource(type_name)?, self.ctx()?))
    }
}

#[async_trait::async_trait]
impl Provider for KmrProvider {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn validate_resource(&self, request: ValidateResourceRequest) -> ValidateResourceResponse {
        match self.resource(&request.type_name) {
            Ok(resource) => ValidateResourceResponse { diagnostics: resource.validate(&request.config) },
            Err(diagnostics) => ValidateResourceResponse { diagnostics },
        }
    }

    async fn configure(&self, request: ConfigureRequest) -> ConfigureResponse {
        // The KMR client's key check covers the VPC client: they sign with the same pair.
        let make = |kmr: Client| {
            let vpc = ClientConfig { service: corral_api_vpc::SERVICE.into(), ..kmr.config.clone() };
            let vpc = Client::new(vpc).map_err(|e| error(e.to_string()))?;
            Ok(Ctx { region: kmr.config.region.clone(), kmr, vpc, progress: Default::default() })
        };
        self.ctx.configure(&request, KEYS, corral_sandbox::embedded(), SERVICE, make).await
    }

    async fn plan(&self, request: PlanRequest) -> PlanResponse {
        match self.target(&request.type_name) {
            Ok((resource, ctx)) => resource.plan(&ctx, request).await,
            Err(diagnostics) => PlanResponse { diagnostics, ..PlanResponse::default() },
        }
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        match self.target(&request.type_name) {
            Ok((resource, ctx)) => {
                let ctx = Ctx { progress: request.progress.clone(), ..Ctx::clone(&ctx) };
                resource.apply(&ctx, request).await
            }
            Err(diagnostics) => {
                ApplyResponse { new_state: request.prior_state, diagnostics, ..ApplyResponse::default() }
            }
        }
    }

    async fn read(&self, request: ReadRequest) -> ReadResponse {
        match self.target(&request.type_name) {
            Ok((resource, ctx)) => resource.read(&ctx, request).await,
            Err(diagnostics) => {
                ReadResponse { new_state: Some(request.current_state), diagnostics, ..ReadResponse::default() }
            }
        }
    }

    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse {
        let data = self
            .types
            .data_sources
            .get(request.type_name.as_str())
            .cloned()
            .ok_or_else(|| error(format!("the `kmr` provider has no data source `{}`", request.type_name)));
        match data.and_then(|d| Ok((d, self.ctx()?))) {
            Ok((data, ctx)) => data.read(&ctx, request).await,
            Err(diagnostics) => ReadDataResponse { diagnostics, ..ReadDataResponse::default() },
        }
    }

    async fn find_created(&self, request: FindCreatedRequest) -> FindCreatedResponse {
        match self.target(&request.type_name) {
            Ok((resource, ctx)) => resource.find_created(&ctx, request).await,
            Err(diagnostics) => FindCreatedResponse { diagnostics, ..FindCreatedResponse::default() },
        }
    }

    fn call_function(&self, request: CallFunctionRequest) -> CallFunctionResponse {
        // Needs no configuration: the rules are the service's, not an account's.
        crate::functions::functions().call(request)
    }

    async fn import(&self, request: ImportRequest) -> ImportResponse {
        match self.target(&request.type_name) {
            Ok((resource, ctx)) => resource.import(&ctx, request).await,
            Err(diagnostics) => ImportResponse { diagnostics, ..ImportResponse::default() },
        }
    }
}

/// The value a provider block gets in tests and embedded use: everything unset.
pub fn empty_config() -> Value {
    Value::object(provider_schema().attributes.iter().map(|(name, a)| (name.clone(), Value::Null(a.ty.clone()))))
}

#[cfg(test)]
mod tests;
