//! What KMR objects that are plain records with no lifecycle of their own (cluster
//! templates, execution plans) do the same way, differing only in the API's names: one
//! action to create, modify or delete, then a describe to record what the service made of
//! it; refresh by describing; adoption of an interrupted create by listing and matching the
//! client token.

use std::collections::BTreeMap;

use corral_engine::diag::Diagnostics;
use corral_engine::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ReadRequest, ReadResponse,
};
use corral_engine::schema::ResourceSchema;
use corral_engine::value::Value;
use serde_json::json;

use crate::cluster::spec::{attributes, str_attr};
use crate::kmr_api::{api_error, call, client_token, error, is_not_found};
use crate::resource::Ctx;

/// The API's names for one kind of record, and how its requests and state look.
pub(crate) struct RecordApi {
    pub(crate) create: &'static str,
    pub(crate) modify: &'static str,
    pub(crate) delete: &'static str,
    pub(crate) describe: &'static str,
    /// The list action and the list in its answer (`ListClusterTemplates`, `Templates`).
    pub(crate) list: &'static str,
    pub(crate) list_field: &'static str,
    /// The id field in requests and answers (`TemplateId`).
    pub(crate) id_field: &'static str,
    /// For messages: `cluster template`.
    pub(crate) noun: &'static str,
    pub(crate) schema: fn() -> ResourceSchema,
    /// A create or modify request's fields from the planned attributes.
    pub(crate) body: fn(&BTreeMap<String, Value>) -> serde_json::Value,
    /// The state from a described record, with what only the configuration knows from `base`.
    pub(crate) state: fn(&serde_json::Value, BTreeMap<String, Value>) -> Value,
}

impl RecordApi {
    /// Creates, modifies or deletes the record as the planned change says.
    pub(crate) async fn apply(&self, ctx: &Ctx, request: &ApplyRequest) -> ApplyResponse {
        let schema = (self.schema)();
        let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema));
        let planned = request.planned_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema));
        let noun = self.noun;
        match (prior, planned) {
            (None, None) => ApplyResponse::default(),
            (None, Some(planned)) => {
                let mut body = (self.body)(&planned);
                body["ClientToken"] = json!(client_token(&request.idempotency_token));
                match call(ctx, self.create, body).await {
                    Ok(answer) => {
                        let id = answer.get(self.id_field).and_then(|i| i.as_str()).unwrap_or_default().to_string();
                        self.finish(ctx, &id, planned, Diagnostics::new()).await
                    }
                    Err(e) => ApplyResponse {
                        diagnostics: api_error(&format!("creating the {noun}"), &e),
                        ..Default::default()
                    },
                }
            }
            (Some(prior), None) => {
                let Some(id) = str_attr(&prior, "id") else { return ApplyResponse::default() };
                match call(ctx, self.delete, self.id_body(&id)).await {
                    Ok(_) => ApplyResponse::default(),
                    Err(e) if is_not_found(&e) => ApplyResponse::default(),
                    Err(e) => ApplyResponse {
                        new_state: Some(Value::Object(prior)),
                        diagnostics: api_error(&format!("deleting {noun} {id}"), &e),
                        ..Default::default()
                    },
                }
            }
            (Some(prior), Some(planned)) => {
                let Some(id) = str_attr(&prior, "id") else {
                    return ApplyResponse {
                        diagnostics: error(format!("the state of the {noun} has no `id`")),
                        ..Default::default()
                    };
                };
                let mut body = (self.body)(&planned);
                body[self.id_field] = json!(id);
                let diagnostics = match call(ctx, self.modify, body).await {
                    Ok(_) => Diagnostics::new(),
                    Err(e) => api_error(&format!("changing {noun} {id}"), &e),
                };
                self.finish(ctx, &id, planned, diagnostics).await
            }
        }
    }

    /// Refresh: gone when the service no longer has it.
    pub(crate) async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        let prior = attributes(&request.current_state, &(self.schema)());
        let Some(id) = str_attr(&prior, "id") else {
            return ReadResponse {
                diagnostics: error(format!("the state of the {} has no `id`", self.noun)),
                ..Default::default()
            };
        };
        match call(ctx, self.describe, self.id_body(&id)).await {
            Ok(record) => ReadResponse {
                new_state: Some((self.state)(&record, prior)),
                private: request.private,
                ..Default::default()
            },
            Err(e) if is_not_found(&e) => ReadResponse::default(),
            Err(e) => ReadResponse {
                new_state: Some(request.current_state),
                diagnostics: api_error(&format!("reading {} {id}", self.noun), &e),
                ..Default::default()
            },
        }
    }

    /// The record an interrupted create made, found by its client token.
    pub(crate) async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        let token = client_token(&request.idempotency_token);
        let found = match call(ctx, self.list, json!({})).await {
            Ok(answer) => answer.get(self.list_field).and_then(|l| l.as_array()).and_then(|records| {
                records.iter().find(|r| r.get("ClientToken").and_then(|c| c.as_str()) == Some(token.as_str())).cloned()
            }),
            Err(e) => {
                return FindCreatedResponse {
                    diagnostics: api_error(&format!("looking for a created {}", self.noun), &e),
                    ..Default::default()
                };
            }
        };
        let schema = (self.schema)();
        let base = request.planned_state.as_ref().map(|p| attributes(p, &schema)).unwrap_or_default();
        FindCreatedResponse { state: found.map(|r| (self.state)(&r, base)), ..Default::default() }
    }

    /// The state after a create or modify of record `id`: described afresh; when the describe
    /// fails, what is known of the planned record, so nothing is forgotten.
    async fn finish(
        &self,
        ctx: &Ctx,
        id: &str,
        planned: BTreeMap<String, Value>,
        mut diagnostics: Diagnostics,
    ) -> ApplyResponse {
        let state = match call(ctx, self.describe, self.id_body(id)).await {
            Ok(record) => (self.state)(&record, planned),
            Err(e) => {
                diagnostics.extend(api_error(&format!("reading {} {id}", self.noun), &e));
                known_part(planned, id)
            }
        };
        ApplyResponse { new_state: Some(state), diagnostics, ..Default::default() }
    }

    fn id_body(&self, id: &str) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert(self.id_field.to_string(), json!(id));
        serde_json::Value::Object(body)
    }
}

/// A planned object with its `id` and every value not yet known made null: unknowns cannot
/// go to state, and an object that exists must.
pub(crate) fn known_part(mut planned: BTreeMap<String, Value>, id: &str) -> Value {
    planned.insert("id".into(), Value::string(id));
    for value in planned.values_mut() {
        if !value.is_wholly_known() {
            *value = Value::Null(value.ty());
        }
    }
    Value::Object(planned)
}
