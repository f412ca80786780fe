//! `check` blocks (Terraform 1.5): assertions about the infrastructure that run at the end
//! of every plan and apply and are reported as warnings, never errors, with at most one
//! scoped data source of their own, which only the check's assertions may refer to.

use hcl_edit::structure::Block;

use super::blocks::check_rule;
use super::decode::{Decoder, Schema};
use super::resource::decode_resource;
use super::{Check, Module};
use crate::addr::ResourceMode;
use crate::diag::Diagnostic;

pub(super) fn decode_check(dec: &mut Decoder<'_>, block: &Block, module: &mut Module) {
    let Some(labels) = dec.labels(block, &["name"]) else { return };
    let (name, name_span) = labels[0].clone();
    if !dec.check_name(&name, name_span, "check") {
        return;
    }
    let what = format!("check \"{name}\"");
    let schema = Schema { what: &what, attrs: &[], blocks: &["data", "assert"] };
    let content = dec.content(&block.body, &schema);
    let data_blocks: Vec<&Block> = content.blocks_named("data").collect();
    let data_block = dec.at_most_one(&data_blocks, &what);
    let data = data_block.and_then(|data_block| {
        // Decoded as any data source, into a module of its own, then kept by the check.
        let mut scratch = Module::default();
        decode_resource(dec, data_block, ResourceMode::Data, &mut scratch);
        let (_, resource) = scratch.resources.into_iter().next()?;
        for (expr, meta) in [(&resource.count, "count"), (&resource.for_each, "for_each")] {
            if let Some(expr) = expr {
                dec.push(
                    Diagnostic::error(format!("`{meta}` is not allowed on a scoped data source"))
                        .with_span(expr.span)
                        .with_detail("a data source inside a `check` block is read once; it cannot be repeated"),
                );
            }
        }
        Some(resource)
    });
    let asserts: Vec<_> = content.blocks_named("assert").filter_map(|b| check_rule(dec, b)).collect();
    if content.blocks_named("assert").next().is_none() {
        dec.push(
            Diagnostic::error(format!("{what} has no `assert` block"))
                .with_span(dec.header_span(block))
                .with_detail("a check block must have at least one `assert { condition = ... error_message = ... }`"),
        );
    }
    if let Some(previous) = module.checks.get(&name) {
        let previous = previous.decl_span;
        dec.push(
            Diagnostic::error(format!("duplicate check block `{name}`"))
                .with_span(name_span)
                .with_label(previous, "first defined here")
                .with_detail("a check block's name must be unique within a module"),
        );
        return;
    }
    let check = Check { name: name.clone(), data, asserts, span: dec.span(block), decl_span: dec.header_span(block) };
    module.checks.insert(name, check);
}
