use super::*;
use crate::diag::{Diagnostics, FileId};
use crate::lang::{eval, parse_expr};

struct DirScope(String);

impl Scope for DirScope {
    fn lookup(&self, subject: &crate::lang::Subject, span: Span) -> Result<Value, Diagnostic> {
        match subject {
            crate::lang::Subject::PathModule => Ok(Value::string(self.0.as_str())),
            _ => Err(Diagnostic::error("undeclared").with_span(span)),
        }
    }
}

fn run_in(dir: &str, text: &str) -> (Value, Diagnostics) {
    let expr = parse_expr(text, FileId(0)).expect("parses");
    eval(&expr, &DirScope(dir.to_string()))
}

fn json(text: &str) -> String {
    let (value, diags) = run_in(".", text);
    assert!(!diags.has_errors(), "{text}: {diags:?}");
    jsonencode(&value).expect("encodable")
}

fn error_detail(text: &str) -> String {
    let (_, diags) = run_in(".", text);
    diags.errors().next().and_then(|d| d.detail.clone()).unwrap_or_else(|| panic!("{text} should fail"))
}

#[test]
fn string_functions() {
    assert_eq!(json("upper(\"abcé\")"), "\"ABCÉ\"");
    assert_eq!(json("title(\"hello world\")"), "\"Hello World\"");
    assert_eq!(json("replace(\"hello\", \"/(l+)/\", \"[$1]\")"), "\"he[ll]o\"");
    assert_eq!(json("substr(\"héllo\", 1, 2)"), "\"él\"");
    assert_eq!(json("split(\",\", \"a,b\")"), "[\"a\",\"b\"]");
    assert_eq!(json("join(\"-\", [\"a\"], [\"b\"])"), "\"a-b\"");
    assert_eq!(json("format(\"%.2f|%5s|%-3d|%x\", 3.14159, \"ab\", 7, 255)"), "\"3.14|   ab|7  |ff\"");
    // `%#v` is the JSON encoding of the value, strings quoted (Terraform 1.0.3).
    assert_eq!(json("format(\"%#v\", \"hello\")"), "\"\\\"hello\\\"\"");
    assert_eq!(json("format(\"%#v|%#v|%#v|%#v\", 1.5, true, null, [1, \"a\"])"), "\"1.5|true|null|[1,\\\"a\\\"]\"");
    assert_eq!(json("format(\"%#v\", {a = 1, b = \"x\"})"), "\"{\\\"a\\\":1,\\\"b\\\":\\\"x\\\"}\"");
    assert_eq!(json("formatlist(\"%s=%d\", [\"a\", \"b\"], 1)"), "[\"a=1\",\"b=1\"]");
    assert_eq!(json("regex(\"(?P<a>\\\\d+)\", \"x12\")"), "{\"a\":\"12\"}");
    assert_eq!(json("trimspace(\"  a \")"), "\"a\"");
    assert_eq!(json("length(\"🎉\")"), "1");
    assert!(error_detail("format(\"%d\", 1.5)").contains("Call to function \"format\" failed"));
}

#[test]
fn collection_functions() {
    assert_eq!(json("concat([\"a\"], [1])"), "[\"a\",1]");
    assert_eq!(json("merge({a = 1}, null, {b = 2})"), "{\"a\":1,\"b\":2}");
    assert_eq!(json("lookup({a = 1}, \"z\", \"d\")"), "\"d\"");
    assert_eq!(json("flatten([[\"a\"], [[\"b\"]], \"c\"])"), "[\"a\",\"b\",\"c\"]");
    assert_eq!(json("distinct([1, \"1\"])"), "[\"1\"]");
    assert_eq!(json("sort([10, 9, 100])"), "[\"10\",\"100\",\"9\"]");
    assert_eq!(json("range(5, 0, -2)"), "[5,3,1]");
    assert_eq!(json("zipmap([\"a\", \"b\"], [1, 2])"), "{\"a\":1,\"b\":2}");
    assert_eq!(json("setproduct([\"a\"], [1, 2])"), "[[\"a\",1],[\"a\",2]]");
    assert_eq!(json("one([])"), "null");
    assert_eq!(json("sum([1, 2.5])"), "3.5");
    assert_eq!(json("alltrue([])"), "true");
    assert!(error_detail("zipmap([\"a\"], [1, 2])").contains("number of keys (1)"));
    assert!(error_detail("keys([\"a\"])").contains("invalid value for \"inputMap\" parameter"));
}

