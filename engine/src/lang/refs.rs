//! References: which named things an expression uses.
//!
//! A reference is a traversal rooted at a known name (`var.x`, `module.net.id`,
//! `testing_thing.a[0].id`, ...). The walk descends into every kind of expression, and keeps
//! a scope of the names that `for` expressions, template `for` directives and `dynamic`
//! block iterators bind, because inside their bodies `s.id` is the loop variable, not a
//! resource `s.id`.

use std::ops::Range;

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};

use crate::addr::ResourceAddr;
use crate::config::{Body, Expr};
use crate::diag::{FileId, Span};
use crate::value::PathStep;

/// The root of a reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// `var.NAME`
    Var(String),
    /// `local.NAME`
    Local(String),
    /// `module.NAME` (its outputs follow in `Reference::rest`)
    ModuleCall(String),
    /// `TYPE.NAME` or `data.TYPE.NAME`
    Resource(ResourceAddr),
    /// `count.index`
    CountIndex,
    /// `each.key`
    EachKey,
    /// `each.value`
    EachValue,
    /// `path.module`
    PathModule,
    /// `path.root`
    PathRoot,
    /// `path.cwd`
    PathCwd,
    /// `terraform.workspace`
    TerraformWorkspace,
    /// `self` (in postconditions)
    SelfObject,
}

/// A reference found in an expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    pub subject: Subject,
    /// The static traversal after the subject, as far as it is static: for
    /// `module.net.vpc_id` that is `[Attr("vpc_id")]`; for `testing_thing.a[0].id`,
    /// `[Index(0), Attr("id")]`.
    pub rest: Vec<PathStep>,
    /// The span of the whole traversal.
    pub span: Span,
}

/// Every reference in an expression, in source order. Names bound by `for` expressions
/// are not references; unknown roots (`foo.bar` where `foo` is not a known root) are
/// returned as `Subject::Resource` with mode managed, so the caller reports them.
pub fn references(expr: &Expr) -> Vec<Reference> {
    references_with_bound(expr, &[])
}

/// Like [`references`], with some names already bound by an enclosing construct (the
/// iterator of a `dynamic` block): traversals rooted at them are not references.
fn references_with_bound(expr: &Expr, bound: &[String]) -> Vec<Reference> {
    let mut walker = Walker {
        file: expr.span.file,
        fallback: expr.span.start..expr.span.end,
        bound: bound.to_vec(),
        out: Vec::new(),
    };
    walker.expression(&expr.expr);
    walker.out
}

/// Every reference in a body, including nested and dynamic blocks.
pub fn references_in_body(body: &Body) -> Vec<Reference> {
    let mut out = Vec::new();
    collect_body(body, &mut Vec::new(), &mut out);
    out
}

fn collect_body(body: &Body, bound: &mut Vec<String>, out: &mut Vec<Reference>) {
    for attr in body.attributes.values() {
        out.extend(references_with_bound(&attr.value, bound));
    }
    for block in &body.blocks {
        match &block.dynamic {
            Some(dynamic) => {
                // The collection is evaluated outside the iterator's scope; the labels and
                // the content inside it.
                out.extend(references_with_bound(&dynamic.for_each, bound));
                bound.push(dynamic.iterator.clone());
                for label in &dynamic.labels {
                    out.extend(references_with_bound(label, bound));
                }
                collect_body(&block.body, bound, out);
                bound.pop();
            }
            None => collect_body(&block.body, bound, out),
        }
    }
}

struct Walker {
    file: FileId,
    /// Used when hcl-edit has no span for a node (it always has one for parsed input).
    fallback: Range<usize>,
    /// Names bound by enclosing `for` constructs, innermost last.
    bound: Vec<String>,
    out: Vec<Reference>,
}

impl Walker {
    fn span_of(&self, node: &impl hcl_edit::Span) -> Span {
        Span::new(self.file, node.span().unwrap_or_else(|| self.fallback.clone()))
    }

    fn is_bound(&self, name: &str) -> bool {
        self.bound.iter().any(|b| b == name)
    }

