//! The apply flow shared by KMR objects that are plain records with no lifecycle of their
//! own (cluster templates, execution plans): one API action to create, modify or delete,
//! then the caller describes the object to record what the service made of it.

use std::collections::BTreeMap;

use corral_engine::diag::Diagnostics;
use corral_engine::provider::{ApplyRequest, ApplyResponse};
use corral_engine::schema::ResourceSchema;
use corral_engine::value::Value;
use serde_json::json;

use crate::cluster::spec::{attributes, str_attr};
use crate::kmr_api::{api_error, call, client_token, error, is_not_found};
use crate::resource::Ctx;

/// The API's names for one kind of record.
pub(crate) struct RecordApi {
    pub(crate) create: &'static str,
    pub(crate) modify: &'static str,
    pub(crate) delete: &'static str,
    /// The id field in requests and answers (`TemplateId`).
    pub(crate) id_field: &'static str,
    /// For messages: `cluster template`.
    pub(crate) noun: &'static str,
}

/// What the caller does next.
pub(crate) enum Next {
    /// Describe the record `id` and return its state (with these diagnostics).
    Describe { id: String, planned: BTreeMap<String, Value>, diagnostics: Diagnostics },
    /// Nothing more to do.
    Done(ApplyResponse),
}

/// Creates, modifies or deletes the record as the planned change says; `body` builds the
/// request body from the planned attributes.
pub(crate) async fn apply(
    ctx: &Ctx,
    request: &ApplyRequest,
    schema: &ResourceSchema,
    api: &RecordApi,
    body: impl Fn(&BTreeMap<String, Value>) -> serde_json::Value,
) -> Next {
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, schema));
    let planned = request.planned_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, schema));
    let noun = api.noun;
    match (prior, planned) {
        (None, None) => Next::Done(ApplyResponse::default()),
        (None, Some(planned)) => {
            let mut request_body = body(&planned);
            request_body["ClientToken"] = json!(client_token(&request.idempotency_token));
            match call(ctx, api.create, request_body).await {
                Ok(answer) => {
                    let id = answer.get(api.id_field).and_then(|i| i.as_str()).unwrap_or_default().to_string();
                    Next::Describe { id, planned, diagnostics: Diagnostics::new() }
                }
                Err(e) => Next::Done(ApplyResponse {
                    diagnostics: api_error(&format!("creating the {noun}"), &e),
                    ..Default::default()
                }),
            }
        }
        (Some(prior), None) => {
            let Some(id) = str_attr(&prior, "id") else { return Next::Done(ApplyResponse::default()) };
            let mut request_body = serde_json::Map::new();
            request_body.insert(api.id_field.to_string(), json!(id));
            match call(ctx, api.delete, serde_json::Value::Object(request_body)).await {
                Ok(_) => Next::Done(ApplyResponse::default()),
                Err(e) if is_not_found(&e) => Next::Done(ApplyResponse::default()),
                Err(e) => Next::Done(ApplyResponse {
                    new_state: Some(Value::Object(prior)),
                    diagnostics: api_error(&format!("deleting {noun} {id}"), &e),
                    ..Default::default()
                }),
            }
        }
        (Some(prior), Some(planned)) => {
            let Some(id) = str_attr(&prior, "id") else {
                return Next::Done(ApplyResponse {
                    diagnostics: error(format!("the state of the {noun} has no `id`")),
                    ..Default::default()
                });
            };
            let mut request_body = body(&planned);
            request_body[api.id_field] = json!(id);
            let diagnostics = match call(ctx, api.modify, request_body).await {
                Ok(_) => Diagnostics::new(),
                Err(e) => api_error(&format!("changing {noun} {id}"), &e),
            };
            Next::Describe { id, planned, diagnostics }
        }
    }
}
