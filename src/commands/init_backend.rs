//! `corral init`'s backend step: opens the configured backend (reporting one that cannot be
//! reached at the line that configures it), moves the state over when asked
//! (`-migrate-state`), refuses to leave state behind silently when the backend changed, and
//! records the backend in `.corral/backend.json` for every later command.

use std::collections::BTreeMap;

use corral_engine::diag::{Diagnostic, Diagnostics, Span};
use corral_engine::state::StateStore;

use super::init::{Origin, Setting};
use crate::args::InitArgs;
use crate::backend::{self, BackendRecord, BackendSettings, migrate};
use crate::context::Context;

pub(crate) async fn set_up(
    ctx: &Context,
    args: &InitArgs,
    wanted: BackendSettings,
    settings: &BTreeMap<String, Setting>,
    block_span: Option<Span>,
    diags: &mut Diagnostics,
) -> anyhow::Result<()> {
    let kind = wanted.kind.clone();
    let found = backend::block::find(&ctx.root)?;
    let origin = backend::origin(ctx, &wanted, found.as_ref());
    // Where a connection problem is shown: the `conn_str` line, else the block.
    let at = settings.get("conn_str").and_then(|s| match s.origin {
        Origin::Block(span) | Origin::File(span) => Some(span),
        Origin::CommandLine => None,
    });
    let unreachable = |detail: String| {
        Diagnostic::error(format!("Cannot use the {kind} backend")).with_detail(detail).with_opt_span(at.or(block_span))
    };
    if kind == "local" {
        let state_dir = ctx.data_dir.join("state");
        corral_engine::state::secure_fs::create_private_dir_all(&state_dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", state_dir.display()))?;
    }
    let store = match backend::store_for(ctx, &wanted, origin) {
        Ok(store) => store,
        Err(e) => {
            diags.push(unreachable(format!("{e:#}")));
            return Ok(());
        }
    };
    if let Err(e) = store.workspaces().await {
        diags.push(unreachable(e.to_string()));
        return Ok(());
    }

    let previous = backend::read_record(&ctx.data_dir)?.map_or_else(BackendSettings::local, |r| r.backend);
    if previous != wanted && !args.reconfigure {
        let old = backend::store_for(ctx, &previous, format!("the previous backend \"{}\"", previous.kind))?;
        if args.migrate_state {
            println!("Migrating the state from the \"{}\" backend to the \"{kind}\" backend...", previous.kind);
            let copied =
                migrate::migrate(ctx, old.as_ref(), store.as_ref(), args.force_copy, args.lock.lock_timeout).await?;
            for (workspace, what) in copied {
                match what {
                    migrate::Copied::Serial(serial) => {
                        println!("- workspace \"{workspace}\": copied (serial {serial})")
                    }
                    migrate::Copied::AlreadyThere(serial) => {
                        println!("- workspace \"{workspace}\": already there (serial {serial})");
                    }
                    migrate::Copied::Empty => println!("- workspace \"{workspace}\": no state yet"),
                }
            }
        } else if holds_state(old.as_ref()).await? {
            diags.push(
                Diagnostic::error("Backend configuration changed")
                    .with_detail(format!(
                        "The state is kept by the \"{}\" backend so far and this configuration names the \"{kind}\" backend. Corral does not leave state behind silently.",
                        previous.kind
                    ))
                    .with_help("run `corral init -migrate-state` to copy the state to the new backend, or `corral init -reconfigure` to use the new backend as it is")
                    .with_opt_span(block_span),
            );
            return Ok(());
        }
    }
    let mut record = BackendRecord::new(wanted, found.as_ref().map(backend::block::BackendBlock::settings));
    record.settings_files = in_config_dir(ctx, &super::init::settings_files(ctx, &args.backend_config));
    backend::write_record(&ctx.data_dir, &record)?;
    let workspace = ctx.workspace();
    if kind == "local" {
        println!("The {kind} backend keeps the state of workspace \"{workspace}\" in .corral/state.");
    } else {
        println!(
            "\nSuccessfully configured the backend \"{kind}\"! Corral will automatically\nuse this backend unless the backend configuration changes."
        );
    }
    Ok(())
}

/// Whether a backend holds anything worth moving: a written state or a workspace besides
/// `default`.
async fn holds_state(store: &dyn StateStore) -> anyhow::Result<bool> {
    for workspace in store.workspaces().await.map_err(|e| anyhow::anyhow!(e))? {
        if workspace != corral_engine::state::DEFAULT_WORKSPACE {
            return Ok(true);
        }
        let state = store.read(&workspace).await.map_err(|e| anyhow::anyhow!(e))?;
        if state.serial > 0 || !state.lineage.is_nil() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The names of those `files` that lie in the configuration directory (the only ones the
/// configuration loader could mistake for configuration).
fn in_config_dir(ctx: &Context, files: &[std::path::PathBuf]) -> Vec<String> {
    let Ok(root) = ctx.root.canonicalize() else { return Vec::new() };
    let mut names: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let file = file.canonicalize().ok()?;
            (file.parent() == Some(root.as_path())).then(|| file.file_name()?.to_str().map(str::to_string)).flatten()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}
