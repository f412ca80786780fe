//! The provider: configuration (`corral_huawei::connect`: endpoint, region, project, keys)
//! and dispatch to the resource types (`types`); plan-time authorization reads the identity's policies from
//! IAM (`corral_huawei::authz`) and the schema's action map says what each change calls.

use std::sync::Arc;

use corral_api_mrs::operation::Operation;
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, AuthorizeRequest, AuthorizeResponse, ConfigureRequest, ConfigureResponse,
    FindCreatedRequest, FindCreatedResponse, PlanRequest, PlanResponse, Provider, ProviderFactory, ReadDataRequest,
    ReadDataResponse, ReadRequest, ReadResponse, ValidateResourceRequest, ValidateResourceResponse,
};
use corral_core::schema::{ActionMap, ProviderSchema};
use corral_huawei::Connection;
pub(crate) use corral_huawei::{api_error, error};
use corral_provider_sdk::connection::Configured;

use crate::rest::Rest;
use crate::{cluster, job, scaling_policy, types};

/// What a configured provider gives the resource.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub rest: Rest,
    pub region: String,
    pub project_id: String,
    pub progress: corral_core::provider::Progress,
}

/// What each change of `mrs_cluster` calls (the IAM actions of `corral_api_mrs::operation`):
/// a create or delete waits on the cluster's detail; an update calls what the changed
/// attributes need (rename, master spec upgrade, expand/shrink, tags).
fn cluster_actions() -> ActionMap {
    let a = |o: Operation| o.action();
    ActionMap::new()
        .create(&[a(Operation::CreateCluster), a(Operation::GetCluster)])
        .update(&[a(Operation::GetCluster)])
        .update_attribute("name", &[a(Operation::RenameCluster)])
        .update_attribute("master_flavor", &[a(Operation::UpgradeMasterSpec)])
        .update_attribute("core_count", &[a(Operation::ExpandCluster)])
        .update_attribute("task_count", &[a(Operation::ExpandCluster)])
        .update_attribute("tags", &[a(Operation::BatchTags)])
        .delete(&[a(Operation::DeleteCluster), a(Operation::GetCluster)])
        .read(&[a(Operation::GetCluster)])
}

/// `mrs_job`: a run is submitted and waited for; a delete kills a running job and removes
/// its record; `find_created` lists the clusters' jobs to adopt a run an apply lost.
fn job_actions() -> ActionMap {
    let a = |o: Operation| o.action();
    ActionMap::new()
        .create(&[a(Operation::SubmitJob), a(Operation::GetJob)])
        .update(&[a(Operation::GetJob)])
        .delete(&[a(Operation::GetJob), a(Operation::KillJob), a(Operation::BatchDeleteJobs)])
        .read(&[a(Operation::GetJob)])
}

/// `mrs_scaling_policy`: the cluster's auto-scaling policy, set, changed and removed as one.
fn scaling_policy_actions() -> ActionMap {
    let a = |o: Operation| o.action();
    ActionMap::new()
        .create(&[a(Operation::CreateScalingPolicy)])
        .update(&[a(Operation::UpdateScalingPolicy)])
        .delete(&[a(Operation::DeleteScalingPolicy)])
        .read(&[a(Operation::GetScalingPolicy)])
}

fn schema() -> ProviderSchema {
    ProviderSchema {
        provider: corral_huawei::provider_schema(),
        resources: types::schemas(),
        data_sources: Default::default(),
        actions: [
            (cluster::TYPE_NAME.to_string(), cluster_actions()),
            (job::TYPE_NAME.to_string(), job_actions()),
            (scaling_policy::TYPE_NAME.to_string(), scaling_policy_actions()),
        ]
        .into_iter()
        .collect(),
        // A prepaid cluster's deletion is refused at plan, naming the unsubscription.
        delete_plans: [cluster::TYPE_NAME.to_string()].into_iter().collect(),
        ..ProviderSchema::default()
    }
}

/// A planned deletion (the engine asks for `delete_plans` types): a prepaid cluster is not
/// deleted but unsubscribed through billing, which the plan says before anything is done.
fn plan_delete(request: &PlanRequest) -> PlanResponse {
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(cluster::attrs).unwrap_or_default();
    if cluster::str_of(&prior, "charging_mode").as_deref() != Some(cluster::PRE_PAID) {
        return PlanResponse { planned_state: Some(request.proposed_new_state.clone()), ..PlanResponse::default() };
    }
    let name = cluster::str_of(&prior, "id").or_else(|| cluster::str_of(&prior, "name")).unwrap_or_default();
    let diagnostic = Diagnostic::error(format!("cluster {name} is prepaid: MRS does not delete it"))
        .with_detail(
            "destroying it means unsubscribing it (Billing Center > Orders > Unsubscriptions): a yearly/monthly \
             cluster is released through billing, and the API refuses to terminate it (12000024)",
        )
        .with_help("unsubscribe it in the billing console, then `corral state rm` it");
    PlanResponse { diagnostics: Diagnostics::from(diagnostic), ..PlanResponse::default() }
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
        Arc::new(MrsProvider { schema: self.schema.clone(), ctx: Configured::new("mrs") })
    }
}

/// One configured MRS provider.
pub struct MrsProvider {
    schema: Arc<ProviderSchema>,
    ctx: Configured<Ctx>,
}

impl MrsProvider {
    fn target(&self, type_name: &str) -> Result<Arc<Ctx>, Diagnostics> {
        if !types::is_known(type_name) {
            return Err(error(format!("the `mrs` provider has no resource type `{type_name}`")));
        }
        self.ctx.get()
    }
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
        match corral_huawei::connect("mrs", &request).await {
            Ok(Connection { rest, region, project_id }) => {
                self.ctx.set(Ctx { rest, region, project_id, progress: Default::default() });
                ConfigureResponse::default()
            }
            Err(diagnostics) => ConfigureResponse { diagnostics },
        }
    }

    async fn authorize(&self, request: AuthorizeRequest) -> AuthorizeResponse {
        match self.ctx.get() {
            Ok(ctx) => {
                let connection = Connection {
                    rest: ctx.rest.clone(),
                    region: ctx.region.clone(),
                    project_id: ctx.project_id.clone(),
                };
                corral_huawei::authz::authorize(&connection, request).await
            }
            Err(diagnostics) => AuthorizeResponse { supported: true, diagnostics, ..AuthorizeResponse::default() },
        }
    }

    async fn plan(&self, request: PlanRequest) -> PlanResponse {
        match self.target(&request.type_name) {
            Ok(_) if request.proposed_new_state.is_null() && request.type_name == cluster::TYPE_NAME => {
                plan_delete(&request)
            }
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
