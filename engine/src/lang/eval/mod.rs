//! Expression evaluation over hcl-edit's AST.
//!
//! An [`Evaluator`] walks one expression with a [`Scope`] (which resolves the roots of
//! references) and a function registry. Unknown values and sensitive marks flow through
//! every construct: an operation on an unknown gives an unknown of the result type, and
//! anything computed from a sensitive value is sensitive. Errors are diagnostics with the
//! span of the offending sub-expression.

mod body;
mod collections;
mod ops;
mod template;
mod traversal;

use hcl_edit::expr::{Expression, FuncCall, ObjectKey};

use super::Subject;
use super::functions::{self, Functions};
use crate::config::Expr;
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::value::{Number, Type, Value};

pub use body::eval_body;
pub(crate) use ops::equals;

/// Resolves the roots of references. The evaluator applies the rest of the traversal.
pub trait Scope {
    /// The value a subject stands for. An error diagnostic (with `span`) when it is not
    /// declared or not available here (`count.index` outside a counted resource).
    fn lookup(&self, subject: &Subject, span: Span) -> Result<Value, Diagnostic>;

    /// Whether impure functions (`uuid()`, `timestamp()`, `bcrypt()`) stand for an unknown
    /// value here, as in Terraform's `PureOnly` scope of validate and plan: the value they
    /// would give now is not the one the apply gets, so a plan must not show or use it.
    fn pure_only(&self) -> bool {
        false
    }

    /// What `plantimestamp()` gives: the time the plan being made or applied was made.
    /// `None` outside a plan and its apply (`console`: the current time; a `pure_only`
    /// scope such as validate's: unknown).
    fn plan_timestamp(&self) -> Option<String> {
        None
    }
}

/// Functions whose result differs from one call to the next (Terraform's
/// `impureFunctions`): unknown in a [`Scope::pure_only`] scope.
const IMPURE_FUNCTIONS: &[&str] = &["bcrypt", "timestamp", "uuid"];

/// The result of evaluating a sub-expression: a value, or the errors that prevented one.
pub(crate) type EvalResult = Result<Value, Diagnostics>;

/// Evaluates an expression with the standard function library.
pub fn eval(expr: &Expr, scope: &dyn Scope) -> (Value, Diagnostics) {
    eval_with(expr, scope, functions::standard())
}

/// Evaluates an expression with a given function registry.
pub fn eval_with(expr: &Expr, scope: &dyn Scope, functions: &Functions) -> (Value, Diagnostics) {
    let mut evaluator = Evaluator::new(scope, functions, expr.span.file, expr.span);
    match evaluator.eval(&expr.expr) {
        Ok(value) => (value, Diagnostics::new()),
        Err(diags) => (Value::Unknown(Type::Dynamic), diags),
    }
}

