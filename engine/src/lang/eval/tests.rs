use std::collections::BTreeMap;

use super::*;
use crate::addr::ResourceAddr;
use crate::config::{Attribute, Body, DynamicBlock, NestedBlock};
use crate::lang::parse_expr;
use crate::schema::{AttributeSchema, BlockSchema, NestedBlockSchema, Nesting};

/// A scope with a few declared things, some unknown and some sensitive.
struct TestScope;

fn obj(entries: &[(&str, Value)]) -> Value {
    Value::Object(entries.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

impl Scope for TestScope {
    fn lookup(&self, subject: &Subject, span: Span) -> Result<Value, Diagnostic> {
        Ok(match subject {
            Subject::Var(name) => match name.as_str() {
                "n" => Value::int(2),
                "unknown_num" => Value::Unknown(Type::Number),
                "unknown_bool" => Value::Unknown(Type::Bool),
                "unknown_str" => Value::Unknown(Type::String),
                "unknown_list" => Value::Unknown(Type::list(Type::String)),
                "secret" => Value::string("hunter2").mark_sensitive(),
                "secret_num" => Value::int(5).mark_sensitive(),
                "secret_bool" => Value::Bool(true).mark_sensitive(),
                "secret_list" => Value::List(Type::String, vec![Value::string("a")]).mark_sensitive(),
                "obj" => obj(&[("a", Value::int(1)), ("tags", obj(&[("env", Value::string("prod"))]))]),
                "items" => Value::List(Type::String, vec![Value::string("x"), Value::string("y")]),
                _ => {
                    return Err(Diagnostic::error("Reference to undeclared input variable").with_span(span));
                }
            },
            Subject::Local(name) if name == "l" => Value::string("local"),
            Subject::ModuleCall(name) if name == "net" => obj(&[("vpc_id", Value::string("vpc-1"))]),
            Subject::Resource(addr) if *addr == ResourceAddr::managed("testing_thing", "a") => {
                Value::Tuple(vec![obj(&[("id", Value::string("a0"))]), obj(&[("id", Value::Unknown(Type::String))])])
            }
            Subject::Resource(addr) if *addr == ResourceAddr::data("testing_src", "b") => {
                obj(&[("out", Value::string("data"))])
            }
            Subject::CountIndex => Value::int(3),
            Subject::EachKey => Value::string("k"),
            Subject::EachValue => obj(&[("size", Value::int(7))]),
            Subject::PathModule => Value::string("./mod"),
            Subject::TerraformWorkspace => Value::string("default"),
            _ => return Err(Diagnostic::error("Reference to undeclared thing").with_span(span)),
        })
    }
}

fn eval_text(text: &str) -> (Value, Diagnostics) {
    let expr = parse_expr(text, FileId(7)).expect("parses");
    eval(&expr, &TestScope)
}

fn ok(text: &str) -> Value {
    let (value, diags) = eval_text(text);
    assert!(!diags.has_errors(), "{text}: {diags:?}");
    value
}

fn json(text: &str) -> String {
    crate::lang::functions::jsonencode(&ok(text)).expect("encodable")
}

fn err(text: &str) -> Diagnostic {
    let (_, diags) = eval_text(text);
    diags.errors().next().cloned().unwrap_or_else(|| panic!("{text} should fail"))
}

#[test]
fn references_resolve_through_the_scope() {
    assert_eq!(json("var.obj.tags[\"env\"]"), "\"prod\"");
    assert_eq!(json("local.l"), "\"local\"");
    assert_eq!(json("module.net.vpc_id"), "\"vpc-1\"");
    assert_eq!(json("testing_thing.a[0].id"), "\"a0\"");
    assert_eq!(json("data.testing_src.b.out"), "\"data\"");
    assert_eq!(json("count.index + 1"), "4");
    assert_eq!(json("\"${each.key}-${each.value.size}\""), "\"k-7\"");
    assert_eq!(json("path.module"), "\"./mod\"");
    assert_eq!(json("terraform.workspace"), "\"default\"");
}

#[test]
fn for_variables_shadow_roots() {
    assert_eq!(json("[for var in [1, 2] : var * 10]"), "[10,20]");
    assert_eq!(json("{for k, v in var.obj.tags : v => k}"), "{\"prod\":\"env\"}");
}

#[test]
fn undeclared_reference_is_an_error_with_span() {
    let diag = err("1 + var.nope");
    assert_eq!(diag.summary, "Reference to undeclared input variable");
    let span = diag.span.expect("span");
    assert_eq!((span.file, span.start, span.end), (FileId(7), 4, 12));
}

#[test]
fn unknowns_flow_through_operators_and_functions() {
    assert_eq!(ok("var.unknown_num + 1"), Value::Unknown(Type::Number));
    assert_eq!(ok("var.unknown_num > 1"), Value::Unknown(Type::Bool));
    assert_eq!(ok("false && var.unknown_bool"), Value::Bool(false));
    assert_eq!(ok("true || var.unknown_bool"), Value::Bool(true));
    assert_eq!(ok("true && var.unknown_bool"), Value::Unknown(Type::Bool));
    assert_eq!(ok("var.unknown_bool ? 1 : \"a\""), Value::Unknown(Type::String));
    assert_eq!(ok("\"x-${var.unknown_str}\""), Value::Unknown(Type::String));
    assert_eq!(ok("upper(var.unknown_str)"), Value::Unknown(Type::String));
    assert_eq!(ok("length(var.unknown_list)"), Value::Unknown(Type::Number));
    assert_eq!(ok("[for x in var.unknown_list : x]"), Value::Unknown(Type::Dynamic));
    assert_eq!(ok("var.unknown_list[0]"), Value::Unknown(Type::String));
    assert_eq!(ok("length(testing_thing.a)"), Value::int(2));
    assert_eq!(ok("testing_thing.a[*].id"), Value::Tuple(vec![Value::string("a0"), Value::Unknown(Type::String)]));
    assert_eq!(ok("jsonencode(testing_thing.a)"), Value::Unknown(Type::String));
    assert_eq!(ok("try(testing_thing.a[1].id, \"x\")"), Value::Unknown(Type::Dynamic));
}

#[test]
fn sensitive_marks_flow_through_everything() {
    for text in [
        "var.secret_num + 1",
        "var.secret_bool ? \"a\" : \"b\"",
        "\"x-${var.secret}\"",
        "upper(var.secret)",
        "[for x in var.secret_list : x]",
        "var.secret_list[0]",
        "[var.secret][0]",
        "var.secret == \"x\"",
        "!var.secret_bool",
        "\"%{if var.secret_bool}y%{endif}\"",
        "join(\",\", [var.secret, \"b\"])",
    ] {
        assert!(ok(text).is_sensitive(), "{text} should be sensitive");
    }
    assert!(ok("[var.secret, \"b\"]").contains_sensitive());
    assert!(!ok("length(var.items)").is_sensitive());
}

/// A key cannot carry a mark of its own, so a sensitive key (or `if` condition) marks the
/// whole object or tuple, as hcl's `ForExpr` and object constructor do.
#[test]
fn sensitive_keys_mark_the_whole_result() {
    for text in [
        "{ for k in [var.secret] : k => 1 }",
        "{ for k in [var.secret] : k => 1... }",
        "{ for k, v in { a = var.secret } : v => k }",
        "[for x in [\"a\"] : x if var.secret_bool]",
        "{ for x in [\"a\"] : x => 1 if var.secret_bool }",
        "{ (var.secret) = 1 }",
        "tomap({ (var.secret) = 1 })",
        "zipmap([var.secret], [1])",
        "keys(zipmap([var.secret], [1]))",
        "transpose({ a = [var.secret] })",
        "merge({ (var.secret) = 1 }, { b = 2 })",
        "setproduct([var.secret], [\"b\"])",
    ] {
        assert!(ok(text).is_sensitive(), "{text} should be sensitive as a whole");
    }
    assert!(!ok("{ for k, v in { a = var.secret } : k => v }").is_sensitive());
    assert!(ok("{ for k, v in { a = var.secret } : k => v }").contains_sensitive());
}

#[test]
fn conditional_unifies_branch_types() {
    assert_eq!(json("true ? 1 : \"a\""), "\"1\"");
    assert_eq!(ok("true ? null : 1"), Value::Null(Type::Number));
    assert_eq!(err("\"yes\" ? 1 : 2").summary, "Incorrect condition type");
    assert_eq!(err("true ? [1] : {a = 1}").summary, "Inconsistent conditional result types");
    // The branch not taken may fail without failing the whole.
    assert_eq!(json("false ? var.obj.nope : 3"), "3");
}

#[test]
fn for_expressions() {
    assert_eq!(json("[for x in [1, 2, 3, 4] : x if x % 2 == 0]"), "[2,4]");
    assert_eq!(
        json("{for s in [\"a1\", \"b2\", \"a3\"] : substr(s, 0, 1) => s...}"),
        "{\"a\":[\"a1\",\"a3\"],\"b\":[\"b2\"]}"
    );
    assert_eq!(json("[for i, v in [\"a\", \"b\"] : \"${i}${v}\"]"), "[\"0a\",\"1b\"]");
    assert_eq!(err("{for x in [\"a\", \"a\"] : x => x}").summary, "Duplicate object key");
    assert_eq!(err("[for x in null : x]").summary, "Iteration over null value");
    assert_eq!(ok("[for x in [1, 2] : x if var.unknown_bool]"), Value::Unknown(Type::Dynamic));
}

#[test]
fn splats() {
    assert_eq!(json("[{a = 1}, {a = 2}][*].a"), "[1,2]");
    assert_eq!(json("[{a = [1, 2]}, {a = [3]}].*.a[0]"), "[1,2]");
    assert_eq!(json("null[*]"), "[]");
    assert_eq!(json("{a = 1}[*].a"), "[1]");
    assert_eq!(ok("tolist([{a = 1}])[*].a"), Value::List(Type::Number, vec![Value::int(1)]));
    assert_eq!(ok("var.unknown_list[*]"), Value::Unknown(Type::Dynamic));
}

#[test]
fn traversal_errors() {
    assert_eq!(err("[1, 2, 3][3]").summary, "Invalid index");
    assert_eq!(err("{a = 1}.b").summary, "Unsupported attribute");
    assert_eq!(err("null.a").summary, "Attempt to get attribute from null value");
    assert_eq!(err("tomap({a = 1})[\"z\"]").summary, "Invalid index");
    let diag = err("var.obj.tagz");
    assert!(diag.detail.unwrap_or_default().contains("Did you mean \"tags\""));
}

#[test]
fn templates_and_strip_markers() {
    assert_eq!(json("\"${5}\""), "5");
    assert_eq!(json("\"a${1 + 1}b\""), "\"a2b\"");
    assert_eq!(json("\"x ${~\"y\"~} z\""), "\"xyz\"");
    assert_eq!(json("\"%{for x in [\"a\", \"b\"]~} ${x} %{~endfor}\""), "\"ab\"");
    assert_eq!(json("\"%{if true}yes%{else}no%{endif}\""), "\"yes\"");
    assert_eq!(json("<<-EOT\n    a\n      b\n    EOT\n"), "\"a\\n  b\\n\"");
    assert_eq!(json("<<EOT\n%{for x in [\"a\", \"b\"]~}\nitem ${x}\n%{endfor~}\nEOT\n"), "\"item a\\nitem b\\n\"");
    assert_eq!(err("\"a${null}\"").summary, "Invalid template interpolation value");
    assert_eq!(err("\"a${[1]}\"").summary, "Invalid template interpolation value");
}

#[test]
fn operators() {
    assert_eq!(json("\"1.5\" * 2"), "3");
    assert_eq!(json("7 % -3"), "1");
    assert_eq!(json("100000000000 * 100000000000"), "10000000000000000000000");
    assert_eq!(json("9007199254740993"), "9007199254740993");
    assert_eq!(json("9007199254740993 + 0"), "9007199254740993");
    assert_eq!(json("tolist([1]) == [1]"), "false");
    assert_eq!(json("{a = null} == {a = null}"), "true");
    assert_eq!(err("true + 1").summary, "Invalid operand");
    assert_eq!(err("!null").summary, "Operation failed");
}

#[test]
fn function_calls() {
    assert_eq!(json("max([3, 7, 2]...)"), "7");
    assert_eq!(json("format(\"%s-%03d\", \"a\", 5)"), "\"a-005\"");
    let diag = err("nosuch(1)");
    assert_eq!(diag.summary, "Call to unknown function");
    let diag = err("uper(\"a\")");
    assert_eq!(diag.help.as_deref(), Some("did you mean `upper`?"));
    let diag = err("tonumber(\"x\")");
    assert_eq!(diag.summary, "Invalid function argument");
    assert!(diag.detail.unwrap_or_default().contains("\"tonumber\""));
    assert_eq!(diag.span.map(|s| (s.start, s.end)), Some((9, 12)));
    assert_eq!(json("try(tonumber(\"x\"), 0)"), "0");
    assert_eq!(json("can({a = 1}.b)"), "false");
    assert_eq!(err("can(var.nope)").summary, "Reference to undeclared input variable");
}

// eval_body

fn expr(text: &str) -> Expr {
    parse_expr(text, FileId(3)).expect("parses")
}

fn attribute(name: &str, text: &str) -> (String, Attribute) {
    let value = expr(text);
    let span = value.span;
    (name.to_string(), Attribute { name: name.to_string(), name_span: span, value, span })
}

fn body(attrs: &[(&str, &str)], blocks: Vec<NestedBlock>) -> Body {
    Body { attributes: attrs.iter().map(|(k, v)| attribute(k, v)).collect(), blocks, span: None }
}

fn block(type_name: &str, labels: &[&str], inner: Body) -> NestedBlock {
    NestedBlock {
        type_name: type_name.to_string(),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        body: inner,
        dynamic: None,
        span: Span { file: FileId(3), start: 0, end: 1 },
    }
}

fn schema() -> BlockSchema {
    let rule = BlockSchema::new().attr("port", AttributeSchema::required(Type::Number));
    BlockSchema::new()
        .attr("name", AttributeSchema::required(Type::String))
        .attr("size", AttributeSchema::optional(Type::Number))
        .attr("password", AttributeSchema::optional(Type::String).sensitive())
        .attr("tags", AttributeSchema::optional(Type::map(Type::String)))
        .attr("id", AttributeSchema::computed(Type::String))
        .block("rule", NestedBlockSchema::new(Nesting::List, rule.clone()))
        .block("named", NestedBlockSchema::new(Nesting::Map, rule.clone()))
        .block("single", NestedBlockSchema::new(Nesting::Single, rule))
}

#[test]
fn body_decodes_to_the_schema_type() {
    let b = body(
        &[("name", "\"web\""), ("size", "\"3\""), ("password", "\"p\""), ("tags", "{env = 1}")],
        vec![
            block("rule", &[], body(&[("port", "80")], vec![])),
            block("rule", &[], body(&[("port", "443")], vec![])),
            block("named", &["a"], body(&[("port", "1")], vec![])),
        ],
    );
    let (value, diags) = eval_body(&b, &schema(), &TestScope);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(value.ty(), schema().ty());
    assert_eq!(value.get_attr("size"), Some(&Value::int(3)));
    assert!(value.get_attr("password").is_some_and(Value::is_sensitive));
    assert_eq!(value.get_attr("id"), Some(&Value::Null(Type::String)));
    assert_eq!(value.get_attr("single"), Some(&Value::Null(schema().blocks["single"].block.ty())));
    let tags = value.get_attr("tags").and_then(Value::as_entries).cloned().unwrap_or_default();
    assert_eq!(tags.get("env"), Some(&Value::string("1")));
    let rules = value.get_attr("rule").and_then(Value::as_seq).map(<[Value]>::len);
    assert_eq!(rules, Some(2));
    let named = value.get_attr("named").and_then(Value::as_entries).cloned().unwrap_or_default();
    assert_eq!(named.keys().collect::<Vec<_>>(), vec!["a"]);
}

#[test]
fn body_reports_unexpected_missing_and_mistyped() {
    let b = body(&[("nmae", "\"x\""), ("size", "[1]"), ("id", "\"x\"")], vec![block("rulez", &[], Body::default())]);
    let (_, diags) = eval_body(&b, &schema(), &TestScope);
    let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
    assert!(summaries.contains(&"Unsupported argument"), "{summaries:?}");
    assert!(summaries.contains(&"Missing required argument"));
    assert!(summaries.contains(&"Incorrect attribute value type"));
    assert!(summaries.contains(&"Invalid argument"));
    assert!(summaries.contains(&"Unsupported block type"));
    let unexpected = diags.iter().find(|d| d.summary == "Unsupported argument").expect("present");
    assert_eq!(unexpected.detail.as_deref(), Some("An argument named `nmae` is not expected here."));
    assert_eq!(unexpected.help.as_deref(), Some("did you mean `name`?"));
}

#[test]
fn dynamic_blocks_expand() {
    let mut dynamic_rule = block("rule", &[], body(&[("port", "r.value * 10")], vec![]));
    dynamic_rule.dynamic =
        Some(DynamicBlock { for_each: expr("[1, 2, 3]"), iterator: "r".to_string(), labels: vec![] });
    let b = body(&[("name", "\"x\"")], vec![dynamic_rule]);
    let (value, diags) = eval_body(&b, &schema(), &TestScope);
    assert!(diags.is_empty(), "{diags:?}");
    let ports: Vec<Value> = value
        .get_attr("rule")
        .and_then(Value::as_seq)
        .map(|rules| rules.iter().filter_map(|r| r.get_attr("port").cloned()).collect())
        .unwrap_or_default();
    assert_eq!(ports, vec![Value::int(10), Value::int(20), Value::int(30)]);

    let mut unknown_rule = block("rule", &[], body(&[("port", "1")], vec![]));
    unknown_rule.dynamic =
        Some(DynamicBlock { for_each: expr("var.unknown_list"), iterator: "rule".to_string(), labels: vec![] });
    let b = body(&[("name", "\"x\"")], vec![unknown_rule]);
    let (value, _) = eval_body(&b, &schema(), &TestScope);
    assert!(matches!(value.get_attr("rule"), Some(Value::Unknown(Type::List(_)))));
    let _ = BTreeMap::<String, Value>::new();
}

#[test]
fn string_literals_are_nfc_normalised() {
    let decomposed = "\"e\u{301}\" == \"\u{e9}\"";
    let expr = crate::lang::parse_expr(decomposed, crate::diag::FileId(0)).unwrap();
    let (value, diags) = crate::lang::eval(&expr, &TestScope);
    assert!(!diags.has_errors());
    assert_eq!(value, Value::Bool(true));
    let heredoc = "<<EOT\ne\u{301}${\"\"}\nEOT";
    let expr = crate::lang::parse_expr(heredoc, crate::diag::FileId(0)).unwrap();
    assert_eq!(crate::lang::eval(&expr, &TestScope).0, Value::string("\u{e9}\n"));
}

/// Provider functions of a fake provider `p`: `double(n)`, counting its calls.
struct FakeProviders(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl functions::ProviderFunctions for FakeProviders {
    fn function(&self, provider: &str, name: &str) -> Result<functions::Function, String> {
        if (provider, name) != ("p", "double") {
            return Err(format!("no {provider}::{name}"));
        }
        let calls = self.0.clone();
        Ok(functions::Function::new(vec![functions::Param::new("n", Type::Number)], Type::Number, move |_, args| {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let n = functions::number_of(&args[0]);
            Ok(Value::Number(n.add(&n)))
        }))
    }
}

#[test]
fn provider_functions_are_called_with_known_arguments_only_and_keep_marks() {
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    functions::install_provider_functions(std::sync::Arc::new(FakeProviders(calls.clone())));
    let count = || calls.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(ok("provider::p::double(var.n)"), Value::int(4));
    assert_eq!(count(), 1);
    assert_eq!(ok("provider::p::double(var.unknown_num)"), Value::Unknown(Type::Number));
    assert_eq!(count(), 1, "an unknown argument is not sent");
    assert_eq!(ok("provider::p::double(var.secret_num)"), Value::int(10).mark_sensitive());
    let (_, diags) = eval_text("provider::p::triple(1)");
    assert!(diags.errors().any(|d| d.detail.as_deref() == Some("no p::triple")), "{diags:?}");
    // A registry without providers (the constant test of plan JSON) never calls them.
    let expr = parse_expr("provider::p::double(1)", FileId(7)).expect("parses");
    let (_, diags) = eval_with(&expr, &TestScope, &Functions::new());
    assert!(diags.has_errors());
    assert_eq!(count(), 2);
}
