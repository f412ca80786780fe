//! Helpers shared by the built-in providers: shaping state objects after a schema, and
//! comparing values the way a plan must.

use std::collections::BTreeMap;

use corral_engine::diag::{Diagnostic, Diagnostics};
use corral_engine::schema::BlockSchema;
use corral_engine::value::Value;

/// The attributes of an object value, with every attribute of the schema present (null
/// when the value lacks it) and marks removed. Providers keep no marks: the engine puts
/// them back from the schema and the configuration.
pub(crate) fn attributes(value: &Value, schema: &BlockSchema) -> BTreeMap<String, Value> {
    let (bare, _) = value.clone().unmark_deep();
    let mut out = BTreeMap::new();
    for (name, attribute) in &schema.attributes {
        let attr = bare.get_attr(name).cloned().unwrap_or_else(|| Value::Null(attribute.ty.clone()));
        out.insert(name.clone(), attr);
    }
    out
}

/// Whether two values are certainly equal. An unknown is never certainly equal to anything,
/// so a change to an unknown plans as a change. Values are compared by their JSON form
/// because state keeps dynamic values as JSON, which turns lists into tuples: the kind of
/// collection must not make an unchanged value look changed.
pub(crate) fn known_equal(a: &Value, b: &Value) -> bool {
    a.is_wholly_known() && b.is_wholly_known() && a.to_json() == b.to_json()
}

/// A diagnostics list holding one error.
pub(crate) fn error(summary: impl Into<String>) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(summary))
}

/// A whole number of milliseconds from an optional `delay_ms`-like attribute.
pub(crate) fn millis(value: Option<&Value>) -> u64 {
    value.and_then(Value::as_number).and_then(|n| n.to_i64()).and_then(|i| u64::try_from(i).ok()).unwrap_or(0)
}
