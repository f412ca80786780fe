//! `corral init`: makes a working directory ready, the way `terraform init` does, so a
//! pipeline's `init` step passes or fails before any plan. It checks the configuration,
//! settles the backend (the configuration's `backend` block with `--backend-config` over it),
//! creates the state store, and launches every provider the configuration names, which checks
//! each plugin's protocol version in the handshake. Running it again changes nothing.

use std::collections::BTreeMap;
use std::path::Path;

use corral_engine::config::{Attribute, BackendConfig, Config};
use corral_engine::diag::{Diagnostic, Diagnostics, SourceMap, Span};
use corral_engine::lang;
use corral_engine::runtime::nodes::ConstScope;
use corral_engine::runtime::resolve_provider;

use crate::args::InitArgs;
use crate::context::Context;

/// The backends Corral can keep state in.
const BACKENDS: &[&str] = &["local"];

/// Where the backend's settings came from, for messages.
#[derive(Debug, Clone)]
enum Origin {
    Block(Span),
    File(Span),
    CommandLine,
}

/// One backend setting, by where it was given (its value is checked to be a constant).
#[derive(Debug, Clone)]
struct Setting {
    origin: Origin,
}

pub(crate) async fn run(ctx: &Context, args: &InitArgs) -> anyhow::Result<i32> {
    let mut loaded = ctx.load_for_providers()?;
    let mut diags = Diagnostics::new();

    if args.backend {
        println!("Initializing the backend...");
        let block = loaded.config.root.terraform.as_ref().and_then(|t| t.backend.as_ref());
        // `--backend-config` files join the configuration's sources, so errors in them point
        // at their lines too.
        let (kind, settings, backend_span) =
            backend_settings(block, &mut loaded.config.sources, &ctx.work_dir, &args.backend_config, &mut diags);
        check_backend(&kind, &settings, backend_span, &mut diags);
        if !diags.has_errors() {
            let state_dir = ctx.data_dir.join("state");
            corral_engine::state::secure_fs::create_private_dir_all(&state_dir)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", state_dir.display()))?;
            let store = ctx.store()?;
            let workspace = ctx.workspace();
            if let Err(e) = store.workspaces().await {
                diags.push(Diagnostic::error("Cannot read the state store").with_detail(e.to_string()));
            } else {
                println!("The {kind} backend keeps the state of workspace \"{workspace}\" in .corral/state.");
            }
        }
    }

    let config = &loaded.config;
    println!("\nInitializing provider plugins...");
    if args.upgrade {
        println!("(--upgrade: Corral looks providers up afresh on every run, so the newest found is the one used.)");
    }
    for (name, first_use) in named_providers(config) {
        let Some(factory) = ctx.registry.get(&name) else {
            let available: Vec<&str> = ctx.registry.names().collect();
            let mut diag = Diagnostic::error(format!("Provider `{name}` is not available"))
                .with_detail(format!(
                    "No built-in provider, compiled-in provider or `corral-provider-{name}` executable (in .corral/plugins, on CORRAL_PLUGIN_PATH or beside corral) is called `{name}`."
                ))
                .with_help(format!("available providers: {}", available.join(", ")));
            if let Some(span) = first_use {
                diag = diag.with_span(span);
            }
            diags.push(diag);
            continue;
        };
        match ctx.plugins.iter().find(|plugin| plugin.name() == name) {
            Some(plugin) => match plugin.start() {
                Ok(()) => {
                    let problems = factory.schema().problems();
                    if problems.is_empty() {
                        let command = plugin.command();
                        let pid = plugin.pid().map(|pid| format!(", pid {pid}")).unwrap_or_default();
                        if command.args.first().is_some_and(|arg| arg == crate::plugins::PROVIDER_SUBCOMMAND) {
                            println!("- {name}: compiled into corral, runs as a plugin process (started{pid})");
                        } else {
                            println!("- {name}: plugin {} (started{pid})", command.program.display());
                        }
                    }
                    for problem in problems {
                        diags.push(
                            Diagnostic::error(format!("Provider `{name}` declares what Corral cannot honour"))
                                .with_detail(problem),
                        );
                    }
                }
                Err(e) => diags.push(
                    Diagnostic::error(format!("Provider `{name}` could not be started")).with_detail(e.to_string()),
                ),
            },
            None => {
                let _ = factory.schema();
                println!("- {name}: built into corral");
            }
        }
    }

    ctx.report(&diags, &loaded.config.sources);
    if diags.has_errors() {
        return Ok(1);
    }
    println!("\nCorral has been successfully initialized!");
    if std::env::var_os("TF_IN_AUTOMATION").is_none() {
        println!(
            "\nYou may now begin working with Corral. Try running \"corral plan\" to see any changes\nthat are required for your infrastructure."
        );
    }
    Ok(0)
}

