//! Write-only attributes: values (passwords, keys) the provider needs to create or change
//! an object but that must never be written down — not in the plan, the plan file, the
//! state, or an intent.
//!
//! Every provider is wrapped in [`guard`]. Between the engine and the guard a write-only
//! attribute holds a *digest* of its value (`hmac-sha256:…`); only the configuration the guard
//! passes on carries the value itself. So the planner needs nothing special: a changed
//! password is a changed digest, diffed, shown (as a sensitive value), checked against the
//! attribute's change class (an immutable password is a plan error) like any attribute.
//! Providers see the digests in `prior_state` and `planned_state` too, which tells them
//! whether the value changed (digests differ) while the value is in `config`.
//!
//! The digest is HMAC-SHA256, keyed with the workspace's secret key
//! ([`WorkspaceKey`], kept outside the state), of the type, attribute and value
//! (`hmac-sha256:…`). It has no random salt: it must come out the same at plan time and at
//! apply time (apply re-plans and checks the final plan against the saved one) and on every
//! later plan (or nothing would ever be a no-op). The key is what makes it safe to store:
//! without it, a dictionary of passwords tells nothing from the state.
//!
//! Migration: states written before the key existed hold unkeyed digests (`sha256:…`,
//! [`legacy_digest`]). Such a digest is compared the old way: when it matches the configured
//! value the plan keeps it (no change, so an immutable password does not block every plan),
//! and the next apply of the object records the keyed digest instead.
//!
//! An imported object has values Corral never saw: its write-only attributes hold
//! [`UNSEEN`], which every plan takes as current (importing a cluster must not plan to
//! replace it for its immutable password); the digest of the configured value is recorded
//! the next time the object is applied.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::*;
use crate::diag::{Diagnostic, Diagnostics};
use crate::schema::ProviderSchema;
use crate::secret::WorkspaceKey;
use crate::value::{Type, Value};

/// The provider, wrapped so write-only values never come back from it. Providers without
/// write-only attributes (and without schema problems) are returned as they are.
pub fn guard(provider: Arc<dyn Provider>, key: &WorkspaceKey) -> Arc<dyn Provider> {
    let schema = provider.schema();
    let problems = schema.problems();
    let fields: BTreeMap<String, Vec<String>> = schema
        .resources
        .iter()
        .filter_map(|(type_name, resource)| {
            let names: Vec<String> =
                resource.block.attributes.iter().filter(|(_, a)| a.write_only).map(|(n, _)| n.clone()).collect();
            (!names.is_empty()).then(|| (type_name.clone(), names))
        })
        .collect();
    if fields.is_empty() && problems.is_empty() {
        return provider;
    }
    Arc::new(Guard { inner: provider, fields, problems, key: key.clone() })
}

/// What an imported object holds in place of a digest: a value nobody told Corral.
pub const UNSEEN: &str = "unseen";

/// The prefix of a keyed digest.
pub const DIGEST_PREFIX: &str = "hmac-sha256:";

/// The digest that stands for a write-only value in a workspace with this key.
pub fn digest(key: &WorkspaceKey, type_name: &str, attribute: &str, value: &str) -> String {
    let tag = key.mac("corral write-only v2", &[type_name.as_bytes(), attribute.as_bytes(), value.as_bytes()]);
    format!("{DIGEST_PREFIX}{}", hex::encode(tag))
}

/// The unkeyed digest of Corral versions before the workspace key (`sha256:…`): still
/// recognised in old states, never written.
pub fn legacy_digest(type_name: &str, attribute: &str, value: &str) -> String {
    let mut hasher = Sha256::new();
    // Length-prefixed parts: no two (type, attribute, value) triples hash the same input.
    for part in ["corral write-only v1", type_name, attribute, value] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    format!("sha256:{:x}", hasher.finalize())
}

