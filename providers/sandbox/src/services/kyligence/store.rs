//! Typed access to the service's tables: records in, records out.

use corral_provider_sdk::emulator::Tables;

use super::model::CLIENT_TOKENS;

pub(super) use crate::services::records::{get, list, put};

/// The id an earlier create with this client token made, if any.
pub(super) fn created_by_token(tables: &dyn Tables, account: &str, token: &str) -> Option<String> {
    tables.get(CLIENT_TOKENS, &format!("{account}/{token}")).and_then(|v| v.as_str().map(str::to_string))
}

pub(super) fn remember_token(tables: &mut dyn Tables, account: &str, token: &str, id: &str) {
    tables.put(CLIENT_TOKENS, &format!("{account}/{token}"), serde_json::Value::String(id.to_string()));
}
