use corral_core::value::Value;

use super::*;

fn request(state: Value) -> ReadRequest {
    ReadRequest { type_name: "demo_thing".into(), current_state: state, private: Some(vec![7]) }
}

fn state(pairs: &[(&str, Value)]) -> Value {
    Value::object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

#[test]
fn a_state_without_an_id_is_an_error_naming_the_type() {
    let refused = id_of("demo_thing", &request(state(&[("name", Value::string("a"))]))).unwrap_err();
    assert_eq!(refused.new_state, None);
    assert!(format!("{:?}", refused.diagnostics).contains("the state of `demo_thing` has no `id`"));
    assert_eq!(id_of("demo_thing", &request(state(&[("id", Value::string("t-1"))]))).unwrap(), "t-1");
}

#[test]
fn the_answer_is_the_objects_state_gone_or_the_state_kept_with_the_error() {
    let current = state(&[("id", Value::string("t-1")), ("name", Value::string("old"))]);
    let renamed = |object: &&str, mut attrs: BTreeMap<String, Value>| {
        attrs.insert("name".into(), Value::string(*object));
        Value::Object(attrs)
    };
    let found = answer(request(current.clone()), Ok(Some("new")), renamed);
    let expected = state(&[("id", Value::string("t-1")), ("name", Value::string("new"))]);
    assert_eq!((found.new_state, found.private), (Some(expected), Some(vec![7])));

    let gone = answer(request(current.clone()), Ok(None::<&str>), renamed);
    assert_eq!(gone.new_state, None);
    assert!(gone.diagnostics.is_empty());

    let failed = Diagnostics::from(Diagnostic::error("reading t-1: Throttled"));
    let kept = answer(request(current.clone()), Err(failed), renamed);
    assert_eq!(kept.new_state, Some(current));
    assert!(format!("{:?}", kept.diagnostics).contains("Throttled"));
}
