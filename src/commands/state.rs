//! `corral state list|show|mv|rm`.

use anyhow::Context as _;
use corral_engine::addr::{AbsResourceInstance, ResourceMode, Target};
use corral_engine::state::{InstanceState, State, StateChange, format};

use crate::args::StateCommand;
use crate::context::Context;

pub(crate) async fn run(ctx: &Context, command: &StateCommand) -> anyhow::Result<i32> {
    let store = ctx.store()?;
    let workspace = ctx.workspace();
    match command {
        StateCommand::List { filters } => {
            let state = store.read(&workspace).await.map_err(|e| anyhow::anyhow!(e))?;
            let targets = parse_targets(filters)?;
            for addr in state.instances.keys() {
                if targets.is_empty() || targets.iter().any(|t| t.contains(addr)) {
                    println!("{addr}");
                }
            }
            Ok(0)
        }
        StateCommand::Show { address } => {
            let state = store.read(&workspace).await.map_err(|e| anyhow::anyhow!(e))?;
            let addr: AbsResourceInstance = address.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            match state.instances.get(&addr) {
                Some(instance) => {
                    println!("# {addr}:");
                    println!("{}", render_instance(&addr.resource.to_string(), instance));
                    Ok(0)
                }
                None => {
                    eprintln!("Error: No instance found for the given address `{address}`");
                    Ok(1)
                }
            }
        }
        StateCommand::Mv { source, destination, lock } => {
            let info = ctx.lock(store.as_ref(), &workspace, "state mv", lock.lock_timeout).await?;
            let result = match crate::recovery::refuse_if_pending(ctx, &workspace) {
                Ok(()) => move_instances(store.as_ref(), &workspace, source, destination).await,
                Err(e) => Err(e),
            };
            let _ = store.unlock(&workspace, &info.id).await;
            result
        }
        StateCommand::Rm { addresses, lock } => {
            let info = ctx.lock(store.as_ref(), &workspace, "state rm", lock.lock_timeout).await?;
            let result = match crate::recovery::refuse_if_pending(ctx, &workspace) {
                Ok(()) => remove_instances(store.as_ref(), &workspace, addresses).await,
                Err(e) => Err(e),
            };
            let _ = store.unlock(&workspace, &info.id).await;
            result
        }
        StateCommand::Pull => {
            let state = store.read(&workspace).await.map_err(|e| anyhow::anyhow!(e))?;
            print!("{}", format::export_string(&state));
            Ok(0)
        }
        StateCommand::Push { path, force, lock } => {
            let text = if path.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("cannot read the state from standard input")?
            } else {
                fs_err::read_to_string(path)?
            };
            let pushed =
                format::import(&text).map_err(|e| anyhow::anyhow!("cannot read {} as a state: {e}", path.display()))?;
            if crate::recovery::path(ctx, &workspace).exists()
                && !store.workspaces().await.map_err(|e| anyhow::anyhow!(e))?.contains(&workspace)
            {
                // The workspace's state file was removed under an apply, which took the
                // workspace with it; pushing what the apply saved restores both.
                store.create_workspace(&workspace).await.map_err(|e| anyhow::anyhow!(e))?;
            }
            let info = ctx.lock(store.as_ref(), &workspace, "state push", lock.lock_timeout).await?;
            let result = push(store.as_ref(), &workspace, &pushed, *force).await;
            let _ = store.unlock(&workspace, &info.id).await;
            if result.is_ok() {
                crate::recovery::settle_after_push(ctx, &workspace, &pushed)?;
            }
            result
        }
    }
}

