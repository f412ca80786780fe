//! Random values of random types through the wire and back, with unknowns, nulls and
//! sensitive marks at any depth; and the same values through the engine's own codec, so
//! that either end may still be a build that encodes with `codec::encode`.

use std::collections::BTreeMap;

use corral_core::value::codec::{self, EncodedValue};
use corral_core::value::{Number, Type, Value};
use proptest::prelude::*;
use prost::Message;

use super::{value_from_wire, value_from_wire_as, value_to_wire, value_to_wire_as};
use crate::wire;

fn attr_name() -> impl Strategy<Value = String> {
    prop_oneof![Just("id".to_string()), Just("name".to_string()), "[a-z_]{1,6}", "\\PC{0,4}"]
}

fn any_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String), Just(Type::Dynamic)];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::btree_map(attr_name(), inner.clone(), 0..4).prop_map(Type::Object),
            prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        (any::<i32>(), 1u32..40).prop_map(|(whole, digits)| {
            Number::parse(&format!("{whole}.{}", "7".repeat(digits as usize))).unwrap_or_else(|| Number::from(0))
        }),
        "[1-9][0-9]{19,60}".prop_map(|digits| Number::parse(&digits).unwrap_or_else(|| Number::from(0))),
        Just(Number::from_f64(-0.0)),
        Just(Number::from_f64(f64::INFINITY)),
        Just(Number::from_f64(f64::NEG_INFINITY)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Number::from_f64),
    ]
}

/// A value of exactly `ty`: null, unknown or known at this level, each element again any
/// of those, any of them possibly sensitive.
fn value_of(ty: Type) -> BoxedStrategy<Value> {
    let null = Just(Value::Null(ty.clone()));
    let unknown = Just(Value::Unknown(ty.clone()));
    let known: BoxedStrategy<Value> = match &ty {
        Type::Dynamic => return prop_oneof![null, unknown].boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => number().prop_map(Value::Number).boxed(),
        Type::String => "\\PC{0,8}".prop_map(Value::String).boxed(),
        Type::List(elem) => {
            let elem = (**elem).clone();
            prop::collection::vec(value_of(elem.clone()), 0..4)
                .prop_map(move |items| Value::List(elem.clone(), items))
                .boxed()
        }
        Type::Set(elem) => {
            let elem = (**elem).clone();
            prop::collection::vec(value_of(elem.clone()), 0..4)
                .prop_map(move |items| Value::new_set(elem.clone(), items))
                .boxed()
        }
        Type::Map(elem) => {
            let elem = (**elem).clone();
            prop::collection::btree_map("\\PC{0,4}", value_of(elem.clone()), 0..4)
                .prop_map(move |entries| Value::Map(elem.clone(), entries))
                .boxed()
        }
        Type::Object(attrs) => {
            let attrs: Vec<(String, Type)> = attrs.iter().map(|(k, t)| (k.clone(), t.clone())).collect();
            let names: Vec<String> = attrs.iter().map(|(k, _)| k.clone()).collect();
            attrs
                .into_iter()
                .map(|(_, t)| value_of(t))
                .collect::<Vec<_>>()
                .prop_map(move |values| Value::Object(names.iter().cloned().zip(values).collect::<BTreeMap<_, _>>()))
                .boxed()
        }
        Type::Tuple(elems) => elems.iter().cloned().map(value_of).collect::<Vec<_>>().prop_map(Value::Tuple).boxed(),
    };
    let value = prop_oneof![1 => null, 1 => unknown, 6 => known];
    (value, prop::bool::weighted(0.15))
        .prop_map(|(value, sensitive)| match value {
            // An unknown never wraps a sensitive value (the mark goes outside).
            v if sensitive => v.mark_sensitive(),
            v => v,
        })
        .boxed()
}

fn any_value() -> impl Strategy<Value = Value> {
    any_type().prop_flat_map(value_of)
}

fn through_protobuf(message: wire::DynamicValue) -> wire::DynamicValue {
    wire::DynamicValue::decode(message.encode_to_vec().as_slice()).expect("protobuf round trip")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn values_survive_the_wire(value in any_value()) {
        let back = value_from_wire(&through_protobuf(value_to_wire(&value))).expect("decode");
        prop_assert_eq!(back, value);
    }

    /// With a schema type, whether the value has it (its type is left out) or not (its type
    /// is written), the value comes back the same.
    #[test]
    fn values_survive_the_wire_with_a_schema_type(
        (value, other) in (any_value(), any_type()),
        own in any::<bool>(),
    ) {
        let schema = if own { value.ty() } else { other };
        let message = through_protobuf(value_to_wire_as(&value, Some(&schema)));
        prop_assert_eq!(message.r#type.is_empty(), value.ty() == schema);
        prop_assert_eq!(value_from_wire_as(&message, Some(&schema)).expect("decode"), value);
    }

    /// What this build writes, the engine's codec reads as the same value.
    #[test]
    fn the_engine_codec_reads_what_the_wire_writes(value in any_value()) {
        let message = value_to_wire(&value);
        let unknown = if message.unknown.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&message.unknown).expect("mask JSON")
        };
        let sensitive = message.sensitive.iter().map(|p| crate::convert::path_from_wire(p).expect("path")).collect();
        let encoded = EncodedValue {
            ty: serde_json::from_str(&message.r#type).expect("type JSON"),
            value: serde_json::from_slice(&message.json).expect("value JSON"),
            unknown,
            sensitive,
        };
        prop_assert_eq!(codec::decode(&encoded).expect("engine decode"), value);
    }

    /// What the engine's codec writes (a value with its type written out), the wire reads.
    #[test]
    fn the_wire_reads_what_the_engine_codec_writes(value in any_value()) {
        let encoded = codec::encode(&value);
        let message = wire::DynamicValue {
            r#type: encoded.ty.to_json().to_string(),
            json: serde_json::to_vec(&encoded.value).expect("JSON"),
            unknown: if codec::mask_is_empty(&encoded.unknown) {
                Vec::new()
            } else {
                serde_json::to_vec(&encoded.unknown).expect("JSON")
            },
            sensitive: encoded.sensitive.iter().map(crate::convert::path_to_wire).collect(),
        };
        prop_assert_eq!(value_from_wire(&message).expect("decode"), value);
    }
}
