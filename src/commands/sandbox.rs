//! `corral sandbox serve|inspect|reset|status`: the local sandbox cloud that providers with
//! no `endpoint` start by themselves, here run as a shared server or looked into.

use std::path::PathBuf;

use crate::args::{SandboxCommand, SandboxDirArgs};
use crate::context::Context;

pub(crate) async fn run(ctx: &Context, command: &SandboxCommand) -> anyhow::Result<i32> {
    match command {
        SandboxCommand::Serve(args) => {
            let dir = sandbox_dir(ctx, &args.dir);
            let mut options = corral_sandbox::SandboxOptions::from_env()?;
            options.keys = match (&args.access_key, &args.secret_key) {
                (Some(access_key), Some(secret_key)) => {
                    Some(corral_sandbox::ServerKeys { access_key: access_key.clone(), secret_key: secret_key.clone() })
                }
                _ => None,
            };
            options.insecure_public = args.insecure_public;
            let own_keys = options.keys.clone();
            let handle = corral_sandbox::start_with(dir.clone(), args.addr, options).await?;
            corral_sandbox::record_server(&dir, &handle)?;
            if !args.addr.ip().is_loopback() && own_keys.is_none() {
                eprintln!(
                    "warning: --insecure-public: the sandbox listens on {} with its well-known keys; anyone who can reach it can use it",
                    args.addr
                );
            }
            println!("Sandbox serving at {} (data in {})", handle.endpoint(), dir.display());
            println!("  region      {}", corral_sandbox::DEFAULT_REGION);
            match &own_keys {
                Some(keys) => {
                    println!("  access key  {}", keys.access_key);
                    println!("  secret key  (as given; the well-known keys are refused)");
                }
                None => {
                    println!("  access key  {}", corral_sandbox::DEFAULT_ACCESS_KEY);
                    println!("  secret key  {}", corral_sandbox::DEFAULT_SECRET_KEY);
                }
            }
            println!("Press Ctrl-C to stop.");
            tokio::signal::ctrl_c().await?;
            handle.shutdown().await;
            Ok(0)
        }
        SandboxCommand::Inspect(args) => {
            let dir = sandbox_dir(ctx, &args.dir);
            let views = blocking(move || corral_sandbox::inspect(&dir)).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else if views.is_empty() {
                println!("The sandbox holds no objects.");
            } else {
                let width = |f: &dyn Fn(&corral_sandbox::ObjectView) -> usize| views.iter().map(f).max().unwrap_or(0);
                let (ws, wk, wi) = (
                    width(&|v| v.service.len()).max(7),
                    width(&|v| v.kind.len()).max(4),
                    width(&|v| v.id.len()).max(2),
                );
                println!("{:ws$}  {:wk$}  {:wi$}  STATE", "SERVICE", "TYPE", "ID");
                for v in &views {
                    println!("{:ws$}  {:wk$}  {:wi$}  {}", v.service, v.kind, v.id, v.state);
                }
            }
            Ok(0)
        }
        SandboxCommand::Reset(args) => {
            let dir = sandbox_dir(ctx, args);
            let shown = dir.display().to_string();
            blocking(move || corral_sandbox::reset(&dir)).await?;
            println!("Sandbox at {shown} wiped.");
            Ok(0)
        }
        SandboxCommand::Status(args) => {
            let dir = sandbox_dir(ctx, &args.dir);
            let status = blocking(move || corral_sandbox::status(&dir)).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&status)?);
                return Ok(0);
            }
            println!("Sandbox at {}", status.dir);
            println!("  clock       {} (time scale {})", status.now, status.time_scale);
            match &status.server {
                Some(endpoint) => println!("  server      {endpoint}"),
                None => println!("  server      none recorded (providers start an embedded one)"),
            }
            for account in &status.accounts {
                println!("  account     {} (access key {})", account.account_id, account.access_key);
                let quotas: Vec<String> = account.quotas.iter().map(|(k, v)| format!("{k}={v}")).collect();
                println!("    quotas    {}", quotas.join(", "));
            }
            if status.objects.is_empty() {
                println!("  objects     none");
            }
            for (kind, n) in &status.objects {
                println!("  {kind:<30} {n}");
            }
            Ok(0)
        }
    }
}

/// `--dir`, else `.corral/sandbox` of the working directory (where providers put it).
fn sandbox_dir(ctx: &Context, args: &SandboxDirArgs) -> PathBuf {
    args.dir.clone().unwrap_or_else(|| ctx.data_dir.join("sandbox"))
}

/// Sandbox storage calls block on file locks; keep them off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, corral_sandbox::SandboxError> + Send + 'static,
) -> anyhow::Result<T> {
    Ok(tokio::task::spawn_blocking(f).await??)
}
