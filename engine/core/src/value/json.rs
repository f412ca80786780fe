//! Values to and from JSON. State, plan files and `--json` output hold values as JSON with the
//! type kept elsewhere (in the provider's schema or beside the value), as Terraform does.

use std::collections::BTreeMap;

use super::{Number, Type, Value};

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("cannot decode JSON as {ty}: {reason}")]
pub struct JsonDecodeError {
    pub ty: Type,
    pub reason: String,
}

impl Value {
    /// The JSON form: unknowns become `null` (see [`Value::unknown_mask`]), sensitive values
    /// are written in the clear (see [`Value::sensitive_mask`]).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null(_) | Value::Unknown(_) => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => n.to_json().map(J::Number).unwrap_or(J::Null),
            Value::String(s) => J::String(s.clone()),
            Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
                J::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(_, items) | Value::Object(items) => {
                J::Object(items.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            Value::Sensitive(inner) => inner.to_json(),
        }
    }

    /// Terraform's `after_unknown`: `true` where a value is unknown, containers mirrored,
    /// `false` elsewhere collapsed away.
    pub fn unknown_mask(&self) -> serde_json::Value {
        mask(self, &|v| matches!(v, Value::Unknown(_)))
    }

    /// Terraform's `before_sensitive`/`after_sensitive`.
    pub fn sensitive_mask(&self) -> serde_json::Value {
        mask(self, &|v| matches!(v, Value::Sensitive(_)))
    }

    /// Decodes JSON as a value of the given type. `Dynamic` infers: arrays become tuples and
    /// objects become objects, as Terraform's `jsondecode` does.
    pub fn from_json(json: &serde_json::Value, ty: &Type) -> Result<Value, JsonDecodeError> {
        use serde_json::Value as J;
        let err = |reason: &str| JsonDecodeError { ty: ty.clone(), reason: reason.to_string() };
        if json.is_null() {
            return Ok(Value::Null(ty.clone()));
        }
        Ok(match ty {
            Type::Dynamic => match json {
                J::Null => Value::null(),
                J::Bool(b) => Value::Bool(*b),
                J::Number(n) => Value::Number(Number::parse(&n.to_string()).ok_or_else(|| err("bad number"))?),
                J::String(s) => Value::String(s.clone()),
                J::Array(items) => {
                    Value::Tuple(items.iter().map(|j| Value::from_json(j, &Type::Dynamic)).collect::<Result<_, _>>()?)
                }
                J::Object(items) => Value::Object(
                    items.iter().map(|(k, j)| Ok((k.clone(), Value::from_json(j, &Type::Dynamic)?))).collect::<Result<
                        _,
                        JsonDecodeError,
                    >>(
                    )?,
                ),
            },
            Type::Bool => Value::Bool(json.as_bool().ok_or_else(|| err("expected a bool"))?),
            Type::Number => match json {
                J::Number(n) => Value::Number(Number::parse(&n.to_string()).ok_or_else(|| err("bad number"))?),
                J::String(s) => Value::Number(Number::parse(s).ok_or_else(|| err("expected a number"))?),
                _ => return Err(err("expected a number")),
            },
            Type::String => match json {
                J::String(s) => Value::String(s.clone()),
                J::Number(n) => Value::String(n.to_string()),
                J::Bool(b) => Value::String(b.to_string()),
                _ => return Err(err("expected a string")),
            },
            Type::List(elem) | Type::Set(elem) => {
                let items = json.as_array().ok_or_else(|| err("expected an array"))?;
                let values = items.iter().map(|j| Value::from_json(j, elem)).collect::<Result<Vec<_>, _>>()?;
                if matches!(ty, Type::Set(_)) {
                    Value::new_set((**elem).clone(), values)
                } else {
                    Value::List((**elem).clone(), values)
                }
            }
            Type::Tuple(elems) => {
                let items = json.as_array().ok_or_else(|| err("expected an array"))?;
                if items.len() != elems.len() {
                    return Err(err("wrong number of elements"));
                }
                Value::Tuple(items.iter().zip(elems).map(|(j, t)| Value::from_json(j, t)).collect::<Result<_, _>>()?)
            }
            Type::Map(elem) => {
                let items = json.as_object().ok_or_else(|| err("expected an object"))?;
                Value::Map(
                    (**elem).clone(),
                    items
                        .iter()
                        .map(|(k, j)| Ok((k.clone(), Value::from_json(j, elem)?)))
                        .collect::<Result<BTreeMap<_, _>, JsonDecodeError>>()?,
                )
            }
            Type::Object(attrs) => {
                let items = json.as_object().ok_or_else(|| err("expected an object"))?;
                // State and plans hold objects as `to_json` writes them, attributes in the
                // type's (sorted) order: walking both together finds each attribute without
                // a hashed look-up, which was most of decoding a state record. Entries in
                // any other order are found by the look-up.
                let mut entries = items.iter().peekable();
                let mut out = Vec::with_capacity(attrs.len());
                for (name, attr_ty) in attrs {
                    while entries.next_if(|(key, _)| key.as_str() < name.as_str()).is_some() {}
                    let found = match entries.next_if(|(key, _)| *key == name) {
                        Some((_, j)) => Some(j),
                        None => items.get(name),
                    };
                    let v = match found {
                        Some(j) => Value::from_json(j, attr_ty)?,
                        None => Value::Null(attr_ty.clone()),
                    };
                    out.push((name.clone(), v));
                }
                // In order already: the map is built in bulk, not by one search per insert.
                Value::Object(out.into_iter().collect())
            }
        })
    }
}

fn mask(value: &Value, hit: &dyn Fn(&Value) -> bool) -> serde_json::Value {
    use serde_json::Value as J;
    if hit(value) {
        return J::Bool(true);
    }
    match value {
        Value::Sensitive(inner) => mask(inner, hit),
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
            J::Array(items.iter().map(|v| mask(v, hit)).collect())
        }
        Value::Map(_, items) | Value::Object(items) => {
            let entries: serde_json::Map<String, J> =
                items.iter().map(|(k, v)| (k.clone(), mask(v, hit))).filter(|(_, m)| *m != J::Bool(false)).collect();
            J::Object(entries)
        }
        _ => J::Bool(false),
    }
}
