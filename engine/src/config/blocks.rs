//! Decoding the top-level blocks of one file into its [`Module`]: `terraform`, `provider`,
//! `variable`, `locals` and `output` here; `module` in [`super::module_call`]; `resource`
//! and `data` in [`super::resource`]; `moved`, `import` and `removed` in
//! [`super::state_blocks`]. Names are checked for duplicates against everything decoded so far,
//! so a duplicate in another file of the same module is found too.

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Body as HclBody, Structure};

use super::check::decode_check;
use super::decode::{Content, Decoder, Schema, did_you_mean, is_identifier, static_string};
use super::module_call::decode_module_call;
use super::resource::{decode_resource, generic_body};
use super::state_blocks::{decode_import, decode_moved, decode_removed};
use super::type_expr::parse_type;
use super::{
    BackendConfig, CheckRule, Local, Module, Output, ProviderConfig, RequiredProvider, TerraformBlock, Variable,
};
use crate::addr::ResourceMode;
use crate::diag::{Diagnostic, Span};
use crate::value::Type;

const TOP_LEVEL: &[&str] = &[
    "terraform",
    "provider",
    "variable",
    "locals",
    "output",
    "resource",
    "data",
    "module",
    "moved",
    "import",
    "removed",
    "check",
];

/// Names Terraform reserves for module call meta-arguments, so no variable may take them.
const RESERVED_VARIABLE_NAMES: &[&str] =
    &["source", "version", "providers", "count", "for_each", "lifecycle", "depends_on", "locals"];

/// Decodes one parsed file into `module`.
pub(super) fn decode_file(dec: &mut Decoder<'_>, body: &HclBody, module: &mut Module) {
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let name = attr.key.as_str();
                let span = dec.span(&attr.key);
                dec.push(
                    Diagnostic::error(format!("unexpected argument `{name}` outside of any block"))
                        .with_span(span)
                        .with_help(format!(
                            "arguments belong inside a block; for a named value, write `locals {{ {name} = ... }}`"
                        )),
                );
            }
            Structure::Block(block) => decode_block(dec, block, module),
        }
    }
}

fn decode_block(dec: &mut Decoder<'_>, block: &Block, module: &mut Module) {
    match block.ident.as_str() {
        "terraform" => decode_terraform(dec, block, module),
        "provider" => decode_provider(dec, block, module),
        "variable" => decode_variable(dec, block, module),
        "locals" => decode_locals(dec, block, module),
        "output" => decode_output(dec, block, module),
        "resource" => decode_resource(dec, block, ResourceMode::Managed, module),
        "data" => decode_resource(dec, block, ResourceMode::Data, module),
        "module" => decode_module_call(dec, block, module),
        "moved" => decode_moved(dec, block, module),
        "import" => decode_import(dec, block, module),
        "removed" => decode_removed(dec, block, module),
        "check" => decode_check(dec, block, module),
        other => {
            let span = dec.span(&block.ident);
            let mut d = Diagnostic::error(format!("unsupported block type `{other}`")).with_span(span);
            if let Some(help) = did_you_mean(other, TOP_LEVEL.iter().copied()) {
                d = d.with_help(help);
            }
            dec.push(d);
        }
    }
}

fn decode_terraform(dec: &mut Decoder<'_>, block: &Block, module: &mut Module) {
    if dec.labels(block, &[]).is_none() {
        return;
    }
    let schema = Schema {
        what: "a `terraform` block",
        attrs: &["required_version"],
        blocks: &["required_providers", "backend", "cloud", "provider_meta"],
    };
    let content = dec.content(&block.body, &schema);
    let span = dec.span(block);
    let terraform = module.terraform.get_or_insert_with(|| TerraformBlock { span: Some(span), ..Default::default() });
    if let Some(attr) = content.attrs.get("required_version")
        && let Some(version) = dec.literal_string(attr)
    {
        // Several `terraform` blocks may each constrain the version; all constraints apply.
        terraform.required_version = Some(match terraform.required_version.take() {
            Some(previous) => format!("{previous}, {version}"),
            None => version,
        });
    }
    for inner in &content.blocks {
        match inner.ident.as_str() {
            "required_providers" => decode_required_providers(dec, inner, terraform),
            "backend" => {
                let Some(labels) = dec.labels(inner, &["type"]) else { continue };
                let span = dec.span(*inner);
                if let Some(previous) = &terraform.backend {
                    let previous = previous.span;
                    dec.push(
                        Diagnostic::error("duplicate backend configuration")
                            .with_span(dec.span(&inner.ident))
                            .with_label(previous, "first defined here")
                            .with_detail("a module may have only one `backend` block"),
                    );
                    continue;
                }
                let body = generic_body(dec, &inner.body, &[], &[]);
                let kind = labels.into_iter().next().map(|(k, _)| k).unwrap_or_default();
                terraform.backend = Some(BackendConfig { kind, body, span });
            }
            // Metadata a provider may ask modules for (a module's name for usage reports):
            // no Corral provider asks, so the block is accepted and has no effect, as in
            // Terraform with providers that do not use it.
            "provider_meta" => {}
            _ => {
                let span = dec.span(&inner.ident);
                dec.error(span, "`cloud` blocks are not supported");
            }
        }
    }
}

