//! The blocks that speak about addresses in state rather than about infrastructure:
//! `moved` (rename), `import` (adopt an existing object) and `removed` (stop managing a
//! resource, destroying it or not). Their addresses are static traversals, checked here;
//! whether they name something in configuration is checked by `validate` (`removed`) and
//! by the planner (`import`, whose missing target `-generate-config-out` may fill).

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::Block;

use super::decode::{Decoder, Schema, provider_ref_parts, static_path, static_step};
use super::{Import, Module, Moved, ProviderRef, Removed};
use crate::addr::{ResourceMode, Target};
use crate::diag::Diagnostic;
use crate::value::{Path, PathStep};

pub(super) fn decode_moved(dec: &mut Decoder<'_>, block: &Block, module: &mut Module) {
    if dec.labels(block, &[]).is_none() {
        return;
    }
    let schema = Schema { what: "a `moved` block", attrs: &["from", "to"], blocks: &[] };
    let content = dec.content(&block.body, &schema);
    let from = dec.require(&content, "from", block, "a `moved` block");
    let to = dec.require(&content, "to", block, "a `moved` block");
    let from = from.and_then(|a| moved_address(dec, &a.value).map(|t| (t, dec.span(&a.value))));
    let to = to.and_then(|a| moved_address(dec, &a.value).map(|t| (t, dec.span(&a.value))));
    let (Some((from, _)), Some((to, to_span))) = (from, to) else { return };
    let kind_mismatch = matches!(
        (&from, &to),
        (Target::Module(_), Target::Resource(_) | Target::Instance(_))
            | (Target::Resource(_) | Target::Instance(_), Target::Module(_))
    );
    if kind_mismatch {
        dec.push(
            Diagnostic::error("`from` and `to` of a `moved` block must both be modules or both be resources")
                .with_span(to_span),
        );
        return;
    }
    if from == to {
        dec.error(to_span, "`from` and `to` of a `moved` block are the same address");
        return;
    }
    let types = match (&from, &to) {
        (Target::Resource(a), Target::Resource(b)) => Some((&a.resource, &b.resource)),
        (Target::Instance(a), Target::Instance(b)) => Some((&a.resource, &b.resource)),
        (Target::Resource(a), Target::Instance(b)) => Some((&a.resource, &b.resource)),
        (Target::Instance(a), Target::Resource(b)) => Some((&a.resource, &b.resource)),
        _ => None,
    };
    if let Some((a, b)) = types
        && (a.type_name != b.type_name || a.mode != b.mode)
    {
        dec.push(
            Diagnostic::error(format!("cannot move `{a}` to `{b}`: the resource type differs")).with_span(to_span),
        );
        return;
    }
    if let Some((a, _)) = types
        && a.mode == ResourceMode::Data
    {
        dec.error(to_span, "data sources cannot be moved: they hold no state worth keeping");
        return;
    }
    module.moved.push(Moved { from, to, span: dec.span(block) });
}

/// A `moved` endpoint: a static traversal such as `module.a.testing_thing.b["k"]`.
fn moved_address(dec: &mut Decoder<'_>, expr: &Expression) -> Option<Target> {
    let span = dec.span(expr);
    let Some(path) = static_path(expr) else {
        let mut d = Diagnostic::error("invalid address in `moved` block")
            .with_span(span)
            .with_detail("expected a resource or module address such as `testing_thing.a` or `module.net`");
        if let Some(text) = expr.as_str() {
            d = d.with_help(format!("remove the quotes: `{text}`"));
        }
        dec.push(d);
        return None;
    };
    match path_to_address_text(&path).parse::<Target>() {
        Ok(target) => Some(target),
        Err(err) => {
            dec.push(Diagnostic::error("invalid address in `moved` block").with_span(span).with_detail(err.reason));
            None
        }
    }
}