#[test]
fn number_type_and_encoding_functions() {
    assert_eq!(json("pow(2, 0.5)"), "1.4142135623730951");
    assert_eq!(json("pow(10, 20)"), "100000000000000000000");
    assert_eq!(json("log(8, 2)"), "3");
    assert_eq!(json("parseint(\"FF\", 16)"), "255");
    assert_eq!(json("parseint(\"aA\", 62)"), "656");
    assert_eq!(json("floor(-1.1)"), "-2");
    assert_eq!(json("tolist([\"a\", 1])"), "[\"a\",\"1\"]");
    assert_eq!(json("tomap({a = {x = 1}, b = {y = 2}})"), "{\"a\":{\"x\":1},\"b\":{\"y\":2}}");
    assert_eq!(json("jsonencode(\"a<b>&c\")"), "\"\\\"a\\\\u003cb\\\\u003e\\\\u0026c\\\"\"");
    assert_eq!(json("jsondecode(\"{\\\"a\\\": [1, 2]}\")"), "{\"a\":[1,2]}");
    assert_eq!(json("base64decode(base64encode(\"hi\"))"), "\"hi\"");
    assert_eq!(json("urlencode(\"a b&c\")"), "\"a+b%26c\"");
    assert_eq!(json("sha256(\"\")"), "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"");
    assert_eq!(json("cidrsubnet(\"10.0.0.0/16\", 8, 2)"), "\"10.0.2.0/24\"");
    assert_eq!(json("cidrsubnets(\"10.0.0.0/16\", 8, 4, 8)"), "[\"10.0.0.0/24\",\"10.0.16.0/20\",\"10.0.32.0/24\"]");
    assert_eq!(json("cidrhost(\"fd00::/64\", 17)"), "\"fd00::11\"");
    assert!(error_detail("tonumber(\"0x10\")").contains("decimal representation"));
}

#[test]
fn file_functions_read_relative_to_the_module() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.txt"), "hello").expect("write");
    std::fs::write(dir.path().join("t.tpl"), "%{for n in names}${n}!%{endfor} ${x}").expect("write");
    let base = dir.path().display().to_string();
    let (value, diags) = run_in(&base, "file(\"a.txt\")");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(value, Value::string("hello"));
    let (value, _) = run_in(&base, "fileexists(\"a.txt\") && !fileexists(\"b.txt\")");
    assert_eq!(value, Value::Bool(true));
    let (value, diags) = run_in(&base, "templatefile(\"t.tpl\", {names = [\"a\", \"b\"], x = 1})");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(value, Value::string("a!b! 1"));
    let (_, diags) = run_in(&base, "file(\"missing.txt\")");
    assert!(diags.has_errors());
    // Terraform 1.0.3: fileset of a missing directory is an empty set, not an error.
    let (value, diags) = run_in(&base, "fileset(\"missing\", \"*\")");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(value, Value::new_set(Type::String, Vec::new()));
}

#[test]
fn registry_accepts_closures() {
    let mut functions = Functions::with_standard_library();
    let prefix = "pre-".to_string();
    functions.register(
        "prefixed",
        Function::new(vec![Param::new("s", Type::String)], Type::String, move |_, args| {
            Ok(Value::String(format!("{prefix}{}", str_of(&args[0]))))
        }),
    );
    let expr = parse_expr("prefixed(upper(\"x\"))", FileId(0)).expect("parses");
    let (value, diags) = crate::lang::eval_with(&expr, &DirScope(".".into()), &functions);
    assert!(diags.is_empty());
    assert_eq!(value, Value::string("pre-X"));
    assert_eq!(functions.get("prefixed").map(Function::return_type), Some(Type::String));
}

