//! The expression oracle: Terraform 1.0.3's answers for a corpus of expressions
//! (`shared/oracle/expressions.public.jsonl`, beside the repository). Each expression is
//! evaluated with an empty scope and its `jsonencode` text compared with Terraform's;
//! expressions Terraform rejected must give an error. Prints the pass rate per category
//! and every failure, and holds the overall rate at or above the level reached (a ratchet).

use std::collections::BTreeMap;

use corral_engine::diag::{Diagnostic, FileId, Span};
use corral_engine::lang::{Scope, Subject, eval, functions::jsonencode, parse_expr};
use corral_engine::value::Value;

/// The pass rate this corpus has reached; raise it when the language improves.
const MIN_PASS_RATE: f64 = 0.997;

/// A scope with nothing declared, as `terraform console` in an empty directory.
struct EmptyScope;

impl Scope for EmptyScope {
    fn lookup(&self, subject: &Subject, span: Span) -> Result<Value, Diagnostic> {
        let (summary, detail) = match subject {
            Subject::Var(name) => (
                "Reference to undeclared input variable",
                format!("An input variable with the name \"{name}\" has not been declared."),
            ),
            Subject::Local(name) => (
                "Reference to undeclared local value",
                format!("A local value with the name \"{name}\" has not been declared."),
            ),
            Subject::PathModule | Subject::PathRoot | Subject::PathCwd => return Ok(Value::string(".")),
            Subject::TerraformWorkspace => return Ok(Value::string("default")),
            other => ("Reference to undeclared resource", format!("{other:?} has not been declared.")),
        };
        Err(Diagnostic::error(summary).with_detail(detail).with_span(span))
    }
}

#[derive(serde::Deserialize)]
struct Entry {
    id: String,
    category: String,
    expr: String,
    ok: bool,
    json: Option<String>,
}

/// Evaluates one entry: `Ok(json text)` (`None` when jsonencode fails) or `Err(message)`.
fn run(expr: &str) -> Result<Option<String>, String> {
    let parsed = parse_expr(expr, FileId(0)).map_err(|d| d.to_string())?;
    let (value, diags) = eval(&parsed, &EmptyScope);
    if diags.has_errors() {
        return Err(diags.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "));
    }
    Ok(jsonencode(&value).ok())
}

#[test]
fn oracle_expressions() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/oracle/expressions.public.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("oracle file {} is absent; skipping", path.display());
        return;
    };
    let mut per_category: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let entry: Entry = serde_json::from_str(line).expect("oracle line is JSON");
        let outcome = std::panic::catch_unwind(|| run(&entry.expr)).unwrap_or_else(|_| Err("PANIC".to_string()));
        let passed = match (&outcome, entry.ok) {
            (Ok(got), true) => *got == entry.json,
            (Err(e), false) => e != "PANIC",
            _ => false,
        };
        let slot = per_category.entry(entry.category.clone()).or_default();
        slot.1 += 1;
        if passed {
            slot.0 += 1;
        } else {
            let want = if entry.ok { format!("{:?}", entry.json) } else { "an error".to_string() };
            failures.push(format!("{} `{}`: want {want}, got {outcome:?}", entry.id, entry.expr.replace('\n', "\\n")));
        }
    }
    let (mut passed, mut total) = (0, 0);
    for (category, (p, t)) in &per_category {
        println!("{category:16} {p:3}/{t:3}");
        passed += p;
        total += t;
    }
    for failure in &failures {
        println!("FAIL {failure}");
    }
    let rate = passed as f64 / total.max(1) as f64;
    println!("overall {passed}/{total} = {:.1}%", rate * 100.0);
    assert!(rate >= MIN_PASS_RATE, "pass rate {rate:.3} fell below {MIN_PASS_RATE}");
}
