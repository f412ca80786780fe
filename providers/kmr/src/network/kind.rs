//! What every kind of VPC object (VPC, subnet, security group) does the same way, differing
//! only in the API's names: create, modify and delete, and reading objects back — refresh,
//! adoption of an interrupted create, import.

use corral_engine::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, ReadRequest,
    ReadResponse,
};
use corral_engine::value::Value;
use corral_provider_sdk::http::CallError;
use serde_json::json;

use super::VPC_VERSION;
use crate::resource::Ctx;
use crate::support::{api_error, client_token, error, failed, filter, get_str, is_not_found};

/// The API's names for one kind of VPC object, and how its requests and state look.
pub(super) struct Kind {
    /// The resource type, for messages: `kmr_subnet`.
    pub(super) type_name: &'static str,
    /// The object, for messages: `subnet`.
    pub(super) noun: &'static str,
    /// `DescribeSubnets`.
    pub(super) describe_action: &'static str,
    /// `CreateSubnet`, `ModifySubnet`, `DeleteSubnet`.
    pub(super) create_action: &'static str,
    pub(super) modify_action: &'static str,
    pub(super) delete_action: &'static str,
    /// The object in a create or modify answer: `Subnet`.
    pub(super) object_field: &'static str,
    /// The list in the answer: `SubnetSet`.
    pub(super) set_field: &'static str,
    /// The id filter of the describe action, and the id of modify and delete: `SubnetId`.
    pub(super) id_field: &'static str,
    /// The resource's state from one described object.
    pub(super) state: fn(&serde_json::Value) -> Value,
    /// A create request's fields from the planned state (the client token is added).
    pub(super) create_body: fn(&Value) -> serde_json::Value,
    /// A modify request's fields from the planned state (the id is added).
    pub(super) modify_body: fn(&Value) -> serde_json::Value,
}

impl Kind {
    /// Create, modify in place, or delete, as the plan says. A failed modify or delete keeps
    /// the prior state, so nothing is forgotten.
    pub(super) async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
        let prior = request.prior_state.filter(|p| !p.is_null());
        let planned = request.planned_state.filter(|p| !p.is_null());
        match (prior, planned) {
            (None, Some(planned)) => {
                let mut body = (self.create_body)(&planned);
                body["ClientToken"] = json!(client_token(&request.idempotency_token));
                match self.write(ctx, self.create_action, &body).await {
                    Ok(response) => response,
                    Err(e) => failed(None, api_error(&format!("creating {}", self.type_name), &e)),
                }
            }
            (Some(prior), Some(planned)) => {
                let id = get_str(&prior, "id").unwrap_or_default();
                let mut body = (self.modify_body)(&planned);
                body[self.id_field] = json!(id);
                match self.write(ctx, self.modify_action, &body).await {
                    Ok(response) => response,
                    Err(e) => failed(Some(prior), api_error(&format!("updating {} {id}", self.type_name), &e)),
                }
            }
            (Some(prior), None) => {
                let id = get_str(&prior, "id").unwrap_or_default();
                let mut body = serde_json::Map::new();
                body.insert(self.id_field.to_string(), json!(id));
                match ctx.vpc.call(self.delete_action, VPC_VERSION, &serde_json::Value::Object(body)).await {
                    Ok(_) => ApplyResponse::default(),
                    Err(e) if is_not_found(&e) => ApplyResponse::default(),
                    Err(e) => failed(Some(prior), api_error(&format!("deleting {} {id}", self.type_name), &e)),
                }
            }
            (None, None) => ApplyResponse::default(),
        }
    }

    /// A create or modify call: the state is the object the answer holds.
    async fn write(&self, ctx: &Ctx, action: &str, body: &serde_json::Value) -> Result<ApplyResponse, CallError> {
        let answer = ctx.vpc.call(action, VPC_VERSION, body).await?;
        Ok(ApplyResponse { new_state: Some((self.state)(&answer[self.object_field])), ..ApplyResponse::default() })
    }

    /// Every object a describe request matches.
    pub(super) async fn describe(
        &self,
        ctx: &Ctx,
        body: serde_json::Value,
    ) -> Result<Vec<serde_json::Value>, CallError> {
        let answer = ctx.vpc.call(self.describe_action, VPC_VERSION, &body).await?;
        Ok(answer.get(self.set_field).and_then(|s| s.as_array()).cloned().unwrap_or_default())
    }

    async fn by_id(&self, ctx: &Ctx, id: &str) -> Result<Option<serde_json::Value>, CallError> {
        let mut body = serde_json::Map::new();
        body.insert(self.id_field.to_string(), json!([id]));
        Ok(self.describe(ctx, serde_json::Value::Object(body)).await?.into_iter().next())
    }

    /// Refresh: `None` when the object is gone.
    pub(super) async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        let Some(id) = get_str(&request.current_state, "id") else {
            return ReadResponse {
                diagnostics: error(format!("the state of {} has no `id`", self.type_name)),
                ..ReadResponse::default()
            };
        };
        match self.by_id(ctx, &id).await {
            Ok(found) => ReadResponse {
                new_state: found.as_ref().map(self.state),
                private: request.private,
                ..ReadResponse::default()
            },
            Err(e) => ReadResponse {
                new_state: Some(request.current_state),
                diagnostics: api_error(&format!("reading {} {id}", self.type_name), &e),
                ..ReadResponse::default()
            },
        }
    }

    /// The object an interrupted create made, found by its client token.
    pub(super) async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        let token = client_token(&request.idempotency_token);
        match self.describe(ctx, json!({"Filter": [filter("client-token", &token)]})).await {
            Ok(found) => FindCreatedResponse { state: found.first().map(self.state), ..FindCreatedResponse::default() },
            Err(e) => FindCreatedResponse {
                diagnostics: api_error(&format!("looking for an interrupted {} create", self.type_name), &e),
                ..FindCreatedResponse::default()
            },
        }
    }

    pub(super) async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse {
        match self.by_id(ctx, &request.id).await {
            Ok(Some(object)) => ImportResponse { state: Some((self.state)(&object)), ..ImportResponse::default() },
            Ok(None) => ImportResponse {
                diagnostics: error(format!("no {} `{}` exists", self.noun, request.id)),
                ..ImportResponse::default()
            },
            Err(e) => ImportResponse {
                diagnostics: api_error(&format!("importing {}", self.type_name), &e),
                ..ImportResponse::default()
            },
        }
    }
}
