//! `corral validate`: load, build the graph, and check every resource body against its
//! provider's schema with all values unknown. No state, no API calls.

use corral_engine::diag::{Diagnostic, Diagnostics, Span};
use corral_engine::lang::{self, Scope, Subject};
use corral_engine::runtime::{resolve_provider, resource_schema};
use corral_engine::value::Value;

use crate::args::ValidateArgs;
use crate::context::Context;
use crate::ui::Reported;

/// Everything is unknown: only shapes and types are checked.
struct UnknownScope;

impl Scope for UnknownScope {
    fn lookup(&self, _subject: &Subject, _span: Span) -> Result<Value, Diagnostic> {
        Ok(Value::unknown())
    }

    fn pure_only(&self) -> bool {
        true
    }
}

pub(crate) fn run(ctx: &Context, args: &ValidateArgs) -> anyhow::Result<i32> {
    let loaded = match ctx.load_for_providers() {
        Ok(l) => l,
        Err(e) if e.is::<Reported>() && args.json => {
            println!("{}", serde_json::json!({"valid": false}));
            return Ok(1);
        }
        Err(e) => return Err(e),
    };
    let mut diags = Diagnostics::new();
    // One error per missing provider, not one per resource that uses it.
    let mut missing: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for module in loaded.config.modules() {
        // Scoped data sources of `check` blocks are checked like any other.
        let scoped = module.checks.values().filter_map(|check| check.data.as_ref());
        for resource in module.resources.values().chain(scoped) {
            let provider = resolve_provider(&loaded.config, &module.path, &resource.provider);
            if ctx.registry.get(provider.name()).is_none() {
                if missing.insert(provider.name().to_string()) {
                    let available: Vec<&str> = ctx.registry.names().collect();
                    diags.push(
                        Diagnostic::error(format!("Provider `{}` is not available", provider.name()))
                            .with_span(resource.decl_span)
                            .with_help(format!("available providers: {}", available.join(", "))),
                    );
                }
                continue;
            }
            let Some(schema) = resource_schema(&ctx.registry, &provider, &resource.addr) else {
                diags.push(Diagnostic::error("Invalid resource type").with_span(resource.decl_span).with_detail(
                    format!(
                        "The provider `{}` does not support resource type \"{}\"",
                        provider.name(),
                        resource.addr.type_name
                    ),
                ));
                continue;
            };
            let (_, d) = lang::eval_body(&resource.body, &schema.block, &UnknownScope);
            diags.extend(d);
        }
    }
    ctx.report(&diags, &loaded.config.sources);
    let valid = !diags.has_errors();
    if args.json {
        println!("{}", serde_json::json!({"valid": valid, "error_count": diags.errors().count()}));
    } else if valid {
        println!("Success! The configuration is valid.");
    }
    Ok(if valid { 0 } else { 1 })
}
