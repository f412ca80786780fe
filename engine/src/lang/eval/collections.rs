//! `for` expressions (list and object forms, `if` filters, grouping with `...`) and the
//! iteration they share with template `%{for}` directives.

use std::collections::BTreeMap;

use hcl_edit::expr::ForExpr;

use super::{EvalResult, Evaluator};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang::convert;
use crate::value::{Number, Type, Value};

/// The `(key, value)` pairs a `for` iterates over, or why it cannot.
pub(crate) enum Iteration {
    Items(Vec<(Value, Value)>, bool),
    /// The collection is unknown: so is the result. The flag says whether it is sensitive.
    Unknown(bool),
}

/// The pairs of a collection: index/value for sequences, key/value for maps and objects
/// (in key order), value/value for sets.
pub(crate) fn iteration(collection: Value, span: Span) -> Result<Iteration, Diagnostics> {
    let (collection, sensitive) = collection.unmark();
    let items = match collection {
        Value::Null(_) => {
            return Err(Diagnostic::error("Iteration over null value")
                .with_detail("A null value cannot be used as the collection in a 'for' expression.")
                .with_span(span)
                .into());
        }
        Value::Unknown(_) => return Ok(Iteration::Unknown(sensitive)),
        Value::List(_, items) | Value::Tuple(items) => {
            items.into_iter().enumerate().map(|(i, v)| (Value::Number(Number::from(i as i64)), v)).collect()
        }
        Value::Set(_, items) => items.into_iter().map(|v| (v.clone(), v)).collect(),
        Value::Map(_, items) | Value::Object(items) => items.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
        other => {
            return Err(Diagnostic::error("Iteration over non-iterable value")
                .with_detail(format!(
                    "A value of type {} cannot be used as the collection in a 'for' expression.",
                    other.ty()
                ))
                .with_span(span)
                .into());
        }
    };
    Ok(Iteration::Items(items, sensitive))
}

impl Evaluator<'_> {
    pub(super) fn eval_for(&mut self, for_expr: &ForExpr, span: Span) -> EvalResult {
        let intro = &for_expr.intro;
        let collection_span = self.span(&intro.collection_expr);
        let collection = self.eval(&intro.collection_expr)?;
        let (items, mut sensitive) = match iteration(collection, collection_span)? {
            Iteration::Items(items, sensitive) => (items, sensitive),
            Iteration::Unknown(sensitive) => return Ok(Value::Unknown(Type::Dynamic).marked_if(sensitive)),
        };
        let key_var = intro.key_var.as_ref().map(|k| k.value().as_str().to_string());
        let value_var = intro.value_var.value().as_str().to_string();
        let object_form = for_expr.key_expr.is_some();
        let mut list_out = Vec::new();
        let mut object_out: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown = false;
        let mut diags = Diagnostics::new();
        let collection_sensitive = sensitive;
        let limit = crate::limits::limits().collection_elements;
        for (key, value) in items {
            self.for_items += 1;
            if !limit.allows(self.for_items) {
                return Err(Diagnostic::error("Expression too large")
                    .with_detail(format!(
                        "the 'for' expressions of this expression iterate too often, counting nested ones: {}",
                        limit.exceeded(format!("more than {}", limit.value))
                    ))
                    .with_span(span)
                    .into());
            }
            let pushed = self.locals.len();
            if let Some(k) = &key_var {
                self.locals.push((k.clone(), key.marked_if(collection_sensitive)));
            }
            self.locals.push((value_var.clone(), value.marked_if(collection_sensitive)));
            let step = self.for_step(for_expr, &mut sensitive);
            self.locals.truncate(pushed);
            match step {
                Ok(None) => {}
                Ok(Some(Step::Unknown)) => unknown = true,
                Ok(Some(Step::Item(key, value))) => match key {
                    None => list_out.push(value),
                    Some(key) => {
                        if for_expr.grouping {
                            groups.entry(key).or_default().push(value);
                        } else {
                            match object_out.entry(key) {
                                std::collections::btree_map::Entry::Occupied(entry) => {
                                    let key_span = for_expr.key_expr.as_ref().map(|k| self.span(k)).unwrap_or(span);
                                    diags.push(
                                        Diagnostic::error("Duplicate object key")
                                            .with_detail(format!(
                                                "Two different items produced the key \"{}\" in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.",
                                                entry.key()
                                            ))
                                            .with_span(key_span),
                                    );
                                }
                                std::collections::btree_map::Entry::Vacant(entry) => {
                                    entry.insert(value);
                                }
                            }
                        }
                    }
                },
                Err(d) => diags.extend(d),
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        if unknown {
            return Ok(Value::Unknown(Type::Dynamic).marked_if(sensitive));
        }
        let result = if !object_form {
            Value::Tuple(list_out)
        } else if for_expr.grouping {
            Value::Object(groups.into_iter().map(|(k, vs)| (k, Value::Tuple(vs))).collect())
        } else {
            Value::Object(object_out)
        };
        Ok(result.marked_if(sensitive))
    }

    /// One iteration: `None` when filtered out. A sensitive key or condition makes the
    /// whole result sensitive (`sensitive` is set), as hcl merges their marks into the
    /// result: a key cannot carry a mark of its own, and which keys exist, or which items
    /// were kept, would otherwise disclose the secret.
    fn for_step(&mut self, for_expr: &ForExpr, sensitive: &mut bool) -> Result<Option<Step>, Diagnostics> {
        if let Some(cond) = &for_expr.cond {
            let cond_span = self.span(&cond.expr);
            let (value, cond_sensitive) = self.eval(&cond.expr)?.unmark();
            *sensitive |= cond_sensitive;
            if value.is_null() {
                return Err(Diagnostic::error("Condition is null")
                    .with_detail("The value of the 'if' clause must not be null.")
                    .with_span(cond_span)
                    .into());
            }
            if !value.is_known() {
                return Ok(Some(Step::Unknown));
            }
            match convert(value, &Type::Bool) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => return Ok(None),
                _ => {
                    return Err(Diagnostic::error("Invalid 'for' condition")
                        .with_detail("The 'if' clause value is invalid: bool required.")
                        .with_span(cond_span)
                        .into());
                }
            }
        }
        let key = match &for_expr.key_expr {
            None => None,
            Some(key_expr) => {
                let key_span = self.span(key_expr);
                let (key, key_sensitive) = self.eval(key_expr)?.unmark();
                *sensitive |= key_sensitive;
                if key.is_null() {
                    return Err(Diagnostic::error("Invalid object key")
                        .with_detail("Key expression in 'for' expression must not produce a null value.")
                        .with_span(key_span)
                        .into());
                }
                if !key.is_known() {
                    return Ok(Some(Step::Unknown));
                }
                match convert(key, &Type::String) {
                    Ok(Value::String(s)) => Some(s),
                    _ => {
                        return Err(Diagnostic::error("Invalid object key")
                            .with_detail("The key expression produced an invalid result: string required.")
                            .with_span(key_span)
                            .into());
                    }
                }
            }
        };
        let value = self.eval(&for_expr.value_expr)?;
        Ok(Some(Step::Item(key, value)))
    }
}

enum Step {
    Item(Option<String>, Value),
    Unknown,
}
