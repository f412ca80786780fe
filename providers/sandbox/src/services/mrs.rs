//! The emulated Huawei Cloud MRS (REST v1.1/v2, reached through [`crate::rest`], which has
//! already verified the signature and authorized the operation against IAM): clusters with
//! master/core/task node groups, their states on the sandbox clock (`lifecycle`), one scale at
//! a time with the core floor of 3, the master spec upgraded one master at a time while the
//! cluster keeps answering, tags, auto-scaling policies and jobs.

mod clusters;
mod jobs;
mod lifecycle;
pub mod model;

use corral_api_mrs::errors::ErrorBody;
use corral_api_mrs::operation::{Operation, Routed};
use corral_provider_sdk::emulator::{ApiError, ObjectView, RequestContext, Service};
use serde_json::Value;

pub use jobs::RESULT_PROPERTY;

/// `(HTTP status, body)`; errors carry the MRS error code.
pub(crate) type Answer = Result<(u16, Value), ApiError>;

/// An MRS refusal: the error code goes in `code`, as the REST front door writes
/// `{"error_code","error_msg"}` from it.
pub(crate) fn refuse(status: u16, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

pub(crate) fn answer<T: serde::Serialize>(status: u16, value: &T) -> Answer {
    serde_json::to_value(value).map(|v| (status, v)).map_err(|e| ApiError::new(500, "InternalError", e.to_string()))
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    serde_json::from_value(body.clone())
        .map_err(|e| refuse(400, corral_api_mrs::errors::INVALID_PARAMETER, format!("the body is not valid: {e}")))
}

pub(crate) fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').filter_map(|p| p.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// An error as MRS's body writes it.
pub fn error_body(error: &ApiError) -> ErrorBody {
    ErrorBody { error_code: error.code.clone(), error_msg: error.message.clone() }
}

/// Answers one routed MRS request.
pub fn handle(ctx: &mut RequestContext<'_>, routed: &Routed, method: &str, query: &str, body: &Value) -> Answer {
    let (project, id, job) =
        (routed.param("pid").to_string(), routed.param("id").to_string(), routed.param("job").to_string());
    let (p, i) = (project.as_str(), id.as_str());
    match routed.operation {
        Operation::CreateCluster => clusters::create(ctx, p, body),
        // Creating a cluster that runs steps and may release itself is not emulated: saying so
        // beats creating a cluster that silently drops the steps.
        Operation::RunJobFlow => Err(refuse(
            501,
            corral_api_mrs::errors::INVALID_PARAMETER,
            "the sandbox does not emulate run-job-flow: create the cluster, then submit its jobs",
        )),
        Operation::GetCluster => clusters::detail(ctx, p, i),
        Operation::ListClusters => clusters::list_clusters(ctx, p, query),
        Operation::ListHosts => clusters::hosts(ctx, p, i),
        Operation::ResizeCluster => clusters::resize(ctx, p, i, body),
        Operation::ExpandCluster => clusters::expand(ctx, p, i, body),
        Operation::ShrinkCluster => clusters::shrink(ctx, p, i, body),
        Operation::UpgradeMasterSpec => clusters::upgrade_master(ctx, p, i, body),
        Operation::RenameCluster => clusters::rename(ctx, p, i, body),
        Operation::DeleteCluster => clusters::delete(ctx, p, i),
        Operation::SubmitJob => jobs::submit(ctx, p, i, body),
        Operation::ListJobs => jobs::list_jobs(ctx, p, i),
        Operation::GetJob => jobs::detail(ctx, p, i, &job),
        Operation::KillJob => jobs::kill(ctx, p, i, &job),
        Operation::BatchDeleteJobs => jobs::batch_delete(ctx, p, i, body),
        Operation::GetSqlResult => jobs::sql_result(ctx, p, i, &job),
        Operation::SetScalingPolicyV1
        | Operation::CreateScalingPolicy
        | Operation::GetScalingPolicy
        | Operation::UpdateScalingPolicy
        | Operation::DeleteScalingPolicy => clusters::scaling_policy(ctx, p, i, method, query, body),
        Operation::BatchTags | Operation::CreateTag | Operation::ListClusterTags => {
            clusters::tags(ctx, p, i, None, method, body)
        }
        Operation::DeleteTag => clusters::tags(ctx, p, i, Some(routed.param("key")), method, body),
        Operation::ListProjectTags | Operation::ListResourcesByTag => {
            let live: Vec<model::ClusterRecord> =
                model::list::<model::ClusterRecord>(ctx.tables, model::CLUSTERS, &ctx.account)?
                    .into_iter()
                    .filter(|c| c.project_id == p && c.state != corral_api_mrs::state::ClusterState::Terminated)
                    .collect();
            if routed.operation == Operation::ListProjectTags {
                // Every key in the project with the values it has.
                let mut keys: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
                    Default::default();
                for tag in live.iter().flat_map(|c| &c.tags) {
                    keys.entry(tag.key.clone()).or_default().insert(tag.value.clone());
                }
                let tags: Vec<Value> =
                    keys.into_iter().map(|(key, values)| serde_json::json!({"key": key, "values": values})).collect();
                return answer(200, &serde_json::json!({"tags": tags}));
            }
            let resources: Vec<Value> = live
                .iter()
                .map(|c| serde_json::json!({"resource_id": c.cluster_id, "resource_name": c.cluster_name, "tags": c.tags}))
                .collect();
            answer(200, &serde_json::json!({"resources": resources, "total_count": resources.len()}))
        }
    }
}

/// The MRS service: its state is in the sandbox's tables.
#[derive(Clone, Debug, Default)]
pub struct MrsService;

impl Service for MrsService {
    fn name(&self) -> &'static str {
        corral_api_mrs::SERVICE
    }

    fn advance(&self, ctx: &mut RequestContext<'_>) {
        let result = (|| -> Result<(), ApiError> {
            for mut cluster in model::list::<model::ClusterRecord>(ctx.tables, model::CLUSTERS, "")? {
                if lifecycle::advance_cluster(&mut cluster, ctx.now) {
                    model::put(ctx.tables, model::CLUSTERS, &cluster.cluster_id.clone(), &cluster)?;
                }
            }
            for mut job in model::list::<model::JobRecord>(ctx.tables, model::JOBS, "")? {
                if lifecycle::advance_job(&mut job, ctx.now) {
                    model::put(ctx.tables, model::JOBS, &job.detail.job_id.clone(), &job)?;
                }
            }
            Ok(())
        })();
        if let Err(error) = result {
            // Advance answers no one; an unreadable record is logged and left as is.
            tracing::error!(%error, "mrs: advancing the sandbox failed");
        }
    }

    fn handle(
        &self,
        _ctx: &mut RequestContext<'_>,
        action: &str,
        _version: &str,
        _body: &Value,
    ) -> Result<Value, ApiError> {
        Err(ApiError::bad_request(
            "UnsupportedProtocol",
            format!("MRS is a REST API signed with SDK-HMAC-SHA256 (/v1.1/..., /v2/...), not `?Action={action}`"),
        ))
    }

    fn inspect(&self, ctx: &mut RequestContext<'_>) -> Vec<ObjectView> {
        let mut views = Vec::new();
        for cluster in model::list::<model::ClusterRecord>(ctx.tables, model::CLUSTERS, "").unwrap_or_default() {
            let mut attributes = serde_json::to_value(cluster.info()).unwrap_or_default();
            attributes["pending"] = serde_json::to_value(&cluster.pending).unwrap_or_default();
            attributes["scaling_policies"] = serde_json::to_value(&cluster.scaling_policies).unwrap_or_default();
            views.push(ObjectView {
                service: corral_api_mrs::SERVICE.into(),
                kind: "cluster".into(),
                id: cluster.cluster_id.clone(),
                state: cluster.state.as_str().into(),
                attributes,
            });
        }
        for job in model::list::<model::JobRecord>(ctx.tables, model::JOBS, "").unwrap_or_default() {
            views.push(ObjectView {
                service: corral_api_mrs::SERVICE.into(),
                kind: "job".into(),
                id: job.detail.job_id.clone(),
                state: job.detail.job_state.clone(),
                attributes: serde_json::to_value(&job.detail).unwrap_or_default(),
            });
        }
        views
    }
}

#[cfg(test)]
mod tests;
