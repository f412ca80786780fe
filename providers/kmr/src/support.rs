//! Helpers every resource type uses: reading attributes out of values, calling an API in its
//! typed shapes, turning API errors into diagnostics, and deriving a `ClientToken` from the
//! engine's idempotency token.

use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::ApplyResponse;
use corral_core::value::{Type, Value};
use corral_provider_sdk::http::{CallError, Client};
pub use corral_provider_sdk::http::{api_error, client_token};
/// Resources whose plan is their schema's change classes plan with the SDK's helper.
pub use corral_provider_sdk::plan::plan_from_schema;

/// A string attribute, if known and not null.
pub fn get_str(value: &Value, name: &str) -> Option<String> {
    value.get_attr(name).and_then(Value::as_str).map(str::to_string)
}

/// A whole-number attribute, if known and not null.
pub fn get_i64(value: &Value, name: &str) -> Option<i64> {
    value.get_attr(name).and_then(Value::as_number).and_then(|n| n.to_i64())
}

pub fn error(summary: impl Into<String>) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(summary))
}

/// A failed apply that keeps `state` (the object as far as it exists), so nothing is lost.
pub fn failed(state: Option<Value>, diagnostics: Diagnostics) -> ApplyResponse {
    ApplyResponse { new_state: state, diagnostics, ..ApplyResponse::default() }
}

/// Whether an API error means the object does not exist.
pub fn is_not_found(e: &CallError) -> bool {
    matches!(e, CallError::Api { status: 404, .. }) || e.code().is_some_and(|c| c.contains("NotFound"))
}

/// Calls `action` with a request in the API's shape and reads the answer in the API's shape
/// (`corral_api_kmr`, `corral_api_vpc`). An answer that does not read is no usable answer.
pub async fn call_api<A: serde::de::DeserializeOwned>(
    client: &Client,
    action: &str,
    version: &str,
    request: &impl serde::Serialize,
) -> Result<A, CallError> {
    let unreadable = |what: &str, e: serde_json::Error| CallError::Transport {
        endpoint: client.config.endpoint.clone(),
        message: format!("the {what} of {action} does not fit the API: {e}"),
    };
    let body = serde_json::to_value(request).map_err(|e| unreadable("request", e))?;
    let answer = client.call(action, version, &body).await?;
    serde_json::from_value(answer).map_err(|e| unreadable("answer", e))
}

/// A text from an API object, as a value (null when absent).
pub fn opt_string(text: Option<&str>) -> Value {
    text.map_or(Value::Null(Type::String), Value::string)
}

#[cfg(test)]
mod tests;
