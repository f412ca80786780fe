//! What each resource type and data source implements, and the context they get.

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
