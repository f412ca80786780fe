//! The `configuration` part of the plan JSON: the module tree as written, in the shape of
//! Terraform's `jsonconfig` (provider configurations flattened into `provider_config`,
//! then per module its outputs, resources, module calls and variables). Expressions are not
//! evaluated: each is `{"constant_value": V}` when it refers to nothing and evaluates
//! without functions (as Terraform evaluates it with no context at all), and/or
//! `{"references": [...]}` listing every reference with each of its shorter prefixes, so
//! that policies can match `aws_instance.web` by string equality alone.
//!
//! Secrets: no constant a write-only attribute may draw from is written (only references;
//! see `json_secrets`), nor the default of a variable that feeds one; other constants are
//! written as Terraform writes them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value as J};

use crate::addr::{ModulePath, ResourceMode};
use crate::config::{Body, Config, Expr, Module, Resource};
use crate::diag::{Diagnostic, Span};
use crate::lang::{Functions, Reference, Scope, Subject, eval_with, references};
use crate::runtime::{ProviderAddr, provider_source, resolve_provider};
use crate::schema::{BlockSchema, Nesting, ProviderSchema};
use crate::value::{PathStep, Value};

use super::json_secrets::Tainted;

/// Provider schemas by provider type name (`kmr`), for schema versions and for knowing
/// which attributes are write-only. A provider missing here is treated as unknown: schema
/// version 0, and no constant of its resources is written (any could be write-only).
pub type ProviderSchemas = BTreeMap<String, Arc<ProviderSchema>>;

/// `configuration`. `write_only_variables` are the root variables the plan found feeding
/// write-only attributes: their defaults stay out.
pub(super) fn configuration(config: &Config, schemas: &ProviderSchemas, write_only_variables: &BTreeSet<String>) -> J {
    let writer = Writer { config, schemas, tainted: Tainted::find(config, schemas), write_only_variables };
    let mut provider_config = Map::new();
    for module in config.modules() {
        writer.provider_configs(module, &mut provider_config);
    }
    let mut out = Map::new();
    out.insert("provider_config".into(), J::Object(provider_config));
    out.insert("root_module".into(), writer.module_json(&config.root));
    J::Object(out)
}

struct Writer<'a> {
    config: &'a Config,
    schemas: &'a ProviderSchemas,
    tainted: Tainted,
    write_only_variables: &'a BTreeSet<String>,
}

/// Terraform's opaque provider key: `kmr.west` in the root, `module.a:kmr.west` below. The
/// same text as a resource change's `provider`.
fn provider_key(module: &ModulePath, key: &str) -> String {
    if module.is_root() { key.to_string() } else { format!("{module}:{key}") }
}

