use super::*;

#[test]
fn sensitive_marks_round_trip_through_paths() {
    let value = Value::object([
        ("a".to_string(), Value::string("x").mark_sensitive()),
        ("b".to_string(), Value::List(Type::Number, vec![Value::int(1), Value::int(2).mark_sensitive()])),
    ]);
    let (bare, paths) = value.clone().unmark_deep();
    assert!(!bare.contains_sensitive());
    assert_eq!(paths.len(), 2);
    assert_eq!(bare.mark_paths(&paths), value);
}

#[test]
fn json_round_trip_with_type() {
    let ty = Type::Object([("n".to_string(), Type::Number), ("s".to_string(), Type::set(Type::String))].into());
    let json = serde_json::json!({"n": 3, "s": ["b", "a", "b"]});
    let value = Value::from_json(&json, &ty).unwrap();
    assert_eq!(value.to_json(), serde_json::json!({"n": 3, "s": ["a", "b"]}));
}
