//! References: which named things an expression uses.

use crate::addr::ResourceAddr;
use crate::config::{Body, Expr};
use crate::diag::Span;
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
    let _ = expr;
    Vec::new()
}

/// Every reference in a body, including nested and dynamic blocks.
pub fn references_in_body(body: &Body) -> Vec<Reference> {
    let mut out = Vec::new();
    for attr in body.attributes.values() {
        out.extend(references(&attr.value));
    }
    for block in &body.blocks {
        if let Some(dynamic) = &block.dynamic {
            out.extend(references(&dynamic.for_each));
        }
        out.extend(references_in_body(&block.body));
    }
    out
}
