//! What KMR objects that are plain records with no lifecycle of their own (cluster
//! templates, execution plans) do the same way, differing only in the API's names and
//! shapes and the resource's attributes, checks and plan ([`Record`], implemented on
//! `corral_api_kmr`'s types): the whole resource type ([`RecordApi`]). One action to create,
//! modify or delete, then a describe to record what the service made of it; refresh by
//! describing; adoption of an interrupted create by listing and matching the client token;
//! import by the record's id.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use corral_core::diag::Diagnostics;
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadRequest, ReadResponse,
};
use corral_core::schema::ResourceSchema;
use corral_core::value::{Path, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cluster::spec::{attributes, str_attr};
use crate::kmr_api::{api_error, call, client_token, error, is_not_found};
use crate::resource::{Ctx, Lifecycle, TypeSpec};

/// A resource's attributes by name.
pub(crate) type Attrs = BTreeMap<String, Value>;

/// One kind of record as the API has it: its actions, their requests and answers, and the
/// resource's plan and state from one record (its name, schema and checks are its
/// [`TypeSpec`]).
pub(crate) trait Record: TypeSpec + DeserializeOwned + Send + Sync + 'static {
    /// For messages: `cluster template`.
    const NOUN: &'static str;
    const CREATE: &'static str;
    const MODIFY: &'static str;
    const DELETE: &'static str;
    const DESCRIBE: &'static str;
    const LIST: &'static str;
    type Create: Serialize + Send + Sync;
    type Modify: Serialize + Send + Sync;
    /// The request naming one record (describe, delete).
    type Id: Serialize + Send + Sync;
    /// The answer of a create, modify or delete: the record's id.
    type Written: DeserializeOwned + Send;
    type List: DeserializeOwned + Send;

    /// The planned attributes of a create or update, from the proposed ones in `planned`
    /// (`config` as written, `prior` unless it is a create); returns what forces replacement.
    fn plan(schema: &ResourceSchema, planned: &mut Attrs, config: &Attrs, prior: Option<&Attrs>) -> Vec<Path>;
    /// A create request from the planned attributes, with the client token.
    fn create(planned: &BTreeMap<String, Value>, client_token: String) -> Self::Create;
    /// A modify request of record `id` from the planned attributes.
    fn modify(planned: &BTreeMap<String, Value>, id: String) -> Self::Modify;
    fn id(id: String) -> Self::Id;
    fn written_id(answer: Self::Written) -> String;
    fn listed(answer: Self::List) -> Vec<Self>;
    fn client_token(&self) -> Option<&str>;
    /// The state from the record, with what only the configuration knows from `base`.
    fn state(&self, base: BTreeMap<String, Value>) -> Value;
}

/// One kind of record as a resource type: everything it does is [`Record`]'s configuration
/// of the same steps.
pub(crate) struct RecordApi<T>(pub(crate) PhantomData<fn() -> T>);

#[async_trait::async_trait]
impl<T: Record> Lifecycle for RecordApi<T> {
    type Spec = T;

