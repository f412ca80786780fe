//! Reading VPC objects back — refresh, adoption of an interrupted create, import — which
//! is the same three lookups for every kind of object, differing only in the API's names.

use corral_engine::provider::{
    FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, ReadRequest, ReadResponse,
};
use corral_engine::value::Value;
use corral_provider_sdk::http::CallError;
use serde_json::json;

use super::VPC_VERSION;
use crate::resource::Ctx;
use crate::support::{api_error, client_token, error, filter, get_str};

/// The API's names for one kind of VPC object.
pub(super) struct Lookup {
    /// The resource type, for messages: `kmr_subnet`.
    pub(super) type_name: &'static str,
    /// The object, for messages: `subnet`.
    pub(super) noun: &'static str,
    /// `DescribeSubnets`.
    pub(super) action: &'static str,
    /// The list in the answer: `SubnetSet`.
    pub(super) set_field: &'static str,
    /// The id filter of the describe action: `SubnetId`.
    pub(super) id_field: &'static str,
    /// The resource's state from one described object.
    pub(super) state: fn(&serde_json::Value) -> Value,
}

impl Lookup {
    /// Every object a describe request matches.
    pub(super) async fn describe(
        &self,
        ctx: &Ctx,
        body: serde_json::Value,
    ) -> Result<Vec<serde_json::Value>, CallError> {
        let answer = ctx.vpc.call(self.action, VPC_VERSION, &body).await?;
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
