//! The work the `parse_eval` fuzz target does on one input, shared with the regression
//! test that replays the crashes it found (`fuzz/fuzz_targets/parse_eval.rs` includes this
//! file by path). Parses the input as an expression and as a configuration file, and
//! evaluates what it can in an empty scope and in a scope with a few values.

use std::collections::BTreeMap;
use std::path::PathBuf;

use corral_engine::config::{LoadOptions, load_dir};
use corral_engine::diag::{Diagnostic, FileId, Span};
use corral_engine::lang::{Functions, Scope, Subject, eval_with, functions, limits, parse_expr, references};
use corral_engine::value::{Number, Type, Value};

/// Knows nothing, as `terraform console` in an empty directory.
struct EmptyScope;

impl Scope for EmptyScope {
    fn lookup(&self, _subject: &Subject, span: Span) -> Result<Value, Diagnostic> {
        Err(Diagnostic::error("Reference to undeclared value").with_span(span))
    }
}

/// A few variables of every kind, known, unknown, null and sensitive.
struct ValuesScope;

impl Scope for ValuesScope {
    fn lookup(&self, subject: &Subject, span: Span) -> Result<Value, Diagnostic> {
        let list = Value::List(Type::String, vec![Value::string("a"), Value::string("b")]);
        let object: BTreeMap<String, Value> = [
            ("n".to_string(), Value::Number(Number::parse("1.5").unwrap_or_else(|| Number::from(1)))),
            ("s".to_string(), Value::string("x").mark_sensitive()),
            ("u".to_string(), Value::Unknown(Type::String)),
            ("l".to_string(), list.clone()),
            ("z".to_string(), Value::Null(Type::Number)),
        ]
        .into();
        Ok(match subject {
            Subject::Var(name) | Subject::Local(name) => match name.as_str() {
                "list" => list,
                "obj" => Value::Object(object),
                "unknown" => Value::unknown(),
                "secret" => Value::string("hunter2").mark_sensitive(),
                "null" => Value::null(),
                "map" => Value::Map(Type::Number, [("k".to_string(), Value::int(1))].into()),
                "set" => Value::new_set(Type::Number, vec![Value::int(3), Value::int(1)]),
                _ => Value::string(name.clone()),
            },
            Subject::CountIndex => Value::int(0),
            Subject::EachKey => Value::string("k"),
            Subject::EachValue => Value::Object(object),
            Subject::PathModule | Subject::PathRoot | Subject::PathCwd => Value::string("/nonexistent-fuzz-dir"),
            Subject::TerraformWorkspace => Value::string("default"),
            _ => return Err(Diagnostic::error("Reference to undeclared value").with_span(span)),
        })
    }
}

/// The standard library without the functions that read the file system or the clock,
/// so that an input cannot make the run read `/dev/zero` or depend on the time.
fn functions() -> Functions {
    let mut library = functions::standard().clone();
    library.remove_where(|name| {
        name.starts_with("file") || matches!(name, "templatefile" | "timestamp" | "plantimestamp" | "uuid")
    });
    library
}

fn eval_everywhere(expr: &corral_engine::config::Expr, library: &Functions) {
    let _ = references(expr);
    let _ = eval_with(expr, &EmptyScope, library);
    let _ = eval_with(expr, &ValuesScope, library);
}

/// A directory of its own per process, so that parallel fuzz jobs do not share files.
fn scratch_dir() -> Option<PathBuf> {
    let dir = std::env::temp_dir().join(format!("corral-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

/// Runs one input through parse and evaluation; must never panic.
pub(crate) fn exercise(data: &[u8]) {
    // Small limits (1 MiB strings, 10,000 elements), so that the fuzzer's memory limit
    // (`-rss_limit_mb=512 -malloc_limit_mb=256`) catches what the limits do not bound,
    // rather than values legitimately just under the real ones.
    limits::init(limits::DEFAULTS.with(limits::MIB, limits::MIB, 10_000));
    let Ok(text) = std::str::from_utf8(data) else { return };
    let library = functions();
    if let Ok(expr) = parse_expr(text, FileId(0)) {
        eval_everywhere(&expr, &library);
    }
    let Some(dir) = scratch_dir() else { return };
    if std::fs::write(dir.join("main.tf"), text).is_err() {
        return;
    }
    let (config, _diags) = load_dir(&dir, &LoadOptions::default());
    for local in config.root.locals.values() {
        eval_everywhere(&local.value, &library);
    }
    for output in config.root.outputs.values() {
        eval_everywhere(&output.value, &library);
    }
}
