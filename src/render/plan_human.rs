//! The human form of a plan, in Terraform's layout: a legend of the symbols used, one
//! block per changed instance with attribute-level diffs, the summary line, and the
//! changes to outputs. Drift found by refresh comes first, as a note.

use corral_engine::addr::ResourceMode;
use corral_engine::plan::{Action, ActionReason, Plan, ResourceChange};
use corral_engine::value::{Path, Value};

use super::style::Style;
use super::value_diff::{Body, DiffWriter, Sym};

/// The plan as Terraform would print it; ANSI colours when `color` is set.
pub(crate) fn render_plan(plan: &Plan, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    if plan.options.refresh_only {
        let outputs =
            plan.output_changes.iter().any(|o| o.action != Action::NoOp).then(|| render_output_changes(plan, style));
        return super::refresh_only::render(plan, style, render_drift(plan, style), outputs);
    }
    if !plan.drift.is_empty() {
        out.push_str(&render_drift(plan, style));
    }
    let changed: Vec<&ResourceChange> =
        plan.changes.iter().filter(|c| c.action != Action::NoOp || importing(plan, c).is_some()).collect();
    if changed.is_empty() {
        if plan.output_changes.iter().any(|o| o.action != Action::NoOp) {
            out.push_str(&render_output_changes(plan, style));
            out.push_str(
                "\nYou can apply this plan to save these new output values to the Corral state, without changing any\nreal infrastructure.\n",
            );
        } else if plan.has_deferred() {
            out.push_str(&style.bold("No changes can be planned now."));
            out.push('\n');
        } else {
            out.push_str(&style.bold("No changes. Your infrastructure matches the configuration."));
            out.push_str(
                "\n\nCorral has compared your real infrastructure against your configuration and found no\ndifferences, so no changes are needed.\n",
            );
        }
        if plan.has_deferred() {
            out.push('\n');
            out.push_str(&render_deferred(plan, style));
        }
        return out;
    }
    if changed.iter().any(|c| LEGEND.iter().any(|(a, ..)| *a == c.action)) {
        out.push_str(&legend(&changed, style));
        out.push('\n');
    }
    out.push_str("Corral will perform the following actions:\n");
    for change in &changed {
        out.push('\n');
        out.push_str(&render_change(change, importing(plan, change), style));
    }
    out.push('\n');
    out.push_str(&summary_line(plan, style.color));
    out.push('\n');
    if plan.output_changes.iter().any(|o| o.action != Action::NoOp) {
        out.push('\n');
        out.push_str(&render_output_changes(plan, style));
    }
    if plan.has_deferred() {
        out.push('\n');
        out.push_str(&render_deferred(plan, style));
    }
    out
}

/// The objects left to a later round, each with why; `corral apply` plans them once what
/// they wait for exists.
pub(crate) fn render_deferred(plan: &Plan, style: Style) -> String {
    let mut out = style.bold(&format!("Deferred to a later round ({}):", plan.deferred.len()));
    out.push('\n');
    for deferred in &plan.deferred {
        out.push_str(&format!("  {}: {}", deferred.address, deferred.detail));
        match deferred.existing.len() {
            0 => {}
            1 => out.push_str(" (its 1 existing instance is left as it is)"),
            n => out.push_str(&format!(" (its {n} existing instances are left as they are)")),
        }
        out.push('\n');
    }
    out.push_str(
        "\n`corral apply` applies the changes above, then plans again for what was deferred, round after\nround, until nothing is.\n",
    );
    out
}

/// The id a change's instance is imported by, if the plan imports it.
fn importing<'p>(plan: &'p Plan, change: &ResourceChange) -> Option<&'p str> {
    if change.deposed.is_some() { None } else { plan.importing(&change.addr) }
}

/// `Plan: 2 to add, 1 to change, 0 to destroy.` A replacement counts as one add and one
/// destroy, as in Terraform; imports come first and forgotten objects last, each only when
/// there are some (Terraform 1.5 and 1.7).
pub(crate) fn summary_line(plan: &Plan, color: bool) -> String {
    let color = Style { color };
    let (mut add, mut change, mut destroy, mut forget) = (0, 0, 0, 0);
    for c in &plan.changes {
        match c.action {
            Action::Create => add += 1,
            Action::Update => change += 1,
            Action::Delete => destroy += 1,
            Action::DeleteThenCreate | Action::CreateThenDelete => {
                add += 1;
                destroy += 1;
            }
            Action::Forget => forget += 1,
            Action::NoOp | Action::Read => {}
        }
    }
    let import = match plan.imports.len() {
        0 => String::new(),
        n => format!(" {n} to import,"),
    };
    let forget = if forget > 0 { format!(", {forget} to forget") } else { String::new() };
    let deferred = match plan.deferred.len() {
        0 => String::new(),
        n => format!(", {n} deferred"),
    };
    format!("{}{import} {add} to add, {change} to change, {destroy} to destroy{forget}{deferred}.", color.bold("Plan:"))
}

