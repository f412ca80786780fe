//! JSON Schema (draft 2020-12) for a resource type or data source, made from its provider
//! schema: what an editor or a policy tool needs to check a configuration written as JSON.
//!
//! Attributes only the provider sets are `readOnly`; change classes, sensitivity and
//! computed defaults, which JSON Schema has no words for, are `x-corral-*` annotations; so is a
//! resource type's action map (`x-corral-actions`: the API actions its changes call, which
//! plan-time authorization checks).

use corral_engine::schema::{ActionMap, AttributeSchema, BlockSchema, ChangeClass, Nesting, ResourceSchema};
use corral_engine::value::Type;
use serde_json::{Map, Value as J, json};

pub(crate) const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// `kind` is `resource` or `data`.
pub(crate) fn resource(
    provider: &str,
    kind: &str,
    type_name: &str,
    schema: &ResourceSchema,
    actions: Option<&ActionMap>,
) -> J {
    let mut out = Map::new();
    out.insert("$schema".into(), json!(DRAFT));
    out.insert("$id".into(), json!(format!("https://corral.invalid/schemas/{provider}/{kind}/{type_name}.json")));
    out.insert("title".into(), json!(format!("{type_name} ({kind} of provider `{provider}`)")));
    out.insert("x-corral-schema-version".into(), json!(schema.version));
    if let Some(actions) = actions {
        out.insert("x-corral-actions".into(), json!(actions));
    }
    for (k, v) in block(&schema.block) {
        out.insert(k, v);
    }
    J::Object(out)
}

fn block(block: &BlockSchema) -> Map<String, J> {
    let mut out = Map::new();
    out.insert("type".into(), json!("object"));
    if let Some(description) = &block.description {
        out.insert("description".into(), json!(description));
    }
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, attribute) in &block.attributes {
        if attribute.required {
            required.push(json!(name));
        }
        properties.insert(name.clone(), self::attribute(attribute));
    }
    for (name, nested) in &block.blocks {
        let inner = J::Object(self::block(&nested.block));
        let mut schema = match nested.nesting {
            Nesting::Single => match inner {
                J::Object(map) => map,
                _ => Map::new(),
            },
            Nesting::List | Nesting::Set => {
                let mut map = Map::new();
                map.insert("type".into(), json!("array"));
                map.insert("items".into(), inner);
                if nested.nesting == Nesting::Set {
                    map.insert("uniqueItems".into(), json!(true));
                }
                if nested.min_items > 0 {
                    map.insert("minItems".into(), json!(nested.min_items));
                }
                if nested.max_items > 0 {
                    map.insert("maxItems".into(), json!(nested.max_items));
                }
                map
            }
            Nesting::Map => {
                let mut map = Map::new();
                map.insert("type".into(), json!("object"));
                map.insert("additionalProperties".into(), inner);
                map
            }
        };
        if nested.forces_replacement {
            schema.insert("x-corral-change".into(), json!({ "kind": "forces_replacement" }));
        }
        if nested.min_items > 0 {
            required.push(json!(name));
        }
        properties.insert(name.clone(), J::Object(schema));
    }
    out.insert("properties".into(), J::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), J::Array(required));
    }
    out.insert("additionalProperties".into(), json!(false));
    out
}

fn attribute(attribute: &AttributeSchema) -> J {
    let mut out = match value_type(&attribute.ty) {
        J::Object(map) => map,
        _ => Map::new(),
    };
    // A required attribute must be set to a value, not to null.
    if attribute.required
        && let Some(J::Array(types)) = out.get("type")
        && let Some(first) = types.first().cloned()
    {
        out.insert("type".into(), first);
    }
    if let Some(description) = &attribute.description {
        out.insert("description".into(), json!(description));
    }
    if attribute.computed && !attribute.optional && !attribute.required {
        out.insert("readOnly".into(), json!(true));
    } else if attribute.computed {
        out.insert("x-corral-computed".into(), json!(true));
    }
    if attribute.sensitive {
        out.insert("x-corral-sensitive".into(), json!(true));
    }
    // JSON Schema's own word for a value that is sent but never read back.
    if attribute.write_only {
        out.insert("writeOnly".into(), json!(true));
    }
    match &attribute.change {
        ChangeClass::InPlace => {}
        ChangeClass::ForcesReplacement => {
            out.insert("x-corral-change".into(), json!({ "kind": "forces_replacement" }));
        }
        ChangeClass::Immutable { reason } => {
            out.insert("x-corral-change".into(), json!({ "kind": "immutable", "reason": reason }));
        }
    }
    J::Object(out)
}

/// A value of the type; `null` is always allowed (an unset optional attribute).
fn value_type(ty: &Type) -> J {
    let nullable = |name: &str| json!({ "type": [name, "null"] });
    match ty {
        Type::Dynamic => json!({}),
        Type::Bool => nullable("boolean"),
        Type::Number => nullable("number"),
        Type::String => nullable("string"),
        Type::List(elem) => json!({ "type": ["array", "null"], "items": value_type(elem) }),
        Type::Set(elem) => json!({ "type": ["array", "null"], "items": value_type(elem), "uniqueItems": true }),
        Type::Map(elem) => json!({ "type": ["object", "null"], "additionalProperties": value_type(elem) }),
        Type::Object(attrs) => {
            let properties: Map<String, J> = attrs.iter().map(|(k, t)| (k.clone(), value_type(t))).collect();
            json!({ "type": ["object", "null"], "properties": properties, "additionalProperties": false })
        }
        Type::Tuple(elems) => json!({
            "type": ["array", "null"],
            "prefixItems": elems.iter().map(value_type).collect::<Vec<_>>(),
            "items": false,
        }),
    }
}