/// Walks expressions of one file.
pub(crate) struct Evaluator<'a> {
    scope: &'a dyn Scope,
    functions: &'a Functions,
    file: FileId,
    /// The span used when a node carries none (nodes built by hand rather than parsed).
    fallback: Span,
    /// Names bound by `for` expressions and `dynamic` iterators, innermost last; they shadow
    /// the scope's roots.
    locals: Vec<(String, Value)>,
    /// How many times the scope refused a reference. `try` and `can` do not catch these:
    /// a reference to something undeclared is a mistake in the configuration, not a
    /// dynamic failure.
    lookup_failures: usize,
    /// Items the `for` expressions of this evaluation have produced, nested ones included:
    /// each level is small, but `for` inside `for` multiplies them.
    for_items: u64,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(scope: &'a dyn Scope, functions: &'a Functions, file: FileId, fallback: Span) -> Self {
        Evaluator { scope, functions, file, fallback, locals: Vec::new(), lookup_failures: 0, for_items: 0 }
    }

    /// The file span of a parsed node.
    pub(crate) fn span(&self, node: &impl hcl_edit::Span) -> Span {
        match node.span() {
            Some(range) => Span::new(self.file, range),
            None => self.fallback,
        }
    }

    pub(crate) fn eval(&mut self, expr: &Expression) -> EvalResult {
        let span = self.span(expr);
        let saved = std::mem::replace(&mut self.fallback, span);
        let result = self.eval_inner(expr, span);
        self.fallback = saved;
        result
    }

    fn eval_inner(&mut self, expr: &Expression, span: Span) -> EvalResult {
        match expr {
            Expression::Null(_) => Ok(Value::null()),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => {
                // The literal's text keeps every digit; hcl-edit's own number is a float.
                let parsed = n.as_repr().and_then(|repr| Number::parse(repr.trim()));
                let number = match parsed {
                    Some(number) => number,
                    None => match n.value().as_f64() {
                        Some(f) => Number::from_f64(f),
                        None => return Err(Diagnostic::error("Invalid number literal").with_span(span).into()),
                    },
                };
                Ok(Value::Number(number))
            }
            Expression::String(s) => Ok(Value::String(nfc(s.value()))),
            Expression::Array(array) => {
                let mut items = Vec::with_capacity(array.len());
                let mut diags = Diagnostics::new();
                for item in array.iter() {
                    match self.eval(item) {
                        Ok(v) => items.push(v),
                        Err(d) => diags.extend(d),
                    }
                }
                if diags.is_empty() { Ok(Value::Tuple(items)) } else { Err(diags) }
            }
            Expression::Object(object) => self.eval_object(object),
            Expression::StringTemplate(template) => self.eval_string_template(template, span),
            Expression::HeredocTemplate(heredoc) => self.eval_template(&heredoc.template, span),
            Expression::Parenthesis(inner) => self.eval(inner.inner()),
            Expression::Variable(ident) => self.eval_variable(ident.value().as_str(), span),
            Expression::Conditional(cond) => {
                self.eval_conditional(&cond.cond_expr, &cond.true_expr, &cond.false_expr, span)
            }
            Expression::FuncCall(call) => self.eval_call(call, span),
            Expression::Traversal(traversal) => self.eval_traversal(traversal, span),
            Expression::UnaryOp(op) => self.eval_unary(op, span),
            Expression::BinaryOp(op) => self.eval_binary(op, span),
            Expression::ForExpr(for_expr) => self.eval_for(for_expr, span),
        }
    }

    fn eval_object(&mut self, object: &hcl_edit::expr::Object) -> EvalResult {
        let mut out = std::collections::BTreeMap::new();
        let mut diags = Diagnostics::new();
        let mut unknown_key = false;
        let mut sensitive_key = false;
        for (key, value) in object.iter() {
            let key_text = match key {
                ObjectKey::Ident(ident) => Some(ident.value().as_str().to_string()),
                ObjectKey::Expression(expr) => match self.object_key(expr) {
                    Ok(KeyOutcome::Known(k, sensitive)) => {
                        sensitive_key |= sensitive;
                        Some(k)
                    }
                    Ok(KeyOutcome::Unknown) => {
                        unknown_key = true;
                        None
                    }
                    Err(d) => {
                        diags.extend(d);
                        None
                    }
                },
            };
            match self.eval(value.expr()) {
                Ok(v) => {
                    if let Some(k) = key_text {
                        out.insert(k, v);
                    }
                }
                Err(d) => diags.extend(d),
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        if unknown_key {
            return Ok(Value::Unknown(Type::Dynamic).marked_if(sensitive_key));
        }
        Ok(Value::Object(out).marked_if(sensitive_key))
    }

    /// An object key written as an expression: `(var.name) = 1`, `"a b" = 1`. A bare
    /// traversal such as `foo.bar` is also taken literally when it is not a reference,
    /// as in Terraform.
    fn object_key(&mut self, expr: &Expression) -> Result<KeyOutcome, Diagnostics> {
        let span = self.span(expr);
        let value = self.eval(expr)?;
        let (value, sensitive) = value.unmark();
        if value.is_null() {
            return Err(Diagnostic::error("Invalid object key")
                .with_detail("Key expression must not produce a null value.")
                .with_span(span)
                .into());
        }
        if !value.is_known() {
            return Ok(KeyOutcome::Unknown);
        }
        match super::convert(value, &Type::String) {
            Ok(Value::String(s)) => Ok(KeyOutcome::Known(s, sensitive)),
            Ok(_) | Err(_) => Err(Diagnostic::error("Incorrect key type")
                .with_detail("Can't use this value as a key: string required.")
                .with_span(span)
                .into()),
        }
    }

    /// A bare name: a `for` variable, or a root that needs an attribute after it.
    fn eval_variable(&mut self, name: &str, span: Span) -> EvalResult {
        if let Some(value) = self.local(name) {
            return Ok(value.clone());
        }
        if name == "self" {
            return self.lookup(&Subject::SelfObject, span);
        }
        let detail = match name {
            "var" | "local" | "module" | "data" | "count" | "each" | "path" | "terraform" => {
                format!("The `{name}` object cannot be accessed directly. Instead, access one of its attributes.")
            }
            _ => format!(
                "A reference to a resource type must be followed by at least one attribute access, specifying the resource name (`{name}.NAME`)."
            ),
        };
        Err(Diagnostic::error("Invalid reference").with_detail(detail).with_span(span).into())
    }

    /// Binds names as `for` variables do (template variables, `dynamic` iterators).
    pub(crate) fn bind(&mut self, names: Vec<(String, Value)>) {
        self.locals.extend(names);
    }

    /// Renders a parsed template (for `templatefile`).
    pub(crate) fn render_template(&mut self, template: &hcl_edit::template::Template) -> EvalResult {
        let span = self.fallback;
        self.eval_template(template, span)
    }

    pub(crate) fn local(&self, name: &str) -> Option<&Value> {
        self.locals.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    pub(crate) fn lookup(&mut self, subject: &Subject, span: Span) -> EvalResult {
        self.scope.lookup(subject, span).map_err(|d| {
            self.lookup_failures += 1;
            Diagnostics::from(d)
        })
    }

    fn eval_conditional(
        &mut self,
        cond: &Expression,
        true_expr: &Expression,
        false_expr: &Expression,
        span: Span,
    ) -> EvalResult {
        let cond_span = self.span(cond);
        let cond_value = self.eval(cond);
        let true_result = self.eval(true_expr);
        let false_result = self.eval(false_expr);
        let type_of = |r: &EvalResult| r.as_ref().map(Value::ty).unwrap_or(Type::Dynamic);
        let is_dynamic_null = |r: &EvalResult| matches!(r, Ok(v) if matches!(v.unmarked(), Value::Null(Type::Dynamic)));
        let result_ty = if is_dynamic_null(&true_result) {
            type_of(&false_result)
        } else if is_dynamic_null(&false_result) {
            type_of(&true_result)
        } else {
            match super::convert::unify(&[type_of(&true_result), type_of(&false_result)]) {
                Some(ty) => ty,
                None => {
                    return Err(Diagnostic::error("Inconsistent conditional result types")
                        .with_detail(format!(
                            "The true and false result expressions must have consistent types. The given expressions are {} and {}, respectively.",
                            super::convert::kind_name(&type_of(&true_result)),
                            super::convert::kind_name(&type_of(&false_result))
                        ))
                        .with_span(span)
                        .into());
                }
            }
        };
        let (cond_value, cond_sensitive) = cond_value?.unmark();
        if cond_value.is_null() {
            return Err(Diagnostic::error("Null condition")
                .with_detail("The condition value is null. Conditions must either be true or false.")
                .with_span(cond_span)
                .into());
        }
        if !cond_value.is_known() {
            return Ok(Value::Unknown(result_ty).marked_if(cond_sensitive));
        }
        let chosen = match super::convert(cond_value, &Type::Bool) {
            Ok(Value::Bool(true)) => true_result,
            Ok(Value::Bool(false)) => false_result,
            _ => {
                return Err(Diagnostic::error("Incorrect condition type")
                    .with_detail("The condition expression must be of type bool.")
                    .with_span(cond_span)
                    .into());
            }
        };
        let value = chosen?;
        let converted = super::convert(value, &result_ty).map_err(|message| {
            Diagnostics::from(
                Diagnostic::error("Inconsistent conditional result types")
                    .with_detail(format!("The result value could not be converted to {result_ty}: {message}."))
                    .with_span(span),
            )
        })?;
        Ok(converted.marked_if(cond_sensitive))
    }

    fn eval_call(&mut self, call: &FuncCall, span: Span) -> EvalResult {
        let name = call.name.name.value().as_str();
        if call.name.is_namespaced() {
            let namespace: Vec<&str> = call.name.namespace.iter().map(|n| n.value().as_str()).collect();
            let full = format!("{}::{name}", namespace.join("::"));
            let problem = match namespace.as_slice() {
                ["provider", provider] => match self.functions.provider_function(provider, name) {
                    Ok(function) => return self.call_function(&function, &full, call, span),
                    Err(problem) => problem,
                },
                _ => format!(
                    "There is no function named \"{full}\": the only namespace is `provider::NAME::`, for the functions of provider NAME."
                ),
            };
            return Err(Diagnostic::error("Call to unknown function").with_detail(problem).with_span(span).into());
        }
        match name {
            "try" => return self.eval_try(call, span),
            "can" => return self.eval_can(call, span),
            _ => {}
        }
        let Some(function) = self.functions.get(name) else {
            let mut diag = Diagnostic::error("Call to unknown function")
                .with_detail(format!("There is no function named \"{name}\"."))
                .with_span(span);
            if let Some(suggestion) = self.functions.suggest(name) {
                diag = diag.with_help(format!("did you mean `{suggestion}`?"));
            }
            return Err(diag.into());
        };
        let function = function.clone();
        self.call_function(&function, name, call, span)
    }

    /// Evaluates the arguments (expanding a final `...`) and calls `function`, named `name`
    /// in diagnostics.
    fn call_function(&mut self, function: &functions::Function, name: &str, call: &FuncCall, span: Span) -> EvalResult {
        let mut args = Vec::new();
        let mut spans = Vec::new();
        let mut diags = Diagnostics::new();
        let n_args = call.args.len();
        for (i, arg) in call.args.iter().enumerate() {
            let arg_span = self.span(arg);
            match self.eval(arg) {
                Ok(v) if i + 1 == n_args && call.args.expand_final() => {
                    let (v, sensitive) = v.unmark();
                    match v {
                        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
                            for item in items {
                                args.push(item.marked_if(sensitive));
                                spans.push(arg_span);
                            }
                        }
                        Value::Unknown(_) => {
                            return Ok(Value::Unknown(function.return_type()).marked_if(sensitive));
                        }
                        Value::Null(_) => {
                            diags.push(
                                Diagnostic::error("Invalid expanding argument value")
                                    .with_detail("The expanding argument (indicated by ...) must not be null.")
                                    .with_span(arg_span),
                            );
                        }
                        _ => diags.push(
                            Diagnostic::error("Invalid expanding argument value")
                                .with_detail(
                                    "The expanding argument (indicated by ...) must be of a tuple, list, or set type.",
                                )
                                .with_span(arg_span),
                        ),
                    }
                }
                Ok(v) => {
                    args.push(v);
                    spans.push(arg_span);
                }
                Err(d) => diags.extend(d),
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        // The arguments were still evaluated: their errors show during the plan.
        if self.scope.pure_only() && !call.name.is_namespaced() && IMPURE_FUNCTIONS.contains(&name) {
            return Ok(Value::Unknown(function.return_type()));
        }
        let ctx = functions::CallContext { name, span, arg_spans: &spans, scope: self.scope };
        function.call(&ctx, args).map_err(Diagnostics::from)
    }

    /// `try(a, b, ...)`: the first argument that evaluates without errors. An unknown
    /// argument makes the result unknown, since it might still fail once known.
    fn eval_try(&mut self, call: &FuncCall, span: Span) -> EvalResult {
        if call.args.is_empty() {
            return Err(Diagnostic::error("Not enough function arguments")
                .with_detail("Function \"try\" expects at least one argument.")
                .with_span(span)
                .into());
        }
        let mut failures = Vec::new();
        for arg in call.args.iter() {
            let before = self.lookup_failures;
            match self.eval(arg) {
                Ok(v) if !v.is_wholly_known() => return Ok(Value::Unknown(Type::Dynamic)),
                Ok(v) => return Ok(v),
                Err(d) if self.lookup_failures > before => return Err(d),
                Err(d) => failures.extend(d),
            }
        }
        let list: Vec<String> = failures.iter().map(|d| format!("- {}", d.summary)).collect();
        Err(Diagnostic::error("Error in function call")
            .with_detail(format!("Call to function \"try\" failed: no expression succeeded:\n{}", list.join("\n")))
            .with_span(span)
            .into())
    }

    /// `can(expr)`: whether the expression evaluates without errors.
    fn eval_can(&mut self, call: &FuncCall, span: Span) -> EvalResult {
        if call.args.len() != 1 {
            return Err(Diagnostic::error("Wrong number of function arguments")
                .with_detail("Function \"can\" expects exactly one argument.")
                .with_span(span)
                .into());
        }
        let Some(arg) = call.args.iter().next() else { return Ok(Value::Bool(false)) };
        let before = self.lookup_failures;
        match self.eval(arg) {
            Ok(v) if !v.is_wholly_known() => Ok(Value::Unknown(Type::Bool)),
            Ok(_) => Ok(Value::Bool(true)),
            Err(d) if self.lookup_failures > before => Err(d),
            Err(_) => Ok(Value::Bool(false)),
        }
    }
}

enum KeyOutcome {
    Known(String, bool),
    Unknown,
}

/// A string literal as HCL's scanner reads it: in Unicode normalization form C, so that
/// `"é"` typed as `e` + combining accent equals the precomposed one.
pub(crate) fn nfc(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    match unicode_normalization::is_nfc_quick(text.chars()) {
        unicode_normalization::IsNormalized::Yes => text.to_string(),
        _ => text.nfc().collect(),
    }
}

#[cfg(test)]
mod tests;
