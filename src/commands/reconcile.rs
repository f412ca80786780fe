//! `corral reconcile`: run the GitOps loop (`crate::reconcile`) once or every interval, and
//! `corral reconcile approve PLAN_ID` for a `manual` unit's plan.

use std::path::PathBuf;

use corral_engine::state::{PgSettings, PgStore};
use tokio::signal::unix::{SignalKind, signal};

use crate::args::{ReconcileArgs, ReconcileCommand};
use crate::reconcile::status::{Outcome, Status, UnitStatus};
use crate::reconcile::{self, Options, Source, server};

pub(crate) async fn run(chdir: Option<&std::path::Path>, args: &ReconcileArgs) -> anyhow::Result<i32> {
    let base = match chdir {
        Some(dir) => std::path::absolute(dir)?,
        None => std::env::current_dir()?,
    };
    let work_dir =
        |given: &Option<PathBuf>| base.join(given.clone().unwrap_or_else(|| PathBuf::from(".corral/reconcile")));
    if let Some(ReconcileCommand::Approve { plan_id, work_dir: given }) = &args.command {
        let applied = reconcile::approve(&work_dir(given), plan_id).await?;
        print_unit(&applied);
        return Ok(0);
    }
    let Some(repo) = &args.repo else { anyhow::bail!("`corral reconcile` needs `--repo URL_OR_PATH`") };
    let leases = match &args.leases_pg {
        None => None,
        Some(conn_str) => Some(leases(conn_str)?),
    };
    let options =
        Options { source: Source::new(&base, repo, &args.branch), work_dir: work_dir(&args.work_dir), leases };
    let _lock = lock_work_dir(&options.work_dir)?;
    // Listened to from the start, so a signal that arrives during a pass is not lost: the
    // pass finishes (its child processes get a terminal's SIGINT themselves and stop as an
    // interrupted apply does), then the loop exits.
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let shared = server::Handle::default();
    if let Some(addr) = args.listen {
        let bound = server::start(addr, shared.clone()).await?;
        println!("Serving /healthz, /status and /metrics on http://{bound}");
    }
    loop {
        let pass = reconcile::pass(&options).await?;
        let failed = print_pass(&pass.status);
        if args.once {
            return Ok(i32::from(failed));
        }
        shared.write().unwrap_or_else(std::sync::PoisonError::into_inner).record(pass, failed);
        tokio::select! {
            () = tokio::time::sleep(args.interval) => {}
            _ = sigint.recv() => return Ok(0),
            _ = sigterm.recv() => return Ok(0),
        }
    }
}

/// One loop per work directory (two would overwrite each other's checkout and status): an
/// OS lock on `lock` in it, held while the loop runs and gone with the process, however it
/// ends. The file holds the holder's pid, for the message. `approve` takes no lock: it is
/// meant to run beside the loop.
fn lock_work_dir(work_dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    corral_engine::state::secure_fs::create_private_dir_all(work_dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", work_dir.display()))?;
    let path = work_dir.join("lock");
    let mut file = std::fs::OpenOptions::new().create(true).truncate(false).read(true).write(true).open(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            anyhow::bail!(
                "another `corral reconcile` (pid {}) runs with the work directory {}: one loop per work directory (give each replica its own `--work-dir`)",
                holder.trim(),
                work_dir.display()
            );
        }
        Err(std::fs::TryLockError::Error(e)) => anyhow::bail!("cannot lock {}: {e}", path.display()),
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    Ok(file)
}

/// The replicas' shared lock table (the pg backend's leased locks, one "workspace" per unit).
fn leases(conn_str: &str) -> anyhow::Result<PgStore> {
    let lease = match std::env::var("CORRAL_PG_LEASE_SECS") {
        Err(_) => PgSettings::DEFAULT_LEASE,
        Ok(text) => text
            .parse::<f64>()
            .ok()
            .filter(|secs| secs.is_finite() && *secs > 0.0)
            .map(std::time::Duration::from_secs_f64)
            .ok_or_else(|| anyhow::anyhow!("CORRAL_PG_LEASE_SECS must be a number of seconds, not `{text}`"))?,
    };
    let settings = PgSettings {
        conn_str: conn_str.to_string(),
        schema_name: "corral_reconcile".to_string(),
        lease,
        origin: Some("--leases-pg".to_string()),
    };
    PgStore::open(&settings).map_err(|e| anyhow::anyhow!(e))
}

/// One line per unit; true when the pass or a unit failed.
fn print_pass(status: &Status) -> bool {
    if let Some(error) = &status.error {
        eprintln!("Error: reconcile pass failed: {error}");
        return true;
    }
    let commit = status.commit.as_deref().unwrap_or("?");
    println!("{} {} at {}", status.repo, status.branch, short(commit));
    for unit in status.units.values() {
        print_unit(unit);
    }
    status.units.values().any(|u| u.outcome.is_failure())
}

fn print_unit(unit: &UnitStatus) {
    let outcome = match unit.outcome {
        Outcome::UpToDate => "up to date",
        Outcome::Applied => "applied",
        Outcome::DriftCorrected => "drift corrected",
        Outcome::DriftReported => "drift reported",
        Outcome::Planned => "planned (plan-only)",
        Outcome::AwaitingApproval => "awaiting approval",
        Outcome::Failed => "FAILED",
        Outcome::Blocked => "blocked",
        Outcome::Elsewhere => "run by another replica",
    };
    let mut line = format!("  {}: {outcome}", unit.unit);
    if let Some(plan) = &unit.plan {
        line.push_str(&format!(" ({} to add, {} to change, {} to destroy", plan.add, plan.change, plan.destroy));
        if plan.drifted > 0 {
            line.push_str(&format!(", {} changed outside Corral", plan.drifted));
        }
        line.push(')');
    }
    if let Some(id) = &unit.plan_id
        && unit.outcome == Outcome::AwaitingApproval
    {
        line.push_str(&format!("; approve with `corral reconcile approve {id}`"));
    }
    if unit.outcome == Outcome::Elsewhere
        && let Some(holder) = &unit.error
    {
        line.push_str(&format!(" ({holder})"));
        println!("{line}");
        return;
    }
    println!("{line}");
    if let Some(error) = &unit.error {
        eprintln!("Error: unit {}: {error}", unit.unit);
    }
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}
