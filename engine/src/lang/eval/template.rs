//! String templates and heredocs: interpolation, `%{if}` and `%{for}` directives, and the
//! `~` strip markers, which remove the whitespace of the literal next to them.
//!
//! hcl-edit keeps strip markers as flags on the interpolations and directives but leaves
//! the literals untouched, so stripping happens here, while rendering.

use hcl_edit::template::{Directive, Element, StringTemplate, Template};

use super::collections::{Iteration, iteration};
use super::{EvalResult, Evaluator};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang::convert;
use crate::value::{Type, Value};

/// The text rendered so far, and whether it depends on unknown or sensitive values.
#[derive(Default)]
struct Output {
    text: String,
    unknown: bool,
    sensitive: bool,
}

impl Evaluator<'_> {
    pub(super) fn eval_string_template(&mut self, template: &StringTemplate, span: Span) -> EvalResult {
        // A template that is exactly one interpolation yields the value itself, unconverted
        // (`"${5}"` is the number 5), as in HCL.
        if let Some(Element::Interpolation(interpolation)) = template.as_single_element() {
            return self.eval(&interpolation.expr);
        }
        self.eval_template(template, span)
    }

    pub(super) fn eval_template(&mut self, template: &Template, _span: Span) -> EvalResult {
        let mut out = Output::default();
        self.render(template, false, false, &mut out)?;
        let value = if out.unknown { Value::Unknown(Type::String) } else { Value::String(out.text) };
        Ok(value.marked_if(out.sensitive))
    }

    fn render(
        &mut self,
        template: &Template,
        strip_leading: bool,
        strip_trailing: bool,
        out: &mut Output,
    ) -> Result<(), Diagnostics> {
        let elements: Vec<&Element> = template.iter().collect();
        let mut diags = Diagnostics::new();
        for (i, element) in elements.iter().enumerate() {
            let result = match element {
                Element::Literal(literal) => {
                    let mut text: &str = literal.value();
                    let lead = if i == 0 { strip_leading } else { strips_after(elements[i - 1]) };
                    let trail = if i + 1 == elements.len() { strip_trailing } else { strips_before(elements[i + 1]) };
                    if lead {
                        text = text.trim_start();
                    }
                    if trail {
                        text = text.trim_end();
                    }
                    out.text.push_str(&super::nfc(text));
                    Ok(())
                }
                Element::Interpolation(interpolation) => {
                    let span = self.span(&interpolation.expr);
                    self.eval(&interpolation.expr).and_then(|value| append(value, span, out))
                }
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(d) => self.render_if(d, out),
                    Directive::For(d) => self.render_for(d, out),
                },
            };
            if let Err(d) = result {
                diags.extend(d);
            }
        }
        if diags.is_empty() { Ok(()) } else { Err(diags) }
    }

    fn render_if(&mut self, d: &hcl_edit::template::IfDirective, out: &mut Output) -> Result<(), Diagnostics> {
        let cond_span = self.span(&d.if_expr.cond_expr);
        let (cond, sensitive) = self.eval(&d.if_expr.cond_expr)?.unmark();
        out.sensitive |= sensitive;
        if cond.is_null() {
            return Err(Diagnostic::error("Null condition")
                .with_detail("The condition value is null. Conditions must either be true or false.")
                .with_span(cond_span)
                .into());
        }
        if !cond.is_known() {
            out.unknown = true;
            return Ok(());
        }
        let cond = match convert(cond, &Type::Bool) {
            Ok(Value::Bool(b)) => b,
            _ => {
                return Err(Diagnostic::error("Incorrect condition type")
                    .with_detail("The condition expression must be of type bool.")
                    .with_span(cond_span)
                    .into());
            }
        };
        let endif_strip = d.endif_expr.strip.strip_start();
        if cond {
            let trailing = d.else_expr.as_ref().map(|e| e.strip.strip_start()).unwrap_or(endif_strip);
            self.render(&d.if_expr.template, d.if_expr.strip.strip_end(), trailing, out)
        } else if let Some(else_expr) = &d.else_expr {
            self.render(&else_expr.template, else_expr.strip.strip_end(), endif_strip, out)
        } else {
            Ok(())
        }
    }

    fn render_for(&mut self, d: &hcl_edit::template::ForDirective, out: &mut Output) -> Result<(), Diagnostics> {
        let intro = &d.for_expr;
        let collection_span = self.span(&intro.collection_expr);
        let collection = self.eval(&intro.collection_expr)?;
        let items = match iteration(collection, collection_span)? {
            Iteration::Unknown(sensitive) => {
                out.unknown = true;
                out.sensitive |= sensitive;
                return Ok(());
            }
            Iteration::Items(items, sensitive) => {
                out.sensitive |= sensitive;
                items
            }
        };
        let key_var = intro.key_var.as_ref().map(|k| k.value().as_str().to_string());
        let value_var = intro.value_var.value().as_str().to_string();
        let limit = crate::limits::limits().collection_elements;
        for (key, value) in items {
            self.for_items += 1;
            if !limit.allows(self.for_items) {
                return Err(Diagnostic::error("Template too large")
                    .with_detail(format!(
                        "the %{{for}} directives of this template iterate too often, counting nested ones: {}",
                        limit.exceeded(format!("more than {}", limit.value))
                    ))
                    .with_span(collection_span)
                    .into());
            }
            let pushed = self.locals.len();
            if let Some(k) = &key_var {
                self.locals.push((k.clone(), key));
            }
            self.locals.push((value_var.clone(), value));
            let result = self.render(&intro.template, intro.strip.strip_end(), d.endfor_expr.strip.strip_start(), out);
            self.locals.truncate(pushed);
            result?;
            // Each pass may add as much as the body makes: a long loop is bounded here.
            within_string_limit(out, collection_span)?;
        }
        Ok(())
    }
}

/// Whether the element ends with a `~` that strips the whitespace after it.
fn strips_after(element: &Element) -> bool {
    match element {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip.strip_end(),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => d.endif_expr.strip.strip_end(),
            Directive::For(d) => d.endfor_expr.strip.strip_end(),
        },
    }
}

/// Whether the element starts with a `~` that strips the whitespace before it.
fn strips_before(element: &Element) -> bool {
    match element {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip.strip_start(),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => d.if_expr.strip.strip_start(),
            Directive::For(d) => d.for_expr.strip.strip_start(),
        },
    }
}

fn append(value: Value, span: Span, out: &mut Output) -> Result<(), Diagnostics> {
    let (value, sensitive) = value.unmark();
    out.sensitive |= sensitive;
    if value.is_null() {
        return Err(Diagnostic::error("Invalid template interpolation value")
            .with_detail("The expression result is null. Cannot include a null value in a string template.")
            .with_span(span)
            .into());
    }
    if !value.is_known() {
        out.unknown = true;
        return Ok(());
    }
    match convert(value, &Type::String) {
        Ok(Value::String(s)) => {
            out.text.push_str(&s);
            within_string_limit(out, span)
        }
        _ => Err(Diagnostic::error("Invalid template interpolation value")
            .with_detail("Cannot include the given value in a string template: string required.")
            .with_span(span)
            .into()),
    }
}

/// Refuses a template result over the string limit (`CORRAL_MAX_STRING_BYTES`).
fn within_string_limit(out: &Output, span: Span) -> Result<(), Diagnostics> {
    let limit = crate::limits::limits().string_bytes;
    if limit.allows(out.text.len() as u64) {
        return Ok(());
    }
    Err(Diagnostic::error("Template result too long")
        .with_detail(limit.exceeded(out.text.len()))
        .with_span(span)
        .into())
}
