//! Type constraints as written in a variable's `type`: `string`, `list(number)`,
//! `object({ name = string, size = optional(number, 1) })`, parsed into [`Type`] plus the
//! optional object attributes and their defaults.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, ObjectKey};

use super::OptionalAttr;
use super::decode::{Decoder, did_you_mean, static_string};
use crate::diag::Diagnostic;
use crate::value::Type;

const PRIMITIVES: &[&str] = &["string", "number", "bool", "any"];
const CONSTRUCTORS: &[&str] = &["list", "set", "map", "tuple", "object", "optional"];

/// A parsed type constraint.
#[derive(Debug)]
pub(crate) struct TypeConstraint {
    pub(crate) ty: Type,
    pub(crate) optional_attrs: Vec<OptionalAttr>,
}

/// Parses a type expression. Problems are reported; the parts that fail become `any` so the
/// variable still loads.
pub(super) fn parse_type(dec: &mut Decoder<'_>, expr: &Expression) -> TypeConstraint {
    // Terraform 0.11 wrote type constraints in quotes; still accepted, with a warning.
    if let Some(text) = static_string(expr) {
        let span = dec.span(expr);
        let ty = match text.as_str() {
            "string" => Some(Type::String),
            "list" => Some(Type::list(Type::Dynamic)),
            "map" => Some(Type::map(Type::Dynamic)),
            _ => None,
        };
        return match ty {
            Some(ty) => {
                let unquoted = if text == "string" { text.clone() } else { format!("{text}(any)") };
                dec.push(
                    Diagnostic::warning("quoted type constraints are deprecated")
                        .with_span(span)
                        .with_help(format!("write `type = {unquoted}` without quotes")),
                );
                TypeConstraint { ty, optional_attrs: Vec::new() }
            }
            None => {
                dec.push(
                    Diagnostic::error("invalid type constraint")
                        .with_span(span)
                        .with_detail(
                            "a type constraint is a type keyword such as `string` or `list(number)`, not a string",
                        )
                        .with_help("remove the quotes"),
                );
                TypeConstraint { ty: Type::Dynamic, optional_attrs: Vec::new() }
            }
        };
    }
    let mut parser = TypeParser { dec, optional_attrs: Vec::new() };
    let ty = parser.ty(expr, &mut Vec::new(), false).unwrap_or(Type::Dynamic);
    TypeConstraint { ty, optional_attrs: parser.optional_attrs }
}

struct TypeParser<'d, 'a> {
    dec: &'d mut Decoder<'a>,
    optional_attrs: Vec<OptionalAttr>,
}