fn decode_required_providers(dec: &mut Decoder<'_>, block: &Block, terraform: &mut TerraformBlock) {
    if dec.labels(block, &[]).is_none() {
        return;
    }
    for structure in block.body.iter() {
        let attr = match structure {
            Structure::Attribute(attr) => attr,
            Structure::Block(inner) => {
                let span = dec.span(&inner.ident);
                dec.push(
                    Diagnostic::error(format!("unexpected block `{}` in `required_providers`", inner.ident.as_str()))
                        .with_span(span)
                        .with_help("write `name = { source = \"...\", version = \"...\" }`"),
                );
                continue;
            }
        };
        let name = attr.key.as_str().to_string();
        if terraform.required_providers.contains_key(&name) {
            let span = dec.span(&attr.key);
            dec.error(span, format!("duplicate required provider `{name}`"));
            continue;
        }
        let requirement = match &attr.value {
            Expression::Object(object) => {
                let mut req = RequiredProvider { source: None, version: None };
                for (key, value) in object.iter() {
                    let key_name = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_string(),
                        ObjectKey::Expression(e) => static_string(e).unwrap_or_default(),
                    };
                    let slot = match key_name.as_str() {
                        "source" => &mut req.source,
                        "version" => &mut req.version,
                        // Declares aliases a child module expects; nothing to record yet.
                        "configuration_aliases" => continue,
                        other => {
                            let span = dec.span(key);
                            let mut d =
                                Diagnostic::error(format!("unsupported argument `{other}` in a provider requirement"))
                                    .with_span(span);
                            if let Some(help) = did_you_mean(other, ["source", "version", "configuration_aliases"]) {
                                d = d.with_help(help);
                            }
                            dec.push(d);
                            continue;
                        }
                    };
                    match static_string(value.expr()) {
                        Some(text) => *slot = Some(text),
                        None => {
                            let span = dec.span(value.expr());
                            dec.error(span, format!("`{key_name}` must be a literal string"));
                        }
                    }
                }
                req
            }
            value => match static_string(value) {
                Some(version) => {
                    let span = dec.span(&attr.key);
                    dec.push(
                        Diagnostic::warning("version-only provider requirements are deprecated")
                            .with_span(span)
                            .with_help(format!("write `{name} = {{ source = \"...\", version = \"{version}\" }}`")),
                    );
                    RequiredProvider { source: None, version: Some(version) }
                }
                None => {
                    let span = dec.span(value);
                    dec.push(
                        Diagnostic::error("invalid provider requirement")
                            .with_span(span)
                            .with_help(format!("write `{name} = {{ source = \"...\", version = \"...\" }}`")),
                    );
                    continue;
                }
            },
        };
        terraform.required_providers.insert(name, requirement);
    }
}