struct Guard {
    inner: Arc<dyn Provider>,
    /// Write-only attribute names by resource type.
    fields: BTreeMap<String, Vec<String>>,
    /// What is wrong with the provider's schema; every call fails while there is any.
    problems: Vec<String>,
    /// The workspace's key, which keys the digests.
    key: WorkspaceKey,
}

impl Guard {
    fn fields(&self, type_name: &str) -> &[String] {
        self.fields.get(type_name).map(Vec::as_slice).unwrap_or(&[])
    }

    fn schema_error(&self) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        if !self.problems.is_empty() {
            diagnostics.push(
                Diagnostic::error("Provider schema is invalid")
                    .with_detail(self.problems.join("; "))
                    .with_help("this is a bug in the provider; report it to its authors"),
            );
        }
        diagnostics
    }

    /// The digest the configured value stands for, given the object's prior digest.
    fn planned_digest(&self, type_name: &str, name: &str, config: &Value, prior: Option<&Value>) -> Value {
        let prior = prior.and_then(|p| p.get_attr(name)).and_then(Value::as_str);
        if prior == Some(UNSEEN) {
            return Value::String(UNSEEN.to_string());
        }
        match config.get_attr(name).map(Value::unmarked) {
            None | Some(Value::Null(_)) => Value::Null(Type::String),
            Some(Value::String(text)) => match prior {
                // An unkeyed digest from an older Corral that matches: unchanged (see the module doc).
                Some(old) if old.starts_with("sha256:") && old == legacy_digest(type_name, name, text) => {
                    Value::String(old.to_string())
                }
                _ => Value::String(digest(&self.key, type_name, name, text)),
            },
            Some(_) => Value::Unknown(Type::String),
        }
    }

    fn recorded_digest(&self, type_name: &str, name: &str, config: &Value, planned: Option<&Value>) -> Value {
        match config.get_attr(name).map(Value::unmarked) {
            Some(Value::String(text)) => Value::String(digest(&self.key, type_name, name, text)),
            _ => planned.and_then(|p| p.get_attr(name)).cloned().unwrap_or(Value::Null(Type::String)),
        }
    }
}

impl Guard {
    /// Prepares a plan request: the proposal carries the prior digest, not the value (what
    /// the provider proposes to store must never be the value). Returns the names and the
    /// digests the planned state must hold.
    fn before_plan<'s>(&'s self, request: &mut PlanRequest) -> Option<(&'s [String], Vec<Value>)> {
        let names = self.fields(&request.type_name);
        if names.is_empty() {
            return None;
        }
        let prior = request.prior_state.as_ref();
        let digests: Vec<Value> =
            names.iter().map(|name| self.planned_digest(&request.type_name, name, &request.config, prior)).collect();
        let prior_fields = fields_of(prior, names);
        let proposal = std::mem::replace(&mut request.proposed_new_state, Value::Null(Type::Dynamic));
        request.proposed_new_state = replace_fields(proposal, names, prior_fields);
        Some((names, digests))
    }

    /// The remote object cannot tell its write-only values: a read keeps what was recorded.
    fn before_read<'s>(&'s self, request: &ReadRequest) -> Option<(&'s [String], Vec<Value>)> {
        let names = self.fields(&request.type_name);
        (!names.is_empty()).then(|| (names, fields_of(Some(&request.current_state), names)))
    }
}

fn after_plan(mut response: PlanResponse, digests: Option<(&[String], Vec<Value>)>) -> PlanResponse {
    if let Some((names, digests)) = digests {
        response.planned_state = response.planned_state.map(|planned| replace_fields(planned, names, digests));
    }
    response
}

fn after_read(mut response: ReadResponse, recorded: Option<(&[String], Vec<Value>)>) -> ReadResponse {
    if let Some((names, recorded)) = recorded {
        response.new_state = response.new_state.map(|state| replace_fields(state, names, recorded));
    }
    response
}

