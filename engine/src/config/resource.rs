//! `resource` and `data` blocks: their meta-arguments (`count`, `for_each`, `depends_on`,
//! `provider`, `lifecycle`) are taken out and checked; the rest becomes a schema-less
//! [`Body`] (with `dynamic` blocks) that the provider's schema checks later.

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body as HclBody, Structure};

use super::blocks::check_rule;
use super::decode::{Decoder, Schema, provider_ref_parts, static_path};
use super::module_call::check_count_and_for_each;
use super::provisioner::decode_provisioner;
use super::{Body, DynamicBlock, IgnoreChanges, Lifecycle, Module, NestedBlock, ProviderRef, Resource};
use crate::addr::{ResourceAddr, ResourceMode};
use crate::diag::Diagnostic;

const META_ATTRS: &[&str] = &["count", "for_each", "depends_on", "provider"];
const META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection"];
const MANAGED_LIFECYCLE: &[&str] =
    &["create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"];

pub(super) fn decode_resource(dec: &mut Decoder<'_>, block: &Block, mode: ResourceMode, module: &mut Module) {
    let Some(labels) = dec.labels(block, &["type", "name"]) else { return };
    let (type_name, type_span) = labels[0].clone();
    let (name, name_span) = labels[1].clone();
    let what = if mode == ResourceMode::Data { "data source" } else { "resource" };
    if !dec.check_name(&type_name, type_span, &format!("{what} type")) || !dec.check_name(&name, name_span, what) {
        return;
    }
    let addr = match mode {
        ResourceMode::Managed => ResourceAddr::managed(type_name, name),
        ResourceMode::Data => ResourceAddr::data(type_name, name),
    };
    let body = &block.body;
    let count = body.get_attribute("count").map(|a| dec.expr(&a.value));
    let for_each = body.get_attribute("for_each").map(|a| dec.expr(&a.value));
    check_count_and_for_each(dec, block);
    let depends_on = body.get_attribute("depends_on").map(|a| dec.reference_list(a)).unwrap_or_default();
    let provider = match body.get_attribute("provider") {
        Some(attr) => match provider_ref_parts(&attr.value) {
            Some((name, alias)) => ProviderRef { name, alias, span: Some(dec.span(&attr.value)) },
            None => {
                let span = dec.span(&attr.value);
                let mut d = Diagnostic::error("invalid `provider` reference")
                    .with_span(span)
                    .with_detail("expected a provider name or `name.alias`, such as `testing.west`");
                if let Some(text) = attr.value.as_str() {
                    d = d.with_help(format!("remove the quotes: `{text}`"));
                }
                dec.push(d);
                implied_provider(&addr)
            }
        },
        None => implied_provider(&addr),
    };
    let mut lifecycle = Lifecycle::default();
    let mut provisioners = Vec::new();
    let mut first_lifecycle = None;
    for inner in body.blocks() {
        match inner.ident.as_str() {
            "lifecycle" => {
                if let Some(first) = first_lifecycle {
                    let span = dec.span(&inner.ident);
                    dec.push(
                        Diagnostic::error(format!("duplicate `lifecycle` block in {what} `{addr}`"))
                            .with_span(span)
                            .with_label(first, "first defined here"),
                    );
                    continue;
                }
                first_lifecycle = Some(dec.span(&inner.ident));
                lifecycle = decode_lifecycle(dec, inner, mode);
            }
            kind @ ("provisioner" | "connection") if mode == ResourceMode::Data => {
                let span = dec.span(&inner.ident);
                dec.error(span, format!("a data source cannot have `{kind}` blocks"));
            }
            "provisioner" => provisioners.extend(decode_provisioner(dec, inner)),
            // Used only by `remote-exec` and `file`, which are refused at their own blocks.
            _ => {}
        }
    }
    let resource_body = generic_body(dec, body, META_ATTRS, META_BLOCKS);
    let resource = Resource {
        addr: addr.clone(),
        provider,
        count,
        for_each,
        depends_on,
        lifecycle,
        body: resource_body,
        provisioners,
        span: dec.span(block),
        decl_span: dec.header_span(block),
    };
    if let Some(previous) = module.resources.get(&addr) {
        let previous = previous.decl_span;
        let kind = if mode == ResourceMode::Data { "data source" } else { "resource" };
        dec.push(
            Diagnostic::error(format!("duplicate {kind} `{addr}`"))
                .with_span(name_span)
                .with_label(previous, "first defined here")
                .with_detail(format!("a {kind}'s type and name must be unique within a module")),
        );
        return;
    }
    module.resources.insert(addr, resource);
}

