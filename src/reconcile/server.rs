//! The loop's HTTP side (`--listen ADDR`): the status page (`/`, `page`), `/healthz` (liveness: the loop's process
//! answers), `/status` (the last pass as `status.json` holds it) and `/metrics` (Prometheus
//! text, from the last pass and the counts since start). Read-only: nothing here changes a
//! unit.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, RwLock};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::Pass;
use super::status::{Outcome, Status};

/// What the server shows, replaced after every pass.
#[derive(Default)]
pub(crate) struct Shared {
    pub status: Option<Status>,
    pub passes: u64,
    pub failed_passes: u64,
    /// Per unit, since the loop started.
    pub counts: BTreeMap<String, UnitCounts>,
}

#[derive(Default)]
pub(crate) struct UnitCounts {
    pub plans: u64,
    pub applies: u64,
    pub failures: u64,
    /// Runs whose plan found objects changed outside Corral.
    pub drifts: u64,
}

impl Shared {
    pub(crate) fn record(&mut self, pass: Pass, failed: bool) {
        self.passes += 1;
        self.failed_passes += u64::from(failed);
        for unit in &pass.ran {
            let counts = self.counts.entry(unit.unit.clone()).or_default();
            counts.plans += u64::from(unit.plan.is_some());
            counts.applies += u64::from(matches!(unit.outcome, Outcome::Applied | Outcome::DriftCorrected));
            counts.failures += u64::from(unit.outcome == Outcome::Failed);
            counts.drifts += u64::from(unit.plan.as_ref().is_some_and(|p| p.drifted > 0));
        }
        self.status = Some(pass.status);
    }
}

pub(crate) type Handle = Arc<RwLock<Shared>>;

/// Binds `addr` now (so a bad address fails the command at once) and serves in the
/// background; returns the bound address (port 0 picks one).
pub(crate) async fn start(addr: std::net::SocketAddr, shared: Handle) -> anyhow::Result<std::net::SocketAddr> {
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    let router = axum::Router::new()
        .route("/", axum::routing::get(page))
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .route("/status", axum::routing::get(status))
        .route("/metrics", axum::routing::get(metrics))
        .with_state(shared);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!("the reconcile status server stopped: {e}");
        }
    });
    Ok(bound)
}

fn read(shared: &Handle) -> std::sync::RwLockReadGuard<'_, Shared> {
    shared.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn status(State(shared): State<Handle>) -> axum::response::Response {
    match &read(&shared).status {
        Some(status) => axum::Json(status.clone()).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "no pass has finished yet\n").into_response(),
    }
}

async fn page(State(shared): State<Handle>) -> axum::response::Html<String> {
    axum::response::Html(super::page::render(read(&shared).status.as_ref()))
}

async fn metrics(State(shared): State<Handle>) -> impl IntoResponse {
    let shared = read(&shared);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], render_metrics(&shared))
}

pub(crate) fn render_metrics(shared: &Shared) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# HELP corral_reconcile_passes_total Reconcile passes since start.");
    let _ = writeln!(out, "# TYPE corral_reconcile_passes_total counter");
    let _ = writeln!(out, "corral_reconcile_passes_total {}", shared.passes);
    let _ = writeln!(out, "# HELP corral_reconcile_failed_passes_total Passes with a failed unit or no units run.");
    let _ = writeln!(out, "# TYPE corral_reconcile_failed_passes_total counter");
    let _ = writeln!(out, "corral_reconcile_failed_passes_total {}", shared.failed_passes);
    type Count = fn(&UnitCounts) -> u64;
    let counters: [(&str, &str, Count); 4] = [
        ("plans", "Plans made, per unit.", |c| c.plans),
        ("applies", "Plans applied, per unit.", |c| c.applies),
        ("failures", "Failed runs, per unit.", |c| c.failures),
        ("drifts", "Runs that found objects changed outside Corral, per unit.", |c| c.drifts),
    ];
    for (name, help, count) in counters {
        let _ = writeln!(out, "# HELP corral_reconcile_{name}_total {help}");
        let _ = writeln!(out, "# TYPE corral_reconcile_{name}_total counter");
        for (unit, counts) in &shared.counts {
            let _ = writeln!(out, "corral_reconcile_{name}_total{{unit=\"{}\"}} {}", label(unit), count(counts));
        }
    }
    let Some(status) = &shared.status else { return out };
    let _ = writeln!(out, "# HELP corral_reconcile_unit_duration_seconds How long the unit's last run took.");
    let _ = writeln!(out, "# TYPE corral_reconcile_unit_duration_seconds gauge");
    for unit in status.units.values() {
        let seconds = unit.duration_ms as f64 / 1000.0;
        let _ = writeln!(out, "corral_reconcile_unit_duration_seconds{{unit=\"{}\"}} {seconds}", label(&unit.unit));
    }
    let _ = writeln!(out, "# HELP corral_reconcile_unit_failed 1 when the unit's last run failed or was blocked.");
    let _ = writeln!(out, "# TYPE corral_reconcile_unit_failed gauge");
    for unit in status.units.values() {
        let _ = writeln!(
            out,
            "corral_reconcile_unit_failed{{unit=\"{}\"}} {}",
            label(&unit.unit),
            u8::from(unit.outcome.is_failure())
        );
    }
    let _ =
        writeln!(out, "# HELP corral_reconcile_unit_drifted Objects changed outside Corral in the unit's last plan.");
    let _ = writeln!(out, "# TYPE corral_reconcile_unit_drifted gauge");
    for unit in status.units.values() {
        let drifted = unit.plan.as_ref().map_or(0, |p| p.drifted);
        let _ = writeln!(out, "corral_reconcile_unit_drifted{{unit=\"{}\"}} {drifted}", label(&unit.unit));
    }
    let _ = writeln!(out, "# HELP corral_reconcile_unit_pending_changes Changes in the unit's last plan not applied.");
    let _ = writeln!(out, "# TYPE corral_reconcile_unit_pending_changes gauge");
    for unit in status.units.values() {
        let pending = match (&unit.plan, unit.outcome) {
            (Some(p), Outcome::Planned | Outcome::AwaitingApproval | Outcome::DriftReported) => {
                p.add + p.change + p.destroy
            }
            _ => 0,
        };
        let _ = writeln!(out, "corral_reconcile_unit_pending_changes{{unit=\"{}\"}} {pending}", label(&unit.unit));
    }
    if status.units.values().any(|u| u.lease_holder.is_some()) {
        let _ = writeln!(
            out,
            "# HELP corral_reconcile_unit_lease_holder Who held the unit's lease at its last run (--leases-pg); here=\"true\" when this replica."
        );
        let _ = writeln!(out, "# TYPE corral_reconcile_unit_lease_holder gauge");
        for unit in status.units.values() {
            if let Some(holder) = &unit.lease_holder {
                let _ = writeln!(
                    out,
                    "corral_reconcile_unit_lease_holder{{unit=\"{}\",holder=\"{}\",here=\"{}\"}} 1",
                    label(&unit.unit),
                    label(holder),
                    unit.outcome != Outcome::Elsewhere
                );
            }
        }
    }
    out
}

/// A Prometheus label value: backslash, quote and newline escaped.
fn label(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