#[test]
fn null_arguments_are_refused_unless_allowed() {
    assert!(error_detail("upper(null)").contains("argument must not be null"));
    assert_eq!(json("tostring(null)"), "null");
}

/// Terraform 1.x's built-in functions (`internal/lang/functions.go`), less `can` and `try`
/// (special forms of the evaluator) and `type` (console only).
const TERRAFORM_FUNCTIONS: &[&str] = &[
    "abs",
    "abspath",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "base64gzip",
    "base64sha256",
    "base64sha512",
    "basename",
    "bcrypt",
    "ceil",
    "chomp",
    "chunklist",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "csvdecode",
    "dirname",
    "distinct",
    "element",
    "endswith",
    "ephemeralasnull",
    "file",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "fileexists",
    "filemd5",
    "fileset",
    "filesha1",
    "filesha256",
    "filesha512",
    "flatten",
    "floor",
    "format",
    "formatdate",
    "formatlist",
    "indent",
    "index",
    "issensitive",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "log",
    "lookup",
    "lower",
    "matchkeys",
    "max",
    "md5",
    "merge",
    "min",
    "nonsensitive",
    "one",
    "parseint",
    "pathexpand",
    "plantimestamp",
    "pow",
    "range",
    "regex",
    "regexall",
    "replace",
    "reverse",
    "rsadecrypt",
    "sensitive",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "sha1",
    "sha256",
    "sha512",
    "signum",
    "slice",
    "sort",
    "split",
    "startswith",
    "strcontains",
    "strrev",
    "substr",
    "sum",
    "templatefile",
    "templatestring",
    "textdecodebase64",
    "textencodebase64",
    "timeadd",
    "timecmp",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "transpose",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "upper",
    "urlencode",
    "uuid",
    "uuidv5",
    "values",
    "yamldecode",
    "yamlencode",
    "zipmap",
];

#[test]
fn ephemeralasnull_keeps_values_that_are_not_ephemeral() {
    // Corral has no ephemeral values: each value, marks and unknowns included, comes back.
    for value in [
        Value::from("x"),
        Value::null(),
        Value::Unknown(Type::String),
        Value::Tuple(vec![Value::from("a").mark_sensitive(), Value::from("b")]),
    ] {
        assert_eq!(call("ephemeralasnull", vec![value.clone()]), Ok(value));
    }
}

#[test]
fn every_terraform_function_is_registered() {
    let missing: Vec<&str> =
        TERRAFORM_FUNCTIONS.iter().copied().filter(|name| standard().get(name).is_none()).collect();
    assert!(missing.is_empty(), "missing functions: {missing:?}");
    let unknown: Vec<&str> = standard().names().filter(|n| !TERRAFORM_FUNCTIONS.contains(n)).collect();
    assert!(unknown.is_empty(), "registered but not Terraform functions: {unknown:?}");
}

