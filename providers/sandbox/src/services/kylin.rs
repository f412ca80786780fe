//! The emulated Kylin cluster-mode agent: clusters of nodes that read their pushed
//! `kylin.properties` at start (so a push takes effect only after `RestartNode`), register
//! with the shared metastore while running, answer queries through the load balancer (round
//! robin over running query-capable targets) and schedule builds: one job engine under a
//! distributed lock or Curator leadership, handed to another job-capable node when the active
//! one stops; without either, every running job-capable node schedules and the cluster
//! reports duplicated builds. Node starts and restarts are lazy in sandbox time.

mod clusters;
mod model;
mod nodes;

use super::action_style::{Api, stamped};
use corral_api_kylin::action::*;
use corral_provider_sdk::emulator::{ApiError, ObjectView, RequestContext, Service};

/// The Kylin service; its clusters live in the sandbox's tables.
#[derive(Clone, Debug, Default)]
pub struct KylinService;

const API: Api = Api { name: "Kylin", version: corral_api_kylin::VERSION };

impl Service for KylinService {
    fn name(&self) -> &'static str {
        corral_api_kylin::SERVICE
    }

    fn advance(&self, ctx: &mut RequestContext<'_>) {
        if let Err(error) = clusters::settle_all(ctx) {
            tracing::error!(%error, "kylin: advancing the sandbox failed");
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
            CREATE_CLUSTER => clusters::create(ctx, body),
            DESCRIBE_CLUSTER => clusters::describe(ctx, body),
            LIST_CLUSTERS => clusters::list(ctx),
            UPDATE_CLUSTER => clusters::update(ctx, body),
            DELETE_CLUSTER => clusters::delete(ctx, body),
            RESTART_NODE => nodes::restart(ctx, body),
            STOP_NODE => nodes::stop(ctx, body),
            START_NODE => nodes::start(ctx, body),
            QUERY => nodes::query(ctx, body),
            other => Err(API.no_action(other)),
        }?;
        Ok(stamped(ctx, answer))
    }

    fn inspect(&self, ctx: &mut RequestContext<'_>) -> Vec<ObjectView> {
        model::all(ctx.tables)
            .unwrap_or_default()
            .into_iter()
            .map(|mut cluster| {
                cluster.settle(ctx.now);
                let view = cluster.view();
                ObjectView {
                    service: corral_api_kylin::SERVICE.into(),
                    kind: "kylin_cluster".into(),
                    id: view.cluster_id.clone(),
                    state: view.status.clone(),
                    attributes: serde_json::to_value(&view).unwrap_or_default(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
