//! The emulated KMR control plane (Kingsoft Cloud managed Hadoop), action style, version
//! `2021-09-02`: clusters (launch, describe, list, scale out/in one group at a time,
//! terminate, trial conversion, rename), cluster templates and execution plans. Lifecycles
//! are lazy in sandbox time: nothing runs between requests; [`Service::advance`] replays
//! what was due (see `lifecycle` and `advance`).

mod advance;
mod catalog;
mod clusters;
mod lifecycle;
pub mod model;
mod network;
pub mod password;
mod plans;
pub mod quota;
mod request;
mod store;
mod templates;

use corral_provider_sdk::emulator::{ApiError, ObjectView, RequestContext, Service};

/// The API version this emulation speaks.
pub const VERSION: &str = "2021-09-02";

/// The KMR service. It keeps no state of its own: everything is in the sandbox's tables, and
/// quotas come with each request's account.
#[derive(Clone, Debug, Default)]
pub struct KmrService;

impl Service for KmrService {
    fn name(&self) -> &'static str {
        "kmr"
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
        if version != VERSION {
            return Err(ApiError::bad_request(
                "InvalidVersion",
                format!("KMR speaks version {VERSION} here, not `{version}`"),
            ));
        }
        let mut answer = match action {
            "LaunchCluster" => clusters::launch(ctx, body),
            "DescribeCluster" => clusters::describe(ctx, body),
            "ListClusters" => clusters::list(ctx, body),
            "ScaleOutInstanceGroups" => clusters::scale(ctx, body, true),
            "ScaleInInstanceGroups" => clusters::scale(ctx, body, false),
            "TerminateCluster" => clusters::terminate(ctx, body),
            "ConvertTrialCluster" => clusters::convert_trial(ctx, body),
            "ModifyClusterName" => clusters::rename(ctx, body),
            "ListClusterVersions" => Ok(clusters::list_versions()),
            "CreateClusterTemplate" => templates::create(ctx, body),
            "DescribeClusterTemplate" => templates::describe(ctx, body),
            "ListClusterTemplates" => templates::list(ctx),
            "ModifyClusterTemplate" => templates::modify(ctx, body),
            "DeleteClusterTemplate" => templates::delete(ctx, body),
            "CreateExecutionPlan" => plans::create(ctx, body),
            "DescribeExecutionPlan" => plans::describe(ctx, body),
            "ListExecutionPlans" => plans::list(ctx),
            "ModifyExecutionPlan" => plans::modify(ctx, body),
            "DeleteExecutionPlan" => plans::delete(ctx, body),
            "ListExecutionPlanRuns" => plans::list_runs(ctx, body),
            other => Err(ApiError::bad_request("InvalidAction", format!("KMR has no action `{other}`"))),
        }?;
        if let Some(object) = answer.as_object_mut() {
            object.insert("RequestId".into(), serde_json::Value::String(ctx.request_id.clone()));
        }
        Ok(answer)
    }

    fn inspect(&self, ctx: &mut RequestContext<'_>) -> Vec<ObjectView> {
        let mut views = Vec::new();
        let view = |kind: &str, id: String, state: String, attributes: serde_json::Value| ObjectView {
            service: "kmr".into(),
            kind: kind.into(),
            id,
            state,
            attributes,
        };
        for cluster in store::list::<model::Cluster>(ctx.tables, model::CLUSTERS).unwrap_or_default() {
            let state = cluster.cluster_status.clone();
            let mut attributes = clusters::view(&cluster, ctx.now);
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