/// One call per function with valid arguments, for the propagation test.
const SAMPLE_CALLS: &[(&str, &[&str])] = &[
    ("abs", &["-1"]),
    ("abspath", &["\"a/../b\""]),
    ("alltrue", &["[true]"]),
    ("anytrue", &["[true]"]),
    ("base64decode", &["\"aGk=\""]),
    ("base64encode", &["\"hi\""]),
    ("base64gzip", &["\"hi\""]),
    ("base64sha256", &["\"hi\""]),
    ("base64sha512", &["\"hi\""]),
    ("basename", &["\"a/b\""]),
    ("bcrypt", &["\"hi\"", "4"]),
    ("ceil", &["1.5"]),
    ("chomp", &["\"a\\n\""]),
    ("chunklist", &["[1, 2, 3]", "2"]),
    ("cidrhost", &["\"10.0.0.0/8\"", "2"]),
    ("cidrnetmask", &["\"10.0.0.0/8\""]),
    ("cidrsubnet", &["\"10.0.0.0/8\"", "8", "2"]),
    ("cidrsubnets", &["\"10.0.0.0/8\"", "8", "4"]),
    ("coalesce", &["\"\"", "\"b\""]),
    ("coalescelist", &["[]", "[1]"]),
    ("compact", &["[\"a\", \"\"]"]),
    ("concat", &["[1]", "[2]"]),
    ("contains", &["[1, 2]", "2"]),
    ("csvdecode", &["\"a,b\\n1,2\\n\""]),
    ("dirname", &["\"a/b\""]),
    ("distinct", &["[1, 1]"]),
    ("element", &["[1, 2]", "3"]),
    ("endswith", &["\"abc\"", "\"c\""]),
    ("ephemeralasnull", &["{a = [1, null]}"]),
    ("file", &["\"Cargo.toml\""]),
    ("filebase64", &["\"Cargo.toml\""]),
    ("filebase64sha256", &["\"Cargo.toml\""]),
    ("filebase64sha512", &["\"Cargo.toml\""]),
    ("fileexists", &["\"Cargo.toml\""]),
    ("filemd5", &["\"Cargo.toml\""]),
    ("fileset", &["\"src/value\"", "\"*.rs\""]),
    ("filesha1", &["\"Cargo.toml\""]),
    ("filesha256", &["\"Cargo.toml\""]),
    ("filesha512", &["\"Cargo.toml\""]),
    ("flatten", &["[[1], [2]]"]),
    ("floor", &["1.5"]),
    ("format", &["\"%s-%d\"", "\"a\"", "1"]),
    ("formatdate", &["\"YYYY\"", "\"2020-01-01T00:00:00Z\""]),
    ("formatlist", &["\"%s!\"", "[\"a\", \"b\"]"]),
    ("indent", &["2", "\"a\\nb\""]),
    ("index", &["[\"a\", \"b\"]", "\"b\""]),
    ("join", &["\",\"", "[\"a\", \"b\"]"]),
    ("jsondecode", &["\"{\\\"a\\\": 1}\""]),
    ("jsonencode", &["{a = 1}"]),
    ("keys", &["{a = 1}"]),
    ("length", &["[1, 2]"]),
    ("log", &["8", "2"]),
    ("lookup", &["{a = 1}", "\"a\"", "0"]),
    ("lower", &["\"A\""]),
    ("matchkeys", &["[\"a\", \"b\"]", "[1, 2]", "[2]"]),
    ("max", &["1", "2"]),
    ("md5", &["\"hi\""]),
    ("merge", &["{a = 1}", "{b = 2}"]),
    ("min", &["1", "2"]),
    ("one", &["[1]"]),
    ("parseint", &["\"ff\"", "16"]),
    ("pathexpand", &["\"~/x\""]),
    ("pow", &["2", "3"]),
    ("range", &["3"]),
    ("regex", &["\"[a-z]+\"", "\"abc1\""]),
    ("regexall", &["\"[a-z]\"", "\"ab\""]),
    ("replace", &["\"abc\"", "\"b\"", "\"x\""]),
    ("reverse", &["[1, 2]"]),
    ("rsadecrypt", &[]),
    ("setintersection", &["[1, 2]", "[2]"]),
    ("setproduct", &["[1, 2]", "[\"a\"]"]),
    ("setsubtract", &["[1, 2]", "[2]"]),
    ("setunion", &["[1]", "[2]"]),
    ("sha1", &["\"hi\""]),
    ("sha256", &["\"hi\""]),
    ("sha512", &["\"hi\""]),
    ("signum", &["-3"]),
    ("slice", &["[1, 2, 3]", "1", "2"]),
    ("sort", &["[\"b\", \"a\"]"]),
    ("split", &["\",\"", "\"a,b\""]),
    ("startswith", &["\"abc\"", "\"a\""]),
    ("strcontains", &["\"abc\"", "\"b\""]),
    ("strrev", &["\"abc\""]),
    ("substr", &["\"abc\"", "1", "1"]),
    ("sum", &["[1, 2]"]),
    ("templatefile", &["\"Cargo.toml\"", "{}"]),
    ("templatestring", &["\"$${a}!\"", "{a = \"x\"}"]),
    ("textdecodebase64", &["\"aGk=\"", "\"UTF-8\""]),
    ("textencodebase64", &["\"hi\"", "\"UTF-8\""]),
    ("timeadd", &["\"2020-01-01T00:00:00Z\"", "\"1h\""]),
    ("timecmp", &["\"2020-01-01T00:00:00Z\"", "\"2021-01-01T00:00:00Z\""]),
    ("title", &["\"ab cd\""]),
    ("tobool", &["\"true\""]),
    ("tolist", &["[\"a\"]"]),
    ("tomap", &["{a = 1}"]),
    ("tonumber", &["\"1\""]),
    ("toset", &["[\"a\"]"]),
    ("tostring", &["1"]),
    ("transpose", &["{a = [\"x\"]}"]),
    ("trim", &["\"xax\"", "\"x\""]),
    ("trimprefix", &["\"xa\"", "\"x\""]),
    ("trimspace", &["\" a \""]),
    ("trimsuffix", &["\"ax\"", "\"x\""]),
    ("upper", &["\"a\""]),
    ("urlencode", &["\"a b\""]),
    ("uuidv5", &["\"dns\"", "\"example.com\""]),
    ("values", &["{a = 1}"]),
    ("yamldecode", &["\"a: 1\""]),
    ("yamlencode", &["{a = 1}"]),
    ("zipmap", &["[\"a\"]", "[1]"]),
];

