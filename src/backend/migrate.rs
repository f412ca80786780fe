//! `corral init -migrate-state`: copies every workspace from the backend in use to the newly
//! configured one, with its lineage, serial, records, unfinished operations (intents) and its
//! key, each under both backends' locks.
//!
//! A destination that already holds the same state (same lineage and serial, same records)
//! is left alone, so moving back to a backend the state came from keeps the serial; one that
//! holds an older serial of the same lineage is brought forward; any other state there is
//! refused unless `-force-copy` says to replace it.

use std::time::Duration;

use corral_engine::state::{State, StateError, StateStore};

use crate::context::Context;

/// What happened to one workspace.
pub(crate) enum Copied {
    /// Copied at this serial.
    Serial(u64),
    /// Nothing was ever written to it: only the workspace (and its key) was made.
    Empty,
    /// The destination already held this very state.
    AlreadyThere(u64),
}

/// Copies every workspace of `from` to `to`; returns what happened to each, by name.
pub(crate) async fn migrate(
    ctx: &Context,
    from: &dyn StateStore,
    to: &dyn StateStore,
    force_copy: bool,
    lock_timeout: Duration,
) -> anyhow::Result<Vec<(String, Copied)>> {
    let mut done = Vec::new();
    for workspace in from.workspaces().await.map_err(|e| anyhow::anyhow!(e))? {
        match to.create_workspace(&workspace).await {
            Ok(()) | Err(StateError::WorkspaceExists(_)) => {}
            Err(e) => return Err(anyhow::anyhow!(e)),
        }
        let source = ctx.lock(from, &workspace, "init -migrate-state", lock_timeout).await?;
        let result = match ctx.lock(to, &workspace, "init -migrate-state", lock_timeout).await {
            Ok(destination) => {
                let result = copy_one(from, to, &workspace, force_copy).await;
                let _ = to.unlock(&workspace, &destination.id).await;
                result
            }
            Err(e) => Err(e),
        };
        let _ = from.unlock(&workspace, &source.id).await;
        done.push((workspace, result?));
    }
    Ok(done)
}

async fn copy_one(
    from: &dyn StateStore,
    to: &dyn StateStore,
    workspace: &str,
    force_copy: bool,
) -> anyhow::Result<Copied> {
    let state = from.read(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    let key = from.workspace_key(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    let existing = to.read(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    let copied = if unwritten(&state) {
        if !unwritten(&existing) && !force_copy {
            anyhow::bail!(
                "workspace \"{workspace}\" is empty here but the new backend holds a state for it (lineage {}, serial {}); use `-force-copy` to leave that state in place and carry on",
                existing.lineage,
                existing.serial
            );
        }
        Copied::Empty
    } else if same_records(&state, &existing) {
        Copied::AlreadyThere(existing.serial)
    } else {
        let newer_of_same_lineage = existing.lineage == state.lineage && existing.serial < state.serial;
        if !unwritten(&existing) && !newer_of_same_lineage && !force_copy {
            anyhow::bail!(
                "the new backend already holds another state for workspace \"{workspace}\" (lineage {}, serial {}; this one has lineage {}, serial {}); use `-force-copy` to replace it",
                existing.lineage,
                existing.serial,
                state.lineage,
                state.serial
            );
        }
        Copied::Serial(to.replace(workspace, existing.serial, &state).await.map_err(|e| anyhow::anyhow!(e))?)
    };
    // The key goes with the state it keys; a state left in place keeps its own.
    if !unwritten(&state) || unwritten(&existing) {
        to.set_workspace_key(workspace, &key).await.map_err(|e| anyhow::anyhow!(e))?;
    }
    Ok(copied)
}

fn unwritten(state: &State) -> bool {
    state.serial == 0 && state.lineage.is_nil()
}

fn same_records(a: &State, b: &State) -> bool {
    a.lineage == b.lineage
        && a.serial == b.serial
        && a.instances == b.instances
        && a.outputs == b.outputs
        && a.intents == b.intents
}
