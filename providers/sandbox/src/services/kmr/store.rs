//! Typed access to the service's tables: records in, records out, scoped by account.

use corral_provider_sdk::emulator::Tables;

use super::model::CLIENT_TOKENS;

pub(super) use crate::services::records::{get, list, put};

/// The id an earlier create with this client token made, if any.
pub(super) fn created_by_token(tables: &dyn Tables, account: &str, action: &str, token: &str) -> Option<String> {
    tables.get(CLIENT_TOKENS, &token_key(account, action, token)).and_then(|v| v.as_str().map(str::to_string))
}

pub(super) fn remember_token(tables: &mut dyn Tables, account: &str, action: &str, token: &str, id: &str) {
    tables.put(CLIENT_TOKENS, &token_key(account, action, token), serde_json::Value::String(id.to_string()));
}

fn token_key(account: &str, action: &str, token: &str) -> String {
    format!("{account}/{action}/{token}")
}
