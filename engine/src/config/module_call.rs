//! `module` blocks: the call's source, its meta-arguments (`count`, `for_each`,
//! `depends_on`, `providers`) and the arguments that set the child's input variables.

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Structure};

use super::decode::{Decoder, provider_ref_parts};
use super::module_source::{ModuleSource, VersionConstraint};
use super::{Module, ModuleCall, ProviderRef};
use crate::diag::Diagnostic;

/// A `module` block's own arguments; every other argument sets an input variable.
pub(super) const MODULE_META: &[&str] = &["source", "version", "count", "for_each", "depends_on", "providers"];

pub(super) fn decode_module_call(dec: &mut Decoder<'_>, block: &Block, module: &mut Module) {
    let Some(labels) = dec.labels(block, &["name"]) else { return };
    let (name, name_span) = labels[0].clone();
    if !dec.check_name(&name, name_span, "module") {
        return;
    }
    let mut call = ModuleCall {
        name: name.clone(),
        source: String::new(),
        source_span: dec.header_span(block),
        version: None,
        count: None,
        for_each: None,
        depends_on: Vec::new(),
        arguments: Default::default(),
        providers: Vec::new(),
        span: dec.span(block),
        decl_span: dec.header_span(block),
    };
    for structure in block.body.iter() {
        let attr = match structure {
            Structure::Attribute(attr) => attr,
            Structure::Block(inner) => {
                let span = dec.span(&inner.ident);
                dec.push(
                    Diagnostic::error(format!("unsupported block type `{}` in a `module` block", inner.ident.as_str()))
                        .with_span(span)
                        .with_detail("a `module` block takes only arguments: the module's input variables and its meta-arguments"),
                );
                continue;
            }
        };
        match attr.key.as_str() {
            "source" => {
                call.source_span = dec.span(&attr.value);
                let Some(source) = dec.literal_string(attr) else { continue };
                call.source = source;
            }
            "version" => {
                let span = dec.span(&attr.value);
                let Some(version) = dec.literal_string(attr) else { continue };
                if let Err(problem) = VersionConstraint::parse(&version) {
                    dec.push(Diagnostic::error("invalid version constraint").with_span(span).with_detail(problem));
                    continue;
                }
                call.version = Some((version, span));
            }
            "count" => call.count = Some(dec.expr(&attr.value)),
            "for_each" => call.for_each = Some(dec.expr(&attr.value)),
            "depends_on" => call.depends_on = dec.reference_list(attr),
            "providers" => call.providers = decode_provider_map(dec, &attr.value),
            _ => {
                let argument = dec.attribute(attr);
                call.arguments.insert(argument.name.clone(), argument);
            }
        }
    }
    if block.body.get_attribute("source").is_none() {
        let span = dec.header_span(block);
        dec.push(
            Diagnostic::error("missing required argument `source`")
                .with_span(span)
                .with_detail("a `module` block must set `source`, the path of the module's directory"),
        );
    }
    check_version_applies(dec, &call);
    check_count_and_for_each(dec, block);
    if let Some(previous) = module.module_calls.get(&name) {
        let previous = previous.decl_span;
        dec.push(
            Diagnostic::error(format!("duplicate module call `{name}`"))
                .with_span(name_span)
                .with_label(previous, "first defined here")
                .with_detail("module call names must be unique within a module"),
        );
        return;
    }
    module.module_calls.insert(name, call);
}

/// `version` constrains registry modules only, as in Terraform: a local module is the code
/// beside it and a git or HTTP package is pinned by its address (`?ref=`).
fn check_version_applies(dec: &mut Decoder<'_>, call: &ModuleCall) {
    let Some((_, span)) = &call.version else { return };
    let (what, help) = match ModuleSource::parse(&call.source) {
        ModuleSource::Registry(_) => return,
        ModuleSource::Local(_) => ("a local source", "remove `version`: a local module is always the code next to it"),
        ModuleSource::Remote(_) => (
            "a source that is not a module registry address",
            "remove `version` and pin the package in its address instead, such as `?ref=v1.2.0` for git",
        ),
    };
    dec.push(
        Diagnostic::error(format!("a module with {what} cannot have a version constraint"))
            .with_span(*span)
            .with_help(help),
    );
}

/// Reports `count` and `for_each` set together, at `for_each`.
pub(super) fn check_count_and_for_each(dec: &mut Decoder<'_>, block: &Block) {
    if let (Some(count), Some(for_each)) = (block.body.get_attribute("count"), block.body.get_attribute("for_each")) {
        let span = dec.span(&for_each.key);
        let count_span = dec.span(&count.key);
        dec.push(
            Diagnostic::error("`count` and `for_each` cannot both be set")
                .with_span(span)
                .with_label(count_span, "`count` is set here")
                .with_help("use only one of them"),
        );
    }
}

/// `providers = { child = parent, child.alias = parent.alias }`.
fn decode_provider_map(dec: &mut Decoder<'_>, expr: &Expression) -> Vec<(String, ProviderRef)> {
    let Expression::Object(object) = expr else {
        let span = dec.span(expr);
        dec.push(
            Diagnostic::error("`providers` must be a map of provider configurations")
                .with_span(span)
                .with_help("write `providers = { testing = testing.west }`"),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in object.iter() {
        let child = match key {
            ObjectKey::Ident(ident) => Some(ident.as_str().to_string()),
            ObjectKey::Expression(e) => provider_ref_parts(e).map(|(n, a)| match a {
                Some(a) => format!("{n}.{a}"),
                None => n,
            }),
        };
        let Some(child) = child else {
            let span = dec.span(key);
            dec.error(span, "invalid provider name in `providers`: expected `name` or `name.alias`");
            continue;
        };
        let Some((name, alias)) = provider_ref_parts(value.expr()) else {
            let span = dec.span(value.expr());
            dec.push(
                Diagnostic::error("invalid provider reference")
                    .with_span(span)
                    .with_help("write a provider name or `name.alias`, without quotes"),
            );
            continue;
        };
        out.push((child, ProviderRef { name, alias, span: Some(dec.span(value.expr())) }));
    }
    out
}