/// The backend kind and its settings: the root module's `backend` block, then each
/// `--backend-config` (a `KEY=VALUE` pair, or a file of attributes) over it, in order.
fn backend_settings(
    block: Option<&BackendConfig>,
    sources: &mut SourceMap,
    work_dir: &Path,
    given: &[String],
    diags: &mut Diagnostics,
) -> (String, BTreeMap<String, Setting>, Option<Span>) {
    let kind = block.map_or_else(|| "local".to_string(), |b| b.kind.clone());
    let mut settings = BTreeMap::new();
    if let Some(block) = block {
        for attribute in block.body.attributes.values() {
            if constant(attribute, diags) {
                settings.insert(attribute.name.clone(), Setting { origin: Origin::Block(attribute.span) });
            }
        }
    }
    for item in given {
        match item.split_once('=') {
            Some((key, _)) if !key.trim().is_empty() && !key.contains(['/', '\\', '.']) => {
                settings.insert(key.trim().to_string(), Setting { origin: Origin::CommandLine });
            }
            _ => match read_settings_file(&work_dir.join(item), sources, diags) {
                Some(from_file) => settings.extend(from_file),
                None => continue,
            },
        }
    }
    (kind, settings, block.map(|b| b.span))
}

/// A `--backend-config` file: `name = value` lines, each a constant.
fn read_settings_file(
    path: &Path,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Option<BTreeMap<String, Setting>> {
    let text = match fs_err::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            diags.push(Diagnostic::error("Failed to read the backend configuration file").with_detail(e.to_string()));
            return None;
        }
    };
    let file = sources.add(path.to_path_buf(), text.clone());
    let body = match hcl_edit::parser::parse_body(&text) {
        Ok(body) => body,
        Err(e) => {
            let offset = e.location().offset();
            diags.push(Diagnostic::error(e.message().to_string()).with_span(Span::new(file, offset..offset)));
            return None;
        }
    };
    let settings = crate::variables::assignments(file, &body, diags)
        .into_iter()
        .map(|(name, _, span)| (name, Setting { origin: Origin::File(span) }))
        .collect();
    Some(settings)
}

/// Whether a backend setting is a constant, as Terraform requires (no variables, no
/// resources); says why not.
fn constant(attribute: &Attribute, diags: &mut Diagnostics) -> bool {
    let (_, d) = lang::eval(&attribute.value, &ConstScope);
    let ok = !d.has_errors();
    diags.extend(d);
    ok
}

/// Refuses a backend Corral cannot use, and settings the backend does not take.
fn check_backend(kind: &str, settings: &BTreeMap<String, Setting>, span: Option<Span>, diags: &mut Diagnostics) {
    if !BACKENDS.contains(&kind) {
        let mut diag = Diagnostic::error(format!("Unsupported backend type \"{kind}\""))
            .with_detail(format!("Corral keeps state with the {} backend.", BACKENDS.join(", ")))
            .with_help("remove the `backend` block to keep the state in .corral/state");
        if let Some(span) = span {
            diag = diag.with_span(span);
        }
        diags.push(diag);
        return;
    }
    // The local backend keeps one redb file per workspace in `.corral/state`; Terraform's
    // `path` and `workspace_dir` name JSON state files, which Corral does not write.
    for (name, setting) in settings {
        let mut diag = Diagnostic::error(format!("The {kind} backend takes no `{name}`")).with_detail(
            "Corral's local backend keeps each workspace's state in .corral/state/<workspace>.redb; import a Terraform state file with `corral state push`.",
        );
        diag = match setting.origin {
            Origin::Block(span) | Origin::File(span) => diag.with_span(span),
            Origin::CommandLine => diag.with_help(format!("`{name}` was given with --backend-config")),
        };
        diags.push(diag);
    }
}

/// Every provider the configuration names (provider blocks, `required_providers`, and the
/// provider each resource resolves to), with where it is first used.
fn named_providers(config: &Config) -> BTreeMap<String, Option<Span>> {
    let mut names: BTreeMap<String, Option<Span>> = BTreeMap::new();
    for module in config.modules() {
        for provider in &module.providers {
            names.entry(provider.name.clone()).or_insert(Some(provider.span));
        }
        if let Some(terraform) = &module.terraform {
            for name in terraform.required_providers.keys() {
                names.entry(name.clone()).or_insert(terraform.span);
            }
        }
        for resource in module.resources.values() {
            let provider = resolve_provider(config, &module.path, &resource.provider);
            names.entry(provider.name().to_string()).or_insert(Some(resource.decl_span));
        }
    }
    names
}
