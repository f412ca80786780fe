//! Talking to the person at the terminal: diagnostics through miette, confirmation prompts,
//! and the live apply progress. Data goes to stdout, everything else to stderr.

use std::io::{IsTerminal, Write};

use corral_engine::diag::{Diagnostics, SourceMap};

use crate::diagnostic_report;

/// Whether to colour output: a terminal, no `NO_COLOR`, no `--no-color`.
pub(crate) fn use_color(no_color_flag: bool) -> bool {
    !no_color_flag && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Prints diagnostics (errors and warnings) to stderr with their source snippets.
pub(crate) fn print_diagnostics(diags: &Diagnostics, sources: &SourceMap, color: bool) {
    if diags.is_empty() {
        return;
    }
    let theme = if color { miette::GraphicalTheme::unicode() } else { miette::GraphicalTheme::unicode_nocolor() };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_links(false).with_width(110);
    let mut text = String::new();
    for diagnostic in diags {
        let rendered = diagnostic_report::render(diagnostic, sources);
        let mut out = String::new();
        if handler.render_report(&mut out, &rendered).is_err() {
            out = format!("{}\n", diagnostic);
        }
        text.push_str(&out);
        text.push('\n');
    }
    let held = HELD.with(|held| match held.borrow_mut().as_mut() {
        Some(buffer) => {
            buffer.push_str(&text);
            true
        }
        None => false,
    });
    if !held {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

std::thread_local! {
    /// Diagnostics of work done ahead of its turn on this thread (see [`hold_diagnostics`]).
    static HELD: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f`, holding back the diagnostics it prints on this thread: work started early
/// (the state read while the configuration loads) reports only once its turn comes, and not
/// at all when an error before it ends the command, as if it had run in its turn.
pub(crate) fn hold_diagnostics<R>(f: impl FnOnce() -> R) -> (R, String) {
    HELD.with(|held| *held.borrow_mut() = Some(String::new()));
    let result = f();
    let text = HELD.with(|held| held.borrow_mut().take()).unwrap_or_default();
    (result, text)
}

/// Prints what [`hold_diagnostics`] held back.
pub(crate) fn release_diagnostics(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Whether Terraform's `TF_IN_AUTOMATION` is set (to anything non-empty): output for a CI
/// log, without a spinner or hints about which command to type next.
pub(crate) fn in_automation() -> bool {
    std::env::var_os("TF_IN_AUTOMATION").is_some_and(|v| !v.is_empty())
}

/// Asks for `yes`; anything else (or no terminal) is a no.
pub(crate) fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "\n{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    let _ = stdout.flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    answer.trim() == "yes"
}

/// An error already shown to the user as diagnostics: exit 1 without printing more.
#[derive(Debug)]
pub(crate) struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("errors were reported")
    }
}

impl std::error::Error for Reported {}
