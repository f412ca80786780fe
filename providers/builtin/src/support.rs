//! Helpers shared by the built-in providers. Shaping state objects after a schema and
//! comparing values the way a plan must are the SDK's (`corral_provider_sdk::plan`).

use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::value::Value;

pub(crate) use corral_provider_sdk::plan::{attributes, into_attributes, known_equal};

/// A diagnostics list holding one error.
pub(crate) fn error(summary: impl Into<String>) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(summary))
}

/// A whole number of milliseconds from an optional `delay_ms`-like attribute.
pub(crate) fn millis(value: Option<&Value>) -> u64 {
    value.and_then(Value::as_number).and_then(|n| n.to_i64()).and_then(|i| u64::try_from(i).ok()).unwrap_or(0)
}
