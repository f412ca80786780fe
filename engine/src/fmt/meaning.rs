//! What "the same meaning" is for the formatter: two parsed files are compared after
//! removing the differences `terraform fmt` makes on purpose. `format_source` uses it to
//! refuse any result that would change a file, whatever the cause (the token scanner and
//! hcl-edit disagreeing about an odd construct, say); the tests use it as their oracle.

use hcl_edit::expr::{Array, Expression, FuncArgs, Object};
use hcl_edit::structure::{BlockLabel, Body, Structure};
use hcl_edit::template::{Element, ForDirective, IfDirective};
use hcl_edit::visit_mut::{
    VisitMut, visit_array_mut, visit_expr_mut, visit_for_directive_mut, visit_func_args_mut, visit_if_directive_mut,
    visit_object_mut,
};

/// `body` with the differences `terraform fmt` may make removed: `"${x}"` is `x`,
/// parentheses are transparent, a bare block label is the quoted one, and a variable's
/// legacy type is its modern spelling. hcl-edit's equality already ignores whitespace,
/// comments and spans, so two normalized bodies are equal when they mean the same.
pub(super) fn normalize(mut body: Body) -> Body {
    normalize_body(&mut body, false);
    body
}

fn normalize_body(body: &mut Body, in_variable: bool) {
    let mut structures: Vec<Structure> = std::mem::take(body).into_iter().collect();
    for structure in &mut structures {
        match structure {
            Structure::Attribute(attribute) => {
                if in_variable && attribute.key.as_str() == "type" {
                    normalize_type(&mut attribute.value);
                }
                Normalize.visit_expr_mut(&mut attribute.value);
            }
            Structure::Block(block) => {
                for label in &mut block.labels {
                    if let BlockLabel::Ident(ident) = label {
                        *label = BlockLabel::String(ident.as_str().to_string().into());
                    }
                }
                let is_variable = block.ident.as_str() == "variable";
                normalize_body(&mut block.body, is_variable);
            }
        }
    }
    *body = structures.into_iter().collect();
}

struct Normalize;

impl VisitMut for Normalize {
    fn visit_expr_mut(&mut self, expr: &mut Expression) {
        loop {
            let inner = match expr {
                Expression::Parenthesis(parens) => parens.inner().clone(),
                Expression::StringTemplate(template) => match template.as_single_element() {
                    Some(Element::Interpolation(interpolation)) => interpolation.expr.clone(),
                    _ => break,
                },
                _ => break,
            };
            *expr = inner;
        }
        visit_expr_mut(self, expr);
    }

    // The whitespace inside `%{ if }`/`%{ for }` delimiters is kept as raw text by
    // hcl-edit and takes part in its equality; it means nothing.
    fn visit_if_directive_mut(&mut self, node: &mut IfDirective) {
        node.if_expr.set_preamble("");
        if let Some(else_expr) = &mut node.else_expr {
            else_expr.set_preamble("");
            else_expr.set_trailing("");
        }
        node.endif_expr.set_preamble("");
        node.endif_expr.set_trailing("");
        visit_if_directive_mut(self, node);
    }

    // So is the whitespace (and comments) before a closing bracket.
    fn visit_array_mut(&mut self, node: &mut Array) {
        node.set_trailing("");
        visit_array_mut(self, node);
    }

    fn visit_object_mut(&mut self, node: &mut Object) {
        node.set_trailing("");
        visit_object_mut(self, node);
    }

    fn visit_func_args_mut(&mut self, node: &mut FuncArgs) {
        node.set_trailing("");
        visit_func_args_mut(self, node);
    }

    fn visit_for_directive_mut(&mut self, node: &mut ForDirective) {
        node.for_expr.set_preamble("");
        node.endfor_expr.set_preamble("");
        node.endfor_expr.set_trailing("");
        visit_for_directive_mut(self, node);
    }
}

/// The modern spelling of a legacy variable type (`"string"`, `list`), as the rewrite makes it.
fn normalize_type(value: &mut Expression) {
    let modern = match value {
        Expression::String(s) => match s.as_str() {
            "string" => "string",
            "list" => "list(string)",
            "map" => "map(string)",
            _ => return,
        },
        Expression::Variable(v) => match v.as_str() {
            "list" => "list(any)",
            "map" => "map(any)",
            "set" => "set(any)",
            _ => return,
        },
        _ => return,
    };
    if let Ok(expr) = hcl_edit::parser::parse_expr(modern) {
        *value = expr;
    }
}