/// Functions whose marks or unknowns are their subject (they decide), and those without
/// arguments.
const PROPAGATION_EXEMPT: &[&str] =
    &["sensitive", "nonsensitive", "issensitive", "timestamp", "plantimestamp", "uuid", "rsadecrypt"];

fn call(name: &str, args: Vec<Value>) -> Result<Value, Diagnostic> {
    let function = standard().get(name).expect("registered");
    let span = Span::new(FileId(0), 0..0);
    let arg_spans = vec![span; args.len()];
    let scope = DirScope(env!("CARGO_MANIFEST_DIR").to_string());
    let ctx = CallContext { name, span, arg_spans: &arg_spans, scope: &scope };
    function.call(&ctx, args)
}

#[test]
fn every_function_propagates_unknown_and_sensitive_arguments() {
    let mut failures = Vec::new();
    for name in standard().names() {
        if PROPAGATION_EXEMPT.contains(&name) {
            continue;
        }
        let Some((_, sample)) = SAMPLE_CALLS.iter().find(|(n, _)| *n == name) else {
            failures.push(format!("{name}: no sample call"));
            continue;
        };
        let args: Vec<Value> = sample.iter().map(|text| run_in(env!("CARGO_MANIFEST_DIR"), text).0).collect();
        let ret = standard().get(name).expect("registered").return_type();
        let plain = match call(name, args.clone()) {
            Ok(value) => value,
            Err(e) => {
                failures.push(format!("{name}: sample call failed: {e}"));
                continue;
            }
        };
        if plain.contains_sensitive() {
            failures.push(format!("{name}: sensitive result from plain arguments"));
        }
        for i in 0..args.len() {
            let mut marked = args.clone();
            marked[i] = marked[i].clone().mark_sensitive();
            match call(name, marked) {
                Ok(v) if v.contains_sensitive() => {}
                other => failures.push(format!("{name}: sensitive argument {i} gave {other:?}")),
            }
            let mut unknown = args.clone();
            unknown[i] = Value::Unknown(args[i].ty());
            match call(name, unknown) {
                Ok(v) if !v.is_known() => {
                    if ret != Type::Dynamic && v.ty() != ret && v.ty() != Type::Dynamic {
                        failures.push(format!("{name}: unknown argument {i} gave unknown of {} not {ret}", v.ty()));
                    }
                }
                // Known results are right when the unknown part cannot matter (`length` of
                // a list with unknown elements, `coalesce` whose first argument is known).
                Ok(v) if v.is_wholly_known() && matches!(name, "coalesce" | "coalescelist" | "length") => {}
                other => failures.push(format!("{name}: unknown argument {i} gave {other:?}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn yaml_and_csv_as_terraform() {
    assert_eq!(
        json("yamldecode(\"a: [on, off, ~, 0x1F, 010, '1', 1.5]\")"),
        "{\"a\":[true,false,null,31,8,\"1\",1.5]}"
    );
    assert_eq!(
        json("yamldecode(\"base: &b {x: 1}\\nother:\\n  <<: *b\\n  z: 2\")"),
        "{\"base\":{\"x\":1},\"other\":{\"x\":1,\"z\":2}}"
    );
    assert!(error_detail("yamldecode(\"a: 1\\n---\\nb: 2\")").contains("extra content"));
    assert_eq!(
        json("yamlencode({a = {b = [1, {c = null}]}, d = \"x\\ny\"})"),
        "\"\\\"a\\\":\\n  \\\"b\\\":\\n  - 1\\n  - \\\"c\\\": null\\n\\\"d\\\": |-\\n  x\\n  y\\n\""
    );
    assert_eq!(json("csvdecode(\"a,b\\n1,\\\"x,y\\\"\\n\")"), "[{\"a\":\"1\",\"b\":\"x,y\"}]");
    assert!(error_detail("csvdecode(\"a,b\\n1\\n\")").contains("wrong number of fields"));
}

/// Functions whose output size the input chooses refuse before allocating (default limits:
/// 64 MiB strings, 1,000,000 elements); just under the limit still works.
#[test]
fn output_sizes_chosen_by_the_input_are_limited() {
    for (text, limit) in [
        ("indent(2000000000, \"\\n\\n\")", "CORRAL_MAX_STRING_BYTES"),
        ("format(\"%99999999999s\", \"a\")", "CORRAL_MAX_STRING_BYTES"),
        ("format(\"%.99999999999f\", 1)", "CORRAL_MAX_STRING_BYTES"),
        ("formatlist(\"%40000000s\", [\"a\", \"b\"])", "CORRAL_MAX_STRING_BYTES"),
        ("join(format(\"%40000000s\", \"\"), [\"a\", \"b\", \"c\"])", "CORRAL_MAX_STRING_BYTES"),
        ("replace(\"abc\", \"\", format(\"%30000000s\", \"\"))", "CORRAL_MAX_STRING_BYTES"),
        ("setproduct(range(200), range(200), range(200))", "CORRAL_MAX_COLLECTION_ELEMENTS"),
    ] {
        let detail = error_detail(text);
        assert!(detail.contains(limit) && detail.contains("over the limit of"), "{text}: {detail}");
    }
    // "Billion laughs": aliases of anchors of aliases, 10^7 values from a few lines.
    let mut yaml = String::from("a: &a [1,1,1,1,1,1,1,1,1,1]\\n");
    for (name, prev) in [("b", "a"), ("c", "b"), ("d", "c"), ("e", "d"), ("f", "e"), ("g", "f")] {
        yaml.push_str(&format!("{name}: &{name} [{}]\\n", vec![format!("*{prev}"); 10].join(",")));
    }
    let detail = error_detail(&format!("yamldecode(\"{yaml}\")"));
    assert!(detail.contains("CORRAL_MAX_COLLECTION_ELEMENTS"), "{detail}");
    assert_eq!(json("length(yamldecode(\"a: &a [1, 2]\\nb: [*a, *a]\\n\").b)"), "2");
    assert_eq!(json("length(indent(1000, \"a\\nb\"))"), "1003");
    assert_eq!(json("length(setproduct(range(100), range(100)))"), "10000");
}