fn decode_provider(dec: &mut Decoder<'_>, block: &Block, module: &mut Module) {
    let Some(labels) = dec.labels(block, &["name"]) else { return };
    let (name, name_span) = labels[0].clone();
    if !dec.check_name(&name, name_span, "provider") {
        return;
    }
    let mut alias = None;
    if let Some(attr) = block.body.get_attribute("alias") {
        let span = dec.span(&attr.value);
        match static_string(&attr.value) {
            Some(text) if is_identifier(&text) => alias = Some(text),
            Some(text) => dec.error(span, format!("invalid provider alias `{text}`")),
            None => dec.error(span, "`alias` must be a literal string"),
        }
    }
    if let Some(attr) = block.body.get_attribute("version") {
        let span = dec.span(&attr.key);
        dec.push(
            Diagnostic::warning("version constraints inside `provider` blocks are deprecated and ignored")
                .with_span(span)
                .with_help(format!(
                    "set the version in `terraform {{ required_providers {{ {name} = {{ version = ... }} }} }}`"
                )),
        );
    }
    let body = generic_body(dec, &block.body, &["alias", "version"], &[]);
    let config = ProviderConfig { name, alias, body, span: dec.span(block) };
    if let Some(previous) = module.providers.iter().find(|p| p.key() == config.key()) {
        let previous = previous.span;
        let key = config.key();
        let span = match block.body.get_attribute("alias") {
            Some(attr) => dec.span(&attr.value),
            None => name_span,
        };
        dec.push(
            Diagnostic::error(format!("duplicate provider configuration `{key}`"))
                .with_span(span)
                .with_label(previous, "first defined here")
                .with_help("give one of them an `alias` to configure the provider twice"),
        );
        return;
    }
    module.providers.push(config);
}

fn decode_variable(dec: &mut Decoder<'_>, block: &Block, module: &mut Module) {
    let Some(labels) = dec.labels(block, &["name"]) else { return };
    let (name, name_span) = labels[0].clone();
    if !dec.check_name(&name, name_span, "variable") {
        return;
    }
    if RESERVED_VARIABLE_NAMES.contains(&name.as_str()) {
        dec.push(
            Diagnostic::error(format!("invalid variable name `{name}`"))
                .with_span(name_span)
                .with_detail(format!("`{name}` is reserved for a meta-argument of `module` blocks")),
        );
        return;
    }
    let schema = Schema {
        what: "a `variable` block",
        attrs: &["type", "default", "description", "sensitive", "nullable"],
        blocks: &["validation"],
    };
    let content = dec.content(&block.body, &schema);
    // Terraform reads text values of an untyped variable literally: only a declared `any` or
    // complex type makes them expressions.
    let literal_input = content.attrs.get("type").is_none();
    let (ty, optional_attrs) = match content.attrs.get("type") {
        Some(attr) => {
            let parsed = parse_type(dec, &attr.value);
            (parsed.ty, parsed.optional_attrs)
        }
        None => (Type::Dynamic, Vec::new()),
    };
    let default = content.attrs.get("default").map(|attr| {
        check_constant(dec, &attr.value);
        dec.expr(&attr.value)
    });
    let description = content.attrs.get("description").and_then(|a| dec.literal_string(a));
    let sensitive = content.attrs.get("sensitive").and_then(|a| dec.literal_bool(a)).unwrap_or(false);
    let nullable = content.attrs.get("nullable").and_then(|a| dec.literal_bool(a)).unwrap_or(true);
    let validations = check_rules(dec, &content, "validation");
    let variable = Variable {
        name: name.clone(),
        literal_input: literal_input || ty.is_primitive(),
        ty,
        optional_attrs,
        default,
        description,
        sensitive,
        nullable,
        validations,
        span: dec.span(block),
    };
    if let Some(previous) = module.variables.get(&name) {
        let previous = previous.span;
        dec.push(
            Diagnostic::error(format!("duplicate variable `{name}`"))
                .with_span(name_span)
                .with_label(previous, "first declared here")
                .with_detail("variable names must be unique within a module"),
        );
        return;
    }
    module.variables.insert(name, variable);
}

