//! Round trips of values, paths and diagnostics through their wire messages (and through
//! protobuf bytes, so the generated types are exercised too).

use std::collections::BTreeMap;

use corral_core::diag::{Diagnostic, Diagnostics, Severity};
use corral_core::value::{Number, Path, PathStep, Type, Value};
use prost::Message;

use super::*;

fn round_trip(value: &Value) -> Value {
    let wire = value_to_wire(value);
    let bytes = wire.encode_to_vec();
    let decoded = wire::DynamicValue::decode(bytes.as_slice()).expect("protobuf decode");
    value_from_wire(&decoded).expect("value decode")
}

fn obj(entries: &[(&str, Value)]) -> Value {
    Value::Object(entries.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

#[test]
fn values_keep_unknowns_sensitive_marks_sets_numbers_and_nulls() {
    let big = Number::parse("123456789012345678901234567890.000000000000000000001").expect("number");
    let value = obj(&[
        ("id", Value::Unknown(Type::String)),
        ("name", Value::string("core")),
        ("password", Value::string("hunter2").mark_sensitive()),
        ("count", Value::int(3)),
        ("big", Value::Number(big)),
        ("ratio", Value::Number(Number::parse("1.5").expect("number"))),
        ("neg_zero", Value::Number(Number::from_f64(-0.0))),
        ("inf", Value::Number(Number::from_f64(f64::NEG_INFINITY))),
        ("nothing", Value::Null(Type::list(Type::String))),
        ("later", Value::Unknown(Type::map(Type::Number))),
        (
            "tags",
            Value::Map(Type::String, BTreeMap::from([("env".to_string(), Value::string("prod").mark_sensitive())])),
        ),
        ("zones", Value::new_set(Type::String, vec![Value::string("b"), Value::string("a")])),
        ("pending", Value::Set(Type::String, vec![Value::string("a"), Value::Unknown(Type::String)])),
        ("empty", Value::List(Type::Bool, Vec::new())),
        ("pair", Value::Tuple(vec![Value::Bool(true), Value::Unknown(Type::Number)])),
        (
            "nested",
            Value::List(
                Type::Object(BTreeMap::from([("port".to_string(), Type::Number)])),
                vec![obj(&[("port", Value::Unknown(Type::Number))]), obj(&[("port", Value::int(22))])],
            ),
        ),
    ]);
    assert_eq!(round_trip(&value), value);
}

#[test]
fn top_level_unknown_null_and_sensitive_values_survive() {
    for value in [
        Value::Unknown(Type::Dynamic),
        Value::Unknown(Type::Object(BTreeMap::from([("a".to_string(), Type::String)]))),
        Value::Null(Type::String),
        Value::string("secret").mark_sensitive(),
        Value::int(i64::MIN),
    ] {
        assert_eq!(round_trip(&value), value, "{value:?}");
    }
}

#[test]
fn a_wholly_known_value_sends_no_unknown_mask() {
    let wire = value_to_wire(&obj(&[("a", Value::int(1))]));
    assert!(wire.unknown.is_empty());
    assert!(wire.sensitive.is_empty());
    let wire = value_to_wire(&obj(&[("a", Value::Unknown(Type::Number))]));
    assert_eq!(wire.unknown, br#"{"a":true}"#);
}

#[test]
fn unreadable_values_are_errors_not_panics() {
    let good = value_to_wire(&Value::int(1));
    let bad_type = wire::DynamicValue { r#type: "\"quaternion\"".into(), ..good.clone() };
    assert!(matches!(value_from_wire(&bad_type), Err(CodecError::Type { .. })));
    let bad_json = wire::DynamicValue { json: b"{".to_vec(), ..good.clone() };
    assert!(matches!(value_from_wire(&bad_json), Err(CodecError::Json(_))));
    let wrong_shape = wire::DynamicValue { json: b"\"text\"".to_vec(), ..good };
    assert!(matches!(value_from_wire(&wrong_shape), Err(CodecError::Value(_))));
}

#[test]
fn paths_round_trip_and_an_empty_step_is_refused() {
    let path = Path(vec![
        PathStep::Attr("nodes".into()),
        PathStep::Key("core".into()),
        PathStep::Index(2),
        PathStep::Attr("count".into()),
    ]);
    assert_eq!(path_from_wire(&path_to_wire(&path)), Ok(path));
    let broken = wire::AttributePath { steps: vec![wire::attribute_path::Step { selector: None }] };
    assert_eq!(path_from_wire(&broken), Err(CodecError::EmptyPathStep));
}

#[test]
fn diagnostics_round_trip_with_severity_detail_and_help() {
    let mut diagnostics = Diagnostics::new();
    diagnostics.push(
        Diagnostic::error("Over quota")
            .with_detail("the account may have 2 clusters")
            .with_help("delete a cluster or ask for more"),
    );
    diagnostics
        .push(Diagnostic::warning("Deprecated attribute").with_attribute(Path::attr("core").index(0).then("count")));
    let wire = diagnostics_to_wire(&diagnostics);
    assert_eq!(diagnostics_from_wire(&wire), diagnostics);
}

#[test]
fn a_diagnostic_keeps_its_attribute_path_and_unknown_severity_is_an_error() {
    let wire = vec![
        wire::Diagnostic {
            severity: wire::diagnostic::Severity::Error as i32,
            summary: "Invalid count".into(),
            detail: Some("must be at least 1".into()),
            attribute: Some(path_to_wire(&Path(vec![PathStep::Attr("core".into()), PathStep::Attr("count".into())]))),
            help: None,
        },
        wire::Diagnostic { severity: 17, summary: "Strange".into(), detail: None, attribute: None, help: None },
    ];
    let diagnostics = diagnostics_from_wire(&wire);
    assert_eq!(diagnostics.0[0].detail.as_deref(), Some("must be at least 1"));
    assert_eq!(
        diagnostics.0[0].attribute,
        Some(Path(vec![PathStep::Attr("core".into()), PathStep::Attr("count".into())]))
    );
    assert_eq!(diagnostics.0[1].severity, Severity::Error);
}

#[test]
fn a_value_of_its_schema_type_travels_without_its_type() {
    let schema = Type::Object(BTreeMap::from([
        ("id".to_string(), Type::String),
        ("tags".to_string(), Type::map(Type::String)),
        ("extra".to_string(), Type::Dynamic),
    ]));
    let value = obj(&[
        ("id", Value::Unknown(Type::String)),
        ("tags", Value::Null(Type::map(Type::String))),
        ("extra", Value::Null(Type::Dynamic)),
    ]);
    let wire = value_to_wire_as(&value, Some(&schema));
    assert_eq!(wire.r#type, "");
    assert_eq!(value_from_wire_as(&wire, Some(&schema)), Ok(value));
    // Without the schema an empty type means nothing.
    assert!(matches!(value_from_wire(&wire), Err(CodecError::Type { .. })));
}

#[test]
fn a_value_of_another_type_than_its_schema_says_which() {
    let schema = Type::Object(BTreeMap::from([("extra".to_string(), Type::Dynamic)]));
    // A dynamic attribute holds a value of a real type: the object's type is not the schema's.
    let value = obj(&[("extra", Value::string("text"))]);
    let wire = value_to_wire_as(&value, Some(&schema));
    assert_eq!(wire.r#type, r#"["object",{"extra":"string"}]"#);
    assert_eq!(value_from_wire_as(&wire, Some(&schema)), Ok(value));
}
