//! `Type` as JSON, in Terraform's schema notation: `"string"`, `["list","string"]`,
//! `["object",{"a":"number"}]`.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Type;

impl Type {
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Type::Dynamic => json!("dynamic"),
            Type::Bool => json!("bool"),
            Type::Number => json!("number"),
            Type::String => json!("string"),
            Type::List(e) => json!(["list", e.to_json()]),
            Type::Set(e) => json!(["set", e.to_json()]),
            Type::Map(e) => json!(["map", e.to_json()]),
            Type::Object(attrs) => {
                json!([
                    "object",
                    serde_json::Value::Object(attrs.iter().map(|(k, t)| (k.clone(), t.to_json())).collect())
                ])
            }
            Type::Tuple(elems) => json!(["tuple", elems.iter().map(Type::to_json).collect::<Vec<_>>()]),
        }
    }

    pub fn from_json(json: &serde_json::Value) -> Result<Type, String> {
        use serde_json::Value as J;
        match json {
            J::String(s) => match s.as_str() {
                "dynamic" => Ok(Type::Dynamic),
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                other => Err(format!("unknown type `{other}`")),
            },
            J::Array(items) if items.len() == 2 => {
                let kind = items[0].as_str().ok_or("expected a type kind")?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(&items[1])?)),
                    "set" => Ok(Type::set(Type::from_json(&items[1])?)),
                    "map" => Ok(Type::map(Type::from_json(&items[1])?)),
                    "object" => {
                        let attrs = items[1].as_object().ok_or("expected object attributes")?;
                        Ok(Type::Object(
                            attrs
                                .iter()
                                .map(|(k, v)| Ok((k.clone(), Type::from_json(v)?)))
                                .collect::<Result<_, String>>()?,
                        ))
                    }
                    "tuple" => {
                        let elems = items[1].as_array().ok_or("expected tuple elements")?;
                        Ok(Type::Tuple(elems.iter().map(Type::from_json).collect::<Result<_, _>>()?))
                    }
                    other => Err(format!("unknown type kind `{other}`")),
                }
            }
            _ => Err("expected a type".to_string()),
        }
    }
}

impl Serialize for Type {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Type {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Type, D::Error> {
        let json = serde_json::Value::deserialize(deserializer)?;
        Type::from_json(&json).map_err(D::Error::custom)
    }
}