fn implied_provider(addr: &ResourceAddr) -> ProviderRef {
    ProviderRef { name: addr.implied_provider().to_string(), alias: None, span: None }
}

fn decode_lifecycle(dec: &mut Decoder<'_>, block: &Block, mode: ResourceMode) -> Lifecycle {
    let mut lifecycle = Lifecycle::default();
    if dec.labels(block, &[]).is_none() {
        return lifecycle;
    }
    let is_data = mode == ResourceMode::Data;
    // Data sources have no lifecycle of their own beyond checks: report the managed-only
    // arguments as misplaced rather than unknown.
    if is_data {
        for attr in block.body.attributes() {
            let name = attr.key.as_str();
            if MANAGED_LIFECYCLE.contains(&name) {
                let span = dec.span(&attr.key);
                dec.push(
                    Diagnostic::error(format!("`{name}` is not valid in the `lifecycle` of a data source"))
                        .with_span(span)
                        .with_detail("a data source's `lifecycle` accepts only `precondition` and `postcondition`"),
                );
            }
        }
    }
    let attrs: &[&str] = if is_data { &[] } else { MANAGED_LIFECYCLE };
    let schema = Schema { what: "a `lifecycle` block", attrs, blocks: &["precondition", "postcondition"] };
    let filtered =
        filtered_body(&block.body, |name, is_attr| !(is_data && is_attr && MANAGED_LIFECYCLE.contains(&name)));
    let content = dec.content(&filtered, &schema);
    if let Some(attr) = content.attrs.get("create_before_destroy") {
        lifecycle.create_before_destroy = dec.literal_bool(attr).unwrap_or(false);
    }
    if let Some(attr) = content.attrs.get("prevent_destroy") {
        lifecycle.prevent_destroy = dec.literal_bool(attr).unwrap_or(false);
    }
    if let Some(attr) = content.attrs.get("ignore_changes") {
        lifecycle.ignore_changes = decode_ignore_changes(dec, &attr.value);
    }
    if let Some(attr) = content.attrs.get("replace_triggered_by") {
        match &attr.value {
            Expression::Array(items) => {
                lifecycle.replace_triggered_by = items.iter().map(|e| dec.expr(e)).collect();
            }
            other => {
                let span = dec.span(other);
                dec.push(
                    Diagnostic::error("`replace_triggered_by` must be a list of references")
                        .with_span(span)
                        .with_help("write `replace_triggered_by = [testing_thing.a.id]`"),
                );
            }
        }
    }
    for inner in &content.blocks {
        let Some(rule) = check_rule(dec, inner) else { continue };
        if inner.ident.as_str() == "precondition" {
            lifecycle.preconditions.push(rule);
        } else {
            lifecycle.postconditions.push(rule);
        }
    }
    lifecycle
}

/// A copy of a body without the structures `keep` rejects, so they are not reported twice.
fn filtered_body(body: &HclBody, keep: impl Fn(&str, bool) -> bool) -> HclBody {
    body.iter()
        .filter(|s| match s {
            Structure::Attribute(a) => keep(a.key.as_str(), true),
            Structure::Block(b) => keep(b.ident.as_str(), false),
        })
        .cloned()
        .collect()
}

fn decode_ignore_changes(dec: &mut Decoder<'_>, expr: &Expression) -> IgnoreChanges {
    if let Expression::Variable(word) = expr
        && word.as_str() == "all"
    {
        return IgnoreChanges::All;
    }
    let Expression::Array(items) = expr else {
        let span = dec.span(expr);
        dec.push(
            Diagnostic::error("`ignore_changes` must be a list of attribute references or `all`")
                .with_span(span)
                .with_help("write `ignore_changes = [payload, tags[\"owner\"]]` or `ignore_changes = all`"),
        );
        return IgnoreChanges::None;
    };
    let mut paths = Vec::new();
    for item in items.iter() {
        match static_path(item) {
            Some(path) => paths.push((path, dec.span(item))),
            None => {
                let span = dec.span(item);
                let mut d = Diagnostic::error("invalid `ignore_changes` entry: an attribute reference is required")
                    .with_span(span)
                    .with_detail(
                        "each entry names an attribute of this resource, such as `payload` or `tags[\"owner\"]`",
                    );
                if let Some(text) = item.as_str() {
                    d = d.with_help(format!("remove the quotes: `{text}`"));
                }
                dec.push(d);
            }
        }
    }
    IgnoreChanges::Paths(paths)
}

