//! The emulated Kyligence Cloud control plane, action style, version `2018-01-11`: stacks
//! (a Hadoop cluster with master/core/task nodes, RDS for metadata, KAP, an S3 bucket for
//! cube data, a load balancer) created, scaled, stopped with a backup, started with a
//! restore, upgraded and deleted; and KAP's answers (cubes, queries) while it serves.
//! Operations are server-side state machines in sandbox time (see `lifecycle`): one call
//! starts one, the stack records its current step, and [`Service::advance`] finishes every
//! step that was due.
//!
//! Quotas: `kyligence_stacks` counts stacks not deleted, `kyligence_nodes` the nodes stacks
//! hold or are making (a stopped stack holds none). The VPC and subnet a stack names are
//! recorded as given: Kyligence Cloud runs in the user's AWS account, not in the sandbox's
//! Kingsoft VPC service.

mod catalog;
mod kap;
mod lifecycle;
pub mod model;
mod stacks;
mod store;

use super::action_style::{Api, stamped};
use corral_api_kyligence::action::*;
use corral_provider_sdk::emulator::{ApiError, ObjectView, RequestContext, Service, Tables};

pub use corral_api_kyligence::VERSION;

/// The Kyligence service; everything it knows is in the sandbox's tables.
#[derive(Clone, Debug, Default)]
pub struct KyligenceService;

const API: Api = Api { name: "Kyligence Cloud", version: VERSION };

impl Service for KyligenceService {
    fn name(&self) -> &'static str {
        corral_api_kyligence::SERVICE
    }

    fn advance(&self, ctx: &mut RequestContext<'_>) {
        if let Err(error) = advance_all(ctx.tables, ctx.now) {
            // Advance cannot answer anyone; an unreadable record is logged and left as is.
            tracing::error!(%error, "kyligence: advancing the sandbox failed");
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
            CREATE_STACK => stacks::create(ctx, body),
            DESCRIBE_STACK => stacks::describe(ctx, body),
            LIST_STACKS => stacks::list(ctx, body),
            SCALE_STACK => stacks::scale(ctx, body),
            STOP_STACK => stacks::stop(ctx, body),
            START_STACK => stacks::start(ctx, body),
            UPGRADE_KAP => stacks::upgrade(ctx, body),
            DELETE_STACK => stacks::delete(ctx, body),
            LIST_STORAGE => stacks::list_storage(ctx),
            LIST_CUBES => kap::list_cubes(ctx, body),
            QUERY => kap::query(ctx, body),
            other => Err(API.no_action(other)),
        }?;
        Ok(stamped(ctx, answer))
    }

    fn inspect(&self, ctx: &mut RequestContext<'_>) -> Vec<ObjectView> {
        let view = |kind: &str, id: String, state: String, attributes: serde_json::Value| ObjectView {
            service: corral_api_kyligence::SERVICE.into(),
            kind: kind.into(),
            id,
            state,
            attributes,
        };
        let mut views = Vec::new();
        for stack in store::list::<model::Stack>(ctx.tables, model::STACKS).unwrap_or_default() {
            let mut attributes = serde_json::to_value(stack.view()).unwrap_or_default();
            // What only the service sees: KAP's state on the nodes.
            attributes["KapLocal"] = serde_json::to_value(&stack.kap_local).unwrap_or_default();
            views.push(view("stack", stack.stack_id.clone(), stack.stack_status.clone(), attributes));
        }
        for bucket in store::list::<model::Bucket>(ctx.tables, model::BUCKETS).unwrap_or_default() {
            let attributes = serde_json::to_value(&bucket).unwrap_or_default();
            views.push(view("s3_bucket", bucket.bucket.clone(), "available".into(), attributes));
        }
        for database in store::list::<model::Database>(ctx.tables, model::DATABASES).unwrap_or_default() {
            let attributes = serde_json::to_value(&database).unwrap_or_default();
            views.push(view("rds_instance", database.rds_id.clone(), "available".into(), attributes));
        }
        views
    }
}

/// Moves every stack forward to `now`.
fn advance_all(tables: &mut dyn Tables, now: chrono::DateTime<chrono::Utc>) -> Result<(), ApiError> {
    for mut stack in store::list::<model::Stack>(tables, model::STACKS)? {
        if lifecycle::advance_stack(tables, &mut stack, now)? {
            store::put(tables, model::STACKS, &stack.stack_id.clone(), &stack)?;
        }
    }
    Ok(())
}

/// Makes a step of the stack's operations fail when it finishes (for tests of failure
/// handling); the stack then reads `failed`, naming the step.
pub fn fail_at_step(tables: &mut dyn Tables, stack_id: &str, step: &str) -> Result<(), ApiError> {
    let mut stack = store::get::<model::Stack>(tables, model::STACKS, stack_id)?
        .ok_or_else(|| ApiError::not_found(corral_api_kyligence::errors::STACK_NOT_FOUND, stack_id.to_string()))?;
    stack.fail_at_step = Some(step.to_string());
    store::put(tables, model::STACKS, stack_id, &stack)
}

#[cfg(test)]
mod tests;