/// What an apply did, for its summary line.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Applied {
    pub imported: usize,
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub forgotten: usize,
}

/// `Apply complete! Resources: 1 added, 0 changed, 0 destroyed.`, with `N imported, ` first
/// and `, N forgotten` last when there are some.
pub(crate) fn render_apply_summary(applied: Applied, color: bool) -> String {
    let style = Style { color };
    let head = style.green(&style.bold("Apply complete!"));
    let Applied { imported, added, changed, destroyed, forgotten } = applied;
    let imported = if imported > 0 { format!("{imported} imported, ") } else { String::new() };
    let forgotten = if forgotten > 0 { format!(", {forgotten} forgotten") } else { String::new() };
    format!("{head} Resources: {imported}{added} added, {changed} changed, {destroyed} destroyed{forgotten}.\n")
}

/// `Destroy complete! Resources: 2 destroyed.`
pub(crate) fn render_destroy_summary(destroyed: usize, color: bool) -> String {
    let style = Style { color };
    format!("{} Resources: {destroyed} destroyed.\n", style.green(&style.bold("Destroy complete!")))
}

const LEGEND: [(Action, &str, &str); 6] = [
    (Action::Create, "+", "create"),
    (Action::Update, "~", "update in-place"),
    (Action::Delete, "-", "destroy"),
    (Action::DeleteThenCreate, "-/+", "destroy and then create replacement"),
    (Action::CreateThenDelete, "+/-", "create replacement and then destroy"),
    (Action::Read, "<=", "read (data resources)"),
];

fn legend(changed: &[&ResourceChange], style: Style) -> String {
    let mut out = String::from(
        "Corral used the selected providers to generate the following execution plan. Resource\nactions are indicated with the following symbols:\n",
    );
    for (action, symbol, text) in LEGEND {
        if changed.iter().any(|c| c.action == action) {
            out.push_str(&format!("{:>pad$}{} {text}\n", "", style.symbol(symbol), pad = 3 - symbol.len()));
        }
    }
    out
}

fn action_symbol(action: Action) -> &'static str {
    LEGEND.iter().find(|(a, ..)| *a == action).map(|(_, symbol, _)| *symbol).unwrap_or("")
}

/// The `# ADDR will be …` lines over a block.
fn headline(change: &ResourceChange, importing: Option<&str>) -> Vec<String> {
    let addr = &change.addr;
    let mut lines = Vec::new();
    if change.action == Action::NoOp && importing.is_some() {
        lines.push(format!("{addr} will be imported"));
        return lines;
    }
    if change.action == Action::Forget {
        lines.push(format!("{addr} will no longer be managed by Corral"));
        return lines;
    }
    let mut lines = headline_of_action(change, lines);
    if let Some(id) = importing {
        lines.push(format!("(imported from {})", quote_id(id)));
    }
    lines
}

/// An import id as Terraform quotes it.
fn quote_id(id: &str) -> String {
    serde_json::to_string(id).unwrap_or_else(|_| format!("\"{id}\""))
}

fn headline_of_action(change: &ResourceChange, mut lines: Vec<String>) -> Vec<String> {
    let addr = &change.addr;
    match change.action {
        Action::Create => lines.push(format!("{addr} will be created")),
        Action::Update => lines.push(format!("{addr} will be updated in-place")),
        Action::Read if change.reason == Some(ActionReason::ReadToConfirm) => {
            lines.push(format!("{addr} will be read during apply, to confirm"));
            lines.push(
                "(waits for pending changes: planned with this value; if apply reads another, nothing that uses it is applied)"
                    .to_string(),
            );
        }
        Action::Read => {
            lines.push(format!("{addr} will be read during apply"));
            match change.reason {
                Some(ActionReason::ReadBecauseConfigUnknown) => {
                    lines.push("(config refers to values not yet known)".to_string())
                }
                Some(ActionReason::ReadBecauseDependencyPending) => {
                    lines.push("(depends on a resource or a module with changes pending)".to_string())
                }
                _ => {}
            }
        }
        Action::DeleteThenCreate | Action::CreateThenDelete => lines.push(match change.reason {
            Some(ActionReason::ReplaceBecauseTainted) => format!("{addr} is tainted, so must be replaced"),
            Some(ActionReason::ReplaceByRequest) => format!("{addr} will be replaced, as requested"),
            Some(ActionReason::ReplaceByTriggers) => {
                format!("{addr} will be replaced due to changes in replace_triggered_by")
            }
            _ => format!("{addr} must be replaced"),
        }),
        Action::Delete if change.deposed.is_some() => {
            // The old object of an interrupted create-before-destroy replacement.
            lines.push(format!("{addr} (deposed object) will be destroyed"));
            lines.push("(left behind by an interrupted replacement; the current object is kept)".to_string());
        }
        Action::Delete => {
            lines.push(format!("{addr} will be destroyed"));
            let because = match change.reason {
                Some(ActionReason::DeleteBecauseNoResourceConfig) => {
                    Some(format!("because {} is not in configuration", addr.resource()))
                }
                Some(ActionReason::DeleteBecauseNoModule) => {
                    Some(format!("because {} is not in configuration", addr.module))
                }
                Some(ActionReason::DeleteBecauseCountIndex) => {
                    Some(format!("because index {} is out of range for count", addr.key))
                }
                Some(ActionReason::DeleteBecauseEachKey) => {
                    Some(format!("because key {} is not in for_each map", addr.key))
                }
                Some(ActionReason::DeleteBecauseWrongRepetition) => Some(match addr.key {
                    corral_engine::addr::InstanceKey::None => "because resource uses count or for_each".to_string(),
                    corral_engine::addr::InstanceKey::Int(_) => "because resource does not use count".to_string(),
                    corral_engine::addr::InstanceKey::Str(_) => "because resource does not use for_each".to_string(),
                }),
                _ => None,
            };
            lines.extend(because.map(|b| format!("({b})")));
        }
        Action::NoOp | Action::Forget => {}
    }
    lines
}