impl Writer<'_> {
    fn provider_configs(&self, module: &Module, out: &mut Map<String, J>) {
        let required = module.terraform.as_ref().map(|t| &t.required_providers);
        let describe = |name: &str| {
            let mut entry = Map::new();
            entry.insert("name".into(), name.into());
            let addr = ProviderAddr { module: module.path.clone(), key: name.to_string() };
            entry.insert("full_name".into(), provider_source(Some(self.config), &addr).into());
            if let Some(version) = required.and_then(|r| r.get(name)).and_then(|r| r.version.as_ref()) {
                entry.insert("version_constraint".into(), version.clone().into());
            }
            if !module.path.is_root() {
                entry.insert("module_address".into(), module.path.to_string().into());
            }
            entry
        };
        for provider in &module.providers {
            let mut entry = describe(&provider.name);
            if let Some(alias) = &provider.alias {
                entry.insert("alias".into(), alias.clone().into());
            }
            let schema = self.schemas.get(&provider.name).map(|s| &s.provider);
            entry.insert("expressions".into(), J::Object(self.expressions(&provider.body, schema)));
            out.insert(provider_key(&module.path, &provider.key()), J::Object(entry));
        }
        // A required provider without a configuration block is listed too.
        for name in required.into_iter().flat_map(|r| r.keys()) {
            let key = provider_key(&module.path, name);
            if !out.contains_key(&key) {
                out.insert(key, J::Object(describe(name)));
            }
        }
    }

    fn module_json(&self, module: &Module) -> J {
        let mut out = Map::new();
        let outputs: Map<String, J> = module
            .outputs
            .values()
            .map(|output| {
                let mut entry = Map::new();
                if output.sensitive {
                    entry.insert("sensitive".into(), true.into());
                }
                entry.insert("expression".into(), self.expression(&output.value, true));
                if let Some(description) = &output.description {
                    entry.insert("description".into(), description.clone().into());
                }
                if !output.depends_on.is_empty() {
                    entry.insert("depends_on".into(), output.depends_on.iter().filter_map(subject_of).collect());
                }
                (output.name.clone(), J::Object(entry))
            })
            .collect();
        out.insert("outputs".into(), J::Object(outputs));

        // Managed resources, then data sources, each in address order, as Terraform lists them.
        let mut resources: Vec<&Resource> = module.resources.values().collect();
        resources.sort_by_key(|r| (r.addr.mode != ResourceMode::Managed, r.addr.to_string()));
        out.insert("resources".into(), resources.iter().map(|r| self.resource_json(module, r)).collect());

        let calls: Map<String, J> = module
            .module_calls
            .values()
            .map(|call| {
                let mut entry = Map::new();
                entry.insert("source".into(), call.source.clone().into());
                let arguments: Map<String, J> =
                    call.arguments.values().map(|a| (a.name.clone(), self.expression(&a.value, true))).collect();
                entry.insert("expressions".into(), J::Object(arguments));
                self.repetition(&mut entry, call.count.as_ref(), call.for_each.as_ref());
                if let Some(child) = module.children.get(&call.name) {
                    entry.insert("module".into(), self.module_json(child));
                }
                if !call.depends_on.is_empty() {
                    entry.insert("depends_on".into(), call.depends_on.iter().filter_map(subject_of).collect());
                }
                (call.name.clone(), J::Object(entry))
            })
            .collect();
        out.insert("module_calls".into(), J::Object(calls));

        let variables: Map<String, J> = module
            .variables
            .values()
            .map(|variable| {
                let mut entry = Map::new();
                let secret = self.tainted.variable(&module.path, &variable.name)
                    || (module.path.is_root() && self.write_only_variables.contains(&variable.name));
                if let Some(default) = variable.default.as_ref().filter(|_| !secret) {
                    // Terraform writes the default converted to the declared type.
                    if let Some(value) = constant(default).and_then(|v| crate::lang::convert(v, &variable.ty).ok()) {
                        entry.insert("default".into(), value.to_json());
                    }
                }
                if let Some(description) = &variable.description {
                    entry.insert("description".into(), description.clone().into());
                }
                if variable.sensitive {
                    entry.insert("sensitive".into(), true.into());
                }
                (variable.name.clone(), J::Object(entry))
            })
            .collect();
        out.insert("variables".into(), J::Object(variables));
        J::Object(out)
    }

    fn resource_json(&self, module: &Module, resource: &Resource) -> J {
        let addr = &resource.addr;
        let mut out = Map::new();
        out.insert("address".into(), addr.to_string().into());
        out.insert("mode".into(), if addr.mode == ResourceMode::Managed { "managed" } else { "data" }.into());
        out.insert("type".into(), addr.type_name.clone().into());
        out.insert("name".into(), addr.name.clone().into());
        let provider = resolve_provider(self.config, &module.path, &resource.provider);
        out.insert("provider_config_key".into(), provider.to_string().into());
        let schema = self.schemas.get(&resource.provider.name).and_then(|s| match addr.mode {
            ResourceMode::Managed => s.resources.get(&addr.type_name),
            ResourceMode::Data => s.data_sources.get(&addr.type_name),
        });
        out.insert("expressions".into(), J::Object(self.expressions(&resource.body, schema.map(|s| &s.block))));
        out.insert("schema_version".into(), schema.map_or(0, |s| s.version).into());
        self.repetition(&mut out, resource.count.as_ref(), resource.for_each.as_ref());
        if !resource.depends_on.is_empty() {
            out.insert("depends_on".into(), resource.depends_on.iter().filter_map(subject_of).collect());
        }
        J::Object(out)
    }

    /// `count_expression` or `for_each_expression`, whichever is set.
    fn repetition(&self, out: &mut Map<String, J>, count: Option<&Expr>, for_each: Option<&Expr>) {
        if let Some(count) = count {
            out.insert("count_expression".into(), self.expression(count, true));
        } else if let Some(for_each) = for_each {
            out.insert("for_each_expression".into(), self.expression(for_each, true));
        }
    }

    /// A body's attributes as expressions and its nested blocks as nested expression objects
    /// (a list per block type; one object for a single block; by label for a map of blocks).
    /// `dynamic` blocks are left out, as Terraform leaves them out. Without a schema no constant
    /// is written: any attribute could be write-only.
    fn expressions(&self, body: &Body, schema: Option<&BlockSchema>) -> Map<String, J> {
        let mut out = Map::new();
        for (name, attribute) in &body.attributes {
            let write_only = schema.is_none_or(|s| s.attributes.get(name).is_none_or(|a| a.write_only));
            out.insert(name.clone(), self.expression(&attribute.value, !write_only));
        }
        let mut lists: BTreeMap<&str, Vec<J>> = BTreeMap::new();
        let mut maps: BTreeMap<&str, Map<String, J>> = BTreeMap::new();
        for block in body.blocks.iter().filter(|b| b.dynamic.is_none()) {
            let nested = schema.and_then(|s| s.blocks.get(&block.type_name));
            let inner = J::Object(self.expressions(&block.body, nested.map(|n| &n.block)));
            match nested.map(|n| n.nesting) {
                Some(Nesting::Single) => {
                    out.insert(block.type_name.clone(), inner);
                }
                Some(Nesting::Map) => {
                    let label = block.labels.first().cloned().unwrap_or_default();
                    maps.entry(&block.type_name).or_default().insert(label, inner);
                }
                _ => lists.entry(&block.type_name).or_default().push(inner),
            }
        }
        out.extend(lists.into_iter().map(|(k, v)| (k.to_string(), J::Array(v))));
        out.extend(maps.into_iter().map(|(k, v)| (k.to_string(), J::Object(v))));
        out
    }

    /// One expression: its constant value (when `constant_allowed`, no write-only value may flow
    /// from it, and it has one) and its references.
    fn expression(&self, expr: &Expr, constant_allowed: bool) -> J {
        let mut out = Map::new();
        if constant_allowed
            && !self.tainted.expr(expr)
            && let Some(value) = constant(expr)
        {
            out.insert("constant_value".into(), value.to_json());
        }
        let refs: Vec<J> = references(expr).iter().flat_map(reference_texts).map(J::String).collect();
        if !refs.is_empty() {
            out.insert("references".into(), J::Array(refs));
        }
        J::Object(out)
    }
}

