//! The emulated KMR control plane (Kingsoft Cloud managed Hadoop), action style, version
//! `2021-09-02`: clusters (launch, describe, list, scale out/in one group at a time,
//! terminate, trial conversion, rename), jobs on persistent clusters, cluster templates and
//! execution plans. Lifecycles
//! are lazy in sandbox time: nothing runs between requests; [`Service::advance`] replays
//! what was due (see `lifecycle` and `advance`).

mod advance;
mod catalog;
mod clusters;
mod jobs;
mod lifecycle;
pub mod model;
mod network;
pub mod password;
mod plans;
pub mod quota;
mod request;
mod store;
mod templates;

use super::action_style::{Api, stamped};
use corral_api_kmr::action::*;
use corral_provider_sdk::emulator::{ApiError, ObjectView, RequestContext, Service};

/// The API version this emulation speaks.
pub use corral_api_kmr::VERSION;

/// The KMR service. It keeps no state of its own: everything is in the sandbox's tables, and
/// quotas come with each request's account.
#[derive(Clone, Debug, Default)]
pub struct KmrService;

const API: Api = Api { name: "KMR", version: VERSION };

impl Service for KmrService {
    fn name(&self) -> &'static str {
        corral_api_kmr::SERVICE
    }

    fn advance(&self, ctx: &mut RequestContext<'_>) {
        if let Err(error) = advance::advance_all(ctx) {
            // Advance cannot answer anyone; an unreadable record is logged and left as is.
            tracing::error!(%error, "kmr: advancing the sandbox failed");
        }
    }

    fn handle(
        &self,
        ctx: &mut RequestContext<'_>,
        action: &str,
        version: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, ApiError> {
        API.check_version(version)?;
        let answer = match action {
            LAUNCH_CLUSTER => clusters::launch(ctx, body),
            DESCRIBE_CLUSTER => clusters::describe(ctx, body),
            LIST_CLUSTERS => clusters::list(ctx, body),
            SCALE_OUT_INSTANCE_GROUPS => clusters::scale(ctx, body, true),
            SCALE_IN_INSTANCE_GROUPS => clusters::scale(ctx, body, false),
            TERMINATE_CLUSTER => clusters::terminate(ctx, body),
            CONVERT_TRIAL_CLUSTER => clusters::convert_trial(ctx, body),
            MODIFY_CLUSTER_NAME => clusters::rename(ctx, body),
            LIST_CLUSTER_VERSIONS => Ok(clusters::list_versions()),
            SUBMIT_JOB => jobs::submit(ctx, body),
            DESCRIBE_JOB => jobs::describe(ctx, body),
            CANCEL_JOB => jobs::cancel(ctx, body),
            LIST_JOBS => jobs::list(ctx, body),
            CREATE_CLUSTER_TEMPLATE => templates::create(ctx, body),
            DESCRIBE_CLUSTER_TEMPLATE => templates::describe(ctx, body),
            LIST_CLUSTER_TEMPLATES => templates::list(ctx),
            MODIFY_CLUSTER_TEMPLATE => templates::modify(ctx, body),
            DELETE_CLUSTER_TEMPLATE => templates::delete(ctx, body),
            CREATE_EXECUTION_PLAN => plans::create(ctx, body),
            DESCRIBE_EXECUTION_PLAN => plans::describe(ctx, body),
            LIST_EXECUTION_PLANS => plans::list(ctx),
            MODIFY_EXECUTION_PLAN => plans::modify(ctx, body),
            DELETE_EXECUTION_PLAN => plans::delete(ctx, body),
            LIST_EXECUTION_PLAN_RUNS => plans::list_runs(ctx, body),
            other => Err(API.no_action(other)),
        }?;
        Ok(stamped(ctx, answer))
    }

    fn inspect(&self, ctx: &mut RequestContext<'_>) -> Vec<ObjectView> {
        let mut views = Vec::new();
        let view = |kind: &str, id: String, state: String, attributes: serde_json::Value| ObjectView {
            service: corral_api_kmr::SERVICE.into(),
            kind: kind.into(),
            id,
            state,
            attributes,
        };
        for cluster in store::list::<model::Cluster>(ctx.tables, model::CLUSTERS).unwrap_or_default() {
            let state = cluster.cluster_status.clone();
            let mut attributes = serde_json::to_value(cluster.view(ctx.now)).unwrap_or_default();
            // The API never answers with the hash; the sandbox's owner may see it (it is no
            // password), which is how a test tells the password arrived.
            attributes["AdminPasswordHash"] = serde_json::json!(cluster.admin_password_hash);
            views.push(view("cluster", cluster.cluster_id.clone(), state, attributes));
        }
        for template in store::list::<model::Template>(ctx.tables, model::TEMPLATES).unwrap_or_default() {
            views.push(view(
                "cluster_template",
                template.template_id.clone(),
                "available".into(),
                serde_json::to_value(&template).unwrap_or_default(),
            ));
        }
        for plan in store::list::<model::ExecutionPlan>(ctx.tables, model::PLANS).unwrap_or_default() {
            let state = if plan.enabled { "enabled" } else { "disabled" };
            views.push(view(
                "execution_plan",
                plan.execution_plan_id.clone(),
                state.into(),
                serde_json::to_value(&plan).unwrap_or_default(),
            ));
        }
        for job in store::list::<jobs::JobRecord>(ctx.tables, jobs::JOBS).unwrap_or_default() {
            views.push(view(
                "job",
                job.api.job_id.clone(),
                job.api.job_status.clone(),
                serde_json::to_value(&job.api).unwrap_or_default(),
            ));
        }
        for run in store::list::<model::Run>(ctx.tables, model::RUNS).unwrap_or_default() {
            views.push(view(
                "execution_plan_run",
                run.run_id.clone(),
                run.run_status.clone(),
                serde_json::to_value(&run).unwrap_or_default(),
            ));
        }
        views
    }
}

#[cfg(test)]
mod tests;
