//! The provider: configuration (`corral_huawei::connect`, the block every Huawei Cloud
//! provider takes), plan-time authorization (`corral_huawei::authz`) and dispatch to the
//! resource types of [`crate::resources`].

use std::sync::Arc;

use corral_core::diag::Diagnostics;
use corral_core::provider::{
    ApplyRequest, ApplyResponse, AuthorizeRequest, AuthorizeResponse, ConfigureRequest, ConfigureResponse,
    FindCreatedRequest, FindCreatedResponse, PlanRequest, PlanResponse, Provider, ProviderFactory, ReadDataRequest,
    ReadDataResponse, ReadRequest, ReadResponse, ValidateResourceRequest, ValidateResourceResponse,
};
use corral_core::schema::ProviderSchema;
use corral_huawei::{Connection, error};
use corral_provider_sdk::connection::Configured;

use crate::resources::{self, Kind};

fn schema() -> ProviderSchema {
    ProviderSchema {
        provider: corral_huawei::provider_schema(),
        resources: Kind::ALL.iter().map(|k| (k.name().to_string(), k.schema())).collect(),
        data_sources: Default::default(),
        actions: Kind::ALL.iter().map(|k| (k.name().to_string(), k.actions())).collect(),
        ..ProviderSchema::default()
    }
}

/// Makes [`IamProvider`]s.
pub struct IamFactory {
    schema: Arc<ProviderSchema>,
}

impl IamFactory {
    pub fn new() -> IamFactory {
        IamFactory { schema: Arc::new(schema()) }
    }
}

impl Default for IamFactory {
    fn default() -> Self {
        IamFactory::new()
    }
}

impl ProviderFactory for IamFactory {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn instantiate(&self) -> Arc<dyn Provider> {
        Arc::new(IamProvider { schema: self.schema.clone(), connection: Configured::new("iam") })
    }
}

/// One configured IAM provider.
pub struct IamProvider {
    schema: Arc<ProviderSchema>,
    connection: Configured<Connection>,
}

impl IamProvider {
    fn connection(&self) -> Result<Arc<Connection>, Diagnostics> {
        self.connection.get()
    }

    fn target(&self, type_name: &str) -> Result<(Kind, Arc<Connection>), Diagnostics> {
        let kind = kind(type_name)?;
        Ok((kind, self.connection()?))
    }
}

fn kind(type_name: &str) -> Result<Kind, Diagnostics> {
    Kind::from_name(type_name).ok_or_else(|| error(format!("the `iam` provider has no resource type `{type_name}`")))
}

#[async_trait::async_trait]
impl Provider for IamProvider {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn validate_resource(&self, request: ValidateResourceRequest) -> ValidateResourceResponse {
        let diagnostics = match kind(&request.type_name) {
            Ok(kind) => resources::validate(kind, &request.config),
            Err(diagnostics) => diagnostics,
        };
        ValidateResourceResponse { diagnostics }
    }

    async fn configure(&self, request: ConfigureRequest) -> ConfigureResponse {
        match corral_huawei::connect("iam", &request).await {
            Ok(connection) => {
                self.connection.set(connection);
                ConfigureResponse::default()
            }
            Err(diagnostics) => ConfigureResponse { diagnostics },
        }
    }

    async fn plan(&self, request: PlanRequest) -> PlanResponse {
        match kind(&request.type_name) {
            Ok(kind) => resources::plan(kind, &request),
            Err(diagnostics) => PlanResponse { diagnostics, ..PlanResponse::default() },
        }
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        match self.target(&request.type_name) {
            Ok((kind, connection)) => resources::apply(kind, &connection, request).await,
            Err(diagnostics) => {
                ApplyResponse { new_state: request.prior_state, diagnostics, ..ApplyResponse::default() }
            }
        }
    }

    async fn read(&self, request: ReadRequest) -> ReadResponse {
        match self.target(&request.type_name) {
            Ok((kind, connection)) => resources::read(kind, &connection, request).await,
            Err(diagnostics) => {
                ReadResponse { new_state: Some(request.current_state), diagnostics, ..ReadResponse::default() }
            }
        }
    }

    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse {
        let diagnostics = error(format!("the `iam` provider has no data source `{}`", request.type_name));
        ReadDataResponse { diagnostics, ..ReadDataResponse::default() }
    }

    async fn find_created(&self, request: FindCreatedRequest) -> FindCreatedResponse {
        match self.target(&request.type_name) {
            Ok((kind, connection)) => resources::find_created(kind, &connection, request).await,
            Err(diagnostics) => FindCreatedResponse { diagnostics, ..FindCreatedResponse::default() },
        }
    }

    async fn authorize(&self, request: AuthorizeRequest) -> AuthorizeResponse {
        match self.connection() {
            Ok(connection) => corral_huawei::authz::authorize(&connection, request).await,
            Err(diagnostics) => AuthorizeResponse { supported: true, diagnostics, ..AuthorizeResponse::default() },
        }
    }
}