fn path_to_address_text(path: &Path) -> String {
    let mut text = String::new();
    for (i, step) in path.0.iter().enumerate() {
        match step {
            PathStep::Attr(name) if i == 0 => text.push_str(name),
            PathStep::Attr(name) => {
                text.push('.');
                text.push_str(name);
            }
            PathStep::Index(index) => text.push_str(&format!("[{index}]")),
            PathStep::Key(key) => {
                text.push_str("[\"");
                for c in key.chars() {
                    match c {
                        '"' => text.push_str("\\\""),
                        '\\' => text.push_str("\\\\"),
                        '\n' => text.push_str("\\n"),
                        c => text.push(c),
                    }
                }
                text.push_str("\"]");
            }
        }
    }
    text
}

/// Import and removed blocks act on the state of the whole configuration, as in Terraform.
fn root_only(dec: &mut Decoder<'_>, block: &Block, module: &Module) -> bool {
    if module.path.is_root() {
        return true;
    }
    let span = dec.span(&block.ident);
    let kind = block.ident.as_str();
    dec.push(
        Diagnostic::error(format!("`{kind}` blocks are only allowed in the root module")).with_span(span).with_help(
            format!(
                "move the `{kind}` block to the root module and write the address in full (`module.NAME.TYPE.NAME`)"
            ),
        ),
    );
    false
}

pub(super) fn decode_import(dec: &mut Decoder<'_>, block: &Block, module: &mut Module) {
    if dec.labels(block, &[]).is_none() || !root_only(dec, block, module) {
        return;
    }
    let what = "an `import` block";
    let schema = Schema { what, attrs: &["to", "id", "for_each", "provider"], blocks: &[] };
    let content = dec.content(&block.body, &schema);
    let to = dec.require(&content, "to", block, what);
    let id = dec.require(&content, "id", block, what);
    let for_each = content.attrs.get("for_each").map(|a| dec.expr(&a.value));
    let provider = content.attrs.get("provider").and_then(|attr| match provider_ref_parts(&attr.value) {
        Some((name, alias)) => Some(ProviderRef { name, alias, span: Some(dec.span(&attr.value)) }),
        None => {
            let span = dec.span(&attr.value);
            dec.push(
                Diagnostic::error("invalid provider reference")
                    .with_span(span)
                    .with_help("write a provider name or `name.alias`, without quotes"),
            );
            None
        }
    });
    let (Some(to), Some(id)) = (to, id) else { return };
    let Some((target, to_key)) = import_target(dec, &to.value) else { return };
    if to_key.is_some() && for_each.is_none() {
        dec.push(
            Diagnostic::error("the instance key of `to` is computed, but the block has no `for_each`")
                .with_span(dec.span(&to.value))
                .with_help("write a literal key (`kmr_cluster.c[\"a\"]`), or set `for_each` and use `each.key`"),
        );
        return;
    }
    module.imports.push(Import {
        to: target,
        to_key,
        id: dec.expr(&id.value),
        for_each,
        provider,
        span: dec.span(block),
    });
}

/// `to` of an import: a static managed resource or instance address, or a static resource
/// address followed by one computed index (`kmr_cluster.c[each.key]`).
fn import_target(dec: &mut Decoder<'_>, expr: &Expression) -> Option<(Target, Option<super::Expr>)> {
    let span = dec.span(expr);
    let invalid = |dec: &mut Decoder<'_>, detail: String| {
        let mut d = Diagnostic::error("invalid address in `import` block").with_span(span).with_detail(detail);
        if let Some(text) = expr.as_str() {
            d = d.with_help(format!("remove the quotes: `{text}`"));
        }
        dec.push(d);
    };
    let (path, key) = match static_path(expr) {
        Some(path) => (path, None),
        None => match dynamic_index(expr) {
            Some((path, key)) => (path, Some(dec.expr(key))),
            None => {
                invalid(dec, "expected a resource instance address such as `kmr_cluster.main`".to_string());
                return None;
            }
        },
    };
    let target = match path_to_address_text(&path).parse::<Target>() {
        Ok(target) => target,
        Err(err) => {
            invalid(dec, err.reason);
            return None;
        }
    };
    let resource = match &target {
        Target::Resource(r) => r.resource.clone(),
        Target::Instance(i) if key.is_none() => i.resource.clone(),
        _ => {
            invalid(dec, "`to` must name a resource instance".to_string());
            return None;
        }
    };
    if resource.mode == ResourceMode::Data {
        invalid(dec, "data sources cannot be imported: they are read, not managed".to_string());
        return None;
    }
    Some((target, key))
}