/// The value with each named attribute set to the matching value. Only the few write-only
/// values are computed ahead of a call (never a copy of the whole object): plans of
/// thousands of instances go through here.
fn replace_fields(value: Value, names: &[String], values: Vec<Value>) -> Value {
    let (bare, marked) = value.unmark();
    match bare {
        Value::Object(mut attrs) => {
            for (name, value) in names.iter().zip(values) {
                attrs.insert(name.clone(), value);
            }
            Value::Object(attrs).marked_if(marked)
        }
        other => other.marked_if(marked),
    }
}

fn fields_of(value: Option<&Value>, names: &[String]) -> Vec<Value> {
    names
        .iter()
        .map(|name| value.and_then(|v| v.get_attr(name)).cloned().unwrap_or(Value::Null(Type::String)))
        .collect()
}

#[async_trait::async_trait]
impl Provider for Guard {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.inner.schema()
    }

    fn validate_resource(&self, request: ValidateResourceRequest) -> ValidateResourceResponse {
        if !self.problems.is_empty() {
            return ValidateResourceResponse { diagnostics: self.schema_error() };
        }
        self.inner.validate_resource(request)
    }

    async fn configure(&self, request: ConfigureRequest) -> ConfigureResponse {
        if !self.problems.is_empty() {
            return ConfigureResponse { diagnostics: self.schema_error() };
        }
        self.inner.configure(request).await
    }

    async fn plan(&self, mut request: PlanRequest) -> PlanResponse {
        let digests = self.before_plan(&mut request);
        let response = self.inner.plan(request).await;
        after_plan(response, digests)
    }

    async fn plan_batch(&self, mut requests: Vec<PlanRequest>) -> Vec<PlanResponse> {
        let digests: Vec<_> = requests.iter_mut().map(|request| self.before_plan(request)).collect();
        let responses = self.inner.plan_batch(requests).await;
        responses.into_iter().zip(digests).map(|(response, digests)| after_plan(response, digests)).collect()
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        let names = self.fields(&request.type_name);
        if names.is_empty() || request.planned_state.is_none() {
            return self.inner.apply(request).await;
        }
        let digests: Vec<Value> = names
            .iter()
            .map(|name| self.recorded_digest(&request.type_name, name, &request.config, request.planned_state.as_ref()))
            .collect();
        let mut response = self.inner.apply(request).await;
        response.new_state = response.new_state.map(|state| replace_fields(state, names, digests));
        response
    }

    async fn read(&self, request: ReadRequest) -> ReadResponse {
        let recorded = self.before_read(&request);
        let response = self.inner.read(request).await;
        after_read(response, recorded)
    }

    async fn read_batch(&self, requests: Vec<ReadRequest>, concurrency: usize) -> Vec<ReadResponse> {
        let recorded: Vec<_> = requests.iter().map(|request| self.before_read(request)).collect();
        let responses = self.inner.read_batch(requests, concurrency).await;
        responses.into_iter().zip(recorded).map(|(response, recorded)| after_read(response, recorded)).collect()
    }

    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse {
        self.inner.read_data(request).await
    }

    async fn find_created(&self, request: FindCreatedRequest) -> FindCreatedResponse {
        let names = self.fields(&request.type_name);
        if names.is_empty() {
            return self.inner.find_created(request).await;
        }
        let planned = fields_of(request.planned_state.as_ref(), names);
        let mut response = self.inner.find_created(request).await;
        response.state = response.state.map(|state| replace_fields(state, names, planned));
        response
    }

    async fn authorize(&self, request: crate::provider::AuthorizeRequest) -> crate::provider::AuthorizeResponse {
        self.inner.authorize(request).await
    }

    fn call_function(&self, request: crate::provider::CallFunctionRequest) -> crate::provider::CallFunctionResponse {
        self.inner.call_function(request)
    }

    async fn import(&self, request: ImportRequest) -> ImportResponse {
        let names = self.fields(&request.type_name);
        let unseen = vec![Value::String(UNSEEN.to_string()); names.len()];
        let mut response = self.inner.import(request).await;
        response.state = response.state.map(|state| replace_fields(state, names, unseen));
        response
    }
}

#[cfg(test)]
mod tests;
