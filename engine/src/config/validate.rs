//! Static checks on a loaded configuration that need no evaluation but do need more than one
//! block: module call arguments against the child's variables, literal variable defaults
//! against their type, and references to aliased provider configurations.

use std::collections::BTreeSet;

use hcl_edit::expr::{Expression, ObjectKey, UnaryOperator};

use super::decode::{did_you_mean, static_string};
use super::module_call::MODULE_META;
use super::{Config, Module, ProviderRef, Variable};
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::value::Type;

pub(crate) fn validate(config: &Config, diags: &mut Diagnostics) {
    for module in config.modules() {
        check_module_arguments(module, diags);
        for variable in module.variables.values() {
            check_default(variable, diags);
        }
    }
    check_provider_aliases(&config.root, diags);
    super::state_blocks::check_removed(config, diags);
}

/// Every argument of a module call must be a variable of the child module, and every
/// variable without a default must be set.
fn check_module_arguments(module: &Module, diags: &mut Diagnostics) {
    for call in module.module_calls.values() {
        let Some(child) = module.children.get(&call.name) else { continue };
        for argument in call.arguments.values() {
            if child.variables.contains_key(&argument.name) {
                continue;
            }
            let candidates = child.variables.keys().map(String::as_str).chain(MODULE_META.iter().copied());
            let mut d =
                Diagnostic::error(format!("unsupported argument `{}` for module `{}`", argument.name, call.name))
                    .with_span(argument.name_span)
                    .with_detail(format!("the module has no variable named `{}`", argument.name));
            if let Some(help) = did_you_mean(&argument.name, candidates) {
                d = d.with_help(help);
            }
            diags.push(d);
        }
        for variable in child.variables.values() {
            if variable.default.is_none() && !call.arguments.contains_key(&variable.name) {
                diags.push(
                    Diagnostic::error(format!(
                        "missing required argument `{}` for module `{}`",
                        variable.name, call.name
                    ))
                    .with_span(call.decl_span)
                    .with_label(variable.span, "declared here without a default"),
                );
            }
        }
    }
}

/// In the root module, an aliased provider reference must name a declared configuration
/// (the default configuration of a provider may be implied, so only aliases are checked).
/// Child modules receive their aliases from the caller, which the graph resolves.
fn check_provider_aliases(root: &Module, diags: &mut Diagnostics) {
    let declared: BTreeSet<String> = root.providers.iter().map(|p| p.key()).collect();
    let mut check = |reference: &ProviderRef| {
        if reference.alias.is_some() && !declared.contains(&reference.key()) {
            let mut d =
                Diagnostic::error(format!("reference to undeclared provider configuration `{}`", reference.key()))
                    .with_opt_span(reference.span);
            if let Some(help) = did_you_mean(&reference.key(), declared.iter().map(String::as_str)) {
                d = d.with_help(help);
            } else {
                d = d.with_help(format!(
                    "declare it with `provider \"{}\" {{ alias = \"{}\" }}`",
                    reference.name,
                    reference.alias.as_deref().unwrap_or_default()
                ));
            }
            diags.push(d);
        }
    };
    for resource in root.resources.values() {
        check(&resource.provider);
    }
    for call in root.module_calls.values() {
        for (_, reference) in &call.providers {
            check(reference);
        }
    }
}

/// A literal default must fit the declared type (and must not be null when the variable is
/// not nullable). Defaults that are not plain literals are left to evaluation.
fn check_default(variable: &Variable, diags: &mut Diagnostics) {
    let Some(default) = &variable.default else { return };
    if !variable.nullable && matches!(default.expr, Expression::Null(_)) {
        diags.push(
            Diagnostic::error(format!("invalid default for variable `{}`", variable.name))
                .with_span(default.span)
                .with_detail("a variable with `nullable = false` cannot default to null"),
        );
        return;
    }
    let optional: BTreeSet<&[String]> = variable.optional_attrs.iter().map(|o| o.path.as_slice()).collect();
    let checker = DefaultChecker { file: default.span.file, optional };
    if let Err((span, detail)) = checker.check(&default.expr, &variable.ty, &mut Vec::new()) {
        diags.push(
            Diagnostic::error(format!("invalid default for variable `{}`", variable.name))
                .with_span(span.unwrap_or(default.span))
                .with_detail(detail),
        );
    }
}

