//! Traversals: reference roots (`var.x`, `aws_instance.web`, `each.value`), attribute
//! access, indexing, and splats (`[*]` and the legacy `.*`).

use hcl_edit::Decorated;
use hcl_edit::expr::{Expression, Traversal, TraversalOperator};

use super::{EvalResult, Evaluator};
use crate::addr::ResourceAddr;
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang::Subject;
use crate::lang::convert::unify;
use crate::value::{Number, Type, Value};

type Ops = [Decorated<TraversalOperator>];

impl Evaluator<'_> {
    pub(super) fn eval_traversal(&mut self, traversal: &Traversal, span: Span) -> EvalResult {
        let (root, consumed) = match &traversal.expr {
            Expression::Variable(ident) => self.resolve_root(ident.value().as_str(), &traversal.operators, span)?,
            other => (self.eval(other)?, 0),
        };
        self.apply_ops(root, &traversal.operators[consumed..], span)
    }

    /// Resolves the root of a reference and says how many operators it consumed.
    fn resolve_root(&mut self, name: &str, ops: &Ops, span: Span) -> Result<(Value, usize), Diagnostics> {
        if let Some(value) = self.local(name) {
            return Ok((value.clone(), 0));
        }
        let attr = |i: usize| match ops.get(i).map(|op| op.value()) {
            Some(TraversalOperator::GetAttr(ident)) => Some(ident.value().as_str().to_string()),
            _ => None,
        };
        let root_span = |count: usize| -> Span {
            match ops.get(count.saturating_sub(1)).and_then(hcl_edit::Span::span) {
                Some(range) if count > 0 => Span { file: span.file, start: span.start, end: range.end },
                _ => span,
            }
        };
        let missing = |what: &str| -> Diagnostics {
            Diagnostic::error("Invalid reference")
                .with_detail(format!("The `{name}` object must be followed by {what}."))
                .with_span(span)
                .into()
        };
        let (subject, consumed) = match name {
            "self" => (Subject::SelfObject, 0),
            "var" => (Subject::Var(attr(0).ok_or_else(|| missing("a variable name"))?), 1),
            "local" => (Subject::Local(attr(0).ok_or_else(|| missing("a local value name"))?), 1),
            "module" => (Subject::ModuleCall(attr(0).ok_or_else(|| missing("a module call name"))?), 1),
            "data" => {
                let type_name = attr(0).ok_or_else(|| missing("a data source type and name"))?;
                let resource_name = attr(1).ok_or_else(|| missing("a data source type and name"))?;
                (Subject::Resource(ResourceAddr::data(type_name, resource_name)), 2)
            }
            "count" => match attr(0).as_deref() {
                Some("index") => (Subject::CountIndex, 1),
                _ => return Err(invalid_attr(name, "`count.index`", span)),
            },
            "each" => match attr(0).as_deref() {
                Some("key") => (Subject::EachKey, 1),
                Some("value") => (Subject::EachValue, 1),
                _ => return Err(invalid_attr(name, "`each.key` or `each.value`", span)),
            },
            "path" => match attr(0).as_deref() {
                Some("module") => (Subject::PathModule, 1),
                Some("root") => (Subject::PathRoot, 1),
                Some("cwd") => (Subject::PathCwd, 1),
                _ => return Err(invalid_attr(name, "`path.module`, `path.root` or `path.cwd`", span)),
            },
            "terraform" => match attr(0).as_deref() {
                Some("workspace") => (Subject::TerraformWorkspace, 1),
                _ => return Err(invalid_attr(name, "`terraform.workspace`", span)),
            },
            type_name => match attr(0) {
                Some(resource_name) => (Subject::Resource(ResourceAddr::managed(type_name, resource_name)), 1),
                None => return self.eval_variable(type_name, span).map(|v| (v, 0)),
            },
        };
        let value = self.lookup(&subject, root_span(consumed))?;
        Ok((value, consumed))
    }

    pub(super) fn apply_ops(&mut self, mut value: Value, ops: &Ops, span: Span) -> EvalResult {
        let mut i = 0;
        while i < ops.len() {
            let op = &ops[i];
            let op_span = self.span(op);
            let op_span = Span { start: span.start.min(op_span.start), ..op_span };
            match op.value() {
                TraversalOperator::GetAttr(ident) => {
                    value = get_attr(value, ident.value().as_str(), op_span)?;
                }
                TraversalOperator::Index(expr) => {
                    let key = self.eval(expr)?;
                    value = index(value, key, op_span)?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    value = index(value, Value::Number(Number::from(*n.value() as i64)), op_span)?;
                }
                TraversalOperator::FullSplat(_) => {
                    let rest = &ops[i + 1..];
                    return self.splat(value, rest, span);
                }
                TraversalOperator::AttrSplat(_) => {
                    // The legacy splat applies only the attribute accesses that follow it.
                    let end = ops[i + 1..]
                        .iter()
                        .position(|op| {
                            !matches!(op.value(), TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_))
                        })
                        .map(|p| i + 1 + p)
                        .unwrap_or(ops.len());
                    value = self.splat(value, &ops[i + 1..end], span)?;
                    i = end;
                    continue;
                }
            }
            i += 1;
        }
        Ok(value)
    }

    fn splat(&mut self, value: Value, rest: &Ops, span: Span) -> EvalResult {
        let (value, sensitive) = value.unmark();
        let result = match value {
            Value::Null(_) => Value::Tuple(Vec::new()),
            Value::Unknown(_) => Value::Unknown(Type::Dynamic),
            Value::List(_, items) | Value::Set(_, items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.apply_ops(item, rest, span)?);
                }
                let types: Vec<Type> = out.iter().map(Value::ty).collect();
                let elem = unify(&types).unwrap_or(Type::Dynamic);
                let out = out.into_iter().map(|v| crate::lang::convert(v.clone(), &elem).unwrap_or(v)).collect();
                Value::List(elem, out)
            }
            Value::Tuple(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.apply_ops(item, rest, span)?);
                }
                Value::Tuple(out)
            }
            other => Value::Tuple(vec![self.apply_ops(other, rest, span)?]),
        };
        Ok(result.marked_if(sensitive))
    }
}

