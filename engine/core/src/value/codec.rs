//! A value with everything needed to rebuild it exactly: its type, its JSON form, a mask of
//! where it is unknown and the paths that are sensitive. The saved plan file keeps values
//! this way, and the provider plugin protocol sends them this way. The JSON form differs from
//! [`Value::to_json`] only for numbers, which must survive exactly: whole numbers that fit
//! an i64 are JSON numbers, every other number is its decimal text (`"1.5"`, `"-0"`,
//! `"+Inf"`), because JSON readers may round fractions and cannot hold infinities.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::{Number, Path, Type, Value};

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EncodedValue {
    #[serde(rename = "type")]
    pub ty: Type,
    pub value: J,
    /// Terraform's `after_unknown` shape: `true` where unknown. Absent when nothing is.
    #[serde(default, skip_serializing_if = "mask_is_empty")]
    pub unknown: J,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<Path>,
}

/// Whether an unknown mask says "nothing is unknown".
pub fn mask_is_empty(mask: &J) -> bool {
    match mask {
        J::Null | J::Bool(false) => true,
        J::Object(entries) => entries.is_empty(),
        _ => false,
    }
}

pub fn encode(value: &Value) -> EncodedValue {
    let (bare, sensitive) = value.clone().unmark_deep();
    EncodedValue { ty: bare.ty(), value: exact_json(&bare), unknown: bare.unknown_mask(), sensitive }
}

pub fn decode(encoded: &EncodedValue) -> Result<Value, String> {
    let bare = decode_at(&encoded.value, &encoded.ty, &encoded.unknown, &mut Path::root())?;
    Ok(bare.mark_paths(&encoded.sensitive))
}

/// The JSON form with numbers kept exact (see the module documentation).
pub fn exact_json(value: &Value) -> J {
    match value {
        Value::Number(number) => match number.to_i64() {
            Some(i) if number.is_integer() && !is_negative_zero(number) => J::from(i),
            _ => J::String(number.to_string()),
        },
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
            J::Array(items.iter().map(exact_json).collect())
        }
        Value::Map(_, items) | Value::Object(items) => {
            J::Object(items.iter().map(|(k, v)| (k.clone(), exact_json(v))).collect())
        }
        Value::Sensitive(inner) => exact_json(inner),
        other => other.to_json(),
    }
}

fn is_negative_zero(number: &Number) -> bool {
    number.to_string() == "-0"
}

fn number_from_text(text: &str) -> Option<Number> {
    match text {
        "-0" => Some(Number::from_f64(-0.0)),
        "+Inf" => Some(Number::from_f64(f64::INFINITY)),
        "-Inf" => Some(Number::from_f64(f64::NEG_INFINITY)),
        other => Number::parse(other),
    }
}

fn child_mask<'m>(mask: &'m J, step: MaskStep<'_>) -> &'m J {
    const NOT_UNKNOWN: &J = &J::Bool(false);
    match (mask, step) {
        (J::Array(items), MaskStep::Index(i)) => items.get(i).unwrap_or(NOT_UNKNOWN),
        (J::Object(entries), MaskStep::Key(k)) => entries.get(k).unwrap_or(NOT_UNKNOWN),
        _ => NOT_UNKNOWN,
    }
}

#[derive(Clone, Copy)]
enum MaskStep<'a> {
    Index(usize),
    Key(&'a str),
}

fn decode_at(json: &J, ty: &Type, mask: &J, at: &mut Path) -> Result<Value, String> {
    if *mask == J::Bool(true) {
        return Ok(Value::Unknown(ty.clone()));
    }
    if json.is_null() {
        return Ok(Value::Null(ty.clone()));
    }
    let wrong = |expected: &str| format!("value at `{at}` is not {expected}");
    Ok(match ty {
        // Only nulls and unknowns have the dynamic type; anything else was written by hand.
        Type::Dynamic => Value::from_json(json, &Type::Dynamic).map_err(|e| e.to_string())?,
        Type::Bool => Value::Bool(json.as_bool().ok_or_else(|| wrong("a bool"))?),
        Type::Number => Value::Number(
            match json {
                J::Number(n) => Number::parse(&n.to_string()),
                J::String(s) => number_from_text(s),
                _ => None,
            }
            .ok_or_else(|| wrong("a number"))?,
        ),
        Type::String => Value::String(json.as_str().ok_or_else(|| wrong("a string"))?.to_string()),
        Type::List(elem) | Type::Set(elem) => {
            let items = json.as_array().ok_or_else(|| wrong("an array"))?;
            let mut values = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                at.0.push(super::PathStep::Index(i as i64));
                values.push(decode_at(item, elem, child_mask(mask, MaskStep::Index(i)), at)?);
                at.0.pop();
            }
            // A set keeps the order it was written in: it was already in set order, and
            // re-sorting would merge distinct unknown elements.
            if matches!(ty, Type::Set(_)) {
                Value::Set((**elem).clone(), values)
            } else {
                Value::List((**elem).clone(), values)
            }
        }
        Type::Tuple(elems) => {
            let items = json.as_array().ok_or_else(|| wrong("an array"))?;
            if items.len() != elems.len() {
                return Err(wrong(&format!("a tuple of {} elements", elems.len())));
            }
            let mut values = Vec::with_capacity(items.len());
            for (i, (item, elem)) in items.iter().zip(elems).enumerate() {
                at.0.push(super::PathStep::Index(i as i64));
                values.push(decode_at(item, elem, child_mask(mask, MaskStep::Index(i)), at)?);
                at.0.pop();
            }
            Value::Tuple(values)
        }
        Type::Map(elem) => {
            let entries = json.as_object().ok_or_else(|| wrong("an object"))?;
            let mut values = BTreeMap::new();
            for (key, item) in entries {
                at.0.push(super::PathStep::Key(key.clone()));
                values.insert(key.clone(), decode_at(item, elem, child_mask(mask, MaskStep::Key(key)), at)?);
                at.0.pop();
            }
            Value::Map((**elem).clone(), values)
        }
        Type::Object(attrs) => {
            let entries = json.as_object().ok_or_else(|| wrong("an object"))?;
            let mut values = BTreeMap::new();
            for (name, attr_ty) in attrs {
                at.0.push(super::PathStep::Attr(name.clone()));
                let item = entries.get(name).unwrap_or(&J::Null);
                values.insert(name.clone(), decode_at(item, attr_ty, child_mask(mask, MaskStep::Key(name)), at)?);
                at.0.pop();
            }
            Value::Object(values)
        }
    })
}
