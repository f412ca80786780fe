//! Planning helpers for resources whose plan follows their schema: an object's attributes
//! shaped after the schema, certain equality of values, and the plan the change classes
//! imply (`plan_from_schema`).

use std::collections::BTreeMap;

use corral_core::provider::{PlanRequest, PlanResponse};
use corral_core::schema::{BlockSchema, ChangeClass, ResourceSchema};
use corral_core::value::{Path, Value};

/// The attributes of an object value, with every attribute of the schema present (null when
/// the value lacks it) and marks removed. Providers keep no marks: the engine puts them back
/// from the schema and the configuration.
pub fn attributes(value: &Value, schema: &BlockSchema) -> BTreeMap<String, Value> {
    // Each attribute is copied once, and unmarked on its own: not the whole value first.
    let attrs = match value.unmarked() {
        Value::Object(attrs) => Some(attrs),
        _ => None,
    };
    schema
        .attributes
        .iter()
        .map(|(name, attribute)| {
            let value = attrs.and_then(|a| a.get(name)).map(|v| v.clone().without_marks());
            (name.clone(), value.unwrap_or_else(|| Value::Null(attribute.ty.clone())))
        })
        .collect()
}

/// [`attributes`] of a value the caller owns (a provider's own request): the attributes are
/// moved out, not copied, and what the schema does not name is dropped with the rest.
pub fn into_attributes(value: Value, schema: &BlockSchema) -> BTreeMap<String, Value> {
    let mut attrs = match value.unmark().0 {
        Value::Object(attrs) => attrs,
        _ => BTreeMap::new(),
    };
    schema
        .attributes
        .iter()
        .map(|(name, attribute)| {
            let value = attrs.remove(name).map(Value::without_marks);
            (name.clone(), value.unwrap_or_else(|| Value::Null(attribute.ty.clone())))
        })
        .collect()
}

/// Whether two values are certainly equal. An unknown is never certainly equal to anything,
/// so a change to an unknown plans as a change. Values are compared by their JSON form
/// because state keeps dynamic values as JSON, which turns lists into tuples: the kind of
/// collection must not make an unchanged value look changed.
pub fn known_equal(a: &Value, b: &Value) -> bool {
    a.is_wholly_known() && b.is_wholly_known() && a.to_json() == b.to_json()
}

/// The usual plan: the proposed state, with
/// - `requires_replace` for every attribute whose change class is not in place and whose
///   value differs from the prior one (or is not known yet);
/// - computed attributes unknown on a create or a replacement, and kept from the prior
///   state on an update (an optional+computed attribute the configuration leaves unset keeps
///   what the service chose).
pub fn plan_from_schema(schema: &ResourceSchema, request: &PlanRequest) -> PlanResponse {
    if request.proposed_new_state.is_null() {
        return PlanResponse { planned_state: Some(request.proposed_new_state.clone()), ..PlanResponse::default() };
    }
    let mut planned = attributes(&request.proposed_new_state, &schema.block);
    let config = attributes(&request.config, &schema.block);
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
    let mut requires_replace = Vec::new();
    if let Some(prior) = &prior {
        for (name, attribute) in &schema.block.attributes {
            if attribute.change == ChangeClass::InPlace || (attribute.computed && !attribute.optional) {
                continue;
            }
            let new = planned.get(name).cloned().unwrap_or(Value::null());
            let old = prior.get(name).cloned().unwrap_or(Value::null());
            let unset_computed = attribute.computed && config.get(name).is_none_or(Value::is_null);
            let both_null = new.is_null() && old.is_null();
            if !(unset_computed || both_null || known_equal(&new, &old)) {
                requires_replace.push(Path::attr(name));
            }
        }
    }
    let fresh = prior.is_none() || !requires_replace.is_empty();
    for (name, attribute) in &schema.block.attributes {
        if !attribute.computed {
            continue;
        }
        let configured = config.get(name).is_some_and(|v| !v.is_null());
        if attribute.optional && configured {
            continue;
        }
        let value = match (&prior, fresh) {
            (Some(prior), false) => prior.get(name).cloned().unwrap_or(Value::Null(attribute.ty.clone())),
            _ => Value::Unknown(attribute.ty.clone()),
        };
        planned.insert(name.clone(), value);
    }
    PlanResponse { planned_state: Some(Value::Object(planned)), requires_replace, ..PlanResponse::default() }
}

#[cfg(test)]
mod tests;
