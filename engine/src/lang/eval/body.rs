//! Decoding a block body against a schema: attributes converted to their declared types,
//! nested blocks collected by nesting mode, `dynamic` blocks expanded, and everything the
//! schema does not expect reported with its span.

use std::collections::BTreeMap;

use super::collections::{Iteration, iteration};
use super::traversal::did_you_mean;
use super::{EvalResult, Evaluator, Scope};
use crate::config::{Body, Expr, NestedBlock};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang::{convert, functions};
use crate::schema::{BlockSchema, NestedBlockSchema, Nesting};
use crate::value::{Type, Value};

/// Evaluates a body against a schema to an object of the schema's type: attributes
/// converted to their types, absent ones null, nested blocks by their nesting mode,
/// `dynamic` blocks expanded. Unexpected attributes and blocks are errors.
pub fn eval_body(body: &Body, schema: &BlockSchema, scope: &dyn Scope) -> (Value, Diagnostics) {
    let fallback = body
        .span
        .or_else(|| body.attributes.values().next().map(|a| a.span))
        .or_else(|| body.blocks.first().map(|b| b.span))
        .unwrap_or(Span { file: crate::diag::FileId(0), start: 0, end: 0 });
    let mut evaluator = Evaluator::new(scope, functions::standard(), fallback.file, fallback);
    let mut diags = Diagnostics::new();
    let value = evaluator.decode_body(body, schema, &mut diags);
    (value, diags)
}