    fn expression(&mut self, expr: &Expression) {
        match expr {
            Expression::Null(_) | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) => {}
            Expression::Array(array) => {
                for item in array.iter() {
                    self.expression(item);
                }
            }
            Expression::Object(object) => {
                for (key, value) in object.iter() {
                    // An identifier key is a literal name; only an expression key is evaluated.
                    if let ObjectKey::Expression(key) = key {
                        self.expression(key);
                    }
                    self.expression(value.expr());
                }
            }
            Expression::StringTemplate(template) => self.template(template),
            Expression::HeredocTemplate(heredoc) => self.template(&heredoc.template),
            Expression::Parenthesis(paren) => self.expression(paren.inner()),
            Expression::Variable(ident) => {
                // A lone `self` is the whole object; any other lone name is either bound by
                // a `for` or not a reference at all.
                if ident.as_str() == "self" && !self.is_bound("self") {
                    let span = self.span_of(ident);
                    self.out.push(Reference { subject: Subject::SelfObject, rest: Vec::new(), span });
                }
            }
            Expression::Conditional(cond) => {
                self.expression(&cond.cond_expr);
                self.expression(&cond.true_expr);
                self.expression(&cond.false_expr);
            }
            Expression::FuncCall(call) => {
                for arg in call.args.iter() {
                    self.expression(arg);
                }
            }
            Expression::Traversal(traversal) => {
                if let Expression::Variable(root) = &traversal.expr {
                    let span = self.span_of(traversal.as_ref());
                    self.root_traversal(root.as_str(), &traversal.operators, span);
                } else {
                    self.expression(&traversal.expr);
                }
                // Index expressions are evaluated wherever the traversal is rooted.
                for op in &traversal.operators {
                    if let TraversalOperator::Index(index) = op.value() {
                        self.expression(index);
                    }
                }
            }
            Expression::UnaryOp(op) => self.expression(&op.expr),
            Expression::BinaryOp(op) => {
                self.expression(&op.lhs_expr);
                self.expression(&op.rhs_expr);
            }
            Expression::ForExpr(for_expr) => {
                // The collection is outside the loop's scope; everything else inside it.
                self.expression(&for_expr.intro.collection_expr);
                let pushed = self.push_vars(for_expr.intro.key_var.as_deref(), &for_expr.intro.value_var);
                if let Some(key) = &for_expr.key_expr {
                    self.expression(key);
                }
                self.expression(&for_expr.value_expr);
                if let Some(cond) = &for_expr.cond {
                    self.expression(&cond.expr);
                }
                self.bound.truncate(self.bound.len() - pushed);
            }
        }
    }

    fn push_vars(&mut self, key: Option<&hcl_edit::Ident>, value: &hcl_edit::Ident) -> usize {
        let mut pushed = 1;
        if let Some(key) = key {
            self.bound.push(key.as_str().to_string());
            pushed += 1;
        }
        self.bound.push(value.as_str().to_string());
        pushed
    }

    fn template(&mut self, template: &Template) {
        for element in template.iter() {
            match element {
                Element::Literal(_) => {}
                Element::Interpolation(interp) => self.expression(&interp.expr),
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(dir) => {
                        self.expression(&dir.if_expr.cond_expr);
                        self.template(&dir.if_expr.template);
                        if let Some(else_expr) = &dir.else_expr {
                            self.template(&else_expr.template);
                        }
                    }
                    Directive::For(dir) => {
                        let intro = &dir.for_expr;
                        self.expression(&intro.collection_expr);
                        let pushed = self.push_vars(intro.key_var.as_deref(), &intro.value_var);
                        self.template(&intro.template);
                        self.bound.truncate(self.bound.len() - pushed);
                    }
                },
            }
        }
    }

    /// A traversal whose root is a plain name: decides whether it is a reference and what
    /// its subject and static rest are.
    fn root_traversal(&mut self, root: &str, ops: &[hcl_edit::Decorated<TraversalOperator>], span: Span) {
        if self.is_bound(root) {
            return;
        }
        let attr = |i: usize| match ops.get(i).map(|op| op.value()) {
            Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
            _ => None,
        };
        let (subject, consumed) = match root {
            "var" => match attr(0) {
                Some(name) => (Subject::Var(name.to_string()), 1),
                None => return,
            },
            "local" => match attr(0) {
                Some(name) => (Subject::Local(name.to_string()), 1),
                None => return,
            },
            "module" => match attr(0) {
                Some(name) => (Subject::ModuleCall(name.to_string()), 1),
                None => return,
            },
            "data" => match (attr(0), attr(1)) {
                (Some(type_name), Some(name)) => (Subject::Resource(ResourceAddr::data(type_name, name)), 2),
                _ => return,
            },
            "count" => match attr(0) {
                Some("index") => (Subject::CountIndex, 1),
                _ => return,
            },
            "each" => match attr(0) {
                Some("key") => (Subject::EachKey, 1),
                Some("value") => (Subject::EachValue, 1),
                _ => return,
            },
            "path" => match attr(0) {
                Some("module") => (Subject::PathModule, 1),
                Some("root") => (Subject::PathRoot, 1),
                Some("cwd") => (Subject::PathCwd, 1),
                _ => return,
            },
            "terraform" => match attr(0) {
                Some("workspace") => (Subject::TerraformWorkspace, 1),
                _ => return,
            },
            "self" => (Subject::SelfObject, 0),
            type_name => match attr(0) {
                Some(name) => (Subject::Resource(ResourceAddr::managed(type_name, name)), 1),
                None => return,
            },
        };
        let rest = static_steps(&ops[consumed..]);
        self.out.push(Reference { subject, rest, span });
    }
}

/// The leading attribute and literal-index steps of a traversal; stops at the first splat
/// or computed index.
fn static_steps(ops: &[hcl_edit::Decorated<TraversalOperator>]) -> Vec<PathStep> {
    let mut steps = Vec::new();
    for op in ops {
        let step = match op.value() {
            TraversalOperator::GetAttr(name) => PathStep::Attr(name.as_str().to_string()),
            TraversalOperator::LegacyIndex(index) => match i64::try_from(*index.value()) {
                Ok(index) => PathStep::Index(index),
                Err(_) => break,
            },
            TraversalOperator::Index(Expression::Number(number)) => match number.value().as_i64() {
                Some(index) => PathStep::Index(index),
                None => break,
            },
            TraversalOperator::Index(Expression::String(key)) => PathStep::Key(key.value().clone()),
            TraversalOperator::Index(_) | TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => break,
        };
        steps.push(step);
    }
    steps
}

#[cfg(test)]
mod tests;