/// A traversal whose steps are static except the last, a computed index: the static part
/// and the index expression.
fn dynamic_index(expr: &Expression) -> Option<(Path, &Expression)> {
    let Expression::Traversal(t) = expr else { return None };
    let Expression::Variable(root) = &t.expr else { return None };
    let (last, rest) = t.operators.split_last()?;
    let TraversalOperator::Index(key) = last.value() else { return None };
    let mut path = Path::attr(root.as_str());
    for op in rest {
        path.0.push(static_step(op.value())?);
    }
    Some((path, key))
}

pub(super) fn decode_removed(dec: &mut Decoder<'_>, block: &Block, module: &mut Module) {
    if dec.labels(block, &[]).is_none() || !root_only(dec, block, module) {
        return;
    }
    let what = "a `removed` block";
    let schema = Schema { what, attrs: &["from"], blocks: &["lifecycle"] };
    let content = dec.content(&block.body, &schema);
    let from = dec.require(&content, "from", block, what);
    let mut destroy = true;
    if let Some(lifecycle) = dec.at_most_one(&content.blocks, what)
        && dec.labels(lifecycle, &[]).is_some()
    {
        let schema = Schema { what: "the `lifecycle` block of a `removed` block", attrs: &["destroy"], blocks: &[] };
        let inner = dec.content(&lifecycle.body, &schema);
        if let Some(attr) = inner.attrs.get("destroy") {
            destroy = dec.literal_bool(attr).unwrap_or(true);
        }
    }
    let Some(from) = from else { return };
    let span = dec.span(&from.value);
    let target = static_path(&from.value).and_then(|p| path_to_address_text(&p).parse::<Target>().ok());
    let target = match target {
        Some(t @ (Target::Resource(_) | Target::Module(_))) => t,
        _ => {
            dec.push(
                Diagnostic::error("invalid address in `removed` block")
                    .with_span(span)
                    .with_detail("expected a resource or module address without instance keys, such as `kmr_cluster.main` or `module.net`"),
            );
            return;
        }
    };
    if let Target::Resource(r) = &target
        && r.resource.mode == ResourceMode::Data
    {
        dec.error(span, "data sources cannot be removed: they hold no state worth keeping");
        return;
    }
    module.removed.push(Removed { from: target, destroy, span: dec.span(block) });
}

/// A `removed` block whose resource or module call is still in configuration contradicts
/// itself (Terraform: "Removed resource block still exists").
pub(super) fn check_removed(config: &super::Config, diags: &mut crate::diag::Diagnostics) {
    for removed in &config.root.removed {
        let declared = match &removed.from {
            Target::Resource(r) => {
                let path = r.module.path();
                config.module(&path).and_then(|m| m.resources.get(&r.resource)).map(|res| res.decl_span)
            }
            Target::Module(m) => {
                let path = m.path();
                path.parent().and_then(|parent| {
                    let name = path.0.last()?;
                    config.module(&parent)?.module_calls.get(name).map(|c| c.decl_span)
                })
            }
            Target::Instance(_) => None,
        };
        if let Some(span) = declared {
            diags.push(
                Diagnostic::error(format!("Removed {} block still exists", removed_kind(&removed.from)))
                    .with_span(removed.span)
                    .with_label(span, "still declared here")
                    .with_detail(format!(
                        "This statement declares that {} was removed, but it is still declared in configuration.",
                        removed.from
                    ))
                    .with_help("remove the block from configuration, or the `removed` block"),
            );
        }
    }
}

fn removed_kind(target: &Target) -> &'static str {
    match target {
        Target::Module(_) => "module",
        _ => "resource",
    }
}