/// One instance's block: headline, `resource "TYPE" "NAME" {`, attributes, `}`.
fn render_change(change: &ResourceChange, importing: Option<&str>, style: Style) -> String {
    let mut writer = DiffWriter { out: String::new(), style, replace_paths: &change.replace_paths };
    for line in headline(change, importing) {
        writer.out.push_str(&format!("  {}\n", style.bold(&format!("# {line}"))));
    }
    block(&mut writer, change, Sym::Raw(action_symbol(change.action)));
    writer.out
}

fn block(writer: &mut DiffWriter<'_>, change: &ResourceChange, symbol: Sym) {
    let kind = match change.addr.resource.mode {
        ResourceMode::Managed => "resource",
        ResourceMode::Data => "data",
    };
    writer.line(0, symbol, &format!("{kind} \"{}\" \"{}\" {{", change.type_name, change.addr.resource.name));
    let entries = |v: Option<&Value>| v.filter(|v| !v.is_null()).and_then(Value::as_entries).cloned();
    let (before, after) = match change.action {
        // A read shows what will be read, not what was read last time.
        Action::Create | Action::Read => (None, entries(change.after.as_ref())),
        Action::Delete => (entries(change.before()), None),
        // What state forgets, shown as it is.
        Action::Forget => (entries(change.before()), entries(change.before())),
        _ => (entries(change.before()), entries(change.after.as_ref())),
    };
    writer.entries(1, before.as_ref(), after.as_ref(), false, &Path::root(), Body::Resource);
    writer.out.push_str("    }\n");
}

fn render_drift(plan: &Plan, style: Style) -> String {
    let mut out = format!("{}\n\n", style.bold("Note: Objects have changed outside of Corral"));
    out.push_str(
        "Corral detected the following changes made outside of Corral since the last \"corral apply\"\nwhich may have affected this plan:\n",
    );
    for drift in &plan.drift {
        let mut writer = DiffWriter { out: String::new(), style, replace_paths: &[] };
        let (line, symbol) = if drift.after.is_none() {
            (format!("{} has been deleted", drift.addr), "-")
        } else {
            (format!("{} has changed", drift.addr), "~")
        };
        writer.out.push_str(&format!("\n  {}\n", style.bold(&format!("# {line}"))));
        block(&mut writer, drift, Sym::Raw(symbol));
        out.push_str(&writer.out);
    }
    out.push_str(
        "\nUnless you have made equivalent changes to your configuration, or ignored the relevant\nattributes using ignore_changes, the following plan may include actions to undo or respond\nto these changes.\n",
    );
    out.push_str(&format!("\n{}\n\n", "─".repeat(77)));
    out
}

fn render_output_changes(plan: &Plan, style: Style) -> String {
    let mut out = format!("{}\n", style.bold("Changes to Outputs:"));
    let mut writer = DiffWriter { out: String::new(), style, replace_paths: &[] };
    let hide = |v: &Option<Value>, sensitive: bool| {
        v.clone().map(|v| if sensitive && !v.is_null() { v.mark_sensitive() } else { v })
    };
    let as_entries = |side: fn(&corral_engine::plan::OutputChange) -> &Option<Value>| {
        plan.output_changes
            .iter()
            .filter(|o| o.action != Action::NoOp)
            .filter_map(|o| hide(side(o), o.sensitive).map(|v| (o.name.clone(), v)))
            .collect::<std::collections::BTreeMap<String, Value>>()
    };
    let before = as_entries(|o| &o.before);
    let after = as_entries(|o| &o.after);
    writer.entries(0, Some(&before), Some(&after), false, &Path::root(), Body::Nested);
    // Unchanged outputs are not listed at all; drop the count line the body adds.
    let kept: Vec<&str> = writer.out.lines().filter(|l| !l.trim_start().starts_with("# (")).collect();
    for line in kept {
        out.push_str(line);
        out.push('\n');
    }
    out
}
