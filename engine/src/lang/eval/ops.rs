//! Operators, with Terraform's semantics: arithmetic converts its operands to numbers
//! (`"1.5" * 2` is 3), logic to bools, `==`/`!=` compare without conversion (values of
//! different types are never equal), and unknown or sensitive operands give unknown or
//! sensitive results.

use hcl_edit::expr::{BinaryOp, BinaryOperator, UnaryOp, UnaryOperator};

use super::{EvalResult, Evaluator};
use crate::diag::{Diagnostic, Span};
use crate::lang::convert;
use crate::value::{Type, Value};

impl Evaluator<'_> {
    pub(super) fn eval_unary(&mut self, op: &UnaryOp, span: Span) -> EvalResult {
        let operand_span = self.span(&op.expr);
        let value = self.eval(&op.expr)?;
        let (value, sensitive) = value.unmark();
        let (want, result_ty) = match op.operator.value() {
            UnaryOperator::Neg => (Type::Number, Type::Number),
            UnaryOperator::Not => (Type::Bool, Type::Bool),
        };
        if value.is_null() {
            return Err(null_operand(span).into());
        }
        if !value.is_known() {
            return Ok(Value::Unknown(result_ty).marked_if(sensitive));
        }
        let value = convert(value, &want).map_err(|message| {
            Diagnostic::error("Invalid operand")
                .with_detail(format!("Unsuitable value for unary operand: {message}."))
                .with_span(operand_span)
        })?;
        let result = match value {
            Value::Number(n) => Value::Number(n.neg()),
            Value::Bool(b) => Value::Bool(!b),
            other => other,
        };
        Ok(result.marked_if(sensitive))
    }

    pub(super) fn eval_binary(&mut self, op: &BinaryOp, span: Span) -> EvalResult {
        use BinaryOperator as B;
        let operator = *op.operator.value();
        let lhs_span = self.span(&op.lhs_expr);
        let rhs_span = self.span(&op.rhs_expr);
        let lhs = self.eval(&op.lhs_expr);
        let rhs = self.eval(&op.rhs_expr);
        let (lhs, rhs) = match (lhs, rhs) {
            (Ok(l), Ok(r)) => (l, r),
            (Err(mut a), Err(b)) => {
                a.extend(b);
                return Err(a);
            }
            (Err(a), _) | (_, Err(a)) => return Err(a),
        };
        let (lhs, lhs_sensitive) = lhs.unmark();
        let (rhs, rhs_sensitive) = rhs.unmark();
        let sensitive = lhs_sensitive || rhs_sensitive;
        let result = match operator {
            B::Eq | B::NotEq => match equals(&lhs, &rhs) {
                Some(eq) => Value::Bool(eq == (operator == B::Eq)),
                None => Value::Unknown(Type::Bool),
            },
            B::And | B::Or => {
                let l = operand(lhs, &Type::Bool, "left", lhs_span, span)?;
                let r = operand(rhs, &Type::Bool, "right", rhs_span, span)?;
                logic(operator == B::And, l, r)
            }
            _ => {
                let l = operand(lhs, &Type::Number, "left", lhs_span, span)?;
                let r = operand(rhs, &Type::Number, "right", rhs_span, span)?;
                let result_ty = match operator {
                    B::Less | B::LessEq | B::Greater | B::GreaterEq => Type::Bool,
                    _ => Type::Number,
                };
                match (l, r) {
                    (Value::Number(a), Value::Number(b)) => match operator {
                        B::Plus => Value::Number(a.add(&b)),
                        B::Minus => Value::Number(a.sub(&b)),
                        B::Mul => Value::Number(a.mul(&b)),
                        B::Div => Value::Number(a.div(&b)),
                        B::Mod => Value::Number(a.rem(&b).unwrap_or(a)),
                        B::Less => Value::Bool(a < b),
                        B::LessEq => Value::Bool(a <= b),
                        B::Greater => Value::Bool(a > b),
                        B::GreaterEq => Value::Bool(a >= b),
                        _ => Value::Unknown(result_ty),
                    },
                    _ => Value::Unknown(result_ty),
                }
            }
        };
        Ok(result.marked_if(sensitive))
    }
}

fn null_operand(span: Span) -> Diagnostic {
    Diagnostic::error("Operation failed")
        .with_detail("Error during operation: argument must not be null.")
        .with_span(span)
}

/// An operand converted to the operator's type; unknowns stay unknown (of that type).
fn operand(value: Value, want: &Type, side: &str, operand_span: Span, span: Span) -> Result<Value, Diagnostic> {
    if value.is_null() {
        return Err(null_operand(span));
    }
    if !value.is_known() {
        return convert(value, want).map_err(|message| unsuitable(side, &message, operand_span));
    }
    convert(value, want).map_err(|message| unsuitable(side, &message, operand_span))
}

fn unsuitable(side: &str, message: &str, span: Span) -> Diagnostic {
    Diagnostic::error("Invalid operand")
        .with_detail(format!("Unsuitable value for {side} operand: {message}."))
        .with_span(span)
}

/// `&&` / `||`. A known operand that decides the result wins over an unknown one
/// (`false && x` is false whatever `x` turns out to be).
fn logic(and: bool, l: Value, r: Value) -> Value {
    match (l.as_bool(), r.as_bool()) {
        (Some(a), Some(b)) => Value::Bool(if and { a && b } else { a || b }),
        (Some(a), None) | (None, Some(a)) if a != and => Value::Bool(a),
        _ => Value::Unknown(Type::Bool),
    }
}

/// Terraform's `==`: `None` when unknowns make it undecidable. Nulls equal each other
/// whatever their types; otherwise different types are unequal.
pub(crate) fn equals(a: &Value, b: &Value) -> Option<bool> {
    let (a, b) = (a.unmarked(), b.unmarked());
    match (a, b) {
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => return None,
        (Value::Null(_), Value::Null(_)) => return Some(true),
        (Value::Null(_), _) | (_, Value::Null(_)) => return Some(false),
        _ => {}
    }
    if a.ty() != b.ty() {
        return Some(false);
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        (Value::Number(x), Value::Number(y)) => Some(x == y),
        (Value::String(x), Value::String(y)) => Some(x == y),
        (Value::List(_, x), Value::List(_, y))
        | (Value::Set(_, x), Value::Set(_, y))
        | (Value::Tuple(x), Value::Tuple(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            seq_equals(x.iter().zip(y))
        }
        (Value::Map(_, x), Value::Map(_, y)) | (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() || !x.keys().eq(y.keys()) {
                return Some(false);
            }
            seq_equals(x.values().zip(y.values()))
        }
        _ => Some(false),
    }
}

fn seq_equals<'a>(pairs: impl Iterator<Item = (&'a Value, &'a Value)>) -> Option<bool> {
    let mut unknown = false;
    for (x, y) in pairs {
        match equals(x, y) {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}
