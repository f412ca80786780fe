//! `corral providers schema`: every available provider's schema, as JSON (`--json`) or as
//! JSON Schema files (`--json-schema --out DIR`, what `schemas/` holds).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;

use crate::args::{ProvidersCommand, ProvidersSchemaArgs};
use crate::context::Context;

pub(crate) fn run(ctx: &Context, command: &ProvidersCommand) -> anyhow::Result<i32> {
    match command {
        ProvidersCommand::Schema(args) => schema(ctx, args),
    }
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
