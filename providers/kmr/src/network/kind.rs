//! What every kind of VPC object (VPC, subnet, security group, peering connection) does the
//! same way, differing only in the API's names and shapes and the resource's attributes
//! ([`Object`], implemented on `corral_api_vpc`'s types): the whole resource type ([`Kind`]) —
//! create, modify and delete, and reading objects back (refresh, adoption of an interrupted
//! create, import).

use std::marker::PhantomData;

use corral_api_vpc::names::FILTER_CLIENT_TOKEN;
use corral_api_vpc::{Filter, ReturnAnswer};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadRequest, ReadResponse,
};
use corral_core::value::Value;
use corral_provider_sdk::http::CallError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::VPC_VERSION;
use crate::resource::{Ctx, Lifecycle, TypeSpec};
use crate::support::{api_error, call_api, client_token, error, failed, get_str, is_not_found, plan_from_schema};

/// A kind of VPC object as the API has it: its actions, their requests and answers, and the
/// resource's state from one object (its name, schema and checks are its [`TypeSpec`]).
pub(crate) trait Object: TypeSpec + DeserializeOwned + Send + Sync + 'static {
    /// The object, for messages: `subnet`.
    const NOUN: &'static str;
    /// `CreateSubnet`, `ModifySubnet`, `DeleteSubnet`, `DescribeSubnets`.
    const CREATE: &'static str;
    const MODIFY: &'static str;
    const DELETE: &'static str;
    const DESCRIBE: &'static str;
    type Create: Serialize + Send + Sync;
    type Modify: Serialize + Send + Sync;
    type Delete: Serialize + Send + Sync;
    type Describe: Serialize + Send + Sync;
    /// The answer of a create or a modify, holding the object.
    type Written: DeserializeOwned + Send;
    type Described: DeserializeOwned + Send;

    /// A create request from the planned state, with the client token.
    fn create(planned: &Value, client_token: String) -> Self::Create;
    /// A modify request of object `id` from the planned state.
    fn modify(planned: &Value, id: String) -> Self::Modify;
    fn delete(id: String) -> Self::Delete;
    /// A describe request: these ids (all when empty), narrowed by filters.
    fn describe(ids: Vec<String>, filter: Vec<Filter>) -> Self::Describe;
    fn written(answer: Self::Written) -> Option<Self>;
    fn described(answer: Self::Described) -> Vec<Self>;
    /// The resource's state from the object.
    fn state(&self) -> Value;

    /// Whether the object in `prior` is the service's own: a destroy then forgets it and
    /// leaves it be (a warning says so) instead of deleting it.
    fn service_managed(prior: &Value) -> bool {
        let _ = prior;
        false
    }
}

/// One kind of object as a resource type (`kmr_subnet`): everything it does is [`Object`]'s
/// configuration of the same steps.
pub(crate) struct Kind<T>(pub(crate) PhantomData<fn() -> T>);

#[async_trait::async_trait]
impl<T: Object> Lifecycle for Kind<T> {
    type Spec = T;

    /// From the schema alone.
    async fn plan(&self, _ctx: &Ctx, request: PlanRequest) -> PlanResponse {
        plan_from_schema(&T::schema(), &request)
    }