/// A variable's default must be a constant: it is read before anything else exists.
fn check_constant(dec: &mut Decoder<'_>, expr: &Expression) {
    struct Finder {
        found: Option<(&'static str, Option<std::ops::Range<usize>>)>,
    }
    impl hcl_edit::visit::Visit for Finder {
        fn visit_expr(&mut self, node: &Expression) {
            if self.found.is_some() {
                return;
            }
            let summary = match node {
                Expression::Variable(_) | Expression::Traversal(_) => "references are not allowed here",
                Expression::FuncCall(_) => "function calls are not allowed here",
                Expression::ForExpr(_) => "`for` expressions are not allowed here",
                _ => return hcl_edit::visit::visit_expr(self, node),
            };
            self.found = Some((summary, hcl_edit::Span::span(node)));
        }
    }
    let mut finder = Finder { found: None };
    hcl_edit::visit::Visit::visit_expr(&mut finder, expr);
    if let Some((summary, range)) = finder.found {
        let span = Span::new(dec.file, range.unwrap_or(0..0));
        dec.push(
            Diagnostic::error(summary).with_span(span).with_detail("a variable's default must be a literal value"),
        );
    }
}

fn check_rules(dec: &mut Decoder<'_>, content: &Content<'_>, kind: &str) -> Vec<super::CheckRule> {
    let mut rules = Vec::new();
    for block in content.blocks_named(kind) {
        if let Some(rule) = check_rule(dec, block) {
            rules.push(rule);
        }
    }
    rules
}

/// A `validation`, `precondition` or `postcondition` block.
pub(super) fn check_rule(dec: &mut Decoder<'_>, block: &Block) -> Option<CheckRule> {
    dec.labels(block, &[])?;
    let what = format!("a `{}` block", block.ident.as_str());
    let schema = Schema { what: &what, attrs: &["condition", "error_message"], blocks: &[] };
    let content = dec.content(&block.body, &schema);
    let condition = dec.require(&content, "condition", block, &what);
    let error_message = dec.require(&content, "error_message", block, &what);
    Some(CheckRule {
        condition: dec.expr(&condition?.value),
        error_message: dec.expr(&error_message?.value),
        span: dec.span(block),
    })
}

fn decode_locals(dec: &mut Decoder<'_>, block: &Block, module: &mut Module) {
    if dec.labels(block, &[]).is_none() {
        return;
    }
    for structure in block.body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let name = attr.key.as_str().to_string();
                let name_span = dec.span(&attr.key);
                if !dec.check_name(&name, name_span, "local value") {
                    continue;
                }
                if let Some(previous) = module.locals.get(&name) {
                    let previous = previous.span;
                    dec.push(
                        Diagnostic::error(format!("duplicate local value `{name}`"))
                            .with_span(name_span)
                            .with_label(previous, "first defined here")
                            .with_detail("local value names must be unique within a module"),
                    );
                    continue;
                }
                let local = Local { name: name.clone(), value: dec.expr(&attr.value), span: dec.span(attr) };
                module.locals.insert(name, local);
            }
            Structure::Block(inner) => {
                let span = dec.span(&inner.ident);
                dec.push(
                    Diagnostic::error(format!("unsupported block type `{}` in a `locals` block", inner.ident.as_str()))
                        .with_span(span)
                        .with_detail("a `locals` block holds only `name = value` arguments"),
                );
            }
        }
    }
}

fn decode_output(dec: &mut Decoder<'_>, block: &Block, module: &mut Module) {
    let Some(labels) = dec.labels(block, &["name"]) else { return };
    let (name, name_span) = labels[0].clone();
    if !dec.check_name(&name, name_span, "output") {
        return;
    }
    let schema = Schema {
        what: "an `output` block",
        attrs: &["value", "description", "sensitive", "depends_on"],
        blocks: &["precondition"],
    };
    let content = dec.content(&block.body, &schema);
    let value = dec.require(&content, "value", block, "an `output` block");
    let description = content.attrs.get("description").and_then(|a| dec.literal_string(a));
    let sensitive = content.attrs.get("sensitive").and_then(|a| dec.literal_bool(a)).unwrap_or(false);
    let depends_on = content.attrs.get("depends_on").map(|a| dec.reference_list(a)).unwrap_or_default();
    let preconditions = check_rules(dec, &content, "precondition");
    if let Some(previous) = module.outputs.get(&name) {
        let previous = previous.span;
        dec.push(
            Diagnostic::error(format!("duplicate output `{name}`"))
                .with_span(name_span)
                .with_label(previous, "first defined here")
                .with_detail("output names must be unique within a module"),
        );
        return;
    }
    let Some(value) = value else { return };
    let output = Output {
        name: name.clone(),
        value: dec.expr(&value.value),
        description,
        sensitive,
        depends_on,
        preconditions,
        span: dec.span(block),
    };
    module.outputs.insert(name, output);
}
