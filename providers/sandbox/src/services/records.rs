//! Typed access to a service's tables, shared by the services that store one record per id:
//! records in, records out; a record that no longer decodes is a service fault.

use corral_provider_sdk::emulator::{ApiError, Tables};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reads a record; a record that no longer decodes is a service fault, not "not found".
pub(crate) fn get<T: DeserializeOwned>(tables: &dyn Tables, table: &str, id: &str) -> Result<Option<T>, ApiError> {
    match tables.get(table, id) {
        None => Ok(None),
        Some(json) => serde_json::from_value(json).map(Some).map_err(|e| corrupt(table, id, &e)),
    }
}

pub(crate) fn put<T: Serialize>(tables: &mut dyn Tables, table: &str, id: &str, record: &T) -> Result<(), ApiError> {
    let json = serde_json::to_value(record).map_err(|e| corrupt(table, id, &e))?;
    tables.put(table, id, json);
    Ok(())
}

/// Every record of a table, in id order.
pub(crate) fn list<T: DeserializeOwned>(tables: &dyn Tables, table: &str) -> Result<Vec<T>, ApiError> {
    tables
        .list(table)
        .into_iter()
        .map(|(id, json)| serde_json::from_value(json).map_err(|e| corrupt(table, &id, &e)))
        .collect()
}

fn corrupt(table: &str, id: &str, error: &serde_json::Error) -> ApiError {
    ApiError::new(500, "InternalError", format!("record `{id}` of `{table}` is unreadable: {error}"))
}