    /// Create, modify in place, or delete, as the plan says. A failed modify or delete keeps
    /// the prior state, so nothing is forgotten.
    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
        let deleting = request.planned_state.as_ref().is_none_or(Value::is_null);
        if let Some(prior) = request.prior_state.as_ref().filter(|p| deleting && !p.is_null())
            && T::service_managed(prior)
        {
            let id = get_str(prior, "id").unwrap_or_default();
            return ApplyResponse {
                diagnostics: Diagnostics::from(Diagnostic::warning(format!(
                    "{} {id} is managed by KMR: Corral forgets it but does not delete it",
                    T::NOUN
                ))),
                ..ApplyResponse::default()
            };
        }
        let prior = request.prior_state.filter(|p| !p.is_null());
        let planned = request.planned_state.filter(|p| !p.is_null());
        match (prior, planned) {
            (None, Some(planned)) => {
                let create = T::create(&planned, client_token(&request.idempotency_token));
                match self.write(ctx, T::CREATE, &create).await {
                    Ok(response) => response,
                    Err(e) => failed(None, api_error(&format!("creating {}", T::TYPE), &e)),
                }
            }
            (Some(prior), Some(planned)) => {
                let id = get_str(&prior, "id").unwrap_or_default();
                match self.write(ctx, T::MODIFY, &T::modify(&planned, id.clone())).await {
                    Ok(response) => response,
                    Err(e) => failed(Some(prior), api_error(&format!("updating {} {id}", T::TYPE), &e)),
                }
            }
            (Some(prior), None) => {
                let id = get_str(&prior, "id").unwrap_or_default();
                let deleted: Result<ReturnAnswer, _> =
                    call_api(&ctx.vpc, T::DELETE, VPC_VERSION, &T::delete(id.clone())).await;
                match deleted {
                    Ok(_) => ApplyResponse::default(),
                    Err(e) if is_not_found(&e) => ApplyResponse::default(),
                    Err(e) => failed(Some(prior), api_error(&format!("deleting {} {id}", T::TYPE), &e)),
                }
            }
            (None, None) => ApplyResponse::default(),
        }
    }

    /// Refresh: `None` when the object is gone.
    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        let Some(id) = get_str(&request.current_state, "id") else {
            return ReadResponse {
                diagnostics: error(format!("the state of {} has no `id`", T::TYPE)),
                ..ReadResponse::default()
            };
        };
        match self.by_id(ctx, &id).await {
            Ok(found) => ReadResponse {
                new_state: found.as_ref().map(T::state),
                private: request.private,
                ..ReadResponse::default()
            },
            Err(e) => ReadResponse {
                new_state: Some(request.current_state),
                diagnostics: api_error(&format!("reading {} {id}", T::TYPE), &e),
                ..ReadResponse::default()
            },
        }
    }

    /// The object an interrupted create made, found by its client token.
    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        let token = client_token(&request.idempotency_token);
        match self.describe(ctx, Vec::new(), vec![Filter::new(FILTER_CLIENT_TOKEN, &token)]).await {
            Ok(found) => FindCreatedResponse { state: found.first().map(T::state), ..FindCreatedResponse::default() },
            Err(e) => FindCreatedResponse {
                diagnostics: api_error(&format!("looking for an interrupted {} create", T::TYPE), &e),
                ..FindCreatedResponse::default()
            },
        }
    }

    async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse {
        match self.by_id(ctx, &request.id).await {
            Ok(Some(object)) => ImportResponse { state: Some(object.state()), ..ImportResponse::default() },
            Ok(None) => ImportResponse {
                diagnostics: error(format!("no {} `{}` exists", T::NOUN, request.id)),
                ..ImportResponse::default()
            },
            Err(e) => ImportResponse {
                diagnostics: api_error(&format!("importing {}", T::TYPE), &e),
                ..ImportResponse::default()
            },
        }
    }
}

impl<T: Object> Kind<T> {
    /// A create or modify call: the state is the object the answer holds.
    async fn write(&self, ctx: &Ctx, action: &str, request: &impl Serialize) -> Result<ApplyResponse, CallError> {
        let answer: T::Written = call_api(&ctx.vpc, action, VPC_VERSION, request).await?;
        let object = T::written(answer).ok_or_else(|| CallError::Transport {
            endpoint: ctx.vpc.config.endpoint.clone(),
            message: format!("the answer of {action} holds no {}", T::NOUN),
        })?;
        Ok(ApplyResponse { new_state: Some(object.state()), ..ApplyResponse::default() })
    }

    /// Every object a describe request matches.
    pub(crate) async fn describe(&self, ctx: &Ctx, ids: Vec<String>, filter: Vec<Filter>) -> Result<Vec<T>, CallError> {
        let answer: T::Described = call_api(&ctx.vpc, T::DESCRIBE, VPC_VERSION, &T::describe(ids, filter)).await?;
        Ok(T::described(answer))
    }

    async fn by_id(&self, ctx: &Ctx, id: &str) -> Result<Option<T>, CallError> {
        Ok(self.describe(ctx, vec![id.to_string()], Vec::new()).await?.into_iter().next())
    }
}