impl Evaluator<'_> {
    /// Evaluates an expression of the configuration (its spans say which file it is in).
    pub(crate) fn eval_config_expr(&mut self, expr: &Expr) -> EvalResult {
        let saved = (self.file, self.fallback);
        self.file = expr.span.file;
        self.fallback = expr.span;
        let result = self.eval(&expr.expr);
        (self.file, self.fallback) = saved;
        result
    }

    fn decode_body(&mut self, body: &Body, schema: &BlockSchema, diags: &mut Diagnostics) -> Value {
        let mut out = BTreeMap::new();
        for (name, attr) in &body.attributes {
            if !schema.attributes.contains_key(name) {
                let mut diag = Diagnostic::error("Unsupported argument")
                    .with_detail(format!("An argument named `{name}` is not expected here."))
                    .with_span(attr.name_span);
                if let Some(similar) = did_you_mean(name, schema.attributes.keys()) {
                    diag = diag.with_help(format!("did you mean `{similar}`?"));
                }
                diags.push(diag);
            }
        }
        for (name, attr_schema) in &schema.attributes {
            let value = match body.attributes.get(name) {
                Some(attr) if attr_schema.computed && !attr_schema.optional && !attr_schema.required => {
                    diags.push(
                        Diagnostic::error("Invalid argument")
                            .with_detail(format!(
                                "The argument `{name}` is computed by the provider and cannot be set."
                            ))
                            .with_span(attr.name_span),
                    );
                    Value::Null(attr_schema.ty.clone())
                }
                Some(attr) => match self.eval_config_expr(&attr.value) {
                    Ok(v) => match convert(v, &attr_schema.ty) {
                        Ok(v) => v,
                        Err(message) => {
                            diags.push(
                                Diagnostic::error("Incorrect attribute value type")
                                    .with_detail(format!("Inappropriate value for attribute \"{name}\": {message}."))
                                    .with_span(attr.value.span),
                            );
                            Value::Unknown(attr_schema.ty.clone())
                        }
                    },
                    Err(d) => {
                        diags.extend(d);
                        Value::Unknown(attr_schema.ty.clone())
                    }
                },
                None => {
                    if attr_schema.required {
                        diags.push(
                            Diagnostic::error("Missing required argument")
                                .with_detail(format!(
                                    "The argument \"{name}\" is required, but no definition was found."
                                ))
                                .with_opt_span(body.span),
                        );
                    }
                    Value::Null(attr_schema.ty.clone())
                }
            };
            out.insert(name.clone(), value.marked_if(attr_schema.sensitive));
        }
        for block in &body.blocks {
            if !schema.blocks.contains_key(&block.type_name) {
                let mut diag = Diagnostic::error("Unsupported block type")
                    .with_detail(format!("Blocks of type `{}` are not expected here.", block.type_name))
                    .with_span(block.span);
                if let Some(similar) = did_you_mean(&block.type_name, schema.blocks.keys()) {
                    diag = diag.with_help(format!("did you mean `{similar}`?"));
                }
                diags.push(diag);
            }
        }
        for (name, block_schema) in &schema.blocks {
            let blocks: Vec<&NestedBlock> = body.blocks.iter().filter(|b| &b.type_name == name).collect();
            let value = self.decode_blocks(name, &blocks, block_schema, body.span, diags);
            out.insert(name.clone(), value);
        }
        Value::Object(out)
    }

    fn decode_blocks(
        &mut self,
        name: &str,
        blocks: &[&NestedBlock],
        schema: &NestedBlockSchema,
        body_span: Option<Span>,
        diags: &mut Diagnostics,
    ) -> Value {
        let inner_ty = schema.block.ty();
        let collection_ty = match schema.nesting {
            Nesting::Single => inner_ty.clone(),
            Nesting::List => Type::list(inner_ty.clone()),
            Nesting::Set => Type::set(inner_ty.clone()),
            Nesting::Map => Type::map(inner_ty.clone()),
        };
        let mut instances: Vec<(Vec<String>, Value, Span)> = Vec::new();
        let mut unknown = false;
        for block in blocks {
            match &block.dynamic {
                None => {
                    let value = self.decode_body(&block.body, &schema.block, diags);
                    instances.push((block.labels.clone(), value, block.span));
                }
                Some(dynamic) => {
                    let collection = match self.eval_config_expr(&dynamic.for_each) {
                        Ok(v) => v,
                        Err(d) => {
                            diags.extend(d);
                            unknown = true;
                            continue;
                        }
                    };
                    let items = match iteration(collection, dynamic.for_each.span) {
                        Ok(Iteration::Items(items, _)) => items,
                        Ok(Iteration::Unknown(_)) => {
                            unknown = true;
                            continue;
                        }
                        Err(d) => {
                            diags.extend(d);
                            continue;
                        }
                    };
                    for (key, value) in items {
                        let iterator = Value::object([("key".to_string(), key), ("value".to_string(), value)]);
                        self.locals.push((dynamic.iterator.clone(), iterator));
                        let mut labels = Vec::new();
                        for label in &dynamic.labels {
                            match self.eval_config_expr(label).map(|v| convert(v, &Type::String)) {
                                Ok(Ok(Value::String(s))) => labels.push(s),
                                Ok(Ok(_)) => unknown = true,
                                Ok(Err(message)) => diags.push(
                                    Diagnostic::error("Invalid dynamic block label")
                                        .with_detail(format!("Cannot use this value as a block label: {message}."))
                                        .with_span(label.span),
                                ),
                                Err(d) => diags.extend(d),
                            }
                        }
                        let value = self.decode_body(&block.body, &schema.block, diags);
                        self.locals.pop();
                        instances.push((labels, value, block.span));
                    }
                }
            }
        }
        if unknown {
            return Value::Unknown(collection_ty);
        }
        let count = instances.len() as u32;
        let span = instances.first().map(|i| i.2).or(body_span);
        if schema.min_items > 0 && count < schema.min_items {
            diags.push(
                Diagnostic::error(format!("Insufficient `{name}` blocks"))
                    .with_detail(format!("At least {} `{name}` block(s) are required.", schema.min_items))
                    .with_opt_span(span),
            );
        }
        let max = if schema.nesting == Nesting::Single { 1 } else { schema.max_items };
        if max > 0 && count > max {
            let extra = instances.get(max as usize).map(|i| i.2).or(span);
            diags.push(
                Diagnostic::error(format!("Too many `{name}` blocks"))
                    .with_detail(format!("No more than {max} `{name}` block(s) are allowed."))
                    .with_opt_span(extra),
            );
        }
        match schema.nesting {
            Nesting::Single => instances.into_iter().next().map(|i| i.1).unwrap_or(Value::Null(inner_ty)),
            Nesting::List => Value::List(inner_ty, instances.into_iter().map(|i| i.1).collect()),
            Nesting::Set => Value::new_set(inner_ty, instances.into_iter().map(|i| i.1).collect()),
            Nesting::Map => {
                let mut map = BTreeMap::new();
                for (labels, value, span) in instances {
                    let Some(key) = labels.into_iter().next() else {
                        diags.push(
                            Diagnostic::error("Missing block label")
                                .with_detail(format!("A `{name}` block needs a label, used as its key."))
                                .with_span(span),
                        );
                        continue;
                    };
                    if map.contains_key(&key) {
                        diags.push(
                            Diagnostic::error(format!("Duplicate `{name}` block"))
                                .with_detail(format!("A `{name}` block with the label \"{key}\" was already defined."))
                                .with_span(span),
                        );
                        continue;
                    }
                    map.insert(key, value);
                }
                Value::Map(inner_ty, map)
            }
        }
    }
}
