//! `corral providers`: the providers the configuration requires, module by module, and
//! those of the objects in state, in the form of `terraform providers`; `corral providers
//! schema`: every available provider's schema, as JSON (`--json`) or as JSON Schema files
//! (`--json-schema --out DIR`, what `schemas/` holds).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context as _;
use corral_engine::config::{Config, Module};
use corral_engine::runtime::{self, ProviderAddr};
use corral_engine::state::StateError;

use crate::args::{ProvidersArgs, ProvidersCommand, ProvidersSchemaArgs};
use crate::context::Context;

pub(crate) async fn run(ctx: &Context, args: &ProvidersArgs) -> anyhow::Result<i32> {
    match &args.command {
        Some(ProvidersCommand::Schema(args)) => schema(ctx, args),
        None => requirements(ctx).await,
    }
}

/// The requirements tree, then the providers of the state's objects.
async fn requirements(ctx: &Context) -> anyhow::Result<i32> {
    let loaded = ctx.load()?;
    let config = &loaded.config;
    let mut out = String::from("\nProviders required by configuration:\n.\n");
    write_module(&mut out, config, &config.root, "");
    out.push('\n');
    // A directory never planned or applied has no state to read, and gets none made.
    if ctx.data_dir.exists() {
        let store = ctx.store()?;
        let instances = match store.read(&ctx.workspace()).await {
            Ok(state) => state.instances,
            // A workspace not made yet holds nothing.
            Err(StateError::NoSuchWorkspace(_)) => BTreeMap::new(),
            Err(e) => return Err(anyhow::anyhow!(e)),
        };
        let in_state: BTreeSet<String> = instances
            .values()
            .map(|instance| runtime::provider_source(Some(config), &runtime::provider_key(&instance.provider)))
            .collect();
        if !in_state.is_empty() {
            out.push_str("Providers required by state:\n\n");
            for source in in_state {
                out.push_str(&format!("    provider[{source}]\n\n"));
            }
        }
    }
    print!("{out}");
    Ok(0)
}

/// One module's requirements (sorted, each with its version constraints) and then its
/// children, as a tree drawn with `prefix` before each line.
fn write_module(out: &mut String, config: &Config, module: &Module, prefix: &str) {
    let source = |name: &str| {
        runtime::provider_source(Some(config), &ProviderAddr { module: module.path.clone(), key: name.to_string() })
    };
    let mut required: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(terraform) = &module.terraform {
        for (name, requirement) in &terraform.required_providers {
            let constraints = required.entry(source(name)).or_default();
            constraints.extend(requirement.version.as_deref().map(normalized_constraint));
        }
    }
    for name in module
        .providers
        .iter()
        .map(|p| p.name.as_str())
        .chain(module.resources.values().map(|r| r.provider.name.as_str()))
    {
        required.entry(source(name)).or_default();
    }
    let lines: Vec<String> = required
        .into_iter()
        .map(|(source, constraints)| {
            let constraints = constraints.join(", ");
            if constraints.is_empty() {
                format!("provider[{source}]")
            } else {
                format!("provider[{source}] {constraints}")
            }
        })
        .chain(module.children.keys().map(|name| format!("module.{name}")))
        .collect();
    let children: Vec<&Module> = module.children.values().collect();
    let first_child = lines.len() - children.len();
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        out.push_str(&format!("{prefix}{}{line}\n", if last { "└── " } else { "├── " }));
        if let Some(child) = i.checked_sub(first_child).and_then(|c| children.get(c)) {
            write_module(out, config, child, &format!("{prefix}{}", if last { "    " } else { "│   " }));
        }
    }
}

/// A version constraint as Terraform prints it: each version of an exact or comparison
/// constraint with three parts (`>= 2.0` → `>= 2.0.0`); a pessimistic one (`~> 3.0`) keeps
/// its precision, which is its meaning.
fn normalized_constraint(text: &str) -> String {
    text.split(',')
        .map(|part| {
            let part = part.trim();
            let split = part.find(|c: char| c.is_ascii_digit()).unwrap_or(part.len());
            let (operator, version) = part.split_at(split);
            let operator = operator.trim();
            let numeric = !version.is_empty()
                && version.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            let version = if operator != "~>" && numeric {
                let mut parts: Vec<&str> = version.split('.').collect();
                parts.resize(parts.len().max(3), "0");
                parts.join(".")
            } else {
                version.to_string()
            };
            if operator.is_empty() { version } else { format!("{operator} {version}") }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn schema(ctx: &Context, args: &ProvidersSchemaArgs) -> anyhow::Result<i32> {
    // A plugin that cannot start is left out with a warning rather than failing the
    // command: the schemas of every other provider are still worth having.
    let mut broken = Vec::new();
    for plugin in &ctx.plugins {
        if let Err(e) = plugin.start() {
            eprintln!("Warning: provider `{}` is left out: {e}", plugin.name());
            broken.push(plugin.name().to_string());
        }
    }
    let schemas: BTreeMap<String, _> = ctx
        .registry
        .names()
        .filter(|name| !broken.iter().any(|b| b == name))
        .filter_map(|name| ctx.registry.get(name).map(|factory| (name.to_string(), factory.schema())))
        .collect();
    if args.json_schema {
        let Some(out) = &args.out else { anyhow::bail!("`--json-schema` needs `--out DIR`") };
        write_json_schemas(out, &schemas)?;
        return Ok(0);
    }
    let provider_schemas: serde_json::Map<String, serde_json::Value> = schemas
        .iter()
        .map(|(name, schema)| Ok((name.clone(), serde_json::to_value(&**schema)?)))
        .collect::<Result<_, serde_json::Error>>()?;
    let document = serde_json::json!({ "format_version": "1", "provider_schemas": provider_schemas });
    println!("{}", serde_json::to_string_pretty(&document)?);
    Ok(0)
}

/// Writes `DIR/<provider>/{resource,data}/<type>.json`, replacing the provider directories
/// it writes (so a removed resource type leaves no stale file behind).
fn write_json_schemas(
    out: &Path,
    schemas: &BTreeMap<String, std::sync::Arc<corral_engine::schema::ProviderSchema>>,
) -> anyhow::Result<()> {
    for (provider, schema) in schemas {
        let dir = out.join(provider);
        if dir.exists() {
            fs_err::remove_dir_all(&dir)?;
        }
        for (kind, types) in [("resource", &schema.resources), ("data", &schema.data_sources)] {
            for (type_name, resource) in types {
                let path = dir.join(kind).join(format!("{type_name}.json"));
                fs_err::create_dir_all(path.parent().context("schema path has a parent")?)?;
                let actions = if kind == "resource" { schema.actions.get(type_name) } else { None };
                let document = crate::json_schema::resource(provider, kind, type_name, resource, actions);
                fs_err::write(&path, format!("{}\n", serde_json::to_string_pretty(&document)?))?;
            }
        }
        // Functions are signatures, not documents to validate: a schema that accepts anything
        // and carries them as an annotation, like the other `x-corral-*` ones.
        if !schema.functions.is_empty() {
            fs_err::create_dir_all(&dir)?;
            let document = serde_json::json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": format!("{provider} functions"),
                "description": format!("The functions of provider `{provider}`, called as `provider::{provider}::NAME(...)`"),
                "x-corral-functions": schema.functions,
            });
            fs_err::write(dir.join("functions.json"), format!("{}\n", serde_json::to_string_pretty(&document)?))?;
        }
    }
    Ok(())
}
