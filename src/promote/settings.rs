//! An environment's promotion settings: the `corral.promotion` file of the environment
//! promoted into. HCL (not `.hcl`, which the configuration loader would read):
//!
//! ```hcl
//! from = "staging"                      # the one environment promoted into this one
//! keep = ["backend.hcl", "extra.hcl"]   # files promotion never touches (globs)
//!
//! gate "no_destroy" {}
//! gate "no_replace_persistent" { types = ["kmr_cluster", "mrs_cluster"] }
//! gate "no_core_shrink" {}
//! gate "change_window" {
//!   weekdays  = ["mon", "tue", "wed", "thu"]
//!   hours     = "10:00-16:00"
//!   time_zone = "Asia/Shanghai"
//! }
//! ```
//!
//! Every problem is a diagnostic at its line; an unknown gate or setting is an error, never
//! ignored (a gate that silently does nothing is worse than none).

use std::path::Path;

use corral_engine::config::Expr;
use corral_engine::diag::{Diagnostic, Diagnostics, FileId, SourceMap, Span};
use corral_engine::lang;
use corral_engine::runtime::nodes::ConstScope;
use corral_engine::value::Value;
use hcl_edit::Span as _;
use hcl_edit::structure::{Attribute, Body, Structure};

/// The settings file of an environment.
pub(crate) const SETTINGS_FILE: &str = "corral.promotion";

/// Files kept when the settings say nothing: the usual homes of a `backend` block.
pub(crate) const DEFAULT_KEEP: &[&str] = &["backend.hcl", "backend.tf"];

/// Resource types whose replacement loses data, for `no_replace_persistent` when the gate
/// names none: a KMR cluster counts only when `type = "persistent"` (a transient one is
/// replaced by design).
pub(crate) const DEFAULT_PERSISTENT_TYPES: &[&str] =
    &["kmr_cluster", "mrs_cluster", "kyligence_stack", "kylin_cluster"];

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub from: Option<(String, Span)>,
    pub keep: Vec<String>,
    pub gates: Vec<Gate>,
}

#[derive(Debug, Clone)]
pub(crate) struct Gate {
    pub kind: GateKind,
    /// The gate block's header, where a refusal points.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GateKind {
    NoDestroy,
    NoReplacePersistent { types: Vec<String> },
    NoCoreShrink,
    ChangeWindow(Window),
}

impl GateKind {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            GateKind::NoDestroy => "no_destroy",
            GateKind::NoReplacePersistent { .. } => "no_replace_persistent",
            GateKind::NoCoreShrink => "no_core_shrink",
            GateKind::ChangeWindow(_) => "change_window",
        }
    }
}

/// When changes may be made: on these weekdays, between these times (end excluded; an end
/// before the start wraps past midnight), in this time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Window {
    /// Monday first; all seven when the gate names none.
    pub weekdays: Vec<chrono::Weekday>,
    /// Minutes since midnight; `(0, 1440)` when the gate names no hours.
    pub start: u32,
    pub end: u32,
    pub time_zone: chrono_tz::Tz,
}

const GATES: &str = "no_destroy, no_replace_persistent, no_core_shrink or change_window";

impl Settings {
    fn empty() -> Settings {
        Settings { from: None, keep: DEFAULT_KEEP.iter().map(|s| s.to_string()).collect(), gates: Vec::new() }
    }

    /// Reads `dir/corral.promotion`; no file is no gates and the default `keep`.
    pub(crate) fn load(dir: &Path, sources: &mut SourceMap, diags: &mut Diagnostics) -> Settings {
        let path = dir.join(SETTINGS_FILE);
        let text = match fs_err::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Settings::empty(),
            Err(e) => {
                diags.push(Diagnostic::error(format!("cannot read {}", path.display())).with_detail(e.to_string()));
                return Settings::empty();
            }
        };
        let file = sources.add(path, text.as_str());
        let mut settings = Settings::empty();
        match hcl_edit::parser::parse_body(&text) {
            Ok(body) => settings.read(file, &body, diags),
            Err(e) => {
                let at = Span::new(file, 0..0);
                diags.push(
                    Diagnostic::error("the promotion settings are not HCL").with_span(at).with_detail(e.to_string()),
                );
            }
        }
        settings
    }

    fn read(&mut self, file: FileId, body: &Body, diags: &mut Diagnostics) {
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let (value, span) = eval(file, attr, diags);
                    match attr.key.as_str() {
                        "from" => match value.as_str().filter(|s| !s.is_empty()) {
                            Some(from) => self.from = Some((from.to_string(), span)),
                            None => diags.push(expected(span, "from", "an environment name")),
                        },
                        "keep" => match strings(&value) {
                            Some(list) => {
                                for pattern in &list {
                                    if let Err(e) = globset::Glob::new(pattern) {
                                        diags.push(expected(span, "keep", &format!("file globs ({e})")));
                                    }
                                }
                                self.keep = list;
                            }
                            None => diags.push(expected(span, "keep", "a list of file globs")),
                        },
                        other => diags.push(
                            Diagnostic::error(format!("unknown promotion setting `{other}`"))
                                .with_span(key_span(file, attr))
                                .with_help("the settings are `from`, `keep` and `gate` blocks"),
                        ),
                    }
                }
                Structure::Block(block) => {
                    let header = Span::new(file, block.ident.span().unwrap_or(0..0));
                    if block.ident.as_str() != "gate" {
                        diags.push(
                            Diagnostic::error(format!(
                                "unknown block `{}` in the promotion settings",
                                block.ident.as_str()
                            ))
                            .with_span(header)
                            .with_help("only `gate \"NAME\" { ... }` blocks go here"),
                        );
                        continue;
                    }
                    let name = match block.labels.as_slice() {
                        [label] => label.as_str().to_string(),
                        _ => {
                            diags.push(
                                Diagnostic::error("a `gate` block takes one label, the gate's name")
                                    .with_span(header)
                                    .with_help(format!("one of {GATES}")),
                            );
                            continue;
                        }
                    };
                    let label_end = block.labels.last().and_then(|l| l.span()).map_or(header.end, |r| r.end);
                    let header = Span::new(file, header.start..label_end.max(header.end));
                    if let Some(kind) = gate(file, &name, header, &block.body, diags) {
                        self.gates.push(Gate { kind, span: header });
                    }
                }
            }
        }
    }
}

