//! The VPC service's tables, typed: an object is stored as the API's shape
//! (`corral_api_vpc`) plus the owning account ([`ACCOUNT_FIELD`]), and read back as the API's
//! shape, which leaves the owner out.

use corral_provider_sdk::emulator::{ACCOUNT_FIELD, ApiError, Tables, owned_by};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// `account`'s object `id` of `table`; another account's object reads as absent.
pub fn get<T: DeserializeOwned>(
    tables: &dyn Tables,
    table: &str,
    account: &str,
    id: &str,
) -> Result<Option<T>, ApiError> {
    match tables.get(table, id).filter(|object| owned_by(object, account)) {
        None => Ok(None),
        Some(object) => decode(table, id, object).map(Some),
    }
}

/// `account`'s objects of `table`, in id order.
pub fn list<T: DeserializeOwned>(
    tables: &dyn Tables,
    table: &str,
    account: &str,
) -> Result<Vec<(String, T)>, ApiError> {
    tables
        .list(table)
        .into_iter()
        .filter(|(_, object)| owned_by(object, account))
        .map(|(id, object)| decode(table, &id, object).map(|decoded| (id, decoded)))
        .collect()
}

/// Stores `object` as `account`'s.
pub fn put<T: Serialize>(
    tables: &mut dyn Tables,
    table: &str,
    account: &str,
    id: &str,
    object: &T,
) -> Result<(), ApiError> {
    let mut json = serde_json::to_value(object).map_err(|e| corrupt(table, id, &e))?;
    if let Some(map) = json.as_object_mut() {
        map.insert(ACCOUNT_FIELD.to_string(), serde_json::Value::String(account.to_string()));
    }
    tables.put(table, id, json);
    Ok(())
}

/// The account that owns object `id` of `table`, if it exists.
pub fn owner(tables: &dyn Tables, table: &str, id: &str) -> Option<String> {
    tables.get(table, id)?.get(ACCOUNT_FIELD)?.as_str().map(str::to_string)
}

fn decode<T: DeserializeOwned>(table: &str, id: &str, object: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(object).map_err(|e| corrupt(table, id, &e))
}

/// A stored object that no longer reads is a service fault, not "not found".
fn corrupt(table: &str, id: &str, error: &serde_json::Error) -> ApiError {
    ApiError::new(500, "InternalError", format!("record `{id}` of `{table}` is unreadable: {error}"))
}
