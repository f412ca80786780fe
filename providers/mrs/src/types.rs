//! The MRS provider's resource types, and dispatch by type name: **the one list** (a new
//! type is a line in each function here; `provider` only calls these).

use std::collections::BTreeMap;

use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse,
};
use corral_core::schema::ResourceSchema;
use corral_core::value::Value;

use crate::provider::Ctx;
use crate::{cluster, job, scaling_policy};

/// Every resource type's name.
pub(crate) const NAMES: &[&str] = &[cluster::TYPE_NAME, job::TYPE_NAME, scaling_policy::TYPE_NAME];

pub(crate) fn is_known(type_name: &str) -> bool {
    NAMES.contains(&type_name)
}

pub(crate) fn schemas() -> BTreeMap<String, ResourceSchema> {
    [
        (cluster::TYPE_NAME.to_string(), cluster::schema()),
        (job::TYPE_NAME.to_string(), job::schema()),
        (scaling_policy::TYPE_NAME.to_string(), scaling_policy::schema()),
    ]
    .into_iter()
    .collect()
}

fn unknown(type_name: &str) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(format!("the `mrs` provider has no resource type `{type_name}`")))
}

pub(crate) fn validate(type_name: &str, config: &Value) -> Diagnostics {
    match type_name {
        cluster::TYPE_NAME => cluster::validate(config),
        job::TYPE_NAME | scaling_policy::TYPE_NAME => Diagnostics::new(),
        other => unknown(other),
    }
}

pub(crate) fn plan(request: PlanRequest) -> PlanResponse {
    match request.type_name.as_str() {
        cluster::TYPE_NAME => cluster::plan(request),
        job::TYPE_NAME => job::plan(request),
        scaling_policy::TYPE_NAME => scaling_policy::plan(request),
        other => PlanResponse { diagnostics: unknown(other), ..PlanResponse::default() },
    }
}

pub(crate) async fn apply(ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
    match request.type_name.as_str() {
        cluster::TYPE_NAME => cluster::apply(ctx, request).await,
        job::TYPE_NAME => job::apply(ctx, request).await,
        scaling_policy::TYPE_NAME => scaling_policy::apply(ctx, request).await,
        other => {
            ApplyResponse { new_state: request.prior_state.clone(), diagnostics: unknown(other), ..Default::default() }
        }
    }
}

pub(crate) async fn read(ctx: &Ctx, request: ReadRequest) -> ReadResponse {
    match request.type_name.as_str() {
        cluster::TYPE_NAME => cluster::read(ctx, request).await,
        job::TYPE_NAME => job::read(ctx, request).await,
        scaling_policy::TYPE_NAME => scaling_policy::read(ctx, request).await,
        other => ReadResponse {
            new_state: Some(request.current_state.clone()),
            diagnostics: unknown(other),
            ..Default::default()
        },
    }
}

pub(crate) async fn find_created(ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
    match request.type_name.as_str() {
        cluster::TYPE_NAME => cluster::find_created(ctx, request).await,
        job::TYPE_NAME => job::find_created(ctx, request).await,
        scaling_policy::TYPE_NAME => scaling_policy::find_created(ctx, request).await,
        other => FindCreatedResponse { diagnostics: unknown(other), ..FindCreatedResponse::default() },
    }
}