struct DefaultChecker<'v> {
    file: FileId,
    optional: BTreeSet<&'v [String]>,
}

/// What a literal expression is, as far as a type check before evaluation can tell.
enum Literal<'e> {
    Null,
    Bool,
    Number,
    String(String),
    Tuple(Vec<&'e Expression>),
    Object(Vec<(String, &'e Expression)>),
}

type CheckResult = Result<(), (Option<Span>, String)>;

impl DefaultChecker<'_> {
    /// `path` holds the object attribute names leading here (collection steps skipped, as in
    /// [`super::OptionalAttr::path`]), to find optional attributes.
    fn check(&self, expr: &Expression, ty: &Type, path: &mut Vec<String>) -> CheckResult {
        let Some(literal) = literal(expr) else { return Ok(()) };
        let fail = |detail: String| Err((hcl_edit::Span::span(expr).map(|r| Span::new(self.file, r)), detail));
        let found = match &literal {
            Literal::Null => return Ok(()),
            Literal::Bool => "bool",
            Literal::Number => "number",
            Literal::String(_) => "string",
            Literal::Tuple(_) => "a list",
            Literal::Object(_) => "an object",
        };
        match (ty, &literal) {
            (Type::Dynamic, _) => Ok(()),
            (Type::String, Literal::Bool | Literal::Number | Literal::String(_)) => Ok(()),
            (Type::Number, Literal::Number) => Ok(()),
            (Type::Number, Literal::String(s)) if crate::value::Number::parse(s.trim()).is_some() => Ok(()),
            (Type::Bool, Literal::Bool) => Ok(()),
            (Type::Bool, Literal::String(s)) if s == "true" || s == "false" => Ok(()),
            (Type::List(elem) | Type::Set(elem), Literal::Tuple(items)) => {
                items.iter().try_for_each(|item| self.check(item, elem, path))
            }
            (Type::Tuple(elems), Literal::Tuple(items)) => {
                if elems.len() != items.len() {
                    return fail(format!("expected a tuple of {} elements, found {}", elems.len(), items.len()));
                }
                items.iter().zip(elems).try_for_each(|(item, elem)| self.check(item, elem, path))
            }
            (Type::Map(elem), Literal::Object(entries)) => {
                entries.iter().try_for_each(|(_, value)| self.check(value, elem, path))
            }
            (Type::Object(attrs), Literal::Object(entries)) => {
                for (name, attr_ty) in attrs {
                    path.push(name.clone());
                    let result = match entries.iter().find(|(k, _)| k == name) {
                        Some((_, value)) => self.check(value, attr_ty, path),
                        None if self.optional.contains(path.as_slice()) => Ok(()),
                        None => fail(format!("attribute `{name}` is required")),
                    };
                    path.pop();
                    result?;
                }
                Ok(())
            }
            (expected, _) => fail(format!("expected {}, found {found}", describe(expected))),
        }
    }
}

fn describe(ty: &Type) -> String {
    match ty {
        Type::List(_) | Type::Set(_) | Type::Tuple(_) => format!("a list (`{ty}`)"),
        Type::Map(_) | Type::Object(_) => format!("an object (`{ty}`)"),
        other => format!("`{other}`"),
    }
}

fn literal(expr: &Expression) -> Option<Literal<'_>> {
    Some(match expr {
        Expression::Null(_) => Literal::Null,
        Expression::Bool(_) => Literal::Bool,
        Expression::Number(_) => Literal::Number,
        Expression::UnaryOp(op) if matches!(op.operator.value(), UnaryOperator::Neg) => match &op.expr {
            Expression::Number(_) => Literal::Number,
            _ => return None,
        },
        Expression::Parenthesis(p) => return literal(p.inner()),
        Expression::Array(items) => Literal::Tuple(items.iter().collect()),
        Expression::Object(object) => {
            let mut entries = Vec::new();
            for (key, value) in object.iter() {
                let name = match key {
                    ObjectKey::Ident(ident) => ident.as_str().to_string(),
                    ObjectKey::Expression(e) => static_string(e)?,
                };
                entries.push((name, value.expr()));
            }
            Literal::Object(entries)
        }
        other => Literal::String(static_string(other)?),
    })
}
