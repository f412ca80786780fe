//! The versioned JSON form of a whole workspace state, for `corral show --json`,
//! `corral state pull` and `state push`:
//!
//! ```json
//! {"format_version": "1", "lineage": "…", "serial": 3,
//!  "instances": [{"addr": "testing_thing.a", …}], "outputs": {"name": {…}}, "intents": []}
//! ```
//!
//! This is a stable interface of its own: the in-memory [`State`] may change shape, this
//! format changes only with a new `format_version`. Values are written as stored, sensitive
//! ones included (like `terraform state pull`); redacting is the renderer's job.

use std::collections::BTreeMap;

use super::{InstanceState, Intent, OutputState, State};
use crate::addr::AbsResourceInstance;

pub const FORMAT_VERSION: &str = "1";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateFormatError {
    #[error("invalid state JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("state format version `{0}` is not supported (this version of Corral reads version {FORMAT_VERSION})")]
    UnsupportedVersion(String),
    #[error("instance `{addr}`: {reason}")]
    BadInstance { addr: String, reason: String },
    #[error("intent `{0}` appears twice")]
    DuplicateIntent(uuid::Uuid),
}

/// The file form. Private: callers go through [`export`] and [`import`].
#[derive(serde::Serialize, serde::Deserialize)]
struct StateFileV1 {
    format_version: String,
    lineage: uuid::Uuid,
    serial: u64,
    instances: Vec<InstanceState>,
    #[serde(default)]
    outputs: BTreeMap<String, OutputState>,
    #[serde(default)]
    intents: Vec<Intent>,
}

/// Only the version, read first so that a newer file is refused with a clear message instead
/// of a confusing field error.
#[derive(serde::Deserialize)]
struct VersionProbe {
    format_version: String,
}

/// The JSON document for a state (instances in address order, intents in id order).
pub fn export(state: &State) -> serde_json::Value {
    let file = StateFileV1 {
        format_version: FORMAT_VERSION.to_string(),
        lineage: state.lineage,
        serial: state.serial,
        instances: state.instances.values().cloned().collect(),
        outputs: state.outputs.clone(),
        intents: state.intents.values().cloned().collect(),
    };
    // Serializing our own model cannot fail (string keys, no non-finite floats to reject).
    serde_json::to_value(file).unwrap_or(serde_json::Value::Null)
}

/// [`export`] as pretty-printed text with a final newline.
pub fn export_string(state: &State) -> String {
    let mut text = serde_json::to_string_pretty(&export(state)).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a state document written by [`export`].
pub fn import(text: &str) -> Result<State, StateFormatError> {
    let probe: VersionProbe = serde_json::from_str(text)?;
    if probe.format_version != FORMAT_VERSION {
        return Err(StateFormatError::UnsupportedVersion(probe.format_version));
    }
    let file: StateFileV1 = serde_json::from_str(text)?;
    let mut instances = BTreeMap::new();
    for mut instance in file.instances {
        let addr: AbsResourceInstance = instance.addr.parse().map_err(|e: crate::addr::AddrParseError| {
            StateFormatError::BadInstance { addr: instance.addr.clone(), reason: e.reason }
        })?;
        let canonical = addr.to_string();
        if instances.contains_key(&addr) {
            return Err(StateFormatError::BadInstance { addr: canonical, reason: "it appears twice".to_string() });
        }
        instance.addr = canonical;
        instances.insert(addr, instance);
    }
    let mut intents = BTreeMap::new();
    for intent in file.intents {
        let id = intent.id;
        if intents.insert(id, intent).is_some() {
            return Err(StateFormatError::DuplicateIntent(id));
        }
    }
    Ok(State { lineage: file.lineage, serial: file.serial, instances, outputs: file.outputs, intents })
}