impl TypeParser<'_, '_> {
    /// `path` holds the object attribute names leading here; `in_object_attr` is true only
    /// directly at an attribute of an object type, the one place `optional` is allowed.
    fn ty(&mut self, expr: &Expression, path: &mut Vec<String>, in_object_attr: bool) -> Option<Type> {
        match expr {
            Expression::Variable(name) => self.keyword(name.as_str(), expr),
            Expression::Parenthesis(p) => self.ty(p.inner(), path, in_object_attr),
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                if call.name.is_namespaced() {
                    return self.invalid(expr, "a type constructor has no namespace");
                }
                let args: Vec<&Expression> = call.args.iter().collect();
                match name {
                    "list" | "set" | "map" => {
                        let [elem] = args.as_slice() else {
                            return self.arity(expr, name, "exactly one argument: the element type");
                        };
                        let elem = self.ty(elem, path, false)?;
                        Some(match name {
                            "list" => Type::list(elem),
                            "set" => Type::set(elem),
                            _ => Type::map(elem),
                        })
                    }
                    "tuple" => {
                        let [Expression::Array(items)] = args.as_slice() else {
                            return self.arity(
                                expr,
                                name,
                                "one argument: a list of element types, as in `tuple([string, number])`",
                            );
                        };
                        let mut elems = Vec::new();
                        for item in items.iter() {
                            elems.push(self.ty(item, path, false).unwrap_or(Type::Dynamic));
                        }
                        Some(Type::Tuple(elems))
                    }
                    "object" => {
                        let [Expression::Object(attrs)] = args.as_slice() else {
                            return self.arity(
                                expr,
                                name,
                                "one argument: an object of attribute types, as in `object({ name = string })`",
                            );
                        };
                        let mut out = BTreeMap::new();
                        for (key, value) in attrs.iter() {
                            let key_name = match key {
                                ObjectKey::Ident(ident) => Some(ident.as_str().to_string()),
                                ObjectKey::Expression(e) => static_string(e),
                            };
                            let Some(key_name) = key_name else {
                                let span = self.dec.span(key);
                                self.dec
                                    .error(span, "an object type attribute name must be a name or a literal string");
                                continue;
                            };
                            if out.contains_key(&key_name) {
                                let span = self.dec.span(key);
                                self.dec.error(span, format!("duplicate attribute `{key_name}` in object type"));
                                continue;
                            }
                            path.push(key_name.clone());
                            let attr_ty = self.ty(value.expr(), path, true).unwrap_or(Type::Dynamic);
                            path.pop();
                            out.insert(key_name, attr_ty);
                        }
                        Some(Type::Object(out))
                    }
                    "optional" => {
                        if !in_object_attr {
                            let span = self.dec.span(expr);
                            self.dec.push(
                                Diagnostic::error("`optional` is only allowed for an attribute of an object type")
                                    .with_span(span)
                                    .with_help("write `object({ name = optional(string) })`"),
                            );
                            return None;
                        }
                        let (inner, default) = match args.as_slice() {
                            [inner] => (*inner, None),
                            [inner, default] => (*inner, Some(self.dec.expr(default))),
                            _ => {
                                return self.arity(
                                    expr,
                                    name,
                                    "one or two arguments: the type and an optional default",
                                );
                            }
                        };
                        let ty = self.ty(inner, path, false)?;
                        self.optional_attrs.push(OptionalAttr { path: path.clone(), default });
                        Some(ty)
                    }
                    other => {
                        let span = self.dec.span(&call.name.name);
                        let mut d = Diagnostic::error(format!("unknown type constructor `{other}`")).with_span(span);
                        if let Some(help) = did_you_mean(other, CONSTRUCTORS.iter().copied()) {
                            d = d.with_help(help);
                        }
                        self.dec.push(d);
                        None
                    }
                }
            }
            _ => {
                self.invalid(expr, "expected a type keyword such as `string`, or a constructor such as `list(string)`")
            }
        }
    }

    fn keyword(&mut self, name: &str, expr: &Expression) -> Option<Type> {
        match name {
            "string" => Some(Type::String),
            "number" => Some(Type::Number),
            "bool" => Some(Type::Bool),
            "any" => Some(Type::Dynamic),
            "list" | "set" | "map" => {
                let span = self.dec.span(expr);
                self.dec.push(
                    Diagnostic::error(format!("the `{name}` type constructor requires an element type"))
                        .with_span(span)
                        .with_help(format!("write `{name}(string)`, or `{name}(any)` for any element type")),
                );
                None
            }
            other => {
                let span = self.dec.span(expr);
                let mut d = Diagnostic::error(format!("unknown type `{other}`")).with_span(span);
                if let Some(help) = did_you_mean(other, PRIMITIVES.iter().chain(CONSTRUCTORS).copied()) {
                    d = d.with_help(help);
                }
                self.dec.push(d);
                None
            }
        }
    }

    fn arity(&mut self, expr: &Expression, name: &str, wants: &str) -> Option<Type> {
        let span = self.dec.span(expr);
        self.dec.push(Diagnostic::error(format!("invalid type constraint: `{name}` takes {wants}")).with_span(span));
        None
    }

    fn invalid(&mut self, expr: &Expression, detail: &str) -> Option<Type> {
        let span = self.dec.span(expr);
        self.dec.push(Diagnostic::error("invalid type constraint").with_span(span).with_detail(detail));
        None
    }
}
