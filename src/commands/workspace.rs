//! `corral workspace list|show|new|select|delete`.

use crate::args::WorkspaceCommand;
use crate::context::Context;

pub(crate) async fn run(ctx: &Context, command: &WorkspaceCommand) -> anyhow::Result<i32> {
    let store = ctx.store()?;
    let current = ctx.workspace();
    match command {
        WorkspaceCommand::List => {
            for ws in store.workspaces().await.map_err(|e| anyhow::anyhow!(e))? {
                let marker = if ws == current { "*" } else { " " };
                println!("{marker} {ws}");
            }
        }
        WorkspaceCommand::Show => println!("{current}"),
        WorkspaceCommand::New { name } => {
            validate_name(name)?;
            store.create_workspace(name).await.map_err(|e| anyhow::anyhow!(e))?;
            ctx.select_workspace(name)?;
            println!("Created and switched to workspace \"{name}\"!");
        }
        WorkspaceCommand::Select { name } => {
            let all = store.workspaces().await.map_err(|e| anyhow::anyhow!(e))?;
            if !all.contains(name) {
                eprintln!(
                    "Error: Workspace \"{name}\" doesn't exist.\n\nYou can create this workspace with the `new` subcommand."
                );
                return Ok(1);
            }
            ctx.select_workspace(name)?;
            println!("Switched to workspace \"{name}\".");
        }
        WorkspaceCommand::Delete { name } => {
            if *name == current {
                eprintln!(
                    "Error: Workspace \"{name}\" is your active workspace.\n\nYou cannot delete the currently active workspace. Please switch to another workspace and try again."
                );
                return Ok(1);
            }
            store.delete_workspace(name).await.map_err(|e| anyhow::anyhow!(e))?;
            println!("Deleted workspace \"{name}\"!");
        }
    }
    Ok(0)
}

fn validate_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        anyhow::bail!("workspace names may hold only letters, digits, `-` and `_`");
    }
    Ok(())
}