    /// A destroy plans as proposed; otherwise [`Record::plan`] on the attributes.
    async fn plan(&self, _ctx: &Ctx, request: PlanRequest) -> PlanResponse {
        if request.proposed_new_state.is_null() {
            return PlanResponse { planned_state: Some(request.proposed_new_state), ..PlanResponse::default() };
        }
        let schema = T::schema();
        let mut planned = attributes(&request.proposed_new_state, &schema);
        let config = attributes(&request.config, &schema);
        let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema));
        let requires_replace = T::plan(&schema, &mut planned, &config, prior.as_ref());
        PlanResponse { planned_state: Some(Value::Object(planned)), requires_replace, ..PlanResponse::default() }
    }

    /// Creates, modifies or deletes the record as the planned change says.
    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
        let schema = T::schema();
        let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema));
        let planned = request.planned_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema));
        let noun = T::NOUN;
        match (prior, planned) {
            (None, None) => ApplyResponse::default(),
            (None, Some(planned)) => {
                let create = T::create(&planned, client_token(&request.idempotency_token));
                match call::<T::Written>(ctx, T::CREATE, &create).await {
                    Ok(answer) => self.finish(ctx, &T::written_id(answer), planned, Diagnostics::new()).await,
                    Err(e) => ApplyResponse {
                        diagnostics: api_error(&format!("creating the {noun}"), &e),
                        ..Default::default()
                    },
                }
            }
            (Some(prior), None) => {
                let Some(id) = str_attr(&prior, "id") else { return ApplyResponse::default() };
                match call::<T::Written>(ctx, T::DELETE, &T::id(id.clone())).await {
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
                let diagnostics = match call::<T::Written>(ctx, T::MODIFY, &T::modify(&planned, id.clone())).await {
                    Ok(_) => Diagnostics::new(),
                    Err(e) => api_error(&format!("changing {noun} {id}"), &e),
                };
                self.finish(ctx, &id, planned, diagnostics).await
            }
        }
    }

    /// Refresh: gone when the service no longer has it.
    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        let prior = attributes(&request.current_state, &T::schema());
        let Some(id) = str_attr(&prior, "id") else {
            return ReadResponse {
                diagnostics: error(format!("the state of the {} has no `id`", T::NOUN)),
                ..Default::default()
            };
        };
        match call::<T>(ctx, T::DESCRIBE, &T::id(id.clone())).await {
            Ok(record) => {
                ReadResponse { new_state: Some(record.state(prior)), private: request.private, ..Default::default() }
            }
            Err(e) if is_not_found(&e) => ReadResponse::default(),
            Err(e) => ReadResponse {
                new_state: Some(request.current_state),
                diagnostics: api_error(&format!("reading {} {id}", T::NOUN), &e),
                ..Default::default()
            },
        }
    }

    /// The record an interrupted create made, found by its client token.
    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        let token = client_token(&request.idempotency_token);
        let found = match call::<T::List>(ctx, T::LIST, &serde_json::Map::new()).await {
            Ok(answer) => T::listed(answer).into_iter().find(|r| r.client_token() == Some(token.as_str())),
            Err(e) => {
                return FindCreatedResponse {
                    diagnostics: api_error(&format!("looking for a created {}", T::NOUN), &e),
                    ..Default::default()
                };
            }
        };
        let base = request.planned_state.as_ref().map(|p| attributes(p, &T::schema())).unwrap_or_default();
        FindCreatedResponse { state: found.map(|r| r.state(base)), ..Default::default() }
    }

    /// Import by the record's id (`DescribeX`), as if nothing but the service knew of it.
    async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse {
        match call::<T>(ctx, T::DESCRIBE, &T::id(request.id.clone())).await {
            Ok(record) => {
                let base = attributes(&Value::empty_object(), &T::schema());
                ImportResponse { state: Some(record.state(base)), ..Default::default() }
            }
            Err(e) if is_not_found(&e) => ImportResponse {
                diagnostics: error(format!("no {} has id `{}`", T::NOUN, request.id)),
                ..Default::default()
            },
            Err(e) => ImportResponse {
                diagnostics: api_error(&format!("importing {} {}", T::NOUN, request.id), &e),
                ..Default::default()
            },
        }
    }
}

impl<T: Record> RecordApi<T> {
    /// The state after a create or modify of record `id`: described afresh; when the describe
    /// fails, what is known of the planned record, so nothing is forgotten.
    async fn finish(
        &self,
        ctx: &Ctx,
        id: &str,
        planned: BTreeMap<String, Value>,
        mut diagnostics: Diagnostics,
    ) -> ApplyResponse {
        let state = match call::<T>(ctx, T::DESCRIBE, &T::id(id.to_string())).await {
            Ok(record) => record.state(planned),
            Err(e) => {
                diagnostics.extend(api_error(&format!("reading {} {id}", T::NOUN), &e));
                known_part(planned, id)
            }
        };
        ApplyResponse { new_state: Some(state), diagnostics, ..Default::default() }
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
