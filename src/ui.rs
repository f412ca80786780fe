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
    let mut stderr = std::io::stderr().lock();
    for diagnostic in diags {
        let rendered = diagnostic_report::render(diagnostic, sources);
        let mut out = String::new();
        if handler.render_report(&mut out, &rendered).is_err() {
            out = format!("{}\n", diagnostic);
        }
        let _ = writeln!(stderr, "{out}");
    }
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