/// `state push`: Terraform's rules. A state of another lineage, or an older one (a lower
/// serial), replaces the stored one only with `--force`; a workspace never written takes any.
async fn push(
    store: &dyn corral_engine::state::StateStore,
    workspace: &str,
    pushed: &State,
    force: bool,
) -> anyhow::Result<i32> {
    let current = store.read(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    let unwritten = current.serial == 0 && current.lineage.is_nil();
    if !force && !unwritten {
        if pushed.lineage != current.lineage {
            anyhow::bail!(
                "cannot import a state with lineage \"{}\" over unrelated state with lineage \"{}\" (use `--force` to replace it anyway)",
                pushed.lineage,
                current.lineage
            );
        }
        if pushed.serial < current.serial {
            anyhow::bail!(
                "cannot import a state with serial {} over newer state with serial {} (use `--force` to replace it anyway)",
                pushed.serial,
                current.serial
            );
        }
    }
    store.replace(workspace, current.serial, pushed).await.map_err(|e| anyhow::anyhow!(e))?;
    Ok(0)
}

fn parse_targets(texts: &[String]) -> anyhow::Result<Vec<Target>> {
    texts.iter().map(|t| t.parse::<Target>().map_err(|e| anyhow::anyhow!("{e}"))).collect()
}

async fn move_instances(
    store: &dyn corral_engine::state::StateStore,
    workspace: &str,
    source: &str,
    destination: &str,
) -> anyhow::Result<i32> {
    let state = store.read(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    let from: Target = source.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let to: Target = destination.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut changes = Vec::new();
    let mut moved = 0;
    for (addr, instance) in &state.instances {
        if !from.contains(addr) {
            continue;
        }
        let new_addr = match (&from, &to) {
            (Target::Instance(_), Target::Instance(t)) => t.clone(),
            (Target::Instance(_), Target::Resource(r)) => r.instance(addr.key.clone()),
            (Target::Resource(_), Target::Resource(r)) => r.instance(addr.key.clone()),
            (Target::Module(f), Target::Module(t)) => {
                let mut steps = t.0.clone();
                steps.extend(addr.module.0[f.0.len()..].iter().cloned());
                AbsResourceInstance {
                    module: corral_engine::addr::ModuleInstance(steps),
                    resource: addr.resource.clone(),
                    key: addr.key.clone(),
                }
            }
            _ => anyhow::bail!("cannot move `{source}` to `{destination}`: the addresses are of different kinds"),
        };
        if new_addr.resource.type_name != addr.resource.type_name || new_addr.resource.mode != addr.resource.mode {
            anyhow::bail!("cannot move `{addr}` to `{new_addr}`: the resource types differ");
        }
        if state.instances.contains_key(&new_addr) {
            anyhow::bail!("cannot move `{addr}` to `{new_addr}`: the destination already exists in state");
        }
        let mut moved_instance = instance.clone();
        moved_instance.addr = new_addr.to_string();
        changes.push(StateChange::RemoveInstance(addr.clone()));
        changes.push(StateChange::PutInstance(moved_instance));
        println!("Move \"{addr}\" to \"{new_addr}\"");
        moved += 1;
    }
    if moved == 0 {
        eprintln!(
            "Error: Invalid source address\n\nCannot move `{source}`: it does not match anything in the current state."
        );
        return Ok(1);
    }
    store.commit(workspace, state.serial, changes).await.map_err(|e| anyhow::anyhow!(e))?;
    println!("Successfully moved {moved} object(s).");
    Ok(0)
}

async fn remove_instances(
    store: &dyn corral_engine::state::StateStore,
    workspace: &str,
    addresses: &[String],
) -> anyhow::Result<i32> {
    let state = store.read(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    let targets = parse_targets(addresses)?;
    let mut changes = Vec::new();
    for addr in state.instances.keys() {
        if targets.iter().any(|t| t.contains(addr)) {
            println!("Removed {addr}");
            changes.push(StateChange::RemoveInstance(addr.clone()));
        }
    }
    if changes.is_empty() {
        eprintln!("Error: Invalid target address\n\nNo matching objects found in the state.");
        return Ok(1);
    }
    let n = changes.len();
    store.commit(workspace, state.serial, changes).await.map_err(|e| anyhow::anyhow!(e))?;
    println!("Successfully removed {n} resource instance(s).");
    Ok(0)
}

/// An instance's attributes, HCL-like, with sensitive attributes hidden.
pub(crate) fn render_instance(header: &str, instance: &InstanceState) -> String {
    let mode = if header.starts_with("data.") { "data" } else { "resource" };
    let _ = ResourceMode::Managed;
    let (type_name, name) = header.trim_start_matches("data.").split_once('.').unwrap_or((header, ""));
    let mut out = format!("{mode} \"{type_name}\" \"{name}\" {{\n");
    if let serde_json::Value::Object(attrs) = &instance.attributes {
        let width = attrs.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        for (k, v) in attrs {
            if v.is_null() {
                continue;
            }
            let hidden = instance.sensitive_paths.iter().any(|p| p.to_string() == *k);
            let shown = if hidden {
                "(sensitive value)".to_string()
            } else {
                super::output::hcl_like(v).replace('\n', "\n    ")
            };
            out.push_str(&format!("    {} = {shown}\n", crate::render::pad_to(k, width)));
        }
    }
    out.push('}');
    out
}