fn gate(file: FileId, name: &str, header: Span, body: &Body, diags: &mut Diagnostics) -> Option<GateKind> {
    let allowed: &[&str] = match name {
        "no_destroy" | "no_core_shrink" => &[],
        "no_replace_persistent" => &["types"],
        "change_window" => &["weekdays", "hours", "time_zone"],
        other => {
            diags.push(
                Diagnostic::error(format!("unknown gate `{other}`"))
                    .with_span(header)
                    .with_help(format!("the gates are {GATES}")),
            );
            return None;
        }
    };
    let mut values = Vec::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) if allowed.contains(&attr.key.as_str()) => {
                let (value, span) = eval(file, attr, diags);
                values.push((attr.key.to_string(), value, span));
            }
            Structure::Attribute(attr) => {
                let help = if allowed.is_empty() {
                    "this gate takes no settings".to_string()
                } else {
                    format!("this gate takes {}", allowed.join(", "))
                };
                diags.push(
                    Diagnostic::error(format!("gate `{name}` has no setting `{}`", attr.key.as_str()))
                        .with_span(key_span(file, attr))
                        .with_help(help),
                );
            }
            Structure::Block(block) => diags.push(
                Diagnostic::error(format!("unexpected block `{}` in gate `{name}`", block.ident.as_str()))
                    .with_span(Span::new(file, block.ident.span().unwrap_or(0..0))),
            ),
        }
    }
    match name {
        "no_destroy" => Some(GateKind::NoDestroy),
        "no_core_shrink" => Some(GateKind::NoCoreShrink),
        "no_replace_persistent" => {
            let mut types: Vec<String> = DEFAULT_PERSISTENT_TYPES.iter().map(|s| s.to_string()).collect();
            for (_, value, span) in &values {
                match strings(value) {
                    Some(list) if !list.is_empty() => types = list,
                    _ => diags.push(expected(*span, "types", "a non-empty list of resource types")),
                }
            }
            Some(GateKind::NoReplacePersistent { types })
        }
        _ => window(&values, diags).map(GateKind::ChangeWindow),
    }
}

fn window(values: &[(String, Value, Span)], diags: &mut Diagnostics) -> Option<Window> {
    use chrono::Weekday;
    let mut window = Window {
        weekdays: vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ],
        start: 0,
        end: 24 * 60,
        time_zone: chrono_tz::UTC,
    };
    let errors_before = diags.errors().count();
    for (name, value, span) in values {
        match name.as_str() {
            "weekdays" => {
                let days = strings(value)
                    .and_then(|list| list.iter().map(|d| d.parse::<Weekday>().ok()).collect::<Option<Vec<Weekday>>>());
                match days {
                    Some(days) if !days.is_empty() => window.weekdays = days,
                    _ => diags.push(expected(*span, "weekdays", "a non-empty list of days like [\"mon\", \"tue\"]")),
                }
            }
            "hours" => match value.as_str().and_then(parse_hours) {
                Some((start, end)) => (window.start, window.end) = (start, end),
                None => diags.push(expected(*span, "hours", "a range like \"09:00-17:00\" (end excluded)")),
            },
            _ => match value.as_str().and_then(|tz| tz.parse::<chrono_tz::Tz>().ok()) {
                Some(tz) => window.time_zone = tz,
                None => diags.push(expected(*span, "time_zone", "an IANA time zone like \"Asia/Shanghai\"")),
            },
        }
    }
    (diags.errors().count() == errors_before).then_some(window)
}

/// `HH:MM-HH:MM` as minutes since midnight; `24:00` is the end of the day. Start and end may
/// not be equal (an empty window would refuse everything, a whole day is `00:00-24:00`).
pub(crate) fn parse_hours(text: &str) -> Option<(u32, u32)> {
    let minutes = |t: &str| {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
    };
    let (start, end) = text.split_once('-')?;
    let (start, end) = (minutes(start)?, minutes(end)?);
    (start != end && start < 24 * 60).then_some((start, end))
}

fn eval(file: FileId, attr: &Attribute, diags: &mut Diagnostics) -> (Value, Span) {
    let span = Span::new(file, attr.value.span().unwrap_or(0..0));
    let expr = Expr { expr: attr.value.clone(), span };
    let (value, d) = lang::eval(&expr, &ConstScope);
    diags.extend(d);
    (value, span)
}

fn key_span(file: FileId, attr: &Attribute) -> Span {
    Span::new(file, attr.key.span().unwrap_or(0..0))
}

fn strings(value: &Value) -> Option<Vec<String>> {
    let json = value.to_json();
    json.as_array()?.iter().map(|v| v.as_str().map(str::to_string)).collect()
}

fn expected(span: Span, name: &str, what: &str) -> Diagnostic {
    Diagnostic::error(format!("`{name}` must be {what}")).with_span(span)
}

#[cfg(test)]
mod tests;
