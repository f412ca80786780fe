//! Terraform's own tests of these functions (internal/builtin/providers/terraform/
//! functions_test.go) are the oracle.

use super::*;

fn call(name: &str, value: Value) -> Result<Value, FunctionError> {
    functions().call(CallFunctionRequest { name: name.into(), arguments: vec![value] }).result
}

fn text(name: &str, value: Value) -> String {
    match call(name, value) {
        Ok(Value::String(s)) => s,
        other => panic!("{name}: {other:?}"),
    }
}

fn obj(entries: &[(&str, Value)]) -> Value {
    Value::object(entries.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn strs(items: &[&str]) -> Vec<Value> {
    items.iter().map(|s| Value::from(*s)).collect()
}

#[test]
fn encode_tfvars_writes_what_terraform_writes() {
    let value = obj(&[
        ("string", Value::from("hello")),
        ("number", Value::int(5)),
        ("bool", Value::Bool(true)),
        ("set", Value::Set(Type::String, strs(&["beep", "boop"]))),
        ("list", Value::Set(Type::String, strs(&["bleep", "bloop"]))),
        ("tuple", Value::Set(Type::String, strs(&["bibble", "wibble"]))),
        ("map", Value::Map(Type::Number, [("one".to_string(), Value::int(1))].into())),
        ("object", obj(&[("one", Value::int(1)), ("true", Value::Bool(true))])),
        ("null", Value::Null(Type::String)),
    ]);
    assert_eq!(
        text("encode_tfvars", value),
        "bool = true\nlist = [\"bleep\", \"bloop\"]\nmap = {\n  one = 1\n}\nnull   = null\nnumber = 5\nobject = {\n  one  = 1\n  true = true\n}\nset    = [\"beep\", \"boop\"]\nstring = \"hello\"\ntuple  = [\"bibble\", \"wibble\"]\n"
    );
    assert_eq!(text("encode_tfvars", obj(&[])), "");
    let map = Value::Map(
        Type::Number,
        [("one", 1), ("two", 2), ("three", 3)].into_iter().map(|(k, v)| (k.to_string(), Value::int(v))).collect(),
    );
    assert_eq!(text("encode_tfvars", map), "one   = 1\nthree = 3\ntwo   = 2\n");
}

#[test]
fn encode_tfvars_refuses_what_is_not_an_object_of_identifiers() {
    let not_object =
        "invalid value to encode: must be an object whose attribute names will become the encoded variable names";
    for value in [Value::from("nope"), Value::int(0), Value::Bool(false), Value::Tuple(vec![])] {
        assert_eq!(call("encode_tfvars", value).map_err(|e| e.message), Err(not_object.to_string()));
    }
    assert_eq!(
        call("encode_tfvars", obj(&[("not valid identifier", Value::from("!"))])).map_err(|e| e.message),
        Err("invalid variable name \"not valid identifier\": must be a valid identifier, per Terraform's rules for input variable declarations".to_string())
    );
}

#[test]
fn decode_tfvars_reads_constants_only() {
    assert_eq!(
        call("decode_tfvars", Value::from("string = \"hello\"\nnumber = 2")),
        Ok(obj(&[("string", Value::from("hello")), ("number", Value::int(2))]))
    );
    assert_eq!(call("decode_tfvars", Value::from("")), Ok(obj(&[])));
    assert_eq!(
        call("decode_tfvars", Value::from("foo = var.whatever")).map_err(|e| e.message),
        Err("invalid expression for variable \"foo\": <decode_tfvars argument>:1,7-10: Variables not allowed; Variables may not be used here.".to_string())
    );
    assert_eq!(
        call("decode_tfvars", Value::from("foo = whatever()")).map_err(|e| e.message),
        Err("invalid expression for variable \"foo\": <decode_tfvars argument>:1,7-17: Function calls not allowed; Functions may not be called here.".to_string())
    );
    assert!(
        call("decode_tfvars", Value::from("not valid syntax"))
            .is_err_and(|e| e.message.starts_with("invalid tfvars syntax: <decode_tfvars argument>:1,"))
    );
    assert_eq!(
        call("decode_tfvars", Value::from("a = [1, -2.5, \"x\"]\nb = { k = true, \"q r\" = null }")),
        Ok(obj(&[
            (
                "a",
                Value::Tuple(vec![
                    Value::int(1),
                    Value::Number(Number::parse("-2.5").unwrap_or_else(|| Number::from(0))),
                    Value::from("x")
                ])
            ),
            ("b", obj(&[("k", Value::Bool(true)), ("q r", Value::null())])),
        ]))
    );
}

#[test]
fn encode_expr_writes_what_terraform_writes() {
    let cases = [
        (Value::from("hello"), "\"hello\""),
        (Value::from("hello\nworld\n"), "\"hello\\nworld\\n\""),
        (Value::from("hel${lo"), "\"hel$${lo\""),
        (Value::from("hel%{lo"), "\"hel%%{lo\""),
        (Value::from("boop\\boop"), "\"boop\\\\boop\""),
        (Value::from(""), "\"\""),
        (Value::int(2), "2"),
        (Value::Bool(true), "true"),
        (Value::Bool(false), "false"),
        (obj(&[]), "{}"),
        (obj(&[("number", Value::int(5)), ("string", Value::from("..."))]), "{\n  number = 5\n  string = \"...\"\n}"),
        (Value::Tuple(vec![]), "[]"),
        (Value::Tuple(vec![Value::int(5), Value::from("...")]), "[5, \"...\"]"),
        (Value::Set(Type::Number, [1, 5, 20, 55].into_iter().map(Value::int).collect()), "[1, 5, 20, 55]"),
    ];
    for (value, want) in cases {
        assert_eq!(text("encode_expr", value.clone()), want, "{value:?}");
    }
}
