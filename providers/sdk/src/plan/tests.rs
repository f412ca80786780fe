//! Planning from change classes.

use corral_core::provider::PlanRequest;
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_core::value::{Path, Type, Value};

use super::*;

fn schema() -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block: BlockSchema::new()
            .attr("id", AttributeSchema::computed(Type::String))
            .attr("name", AttributeSchema::optional_computed(Type::String))
            .attr("cidr", AttributeSchema::required(Type::String).forces_replacement())
            .attr("tier", AttributeSchema::optional(Type::String).immutable("it holds data")),
    }
}

fn obj(attrs: &[(&str, Value)]) -> Value {
    Value::object(attrs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn request(prior: Option<Value>, config: Value) -> PlanRequest {
    PlanRequest {
        type_name: "t".into(),
        prior_state: prior,
        proposed_new_state: config.clone(),
        config,
        prior_private: None,
    }
}

#[test]
fn create_marks_computed_unknown() {
    let planned = plan_from_schema(&schema(), &request(None, obj(&[("cidr", Value::string("10.0.0.0/16"))])));
    let state = planned.planned_state.unwrap();
    assert_eq!(state.get_attr("id"), Some(&Value::Unknown(Type::String)));
    assert_eq!(state.get_attr("name"), Some(&Value::Unknown(Type::String)));
    assert!(planned.requires_replace.is_empty());
}

#[test]
fn update_keeps_computed_and_flags_replacing_attributes() {
    let prior = obj(&[
        ("id", Value::string("x-1")),
        ("name", Value::string("chosen")),
        ("cidr", Value::string("10.0.0.0/16")),
        ("tier", Value::string("gold")),
    ]);
    let same = plan_from_schema(
        &schema(),
        &request(Some(prior.clone()), obj(&[("cidr", Value::string("10.0.0.0/16")), ("tier", Value::string("gold"))])),
    );
    assert!(same.requires_replace.is_empty());
    assert_eq!(same.planned_state.as_ref().unwrap().get_attr("name"), Some(&Value::string("chosen")));
    assert_eq!(same.planned_state.as_ref().unwrap().get_attr("id"), Some(&Value::string("x-1")));
    let changed = plan_from_schema(
        &schema(),
        &request(
            Some(prior.clone()),
            obj(&[("cidr", Value::string("10.1.0.0/16")), ("tier", Value::string("silver"))]),
        ),
    );
    assert_eq!(changed.requires_replace, vec![Path::attr("cidr"), Path::attr("tier")]);
    assert_eq!(changed.planned_state.unwrap().get_attr("id"), Some(&Value::Unknown(Type::String)));
    let unknown = plan_from_schema(
        &schema(),
        &request(Some(prior), obj(&[("cidr", Value::Unknown(Type::String)), ("tier", Value::string("gold"))])),
    );
    assert_eq!(unknown.requires_replace, vec![Path::attr("cidr")]);
}

#[test]
fn owned_attributes_are_the_borrowed_ones() {
    let value = obj(&[
        ("cidr", Value::string("10.0.0.0/16").mark_sensitive()),
        ("name", Value::string("n")),
        ("extra", Value::string("not in the schema")),
    ])
    .mark_sensitive();
    let block = &schema().block;
    let owned = into_attributes(value.clone(), block);
    assert_eq!(owned, attributes(&value, block));
    assert_eq!(owned.get("cidr"), Some(&Value::string("10.0.0.0/16")));
    assert_eq!(owned.get("id"), Some(&Value::Null(Type::String)));
    assert!(!owned.contains_key("extra"));
    assert!(into_attributes(Value::null(), block).values().all(Value::is_null));
}
