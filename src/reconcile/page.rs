//! The status web page (`GET /` with `--listen`): one row per unit with its outcome, the
//! commit it ran, the last plan's summary and changes, drift and error. Rendered on the
//! server from the last pass, no script; a failed or blocked unit's row is red. It reloads
//! itself every 10 seconds.

use std::fmt::Write as _;

use super::status::{Outcome, Status, UnitStatus};

const STYLE: &str = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}\
tr.failed{background:#fdd;color:#a00}tr.drift{background:#ffd}tr.ok{background:#efe}\
code{font-size:.9em}ul{margin:0;padding-left:1.2em}";

pub(crate) fn render(status: Option<&Status>) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"10\">");
    let _ =
        write!(out, "<title>corral reconcile</title><style>{STYLE}</style></head><body>\n<h1>corral reconcile</h1>\n");
    let Some(status) = status else {
        out.push_str("<p>No pass has finished yet.</p>\n</body></html>\n");
        return out;
    };
    let _ = writeln!(
        out,
        "<p>Following <code>{}</code> branch <code>{}</code>, at <code>{}</code> (pass of {}).</p>",
        escape(&status.repo),
        escape(&status.branch),
        escape(status.commit.as_deref().unwrap_or("?")),
        escape(status.time.as_deref().unwrap_or("?")),
    );
    if let Some(error) = &status.error {
        let _ = writeln!(out, "<p class=\"failed\" style=\"color:#a00\">The last pass failed: {}</p>", escape(error));
    }
    out.push_str("<table id=\"units\">\n<tr><th>unit</th><th>outcome</th><th>commit</th><th>plan</th><th>changes</th><th>error</th></tr>\n");
    for unit in status.units.values() {
        row(&mut out, unit);
    }
    out.push_str("</table>\n</body></html>\n");
    out
}

fn row(out: &mut String, unit: &UnitStatus) {
    let class = match unit.outcome {
        Outcome::Failed | Outcome::Blocked => "failed",
        Outcome::DriftReported => "drift",
        _ => "ok",
    };
    let outcome =
        serde_json::to_value(unit.outcome).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let plan = unit.plan.as_ref().map_or_else(String::new, |p| {
        let mut text = format!("{} to add, {} to change, {} to destroy", p.add, p.change, p.destroy);
        if p.drifted > 0 {
            let _ = write!(text, "; {} changed outside Corral", p.drifted);
        }
        text
    });
    let mut changes = String::new();
    if let Some(plan) = unit.plan.as_ref().filter(|p| !p.changes.is_empty()) {
        changes.push_str("<ul>");
        for change in &plan.changes {
            let _ = write!(changes, "<li>{} <code>{}</code></li>", escape(&change.action), escape(&change.address));
        }
        changes.push_str("</ul>");
    }
    let commit = unit.commit.get(..12).unwrap_or(&unit.commit);
    let _ = writeln!(
        out,
        "<tr class=\"{class}\" data-unit=\"{unit_id}\"><td>{unit_id}</td><td>{outcome}</td><td><code>{commit}</code></td><td>{plan}</td><td>{changes}</td><td>{error}</td></tr>",
        unit_id = escape(&unit.unit),
        commit = escape(commit),
        plan = escape(&plan),
        error = escape(unit.error.as_deref().unwrap_or("")),
    );
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
