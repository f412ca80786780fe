//! `corral lock list` (every workspace's lock and its holder) and `corral force-unlock
//! LOCK_ID` (Terraform's spelling; asks first unless `-force`).

use corral_engine::state::{StateError, WorkspaceLock};

use crate::args::{ForceUnlockArgs, LockCommand};
use crate::context::Context;

pub(crate) async fn run(ctx: &Context, command: &LockCommand) -> anyhow::Result<i32> {
    let store = ctx.store()?;
    match command {
        LockCommand::List { json } => {
            let locks = store.locks().await.map_err(|e| anyhow::anyhow!(e))?;
            if *json {
                let list: Vec<serde_json::Value> = locks.iter().map(lock_json).collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if locks.is_empty() {
                println!("No workspace is locked.");
            } else {
                for lock in &locks {
                    let lease = lock
                        .lease_expires
                        .map(|at| format!(", lease until {}", at.format("%Y-%m-%d %H:%M:%S UTC")))
                        .unwrap_or_default();
                    let info = &lock.info;
                    println!(
                        "{}: {} — {}@{} (pid {}, `{}`) since {}{lease}",
                        lock.workspace,
                        info.id,
                        info.user,
                        info.host,
                        info.pid,
                        info.operation,
                        info.created.format("%Y-%m-%d %H:%M:%S UTC"),
                    );
                }
            }
            Ok(0)
        }
    }
}

fn lock_json(lock: &WorkspaceLock) -> serde_json::Value {
    serde_json::json!({
        "workspace": lock.workspace,
        "id": lock.info.id,
        "user": lock.info.user,
        "host": lock.info.host,
        "pid": lock.info.pid,
        "operation": lock.info.operation,
        "created": lock.info.created.to_rfc3339(),
        "lease_expires": lock.lease_expires.map(|at| at.to_rfc3339()),
    })
}

/// Removes the lock with this ID: the selected workspace's, else whichever workspace holds
/// it (so an ID from `corral lock list` works from any workspace).
pub(crate) async fn force_unlock(ctx: &Context, args: &ForceUnlockArgs) -> anyhow::Result<i32> {
    let store = ctx.store()?;
    let current = ctx.workspace();
    let holder = store.lock_holder(&current).await.map_err(|e| anyhow::anyhow!(e))?;
    let workspace = if holder.is_some_and(|h| h.id == args.lock_id) {
        current
    } else {
        let locks = store.locks().await.map_err(|e| anyhow::anyhow!(e))?;
        match locks.into_iter().find(|lock| lock.info.id == args.lock_id) {
            Some(lock) => lock.workspace,
            None => current,
        }
    };
    if !args.force
        && !crate::ui::confirm(
            "Do you really want to force-unlock?\n  Corral will remove the lock on the remote state.\n  This will allow local Corral commands to modify this state, even though it\n  may still be in use.",
        )
    {
        eprintln!("force-unlock cancelled.");
        return Ok(1);
    }
    match store.force_unlock(&workspace, &args.lock_id).await {
        Ok(()) => {
            println!("Corral state has been successfully unlocked!");
            println!(
                "\nThe state has been unlocked, and Corral commands should now be able to\nobtain a new lock on the remote state."
            );
            Ok(0)
        }
        Err(e @ StateError::NotLocked { .. }) => {
            eprintln!("Error: Failed to unlock state: {e}");
            Ok(1)
        }
        Err(e) => Err(anyhow::anyhow!(e)),
    }
}
