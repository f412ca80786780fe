//! Helpers every resource type uses: planning from the schema's change classes, reading
//! attributes out of values, turning API errors into diagnostics, and deriving a
//! `ClientToken` from the engine's idempotency token.

use std::collections::BTreeMap;

use corral_engine::diag::{Diagnostic, Diagnostics};
use corral_engine::provider::{ApplyResponse, PlanRequest, PlanResponse};
use corral_engine::schema::{ChangeClass, ResourceSchema};
use corral_engine::value::{Path, Type, Value};
use corral_provider_sdk::http::CallError;

/// The attributes of an object value, with every attribute of the schema present (null when
/// the value lacks it) and marks removed.
pub fn attributes(value: &Value, schema: &ResourceSchema) -> BTreeMap<String, Value> {
    let (bare, _) = value.clone().unmark_deep();
    schema
        .block
        .attributes
        .iter()
        .map(|(name, attribute)| {
            (name.clone(), bare.get_attr(name).cloned().unwrap_or_else(|| Value::Null(attribute.ty.clone())))
        })
        .collect()
}

/// Whether two values are certainly equal (an unknown never is). Compared by JSON form so
/// the kind of collection does not matter.
pub fn known_equal(a: &Value, b: &Value) -> bool {
    a.is_wholly_known() && b.is_wholly_known() && a.to_json() == b.to_json()
}

/// The usual plan: the proposed state, with
/// - `requires_replace` for every attribute whose change class is not in place and whose
///   value differs from the prior one (or is not known yet);
/// - computed attributes unknown on a create or a replacement, and kept from the prior
///   state on an update (an optional+computed attribute the configuration leaves unset keeps
///   what the service chose).
pub fn plan_from_schema(schema: &ResourceSchema, request: &PlanRequest) -> PlanResponse {
    if request.proposed_new_state.is_null() {
        return PlanResponse { planned_state: Some(request.proposed_new_state.clone()), ..PlanResponse::default() };
    }
    let mut planned = attributes(&request.proposed_new_state, schema);
    let config = attributes(&request.config, schema);
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, schema));
    let mut requires_replace = Vec::new();
    if let Some(prior) = &prior {
        for (name, attribute) in &schema.block.attributes {
            if attribute.change == ChangeClass::InPlace || (attribute.computed && !attribute.optional) {
                continue;
            }
            let new = planned.get(name).cloned().unwrap_or(Value::null());
            let old = prior.get(name).cloned().unwrap_or(Value::null());
            let unset_computed = attribute.computed && config.get(name).is_none_or(Value::is_null);
            let both_null = new.is_null() && old.is_null();
            if !(unset_computed || both_null || known_equal(&new, &old)) {
                requires_replace.push(Path::attr(name));
            }
        }
    }
    let fresh = prior.is_none() || !requires_replace.is_empty();
    for (name, attribute) in &schema.block.attributes {
        if !attribute.computed {
            continue;
        }
        let configured = config.get(name).is_some_and(|v| !v.is_null());
        if attribute.optional && configured {
            continue;
        }
        let value = match (&prior, fresh) {
            (Some(prior), false) => prior.get(name).cloned().unwrap_or(Value::Null(attribute.ty.clone())),
            _ => Value::Unknown(attribute.ty.clone()),
        };
        planned.insert(name.clone(), value);
    }
    PlanResponse { planned_state: Some(Value::Object(planned)), requires_replace, ..PlanResponse::default() }
}

/// A string attribute, if known and not null.
pub fn get_str(value: &Value, name: &str) -> Option<String> {
    value.get_attr(name).and_then(Value::as_str).map(str::to_string)
}

/// A whole-number attribute, if known and not null.
pub fn get_i64(value: &Value, name: &str) -> Option<i64> {
    value.get_attr(name).and_then(Value::as_number).and_then(|n| n.to_i64())
}

/// A string from an API object, as a value (null when absent).
pub fn json_str(object: &serde_json::Value, field: &str) -> Value {
    match object.get(field).and_then(serde_json::Value::as_str) {
        Some(s) => Value::string(s),
        None => Value::Null(Type::String),
    }
}

/// A number from an API object, as a value (null when absent).
pub fn json_i64(object: &serde_json::Value, field: &str) -> Value {
    match object.get(field).and_then(serde_json::Value::as_i64) {
        Some(i) => Value::int(i),
        None => Value::Null(Type::Number),
    }
}

pub fn error(summary: impl Into<String>) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(summary))
}

/// An API failure as a diagnostic: what was being done, the service's code and message
/// (which names a quota and its limit, for example), and the request id for support.
pub fn api_error(doing: &str, e: &CallError) -> Diagnostics {
    let diagnostic = match e {
        CallError::Api { code, message, request_id, status } => {
            Diagnostic::error(format!("{doing}: {code}: {message}"))
                .with_detail(format!("HTTP {status}, request id {request_id}"))
        }
        other => Diagnostic::error(format!("{doing}: {other}")),
    };
    Diagnostics::from(diagnostic)
}

/// A failed apply that keeps `state` (the object as far as it exists), so nothing is lost.
pub fn failed(state: Option<Value>, diagnostics: Diagnostics) -> ApplyResponse {
    ApplyResponse { new_state: state, diagnostics, ..ApplyResponse::default() }
}

/// The `ClientToken` sent with a create: a UUID derived from the engine's idempotency token,
/// so a retried or resumed create sends the same one and fits the API's 64-character limit.
pub fn client_token(idempotency_token: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, idempotency_token.as_bytes()).to_string()
}

/// Whether an API error means the object does not exist.
pub fn is_not_found(e: &CallError) -> bool {
    matches!(e, CallError::Api { status: 404, .. }) || e.code().is_some_and(|c| c.contains("NotFound"))
}

/// A filter of the describe actions: `{"Name": name, "Value": [value]}`.
pub fn filter(name: &str, value: &str) -> serde_json::Value {
    serde_json::json!({"Name": name, "Value": [value]})
}

/// Checks that `value`, when known, is one of `allowed`.
pub fn check_one_of(diagnostics: &mut Diagnostics, config: &Value, name: &str, type_name: &str, allowed: &[&str]) {
    if let Some(v) = config.get_attr(name).and_then(Value::as_str)
        && !allowed.contains(&v)
    {
        diagnostics.push(Diagnostic::error(format!(
            "`{name}` of `{type_name}` must be one of {}, not `{v}`",
            allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
        )));
    }
}

/// Checks that a known string is an IPv4 CIDR block with no host bits.
pub fn check_cidr(diagnostics: &mut Diagnostics, config: &Value, name: &str, type_name: &str) {
    if let Some(v) = config.get_attr(name).and_then(Value::as_str)
        && let Err(why) = corral_sandbox::services::vpc::Cidr::parse(v)
    {
        diagnostics.push(Diagnostic::error(format!("`{name}` of `{type_name}`: {why}")));
    }
}

#[cfg(test)]
mod tests;
