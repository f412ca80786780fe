//! Live apply progress: one line per started and finished operation, plus a spinner with
//! what is in flight and the remote status it waits for when stdout is a terminal
//! (indicatif hides itself otherwise). Without the spinner, every operation still running
//! says so every 10 s, in Terraform's words (`ADDR: Still creating... [10s elapsed]`): CI
//! systems kill jobs that stay silent, and a cluster takes minutes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use corral_engine::apply::{ApplyEvent, InstanceOutcome};
use corral_engine::plan::Action;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;

/// How often an operation in flight is reported without the live view (Terraform's).
const STILL_EVERY: Duration = Duration::from_secs(10);

fn verb(action: Action, deposed: bool) -> (&'static str, &'static str) {
    match action {
        Action::Create => ("Creating...", "Creation complete"),
        Action::Update => ("Modifying...", "Modifications complete"),
        Action::Delete => ("Destroying...", "Destruction complete"),
        Action::CreateThenDelete if deposed => {
            ("Destroying deposed object...", "Destruction of deposed object complete")
        }
        Action::DeleteThenCreate | Action::CreateThenDelete => ("Replacing...", "Replacement complete"),
        Action::Read => ("Reading...", "Read complete"),
        // The only no-op an apply reports is an import that changes nothing.
        Action::NoOp => ("Importing...", "Import complete"),
        Action::Forget => ("Removing from state...", "Removed from state"),
    }
}

/// Terraform's periodic wording for an operation still running.
fn still(action: Action, deposed: bool) -> &'static str {
    match action {
        Action::Create => "Still creating...",
        Action::Update => "Still modifying...",
        Action::Delete => "Still destroying...",
        Action::CreateThenDelete if deposed => "Still destroying...",
        Action::DeleteThenCreate | Action::CreateThenDelete => "Still replacing...",
        Action::Read => "Still reading...",
        Action::NoOp => "Still importing...",
        Action::Forget => "Still removing from state...",
    }
}

/// A whole number of seconds as Go prints a duration (`10s`, `1m0s`, `1h2m3s`), which is
/// how Terraform's `[... elapsed]` reads.
fn go_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// The operations started and not yet finished, by address (shared with whoever must say
/// what was abandoned when a second interrupt stops the wait).
pub(crate) type InFlight = Arc<Mutex<BTreeSet<String>>>;

/// One operation in flight, as this view knows it.
struct Op {
    action: Action,
    deposed: bool,
    started: Instant,
    /// The remote status the provider last said it waits for.
    status: Option<String>,
    /// When the next "Still ..." line is due, counted from `started`.
    next_report: Duration,
}

impl Op {
    fn still_line(&self, addr: &str, elapsed: Duration) -> String {
        let status = self.status.as_ref().map(|s| format!(", status: {s}")).unwrap_or_default();
        format!("{addr}: {} [{} elapsed{status}]", still(self.action, self.deposed), go_duration(elapsed.as_secs()))
    }
}

/// Prints events until the sender is dropped, keeping `in_flight` up to date.
pub(crate) async fn show(mut events: UnboundedReceiver<ApplyEvent>, in_flight: InFlight) {
    // `TF_IN_AUTOMATION` (Terraform's) asks for output fit for a log, even on a terminal:
    // plain lines, no spinner.
    let bar = if crate::ui::in_automation() { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    bar.set_style(ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
    bar.enable_steady_tick(Duration::from_millis(120));
    let flight = || in_flight.lock().unwrap_or_else(PoisonError::into_inner);
    let line = |bar: &ProgressBar, text: String| {
        if bar.is_hidden() {
            println!("{text}");
        } else {
            bar.println(text);
        }
    };
    let mut ops: BTreeMap<String, Op> = BTreeMap::new();
    let mut ticks = tokio::time::interval(Duration::from_millis(500));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => break,
            },
            _ = ticks.tick() => {
                if bar.is_hidden() {
                    let now = Instant::now();
                    for (addr, op) in &mut ops {
                        if now - op.started >= op.next_report {
                            line(&bar, op.still_line(addr, op.next_report));
                            op.next_report += STILL_EVERY;
                        }
                    }
                } else {
                    bar.set_message(live_message(&ops));
                }
                continue;
            }
        };
        match event {
            ApplyEvent::Started { addr, action, deposed } => {
                let (started, _) = verb(action, deposed);
                line(&bar, format!("{addr}: {started}"));
                flight().insert(addr.to_string());
                let op = Op { action, deposed, started: Instant::now(), status: None, next_report: STILL_EVERY };
                ops.insert(addr.to_string(), op);
            }
            ApplyEvent::Waiting { addr, status, .. } => {
                if let Some(op) = ops.get_mut(&addr.to_string()) {
                    op.status = Some(status);
                }
            }
            ApplyEvent::Provisioner { addr, line: text } => line(&bar, format!("{addr} (local-exec): {text}")),
            ApplyEvent::Finished { addr, action, outcome, elapsed } => {
                flight().remove(&addr.to_string());
                ops.remove(&addr.to_string());
                let (_, done) = verb(action, false);
                let text = match outcome {
                    InstanceOutcome::Done => format!("{addr}: {done} after {}s", elapsed.as_secs()),
                    InstanceOutcome::Failed(message) => format!("{addr}: Failed: {message}"),
                    InstanceOutcome::Skipped(why) => format!("{addr}: Skipped ({why})"),
                    InstanceOutcome::Interrupted => format!("{addr}: Not started (interrupted)"),
                };
                line(&bar, text);
            }
        }
        if !bar.is_hidden() {
            bar.set_message(live_message(&ops));
        }
    }
    bar.finish_and_clear();
}

/// The spinner's text: the first few operations in flight, each with the remote status it
/// waits for and how long it has run.
fn live_message(ops: &BTreeMap<String, Op>) -> String {
    if ops.is_empty() {
        return String::new();
    }
    let names: Vec<String> = ops
        .iter()
        .take(3)
        .map(|(addr, op)| {
            let elapsed = go_duration(op.started.elapsed().as_secs());
            match &op.status {
                Some(status) => format!("{addr} [{status}, {elapsed}]"),
                None => format!("{addr} [{elapsed}]"),
            }
        })
        .collect();
    let more = ops.len().saturating_sub(3);
    let suffix = if more > 0 { format!(" and {more} more") } else { String::new() };
    format!("Still working on {}{suffix}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_terraform_prints_them() {
        assert_eq!(go_duration(10), "10s");
        assert_eq!(go_duration(60), "1m0s");
        assert_eq!(go_duration(3723), "1h2m3s");
    }

    #[test]
    fn still_lines_carry_the_last_status() {
        let mut op = Op {
            action: Action::Create,
            deposed: false,
            started: Instant::now(),
            status: None,
            next_report: STILL_EVERY,
        };
        assert_eq!(op.still_line("a.b", STILL_EVERY), "a.b: Still creating... [10s elapsed]");
        op.status = Some("creating".into());
        assert_eq!(op.still_line("a.b", STILL_EVERY * 2), "a.b: Still creating... [20s elapsed, status: creating]");
    }
}
