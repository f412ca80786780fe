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

use crate::backend::{BACKENDS, BackendSettings};

/// Where the backend's settings came from, for messages.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    Block(Span),
    File(Span),
    CommandLine,
}

/// One backend setting: its constant value, and where it was given.
#[derive(Debug, Clone)]
pub(crate) struct Setting {
    pub value: serde_json::Value,
    pub origin: Origin,
}

pub(crate) async fn run(ctx: &Context, args: &InitArgs) -> anyhow::Result<i32> {
    let mut not_config = settings_files(ctx, &args.backend_config);
    not_config.extend(crate::backend::settings_files(&ctx.root, &ctx.data_dir));
    crate::modules::install(ctx, not_config, args.upgrade).await?;
    let mut loaded = ctx.load_for_init(settings_files(ctx, &args.backend_config))?;
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
            let wanted = BackendSettings {
                kind: kind.clone(),
                config: settings.iter().map(|(name, setting)| (name.clone(), setting.value.clone())).collect(),
            };
            super::init_backend::set_up(ctx, args, wanted, &settings, backend_span, &mut diags).await?;
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
            if let Some(value) = constant(attribute, diags) {
                settings.insert(attribute.name.clone(), Setting { value, origin: Origin::Block(attribute.span) });
            }
        }
    }
    for item in given {
        match item.split_once('=') {
            Some((key, value)) if is_pair(item) => {
                let value = serde_json::Value::String(value.to_string());
                settings.insert(key.trim().to_string(), Setting { value, origin: Origin::CommandLine });
            }
            _ => match read_settings_file(&work_dir.join(item), sources, diags) {
                Some(from_file) => settings.extend(from_file),
                None => continue,
            },
        }
    }
    (kind, settings, block.map(|b| b.span))
}

/// The `--backend-config` items that name files (not `KEY=VALUE` pairs), as paths.
pub(crate) fn settings_files(ctx: &Context, given: &[String]) -> Vec<std::path::PathBuf> {
    given.iter().filter(|item| !is_pair(item)).map(|item| ctx.work_dir.join(item)).collect()
}

/// Whether a `--backend-config` item is a `KEY=VALUE` pair rather than a file name.
fn is_pair(item: &str) -> bool {
    item.split_once('=').is_some_and(|(key, _)| !key.trim().is_empty() && !key.contains(['/', '\\', '.']))
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
    // Shown as the configuration loader shows files: relative to the working directory.
    let cwd = std::env::current_dir().unwrap_or_default();
    let shown = path.strip_prefix(&cwd).map_or_else(|_| path.to_path_buf(), Path::to_path_buf);
    let file = sources.add(shown, text.clone());
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
        .map(|(name, value, span)| (name, Setting { value: value.to_json(), origin: Origin::File(span) }))
        .collect();
    Some(settings)
}

/// Whether a backend setting is a constant, as Terraform requires (no variables, no
/// resources); says why not.
fn constant(attribute: &Attribute, diags: &mut Diagnostics) -> Option<serde_json::Value> {
    let (value, d) = lang::eval(&attribute.value, &ConstScope);
    let ok = !d.has_errors();
    diags.extend(d);
    ok.then(|| value.to_json())
}

/// Refuses a backend Corral cannot use, and settings the backend does not take.
fn check_backend(kind: &str, settings: &BTreeMap<String, Setting>, span: Option<Span>, diags: &mut Diagnostics) {
    if !BACKENDS.contains(&kind) {
        let mut diag = Diagnostic::error(format!("Unsupported backend type \"{kind}\""))
            .with_detail(format!("Corral keeps state with the {} backends.", BACKENDS.join(", ")))
            .with_help("remove the `backend` block to keep the state in .corral/state");
        if let Some(span) = span {
            diag = diag.with_span(span);
        }
        diags.push(diag);
        return;
    }
    // The local backend keeps one redb file per workspace in `.corral/state`; Terraform's
    // `path` and `workspace_dir` name JSON state files, which Corral does not write. The pg
    // backend takes Terraform's `conn_str` and `schema_name`; Corral always makes and
    // migrates its own tables, so the `skip_*` settings have nothing to skip.
    let allowed = crate::backend::settings_of(kind);
    for (name, setting) in settings.iter().filter(|(name, _)| !allowed.contains(&name.as_str())) {
        let detail = if kind == "local" {
            "Corral's local backend keeps each workspace's state in .corral/state/<workspace>.redb; import a Terraform state file with `corral state push`.".to_string()
        } else {
            format!(
                "The {kind} backend takes {}.",
                allowed.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" and ")
            )
        };
        let mut diag = Diagnostic::error(format!("The {kind} backend takes no `{name}`")).with_detail(detail);
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
