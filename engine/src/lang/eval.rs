//! Expression evaluation.

use crate::config::{Body, Expr};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::schema::BlockSchema;
use crate::value::{Type, Value};

use super::Subject;

/// Resolves the roots of references. The evaluator applies the rest of the traversal.
pub trait Scope {
    /// The value a subject stands for. An error diagnostic (with `span`) when it is not
    /// declared or not available here (`count.index` outside a counted resource).
    fn lookup(&self, subject: &Subject, span: Span) -> Result<Value, Diagnostic>;
}

/// Evaluates an expression.
pub fn eval(expr: &Expr, scope: &dyn Scope) -> (Value, Diagnostics) {
    let _ = scope;
    (
        Value::Unknown(Type::Dynamic),
        Diagnostic::error("expression evaluation is not implemented yet").with_span(expr.span).into(),
    )
}

/// Evaluates a body against a schema to an object of the schema's type: attributes
/// converted to their types, absent ones null, nested blocks by their nesting mode,
/// `dynamic` blocks expanded. Unexpected attributes and blocks are errors.
pub fn eval_body(body: &Body, schema: &BlockSchema, scope: &dyn Scope) -> (Value, Diagnostics) {
    let _ = (body, scope);
    (Value::Unknown(schema.ty()), Diagnostics::new())
}

/// Converts a value to a type as Terraform does (`"1"` → number, tuple → list, object →
/// map, ...), keeping marks and unknowns. The error says why, without a location.
pub fn convert(value: Value, ty: &Type) -> Result<Value, String> {
    let _ = ty;
    Ok(value)
}

/// Parses a standalone expression (from `--var`, the console, tests).
pub fn parse_expr(text: &str, file: crate::diag::FileId) -> Result<Expr, Diagnostic> {
    let expr = hcl_edit::parser::parse_expr(text).map_err(|e| Diagnostic::error(e.message().to_string()))?;
    Ok(Expr { expr, span: Span::new(file, 0..text.len()) })
}
