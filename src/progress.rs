//! Live apply progress: one line per started and finished operation, plus a spinner with
//! what is in flight when stdout is a terminal (indicatif hides itself otherwise).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use corral_engine::apply::{ApplyEvent, InstanceOutcome};
use corral_engine::plan::Action;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;

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
        Action::NoOp => ("", ""),
    }
}

/// The operations started and not yet finished, by address (shared with whoever must say
/// what was abandoned when a second interrupt stops the wait).
pub(crate) type InFlight = Arc<Mutex<BTreeSet<String>>>;

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
    while let Some(event) = events.recv().await {
        match event {
            ApplyEvent::Started { addr, action, deposed } => {
                let (started, _) = verb(action, deposed);
                line(&bar, format!("{addr}: {started}"));
                flight().insert(addr.to_string());
            }
            ApplyEvent::Finished { addr, action, outcome, elapsed } => {
                flight().remove(&addr.to_string());
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
            let in_flight = flight();
            let names: Vec<&str> = in_flight.iter().map(String::as_str).take(3).collect();
            let more = in_flight.len().saturating_sub(3);
            let suffix = if more > 0 { format!(" and {more} more") } else { String::new() };
            bar.set_message(if in_flight.is_empty() {
                String::new()
            } else {
                format!("Still working on {}{suffix}", names.join(", "))
            });
        }
    }
    bar.finish_and_clear();
}
