//! `corral taint ADDR` / `corral untaint ADDR`: Terraform's commands that set or clear an
//! instance's tainted mark in state (a tainted instance is replaced by the next plan).
//! Nothing remote changes; the state is written under the workspace lock.

use corral_engine::addr::{AbsResourceInstance, ResourceMode};
use corral_engine::state::{InstanceStatus, StateChange};

use crate::args::TaintArgs;
use crate::context::Context;

pub(crate) async fn run(ctx: &Context, args: &TaintArgs, taint: bool) -> anyhow::Result<i32> {
    let addr: AbsResourceInstance =
        args.address.parse().map_err(|e| anyhow::anyhow!("invalid resource instance address: {e}"))?;
    if addr.resource.mode == ResourceMode::Data {
        anyhow::bail!(
            "`{addr}` is a data source: only managed resource instances can be {}",
            if taint { "tainted" } else { "untainted" }
        );
    }
    let store = ctx.store()?;
    let workspace = ctx.workspace();
    let command = if taint { "taint" } else { "untaint" };
    let lock = ctx.lock(store.as_ref(), &workspace, command, args.lock.lock_timeout).await?;
    let result = match crate::recovery::refuse_if_pending(ctx, &workspace) {
        Ok(()) => mark(store.as_ref(), &workspace, &addr, args.allow_missing, taint).await,
        Err(e) => Err(e),
    };
    let _ = store.unlock(&workspace, &lock.id).await;
    result
}

async fn mark(
    store: &dyn corral_engine::state::StateStore,
    workspace: &str,
    addr: &AbsResourceInstance,
    allow_missing: bool,
    taint: bool,
) -> anyhow::Result<i32> {
    let state = store.read(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    let Some(instance) = state.instances.get(addr) else {
        if allow_missing {
            eprintln!(
                "Warning: No such resource instance\n\n`{addr}` is not in the state; nothing to do (--allow-missing)."
            );
            return Ok(0);
        }
        eprintln!(
            "Error: No such resource instance\n\n`{addr}` is not in the state (`corral state list` shows what is); pass --allow-missing to succeed anyway."
        );
        return Ok(1);
    };
    let tainted = instance.status == InstanceStatus::Tainted;
    if !taint && !tainted {
        eprintln!(
            "Error: Resource instance is not tainted\n\n`{addr}` is not currently tainted, so it cannot be untainted."
        );
        return Ok(1);
    }
    if taint != tainted {
        let mut changed = instance.clone();
        changed.status = if taint { InstanceStatus::Tainted } else { InstanceStatus::Ready };
        store
            .commit(workspace, state.serial, vec![StateChange::PutInstance(changed)])
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
    }
    if taint {
        println!("Resource instance {addr} has been marked as tainted.");
    } else {
        println!("Resource instance {addr} has been successfully untainted.");
    }
    Ok(0)
}
