//! What each resource type and data source implements, and the context they get; and the
//! two halves a resource type served by a shared implementation is told in ([`TypeSpec`],
//! [`Lifecycle`]), which make it a [`ResourceType`] in one place.

use corral_core::diag::Diagnostics;
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadDataRequest, ReadDataResponse, ReadRequest, ReadResponse,
};
use corral_core::schema::ResourceSchema;
use corral_core::value::Value;

/// What a configured provider gives its resources: the API clients and settings.
#[derive(Clone)]
pub struct Ctx {
    /// Client for the KMR API (service `kmr`).
    pub kmr: corral_provider_sdk::http::Client,
    /// Client for the VPC API (service `vpc`).
    pub vpc: corral_provider_sdk::http::Client,
    pub region: String,
    /// The apply request's progress handle (no-op outside an apply): waits report through it.
    pub progress: corral_core::provider::Progress,
}

#[async_trait::async_trait]
pub trait ResourceType: Send + Sync {
    fn name(&self) -> &'static str;
    fn schema(&self) -> ResourceSchema;
    /// Static checks on a configuration whose values may be unknown (no API calls).
    fn validate(&self, config: &Value) -> Diagnostics {
        let _ = config;
        Diagnostics::new()
    }
    /// Plan-time checks and the planned state (no API calls that change anything).
    async fn plan(&self, ctx: &Ctx, request: PlanRequest) -> PlanResponse;
    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse;
    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse;
    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse;
    async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse {
        let _ = ctx;
        let mut diagnostics = Diagnostics::new();
        diagnostics
            .push(corral_core::diag::Diagnostic::error(format!("`{}` does not support import", request.type_name)));
        ImportResponse { state: None, diagnostics }
    }
}

#[async_trait::async_trait]
pub trait DataSourceType: Send + Sync {
    fn name(&self) -> &'static str;
    fn schema(&self) -> ResourceSchema;
    async fn read(&self, ctx: &Ctx, request: ReadDataRequest) -> ReadDataResponse;
}

/// What a resource type declares without calling the API: its name, its schema and the
/// static checks of a configuration. Implemented on the API's types that a shared
/// [`Lifecycle`] serves.
pub(crate) trait TypeSpec {
    /// The resource type: `kmr_subnet`.
    const TYPE: &'static str;
    fn schema() -> ResourceSchema;
    /// Static checks on a configuration whose values may be unknown (no API calls).
    fn validate(config: &Value) -> Diagnostics;
}

/// A shared implementation of the calls of resource types (`network::kind::Kind`,
/// `record::RecordApi`), one per API type: each is the [`ResourceType`] its [`TypeSpec`]
/// names.
#[async_trait::async_trait]
pub(crate) trait Lifecycle: Send + Sync {
    type Spec: TypeSpec;
    async fn plan(&self, ctx: &Ctx, request: PlanRequest) -> PlanResponse;
    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse;
    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse;
    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse;
    async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse;
}

#[async_trait::async_trait]
impl<L: Lifecycle> ResourceType for L {
    fn name(&self) -> &'static str {
        L::Spec::TYPE
    }

    fn schema(&self) -> ResourceSchema {
        L::Spec::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        L::Spec::validate(config)
    }

    async fn plan(&self, ctx: &Ctx, request: PlanRequest) -> PlanResponse {
        Lifecycle::plan(self, ctx, request).await
    }

    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
        Lifecycle::apply(self, ctx, request).await
    }

    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        Lifecycle::read(self, ctx, request).await
    }

    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        Lifecycle::find_created(self, ctx, request).await
    }

    async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse {
        Lifecycle::import(self, ctx, request).await
    }
}
