//! Typed access to the service's tables: records in, records out.

use corral_provider_sdk::emulator::{ApiError, Tables};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::model::CLIENT_TOKENS;

/// Reads a record; a record that no longer decodes is a service fault, not "not found".
pub(super) fn get<T: DeserializeOwned>(tables: &dyn Tables, table: &str, id: &str) -> Result<Option<T>, ApiError> {
    match tables.get(table, id) {
        None => Ok(None),
        Some(json) => serde_json::from_value(json).map(Some).map_err(|e| corrupt(table, id, &e)),
    }
}

pub(super) fn put<T: Serialize>(tables: &mut dyn Tables, table: &str, id: &str, record: &T) -> Result<(), ApiError> {
    let json = serde_json::to_value(record).map_err(|e| corrupt(table, id, &e))?;
    tables.put(table, id, json);
    Ok(())
}

/// Every record of a table, in id order.
pub(super) fn list<T: DeserializeOwned>(tables: &dyn Tables, table: &str) -> Result<Vec<T>, ApiError> {
    tables
        .list(table)
        .into_iter()
        .map(|(id, json)| serde_json::from_value(json).map_err(|e| corrupt(table, &id, &e)))
        .collect()
}

/// The id an earlier create with this client token made, if any.
pub(super) fn created_by_token(tables: &dyn Tables, account: &str, token: &str) -> Option<String> {
    tables.get(CLIENT_TOKENS, &format!("{account}/{token}")).and_then(|v| v.as_str().map(str::to_string))
}

pub(super) fn remember_token(tables: &mut dyn Tables, account: &str, token: &str, id: &str) {
    tables.put(CLIENT_TOKENS, &format!("{account}/{token}"), serde_json::Value::String(id.to_string()));
}

fn corrupt(table: &str, id: &str, error: &serde_json::Error) -> ApiError {
    ApiError::new(500, "InternalError", format!("record `{id}` of `{table}` is unreadable: {error}"))
}
