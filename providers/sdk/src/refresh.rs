//! Refresh (`read`) of a resource whose state names its object by `id`: what every such
//! resource does around its one describe call. A state without an `id` is an error; an
//! object the service no longer has is a resource that is gone; a describe that fails keeps
//! the state as it was, with the error, so a refresh never forgets what it could not see.

use std::collections::BTreeMap;

use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{ReadRequest, ReadResponse};
use corral_core::value::Value;

/// The attributes of a state, marks dropped (none when it is not an object): what a
/// provider builds the next state from.
pub fn state_attributes(value: &Value) -> BTreeMap<String, Value> {
    match value.clone().unmark_deep().0 {
        Value::Object(map) => map,
        _ => BTreeMap::new(),
    }
}

/// The `id` in the state of a `type_name` resource, or the response that says it has none.
pub fn id_of(type_name: &str, request: &ReadRequest) -> Result<String, ReadResponse> {
    match request.current_state.get_attr("id").and_then(Value::as_str) {
        Some(id) => Ok(id.to_string()),
        None => Err(ReadResponse {
            diagnostics: Diagnostics::from(Diagnostic::error(format!("the state of `{type_name}` has no `id`"))),
            ..ReadResponse::default()
        }),
    }
}

/// The refresh's response to what the describe `found`: the object's state (`state` makes it
/// from the object and the current attributes), gone (`None`), or the current state kept
/// with the describe's error.
pub fn answer<T>(
    request: ReadRequest,
    found: Result<Option<T>, Diagnostics>,
    state: impl FnOnce(&T, BTreeMap<String, Value>) -> Value,
) -> ReadResponse {
    match found {
        Ok(Some(object)) => ReadResponse {
            new_state: Some(state(&object, state_attributes(&request.current_state))),
            private: request.private,
            ..ReadResponse::default()
        },
        Ok(None) => ReadResponse::default(),
        Err(diagnostics) => {
            ReadResponse { new_state: Some(request.current_state), diagnostics, ..ReadResponse::default() }
        }
    }
}

#[cfg(test)]
mod tests;