fn invalid_attr(root: &str, expected: &str, span: Span) -> Diagnostics {
    Diagnostic::error("Invalid reference")
        .with_detail(format!("The `{root}` object has only {expected}."))
        .with_span(span)
        .into()
}

/// `value.name`.
pub(crate) fn get_attr(value: Value, name: &str, span: Span) -> EvalResult {
    let (value, sensitive) = value.unmark();
    let unsupported = |detail: String| -> Diagnostics {
        Diagnostic::error("Unsupported attribute").with_detail(detail).with_span(span).into()
    };
    let result = match value {
        Value::Null(_) => {
            return Err(Diagnostic::error("Attempt to get attribute from null value")
                .with_detail("This value is null, so it does not have any attributes.")
                .with_span(span)
                .into());
        }
        Value::Unknown(ty) => match ty {
            Type::Object(attrs) => match attrs.get(name) {
                Some(t) => Value::Unknown(t.clone()),
                None => return Err(unsupported(format!("This object does not have an attribute named \"{name}\"."))),
            },
            Type::Map(elem) => Value::Unknown(*elem),
            _ => Value::Unknown(Type::Dynamic),
        },
        Value::Object(mut attrs) => match attrs.remove(name) {
            Some(v) => v,
            None => {
                let mut detail = format!("This object does not have an attribute named \"{name}\".");
                if let Some(similar) = did_you_mean(name, attrs.keys()) {
                    detail = format!("{detail} Did you mean \"{similar}\"?");
                }
                return Err(unsupported(detail));
            }
        },
        Value::Map(_, mut items) => match items.remove(name) {
            Some(v) => v,
            None => {
                return Err(Diagnostic::error("Missing map element")
                    .with_detail(format!("This map does not have an element with the key \"{name}\"."))
                    .with_span(span)
                    .into());
            }
        },
        Value::List(..) | Value::Set(..) | Value::Tuple(_) => {
            return Err(unsupported(
                "This value does not have any attributes. To access an element, use an index such as [0].".to_string(),
            ));
        }
        other => {
            return Err(unsupported(format!("Can't access attributes on a primitive-typed value ({}).", other.ty())));
        }
    };
    Ok(result.marked_if(sensitive))
}

