//! `corral sandbox serve|inspect|reset|status`: the local sandbox cloud that providers with
//! no `endpoint` start by themselves, here run as a shared server or looked into.

use std::path::PathBuf;

use crate::args::{SandboxCommand, SandboxDirArgs};
use crate::context::Context;

pub async fn run(ctx: &Context, command: &SandboxCommand) -> anyhow::Result<i32> {
    match command {
        SandboxCommand::Serve(args) => {
            let dir = sandbox_dir(ctx, &args.dir);
            let handle = corral_sandbox::start(dir.clone(), args.addr).await?;
            corral_sandbox::record_server(&dir, &handle)?;
            println!("Sandbox serving at {} (data in {})", handle.endpoint(), dir.display());
            println!("  region      {}", corral_sandbox::DEFAULT_REGION);
            println!("  access key  {}", corral_sandbox::DEFAULT_ACCESS_KEY);
            println!("  secret key  {}", corral_sandbox::DEFAULT_SECRET_KEY);
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
