//! Typed access to the service's tables: records in, records out, scoped by account.

use corral_provider_sdk::emulator::{ApiError, Tables};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::model::CLIENT_TOKENS;

/// Reads a record; a record that no longer decodes is a service fault, not "not found".
pub fn get<T: DeserializeOwned>(tables: &dyn Tables, table: &str, id: &str) -> Result<Option<T>, ApiError> {
    match tables.get(table, id) {
        None => Ok(None),
        Some(json) => serde_json::from_value(json).map(Some).map_err(|e| corrupt(table, id, &e)),
    }
}

pub fn put<T: Serialize>(tables: &mut dyn Tables, table: &str, id: &str, record: &T) -> Result<(), ApiError> {
    let json = serde_json::to_value(record).map_err(|e| corrupt(table, id, &e))?;
    tables.put(table, id, json);
    Ok(())
}

/// Every record of a table, in id order.
pub fn list<T: DeserializeOwned>(tables: &dyn Tables, table: &str) -> Result<Vec<T>, ApiError> {
    tables
        .list(table)
        .into_iter()
        .map(|(id, json)| serde_json::from_value(json).map_err(|e| corrupt(table, &id, &e)))
        .collect()
}

/// The id an earlier create with this client token made, if any.
pub fn created_by_token(tables: &dyn Tables, account: &str, action: &str, token: &str) -> Option<String> {
    tables.get(CLIENT_TOKENS, &token_key(account, action, token)).and_then(|v| v.as_str().map(str::to_string))
}

pub fn remember_token(tables: &mut dyn Tables, account: &str, action: &str, token: &str, id: &str) {
    tables.put(CLIENT_TOKENS, &token_key(account, action, token), serde_json::Value::String(id.to_string()));
}

fn token_key(account: &str, action: &str, token: &str) -> String {
    format!("{account}/{action}/{token}")
}

fn corrupt(table: &str, id: &str, error: &serde_json::Error) -> ApiError {
    ApiError::new(500, "InternalError", format!("record `{id}` of `{table}` is unreadable: {error}"))
}
