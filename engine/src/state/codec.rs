//! The stored form of a workspace's state in its redb file: four tables of text keys and
//! JSON values, and the functions that turn records into the in-memory model and back.
//!
//! Every record is decoded on its own, so a damaged one is reported by its table and key
//! (`StateError::Corrupt`) instead of failing the whole file with a generic error.

use redb::TableDefinition;

use super::{InstanceState, Intent, OutputState, StateError};
use crate::addr::AbsResourceInstance;

/// `store_format`, `lineage` (UUID text) and `serial` (decimal text).
pub(super) const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
/// Canonical address text → JSON of [`InstanceState`].
pub(super) const INSTANCES: TableDefinition<&str, &[u8]> = TableDefinition::new("instances");
/// Output name → JSON of [`OutputState`].
pub(super) const OUTPUTS: TableDefinition<&str, &[u8]> = TableDefinition::new("outputs");
/// Intent id (UUID text) → JSON of [`Intent`].
pub(super) const INTENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("intents");

pub(super) const META_STORE_FORMAT: &str = "store_format";
pub(super) const META_LINEAGE: &str = "lineage";
pub(super) const META_SERIAL: &str = "serial";

/// Bumped when the record layout changes incompatibly; a newer file is refused, not misread.
pub(super) const STORE_FORMAT: &str = "1";

pub(super) fn decode_serial(text: &str) -> Result<u64, StateError> {
    text.parse().map_err(|_| StateError::Corrupt(format!("meta `serial`: `{text}` is not a whole number")))
}

pub(super) fn decode_lineage(text: &str) -> Result<uuid::Uuid, StateError> {
    text.parse().map_err(|e| StateError::Corrupt(format!("meta `lineage`: `{text}` is not a UUID: {e}")))
}

pub(super) fn check_store_format(text: Option<&str>) -> Result<(), StateError> {
    match text {
        None | Some(STORE_FORMAT) => Ok(()),
        Some(other) => Err(StateError::Corrupt(format!(
            "meta `store_format`: this state was written in format {other}, which this version of Corral (format {STORE_FORMAT}) cannot read"
        ))),
    }
}

/// Parses an address as given in a change and returns it with its canonical text, which is
/// the record key, so `a["x"]` written two ways never makes two records.
pub(super) fn canonical_address(text: &str) -> Result<(AbsResourceInstance, String), StateError> {
    let addr: AbsResourceInstance = text.parse()?;
    let canonical = addr.to_string();
    Ok((addr, canonical))
}

pub(super) fn encode_json<T: serde::Serialize>(what: &str, key: &str, value: &T) -> Result<Vec<u8>, StateError> {
    // Our model types serialize infallibly; an error here would be a bug, reported rather than
    // panicking.
    serde_json::to_vec(value)
        .map_err(|e| StateError::Storage { path: format!("{what} `{key}`"), message: format!("cannot encode: {e}") })
}

pub(super) fn decode_instance(key: &str, bytes: &[u8]) -> Result<(AbsResourceInstance, InstanceState), StateError> {
    let addr: AbsResourceInstance =
        key.parse().map_err(|e| StateError::Corrupt(format!("instance key `{key}`: {e}")))?;
    let mut instance: InstanceState =
        serde_json::from_slice(bytes).map_err(|e| StateError::Corrupt(format!("instance `{key}`: {e}")))?;
    fit(&mut instance.attributes);
    if instance.addr != key {
        return Err(StateError::Corrupt(format!(
            "instance `{key}`: the record names a different address, `{}`",
            instance.addr
        )));
    }
    Ok((addr, instance))
}

/// Gives back the room a decoded value's maps and arrays grew into: JSON says nothing of
/// their sizes, so an object of nine attributes was decoded into room for fourteen. State is
/// held whole while a plan runs, and this was a third of what a large state took in memory.
fn fit(value: &mut serde_json::Value) {
    match value {
        // Built anew at their size rather than shrunk: an allocator may keep a block that
        // shrinks by less than half where it is.
        serde_json::Value::Object(map) => {
            *map = std::mem::take(map)
                .into_iter()
                .map(|(key, mut value)| {
                    fit(&mut value);
                    (key, value)
                })
                .collect();
        }
        serde_json::Value::Array(items) => {
            *items = std::mem::take(items)
                .into_iter()
                .map(|mut value| {
                    fit(&mut value);
                    value
                })
                .collect();
        }
        _ => {}
    }
}

pub(super) fn decode_output(key: &str, bytes: &[u8]) -> Result<OutputState, StateError> {
    serde_json::from_slice(bytes).map_err(|e| StateError::Corrupt(format!("output `{key}`: {e}")))
}

pub(super) fn decode_intent(key: &str, bytes: &[u8]) -> Result<(uuid::Uuid, Intent), StateError> {
    let id: uuid::Uuid = key.parse().map_err(|e| StateError::Corrupt(format!("intent key `{key}`: {e}")))?;
    let intent: Intent =
        serde_json::from_slice(bytes).map_err(|e| StateError::Corrupt(format!("intent `{key}`: {e}")))?;
    if intent.id != id {
        return Err(StateError::Corrupt(format!("intent `{key}`: the record names a different id, `{}`", intent.id)));
    }
    Ok((id, intent))
}
