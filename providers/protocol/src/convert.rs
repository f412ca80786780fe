//! Engine types to and from wire messages: values, attribute paths and diagnostics. The
//! request and response structs are mapped where they are used (`server`, `host`), field by
//! field, with these helpers.

use corral_core::diag::{Diagnostic, Diagnostics, Severity};
use corral_core::value::{Path, PathStep, Type, Value};

use self::exact_json::{ExactJson, UnknownMask, ValueTypeJson, has_type, has_unknown, sensitive_paths};
pub use self::schema_types::SchemaTypes;

use crate::wire;

mod exact_json;
mod schema_types;

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

/// A value with its type written out (for a value no schema describes).
pub fn value_to_wire(value: &Value) -> wire::DynamicValue {
    value_to_wire_as(value, None)
}

/// A value the message's schema describes (`schema`, see [`SchemaTypes`]): its type is
/// left empty when it is exactly the schema's, which is nearly always.
pub fn value_to_wire_as(value: &Value, schema: Option<&Type>) -> wire::DynamicValue {
    // Writing into a `Vec` fails only if a `Serialize` impl fails, and ours never do; the
    // fallbacks are never taken.
    let json = serde_json::to_vec(&ExactJson(value)).unwrap_or_default();
    let unknown =
        if has_unknown(value) { serde_json::to_vec(&UnknownMask(value)).unwrap_or_default() } else { Vec::new() };
    wire::DynamicValue {
        r#type: match schema {
            Some(ty) if has_type(value, ty) => String::new(),
            _ => serde_json::to_string(&ValueTypeJson(value)).unwrap_or_default(),
        },
        json,
        unknown,
        sensitive: sensitive_paths(value).iter().map(path_to_wire).collect(),
    }
}

/// A value whose type is written out.
pub fn value_from_wire(value: &wire::DynamicValue) -> Result<Value, CodecError> {
    value_from_wire_as(value, None)
}

/// A value whose type may be left empty for the message's schema type (`schema`).
pub fn value_from_wire_as(value: &wire::DynamicValue, schema: Option<&Type>) -> Result<Value, CodecError> {
    let named;
    let ty = match schema {
        Some(ty) if value.r#type.is_empty() => ty,
        _ => {
            named = exact_json::read_type(&value.r#type)
                .map_err(|e| CodecError::Type { text: value.r#type.clone(), reason: e.to_string() })?;
            &named
        }
    };
    let unknown = if value.unknown.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&value.unknown).map_err(|e| CodecError::Json(e.to_string()))?
    };
    let sensitive = value.sensitive.iter().map(path_from_wire).collect::<Result<Vec<_>, _>>()?;
    let bare = exact_json::read_value(&value.json, ty, &unknown).map_err(|e| {
        // The reader stops at the first value of the wrong shape, which may come before a
        // syntax error further on; broken JSON is reported as such whatever comes first.
        match serde_json::from_slice::<serde::de::IgnoredAny>(&value.json) {
            Err(syntax) => CodecError::Json(syntax.to_string()),
            Ok(_) => CodecError::Value(e.to_string()),
        }
    })?;
    Ok(if sensitive.is_empty() { bare } else { bare.mark_paths(&sensitive) })
}

pub(crate) fn opt_value_to_wire(value: Option<&Value>, schema: Option<&Type>) -> Option<wire::DynamicValue> {
    value.map(|v| value_to_wire_as(v, schema))
}

pub(crate) fn opt_value_from_wire(
    value: Option<&wire::DynamicValue>,
    schema: Option<&Type>,
) -> Result<Option<Value>, CodecError> {
    value.map(|v| value_from_wire_as(v, schema)).transpose()
}

/// A value the message must carry.
pub(crate) fn req_value_from_wire(
    value: Option<&wire::DynamicValue>,
    schema: Option<&Type>,
    field: &'static str,
) -> Result<Value, CodecError> {
    value_from_wire_as(value.ok_or(CodecError::Missing(field))?, schema)
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
mod proptests;
#[cfg(test)]
mod tests;
