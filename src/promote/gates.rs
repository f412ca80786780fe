//! The gates of the environment promoted into, judged on the plan the promotion produces
//! there (Terraform's plan JSON, as `corral show -json` prints it) and on the clock. Pure:
//! the caller reads the plan and the time.

use chrono::{Datelike, Timelike};

use super::settings::{Gate, GateKind, Window};

/// One reason a gate refuses: the gate, and the instance (or the time) that tripped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub gate: &'static str,
    /// The gate's index in the settings, to point at its block.
    pub gate_index: usize,
    /// The instance that tripped it (none for the change window).
    pub address: Option<String>,
    pub reason: String,
}

/// Every refusal of every gate (none: the promotion may go ahead). A plan with no changes
/// trips nothing: recording a revision changes nothing in the environment.
pub(crate) fn judge(gates: &[Gate], plan: &serde_json::Value, now: chrono::DateTime<chrono::Utc>) -> Vec<Refusal> {
    let changes: Vec<&serde_json::Value> = plan
        .get("resource_changes")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| !matches!(actions(c).as_slice(), [] | ["no-op"] | ["read"]))
        .collect();
    let mut refusals = Vec::new();
    if changes.is_empty() {
        return refusals;
    }
    for (gate_index, gate) in gates.iter().enumerate() {
        let refuse = |address: Option<&str>, reason: String| Refusal {
            gate: gate.kind.name(),
            gate_index,
            address: address.map(str::to_string),
            reason,
        };
        match &gate.kind {
            GateKind::NoDestroy => {
                for change in &changes {
                    let acts = actions(change);
                    if acts.contains(&"delete") {
                        let what = if acts.contains(&"create") {
                            "would be replaced (destroyed, then created)"
                        } else {
                            "would be destroyed"
                        };
                        refusals.push(refuse(Some(address(change)), what.to_string()));
                    }
                }
            }
            GateKind::NoReplacePersistent { types } => {
                for change in &changes {
                    let acts = actions(change);
                    let kind = field(change, "type");
                    let replaced = acts.contains(&"delete") && acts.contains(&"create");
                    if !(replaced && types.iter().any(|t| t == kind)) {
                        continue;
                    }
                    // A transient KMR cluster is replaced by design (each run is a new cluster).
                    let before_type = change.pointer("/change/before/type").and_then(serde_json::Value::as_str);
                    if kind == "kmr_cluster" && before_type.is_some_and(|t| t != "persistent") {
                        continue;
                    }
                    let because = change
                        .get("replace_paths")
                        .and_then(serde_json::Value::as_array)
                        .filter(|paths| !paths.is_empty())
                        .map(|paths| {
                            let names: Vec<String> = paths.iter().map(path_text).collect();
                            format!(" (because {} changed)", names.join(", "))
                        })
                        .unwrap_or_default();
                    refusals.push(refuse(
                        Some(address(change)),
                        format!("a persistent {kind} would be replaced, losing its data{because}"),
                    ));
                }
            }
            GateKind::NoCoreShrink => {
                for change in &changes {
                    if actions(change) != ["update"] {
                        continue;
                    }
                    let number = |side: &str| {
                        change.pointer(&format!("/change/{side}/core_count")).and_then(serde_json::Value::as_f64)
                    };
                    if let (Some(before), Some(after)) = (number("before"), number("after"))
                        && after < before
                    {
                        refusals.push(refuse(
                            Some(address(change)),
                            format!("core_count would shrink from {before} to {after} (HDFS data lives on core nodes)"),
                        ));
                    }
                }
            }
            GateKind::ChangeWindow(window) => {
                if let Some(reason) = outside(window, now) {
                    refusals.push(refuse(None, reason));
                }
            }
        }
    }
    refusals
}

/// Why `now` is outside the window, or none when inside.
pub(crate) fn outside(window: &Window, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    let local = now.with_timezone(&window.time_zone);
    let minute = local.hour() * 60 + local.minute();
    let (start, end) = (window.start, window.end);
    // A window past midnight (22:00-02:00) belongs to the day it starts on.
    let (in_hours, day) = if start < end {
        (minute >= start && minute < end, local.weekday())
    } else if minute >= start {
        (true, local.weekday())
    } else {
        (minute < end, local.weekday().pred())
    };
    if in_hours && window.weekdays.contains(&day) {
        return None;
    }
    let days: Vec<String> = window.weekdays.iter().map(|d| d.to_string()).collect();
    Some(format!(
        "it is {} {} in {}, outside the change window ({}, {}-{})",
        local.weekday(),
        local.format("%H:%M"),
        window.time_zone,
        days.join(" "),
        clock(start),
        clock(end),
    ))
}

fn clock(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn actions(change: &serde_json::Value) -> Vec<&str> {
    let list = change.pointer("/change/actions").and_then(serde_json::Value::as_array);
    list.into_iter().flatten().filter_map(serde_json::Value::as_str).collect()
}

fn field<'a>(change: &'a serde_json::Value, name: &str) -> &'a str {
    change.get(name).and_then(serde_json::Value::as_str).unwrap_or_default()
}

fn address(change: &serde_json::Value) -> &str {
    change.get("address").and_then(serde_json::Value::as_str).unwrap_or("?")
}

/// `["node_group", 0, "count"]` as `node_group[0].count`.
fn path_text(path: &serde_json::Value) -> String {
    let mut out = String::new();
    for step in path.as_array().into_iter().flatten() {
        match step {
            serde_json::Value::String(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            other => out.push_str(&format!("[{other}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests;