/// The value of an expression that refers to nothing and calls no function, as Terraform
/// evaluates an expression with no context; `None` when it has no such value.
pub(super) fn constant(expr: &Expr) -> Option<Value> {
    let (value, diags) = eval_with(expr, &NothingInScope, &Functions::new());
    (!diags.has_errors() && value.is_wholly_known()).then_some(value)
}

struct NothingInScope;

impl Scope for NothingInScope {
    fn lookup(&self, _subject: &Subject, span: Span) -> Result<Value, Diagnostic> {
        Err(Diagnostic::error("Variables not allowed").with_span(span))
    }
}

/// What a `depends_on` entry names (Terraform's `ref.Subject.String()`).
fn subject_of(expr: &Expr) -> Option<J> {
    let reference = references(expr).into_iter().next()?;
    let (subject, _, _) = split(&reference);
    Some(J::String(subject))
}

/// A reference as Terraform's `jsonconfig` lists it: the full traversal, then each shorter
/// prefix down to the referenceable subject, then the subject without its instance key
/// (`aws_instance.a[0].id`, `aws_instance.a[0]`, `aws_instance.a`).
pub(super) fn reference_texts(reference: &Reference) -> Vec<String> {
    let (subject, remaining, base) = split(reference);
    let mut out = Vec::new();
    for len in (1..=remaining.len()).rev() {
        out.push(format!("{subject}{}", steps_text(&remaining[..len])));
    }
    out.push(subject);
    out.extend(base);
    out
}

/// A reference's subject as Terraform's parser draws it (a resource takes a following index
/// as its instance key; a module call takes its key and then the output name), the steps
/// after it, and the shorter form Terraform adds after the subject, if any.
fn split(reference: &Reference) -> (String, &[PathStep], Option<String>) {
    let rest = reference.rest.as_slice();
    let is_key = |step: &PathStep| matches!(step, PathStep::Index(_) | PathStep::Key(_));
    match &reference.subject {
        Subject::Resource(addr) => match rest.first() {
            Some(step) if is_key(step) => {
                (format!("{addr}{}", steps_text(&rest[..1])), &rest[1..], Some(addr.to_string()))
            }
            _ => (addr.to_string(), rest, None),
        },
        Subject::ModuleCall(name) => {
            let call = format!("module.{name}");
            let (instance, rest, keyed) = match rest.first() {
                Some(step) if is_key(step) => (format!("{call}{}", steps_text(&rest[..1])), &rest[1..], true),
                _ => (call.clone(), rest, false),
            };
            match rest.first() {
                Some(PathStep::Attr(output)) => (format!("{instance}.{output}"), &rest[1..], Some(instance)),
                _ => (instance, rest, keyed.then_some(call)),
            }
        }
        other => (subject_text(other), rest, None),
    }
}

fn subject_text(subject: &Subject) -> String {
    match subject {
        Subject::Var(name) => format!("var.{name}"),
        Subject::Local(name) => format!("local.{name}"),
        Subject::ModuleCall(name) => format!("module.{name}"),
        Subject::Resource(addr) => addr.to_string(),
        Subject::CountIndex => "count.index".to_string(),
        Subject::EachKey => "each.key".to_string(),
        Subject::EachValue => "each.value".to_string(),
        Subject::PathModule => "path.module".to_string(),
        Subject::PathRoot => "path.root".to_string(),
        Subject::PathCwd => "path.cwd".to_string(),
        Subject::TerraformWorkspace => "terraform.workspace".to_string(),
        Subject::SelfObject => "self".to_string(),
    }
}

/// Traversal steps as HCL writes them: `.name`, `[0]`, `["key"]`.
fn steps_text(steps: &[PathStep]) -> String {
    steps
        .iter()
        .map(|step| match step {
            PathStep::Attr(name) => format!(".{name}"),
            PathStep::Index(i) => format!("[{i}]"),
            PathStep::Key(key) => format!("[{}]", J::String(key.clone())),
        })
        .collect()
}