/// Converts a body whose arguments a provider schema defines, skipping the reserved
/// argument and block names handled by the caller.
pub(super) fn generic_body(
    dec: &mut Decoder<'_>,
    body: &HclBody,
    reserved_attrs: &[&str],
    reserved_blocks: &[&str],
) -> Body {
    // At its final size: the map would otherwise keep room for one more attribute than a
    // body of two has, and a configuration of a hundred thousand blocks holds every body.
    let attributes = body.iter().filter(|s| s.as_attribute().is_some()).count();
    let mut out = Body {
        span: hcl_edit::Span::span(body).map(|r| crate::diag::Span::new(dec.file, r)),
        attributes: indexmap::IndexMap::with_capacity(attributes),
        ..Body::default()
    };
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                if reserved_attrs.contains(&attr.key.as_str()) {
                    continue;
                }
                let attribute = dec.attribute(attr);
                // hcl-edit already rejects a repeated argument within one body.
                out.attributes.insert(attribute.name.clone(), attribute);
            }
            Structure::Block(block) => {
                let kind = block.ident.as_str();
                if reserved_blocks.contains(&kind) {
                    continue;
                }
                let nested =
                    if kind == "dynamic" { decode_dynamic(dec, block) } else { Some(nested_block(dec, block)) };
                out.blocks.extend(nested);
            }
        }
    }
    out
}

fn nested_block(dec: &mut Decoder<'_>, block: &Block) -> NestedBlock {
    NestedBlock {
        type_name: block.ident.as_str().to_string(),
        labels: block.labels.iter().map(|l| l.as_str().to_string()).collect(),
        body: generic_body(dec, &block.body, &[], &[]),
        dynamic: None,
        span: dec.span(block),
    }
}

/// `dynamic "x" { for_each = ...  iterator = it  labels = [...]  content { ... } }`.
fn decode_dynamic(dec: &mut Decoder<'_>, block: &Block) -> Option<NestedBlock> {
    let labels = dec.labels(block, &["block type"])?;
    let (type_name, _) = labels.into_iter().next()?;
    let schema = Schema { what: "a `dynamic` block", attrs: &["for_each", "iterator", "labels"], blocks: &["content"] };
    let content = dec.content(&block.body, &schema);
    let for_each = dec.require(&content, "for_each", block, "a `dynamic` block");
    let iterator = match content.attrs.get("iterator") {
        Some(attr) => match &attr.value {
            Expression::Variable(name) => name.as_str().to_string(),
            other => {
                let span = dec.span(other);
                dec.push(
                    Diagnostic::error("`iterator` must be a bare name")
                        .with_span(span)
                        .with_help("write `iterator = item`, without quotes"),
                );
                type_name.clone()
            }
        },
        None => type_name.clone(),
    };
    let dynamic_labels = match content.attrs.get("labels") {
        Some(attr) => match &attr.value {
            Expression::Array(items) => items.iter().map(|e| dec.expr(e)).collect(),
            other => {
                let span = dec.span(other);
                dec.error(span, "`labels` must be a list of label expressions");
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let contents: Vec<&Block> = content.blocks_named("content").collect();
    let content_block = dec.at_most_one(&contents, "a `dynamic` block");
    if content_block.is_none() {
        let span = dec.header_span(block);
        dec.push(
            Diagnostic::error("missing `content` block in `dynamic` block")
                .with_span(span)
                .with_help(format!("write `content {{ ... }}` with the body of each `{type_name}` block")),
        );
    }
    let content_block = content_block?;
    if let Some(label) = content_block.labels.first() {
        let span = dec.span(label);
        dec.error(span, "extraneous label for `content` block");
    }
    let for_each = dec.expr(&for_each?.value);
    Some(NestedBlock {
        type_name,
        labels: Vec::new(),
        body: generic_body(dec, &content_block.body, &[], &[]),
        dynamic: Some(DynamicBlock { for_each, iterator, labels: dynamic_labels }),
        span: dec.span(block),
    })
}
