//! `count` and `for_each`: turning their values into instance keys.

use std::collections::BTreeMap;

use crate::addr::InstanceKey;
use crate::config::Expr;
use crate::diag::{Diagnostic, Diagnostics};
use crate::lang::{self, Scope, Subject};
use crate::value::Value;

/// How a resource or module call expanded.
#[derive(Clone, Debug, PartialEq)]
pub enum Expansion {
    /// No `count` or `for_each`.
    Single,
    Count(usize),
    /// The keys, sorted.
    ForEach(Vec<String>),
    /// Could not be determined (an error was reported).
    Unknown,
    /// `count`/`for_each` is known only after apply: no instances are planned this round,
    /// and a later round (`corral apply` plans again) expands it. `reason` names what is
    /// unknown, e.g. `for_each depends on kmr_cluster.c, known after apply`.
    Deferred {
        reason: String,
    },
}

/// What `count.index` and `each.*` stand for in one instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RepetitionData {
    pub count_index: Option<i64>,
    pub each_key: Option<String>,
    pub each_value: Option<Value>,
}

/// Evaluates `count`/`for_each` and returns the expansion with each instance's key and
/// repetition data. Invalid values (null, negative, wrong type, sensitive) are errors, as
/// in Terraform; an unknown value (or a `for_each` set with unknown elements) defers the
/// expansion to a later round instead of failing the plan.
pub fn expand(
    count: Option<&Expr>,
    for_each: Option<&Expr>,
    scope: &dyn Scope,
) -> (Expansion, Vec<(InstanceKey, RepetitionData)>, Diagnostics) {
    let mut diags = Diagnostics::new();
    if let Some(expr) = count {
        let (value, d) = lang::eval(expr, scope);
        diags.extend(d);
        if diags.has_errors() {
            return (Expansion::Unknown, Vec::new(), diags);
        }
        let (value, _) = value.unmark();
        if !value.is_known() {
            return (deferred("count", expr, scope), Vec::new(), diags);
        }
        let n = match lang::convert(value, &crate::value::Type::Number)
            .ok()
            .and_then(|v| v.as_number().and_then(|n| n.to_i64()))
        {
            Some(n) if n >= 0 => n as usize,
            _ => {
                diags.push(Diagnostic::error("Invalid count argument").with_span(expr.span).with_detail("The given \"count\" argument value is unsuitable: must be a whole number, greater than or equal to zero"));
                return (Expansion::Unknown, Vec::new(), diags);
            }
        };
        let instances = (0..n)
            .map(|i| {
                (
                    InstanceKey::Int(i as i64),
                    RepetitionData { count_index: Some(i as i64), ..RepetitionData::default() },
                )
            })
            .collect();
        return (Expansion::Count(n), instances, diags);
    }
    if let Some(expr) = for_each {
        let (value, d) = lang::eval(expr, scope);
        diags.extend(d);
        if diags.has_errors() {
            return (Expansion::Unknown, Vec::new(), diags);
        }
        let (value, sensitive) = value.unmark();
        // A set's elements are its keys: one sensitive element would disclose itself as
        // an instance key (cty moves such marks to the set; ours may stay on the element).
        let sensitive_key = matches!(&value, Value::Set(_, items) if items.iter().any(Value::contains_sensitive));
        if sensitive || sensitive_key {
            diags.push(Diagnostic::error("Invalid for_each argument").with_span(expr.span).with_detail("Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments: instance keys would disclose them"));
            return (Expansion::Unknown, Vec::new(), diags);
        }
        if !value.is_known() {
            return (deferred("for_each", expr, scope), Vec::new(), diags);
        }
        let mut entries: BTreeMap<String, Value> = BTreeMap::new();
        match &value {
            Value::Map(_, items) | Value::Object(items) => {
                for (k, v) in items {
                    entries.insert(k.clone(), v.clone());
                }
            }
            Value::Set(_, items) => {
                for item in items {
                    match item.unmarked() {
                        Value::String(s) => {
                            entries.insert(s.clone(), item.clone());
                        }
                        // Its keys are not known yet: a later round expands it.
                        Value::Unknown(_) => return (deferred("for_each", expr, scope), Vec::new(), diags),
                        _ => {
                            diags.push(Diagnostic::error("Invalid for_each set argument").with_span(expr.span).with_detail("The given \"for_each\" argument value is unsuitable: \"for_each\" supports sets of strings, but you have provided a set containing other types"));
                            return (Expansion::Unknown, Vec::new(), diags);
                        }
                    }
                }
            }
            Value::Null(_) => {
                diags.push(
                    Diagnostic::error("Invalid for_each argument").with_span(expr.span).with_detail(
                        "The given \"for_each\" argument value is null. A map, or set of strings is allowed",
                    ),
                );
                return (Expansion::Unknown, Vec::new(), diags);
            }
            other => {
                diags.push(Diagnostic::error("Invalid for_each argument").with_span(expr.span).with_detail(format!(
                    "The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type {}",
                    other.ty()
                )));
                return (Expansion::Unknown, Vec::new(), diags);
            }
        }
        let keys: Vec<String> = entries.keys().cloned().collect();
        let instances = entries
            .into_iter()
            .map(|(k, v)| {
                (
                    InstanceKey::Str(k.clone()),
                    RepetitionData { count_index: None, each_key: Some(k), each_value: Some(v) },
                )
            })
            .collect();
        return (Expansion::ForEach(keys), instances, diags);
    }
    (Expansion::Single, vec![(InstanceKey::None, RepetitionData::default())], diags)
}

/// The deferred expansion of `argument`, naming the references whose values are not known
/// yet (so the user sees which object a later round waits for).
fn deferred(argument: &str, expr: &Expr, scope: &dyn Scope) -> Expansion {
    let mut unknown: Vec<String> = Vec::new();
    for reference in lang::references(expr) {
        let name = match &reference.subject {
            Subject::Resource(addr) => addr.to_string(),
            Subject::ModuleCall(name) => format!("module.{name}"),
            Subject::Var(name) => format!("var.{name}"),
            Subject::Local(name) => format!("local.{name}"),
            Subject::EachValue => "each.value".to_string(),
            _ => continue,
        };
        let known = scope.lookup(&reference.subject, reference.span).is_ok_and(|v| v.is_wholly_known());
        if !known && !unknown.contains(&name) {
            unknown.push(name);
        }
    }
    let reason = if unknown.is_empty() {
        format!("{argument} is known only after apply")
    } else {
        format!("{argument} depends on {}, known after apply", unknown.join(", "))
    };
    Expansion::Deferred { reason }
}
