//! Engine types to and from wire messages: values, attribute paths and diagnostics. The
//! request and response structs are mapped where they are used (`server`, `host`), field by
//! field, with these helpers.

use corral_engine::diag::{Diagnostic, Diagnostics, Severity};
use corral_engine::value::codec::{self, EncodedValue};
use corral_engine::value::{Path, PathStep, Type, Value};

use crate::wire;

/// A wire message Corral cannot read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CodecError {
    #[error("bad value type `{text}`: {reason}")]
    Type { text: String, reason: String },
    #[error("bad value JSON: {0}")]
    Json(String),
    #[error("bad value: {0}")]
    Value(String),
    #[error("an attribute path has a step with no selector")]
    EmptyPathStep,
    #[error("missing `{0}`")]
    Missing(&'static str),
}

pub fn value_to_wire(value: &Value) -> wire::DynamicValue {
    let encoded = codec::encode(value);
    // Serialising a `serde_json::Value` cannot fail (its keys are strings); the fallback is
    // never taken.
    let json = serde_json::to_vec(&encoded.value).unwrap_or_default();
    let unknown = if codec::mask_is_empty(&encoded.unknown) {
        Vec::new()
    } else {
        serde_json::to_vec(&encoded.unknown).unwrap_or_default()
    };
    wire::DynamicValue {
        r#type: encoded.ty.to_json().to_string(),
        json,
        unknown,
        sensitive: encoded.sensitive.iter().map(path_to_wire).collect(),
    }
}

pub fn value_from_wire(value: &wire::DynamicValue) -> Result<Value, CodecError> {
    let type_json: serde_json::Value = serde_json::from_str(&value.r#type)
        .map_err(|e| CodecError::Type { text: value.r#type.clone(), reason: e.to_string() })?;
    let ty = Type::from_json(&type_json).map_err(|reason| CodecError::Type { text: value.r#type.clone(), reason })?;
    let json = serde_json::from_slice(&value.json).map_err(|e| CodecError::Json(e.to_string()))?;
    let unknown = if value.unknown.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&value.unknown).map_err(|e| CodecError::Json(e.to_string()))?
    };
    let sensitive = value.sensitive.iter().map(path_from_wire).collect::<Result<Vec<_>, _>>()?;
    codec::decode(&EncodedValue { ty, value: json, unknown, sensitive }).map_err(CodecError::Value)
}

pub(crate) fn opt_value_to_wire(value: Option<&Value>) -> Option<wire::DynamicValue> {
    value.map(value_to_wire)
}

pub(crate) fn opt_value_from_wire(value: Option<&wire::DynamicValue>) -> Result<Option<Value>, CodecError> {
    value.map(value_from_wire).transpose()
}

/// A value the message must carry.
pub(crate) fn req_value_from_wire(
    value: Option<&wire::DynamicValue>,
    field: &'static str,
) -> Result<Value, CodecError> {
    value_from_wire(value.ok_or(CodecError::Missing(field))?)
}

pub fn path_to_wire(path: &Path) -> wire::AttributePath {
    use wire::attribute_path::step::Selector;
    wire::AttributePath {
        steps: path
            .0
            .iter()
            .map(|step| wire::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attr(name) => Selector::AttributeName(name.clone()),
                    PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

pub fn path_from_wire(path: &wire::AttributePath) -> Result<Path, CodecError> {
    use wire::attribute_path::step::Selector;
    let steps = path
        .steps
        .iter()
        .map(|step| match &step.selector {
            Some(Selector::AttributeName(name)) => Ok(PathStep::Attr(name.clone())),
            Some(Selector::ElementKeyString(key)) => Ok(PathStep::Key(key.clone())),
            Some(Selector::ElementKeyInt(i)) => Ok(PathStep::Index(*i)),
            None => Err(CodecError::EmptyPathStep),
        })
        .collect::<Result<_, _>>()?;
    Ok(Path(steps))
}

/// Diagnostics for the wire. Spans and labels point into the host's source files, which a
/// provider never sees, so there are none to send; the planner attaches the resource's span
/// to whatever a provider reports.
pub fn diagnostics_to_wire(diagnostics: &Diagnostics) -> Vec<wire::Diagnostic> {
    diagnostics
        .iter()
        .map(|d| wire::Diagnostic {
            severity: match d.severity {
                Severity::Error => wire::diagnostic::Severity::Error,
                Severity::Warning => wire::diagnostic::Severity::Warning,
            } as i32,
            summary: d.summary.clone(),
            detail: d.detail.clone(),
            attribute: d.attribute.as_ref().map(path_to_wire),
            help: d.help.clone(),
        })
        .collect()
}

/// Diagnostics from the wire. A malformed attribute path is dropped (the diagnostic still
/// counts); an unknown severity counts as an error (a diagnostic nobody understands must
/// not be ignored).
pub fn diagnostics_from_wire(diagnostics: &[wire::Diagnostic]) -> Diagnostics {
    let mut out = Diagnostics::new();
    for d in diagnostics {
        let mut diagnostic = match wire::diagnostic::Severity::try_from(d.severity) {
            Ok(wire::diagnostic::Severity::Warning) => Diagnostic::warning(d.summary.clone()),
            _ => Diagnostic::error(d.summary.clone()),
        };
        if let Some(path) = d.attribute.as_ref().and_then(|p| path_from_wire(p).ok()) {
            diagnostic = diagnostic.with_attribute(path);
        }
        diagnostic.detail = d.detail.clone();
        diagnostic.help = d.help.clone();
        out.push(diagnostic);
    }
    out
}

#[cfg(test)]
mod tests;