/// The closest of `candidates` to `name`, when close enough to suggest.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> Option<String> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.clone())
}

/// `value[key]`.
pub(crate) fn index(value: Value, key: Value, span: Span) -> EvalResult {
    let (value, value_sensitive) = value.unmark();
    let (key, key_sensitive) = key.unmark();
    let sensitive = value_sensitive || key_sensitive;
    let invalid = |detail: &str| -> Diagnostics {
        Diagnostic::error("Invalid index")
            .with_detail(format!("The given key does not identify an element in this collection value{detail}"))
            .with_span(span)
            .into()
    };
    if value.is_null() {
        return Err(Diagnostic::error("Attempt to index null value")
            .with_detail("This value is null, so it does not have any indices.")
            .with_span(span)
            .into());
    }
    if key.is_null() {
        return Err(Diagnostic::error("Invalid index")
            .with_detail("Can't use a null value as an indexing key.")
            .with_span(span)
            .into());
    }
    let result = match value {
        Value::Unknown(ty) => Value::Unknown(match ty {
            Type::List(e) | Type::Map(e) => *e,
            _ => Type::Dynamic,
        }),
        Value::List(elem, items) => {
            if !key.is_known() {
                return Ok(Value::Unknown(elem).marked_if(sensitive));
            }
            let i = sequence_index(&key, items.len(), &invalid)?;
            items.into_iter().nth(i).unwrap_or(Value::Unknown(elem))
        }
        Value::Tuple(items) => {
            if !key.is_known() {
                return Ok(Value::Unknown(Type::Dynamic).marked_if(sensitive));
            }
            let i = sequence_index(&key, items.len(), &invalid)?;
            items.into_iter().nth(i).unwrap_or(Value::Unknown(Type::Dynamic))
        }
        Value::Map(elem, mut items) => {
            if !key.is_known() {
                return Ok(Value::Unknown(elem).marked_if(sensitive));
            }
            let k = string_key(key, &invalid)?;
            items.remove(&k).ok_or_else(|| invalid("."))?
        }
        Value::Object(mut attrs) => {
            if !key.is_known() {
                return Ok(Value::Unknown(Type::Dynamic).marked_if(sensitive));
            }
            let k = string_key(key, &invalid)?;
            attrs.remove(&k).ok_or_else(|| invalid("."))?
        }
        Value::Set(..) => {
            return Err(Diagnostic::error("Invalid index")
                .with_detail("Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.")
                .with_span(span)
                .into());
        }
        other => {
            return Err(Diagnostic::error("Invalid index")
                .with_detail(format!("This value does not have any indices: {} is not a collection.", other.ty()))
                .with_span(span)
                .into());
        }
    };
    Ok(result.marked_if(sensitive))
}

fn sequence_index(key: &Value, len: usize, invalid: &dyn Fn(&str) -> Diagnostics) -> Result<usize, Diagnostics> {
    let number = match key {
        Value::Number(n) => n.clone(),
        Value::String(s) => Number::parse(s).ok_or_else(|| invalid(": a number is required."))?,
        _ => return Err(invalid(": number required.")),
    };
    if !number.is_integer() {
        return Err(invalid(
            ": indexing a sequence requires a whole number, but the given index has a fractional part.",
        ));
    }
    if number.is_negative() {
        return Err(invalid(": a negative number is not a valid index for a sequence."));
    }
    match number.to_i64().and_then(|i| usize::try_from(i).ok()) {
        Some(i) if i < len => Ok(i),
        _ => Err(invalid(": the given index is greater than or equal to the length of the collection.")),
    }
}

fn string_key(key: Value, invalid: &dyn Fn(&str) -> Diagnostics) -> Result<String, Diagnostics> {
    match key {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(invalid(": string required.")),
    }
}
