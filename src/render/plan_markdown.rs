//! The plan as a pull-request comment (`corral plan --markdown`): a heading with the summary
//! line, a table of what each changed resource will undergo, and the full plan collapsed in a
//! `<details>` block as a `diff` code block (the action symbols moved to the first column, so
//! the forge colours the lines).
//!
//! The collapsed text is the human renderer's, without colour: sensitive values show as
//! `(sensitive value)` exactly as they do in the terminal. Addresses and values come from the
//! configuration and the cloud, so they are kept from breaking out of where they are put: a
//! table cell's address escapes `|` and backticks, and the code fence is longer than any run
//! of backticks inside it.

use corral_engine::plan::{Action, Plan};

use super::plan_human::{render_plan, summary_line};

/// The markdown comment for `plan`.
pub(crate) fn render_plan_markdown(plan: &Plan) -> String {
    let changed: Vec<_> = plan.changes.iter().filter(|c| c.action != Action::NoOp).collect();
    let outputs = plan.output_changes.iter().filter(|o| o.action != Action::NoOp).count();
    let mut out = String::new();
    if changed.is_empty() && outputs == 0 && !plan.has_deferred() {
        out.push_str("### Corral plan: no changes\n\nThe infrastructure matches the configuration.\n");
        if !plan.drift.is_empty() {
            out.push_str(&drift_note(plan.drift.len()));
            out.push_str(&details("Show the changes made outside of Corral", &render_plan(plan, false)));
        }
        return out;
    }
    // `Plan: 1 to add, …` without the bold of the terminal.
    let summary = summary_line(plan, false);
    let summary = summary.trim_start_matches("Plan:").trim();
    out.push_str(&format!("### Corral plan: {}\n\n", summary.trim_end_matches('.')));
    if !changed.is_empty() {
        out.push_str("| Action | Resource |\n|---|---|\n");
        for change in &changed {
            let deposed = if change.deposed.is_some() { " (deposed object)" } else { "" };
            out.push_str(&format!("| {} | `{}`{deposed} |\n", action_label(change.action), cell_code(&change.addr)));
        }
    }
    if outputs > 0 {
        let noun = if outputs == 1 { "output changes" } else { "outputs change" };
        out.push_str(&format!("\n{outputs} {noun}.\n"));
    }
    if !plan.drift.is_empty() {
        out.push_str(&drift_note(plan.drift.len()));
    }
    if plan.has_deferred() {
        // The addresses and reasons are in the collapsed plan; configuration text stays there.
        out.push_str(&format!(
            "\n:hourglass: {} deferred to a later round: `corral apply` plans them once what they wait for exists.\n",
            match plan.deferred.len() {
                1 => "1 object is".to_string(),
                n => format!("{n} objects are"),
            }
        ));
    }
    let shown = changed.len();
    let title = if shown == 1 { "Show the change".to_string() } else { format!("Show the {shown} changes") };
    let title = match (shown, outputs) {
        (0, 0) => "Show the plan".to_string(),
        (0, _) => "Show the output changes".to_string(),
        _ => title,
    };
    out.push_str(&details(&title, &render_plan(plan, false)));
    out
}

const LEGEND_START: &str = "Corral used the selected providers";
const ACTIONS_START: &str = "Corral will perform the following actions:";

fn drift_note(count: usize) -> String {
    let objects = if count == 1 { "object has" } else { "objects have" };
    format!("\n:warning: {count} {objects} changed outside of Corral since the last apply.\n")
}

fn action_label(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update in-place",
        Action::Delete => "**destroy**",
        Action::DeleteThenCreate => "**replace** (destroy, then create)",
        Action::CreateThenDelete => "**replace** (create, then destroy)",
        Action::Read => "read",
        Action::NoOp => "no-op",
        Action::Forget => "forget (removed from state; the object stays)",
    }
}

/// An address inside a table cell's code span: `|` would end the cell even there.
fn cell_code(addr: &impl std::fmt::Display) -> String {
    addr.to_string().replace('|', "\\|").replace('`', "'")
}

/// `text` collapsed under `title`, as a `diff` code block.
fn details(title: &str, text: &str) -> String {
    // The legend of symbols explains the terminal's symbols, which the diff block replaces.
    let text = match (text.find(LEGEND_START), text.find(ACTIONS_START)) {
        (Some(start), Some(end)) if start < end => format!("{}{}", &text[..start], &text[end..]),
        _ => text.to_string(),
    };
    let body = fit(text.lines().map(diff_line).collect());
    let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
    format!("\n<details><summary>{title}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n")
}

/// A line of the human plan with its action symbol moved to the first column, where `diff`
/// highlighting looks for it: `+` added, `-` removed, `!` (for `~`, `-/+`, `+/-`) changed.
/// The indentation after the symbol is kept, so the blocks still line up.
fn diff_line(line: &str) -> String {
    let text = line.trim_start_matches(' ');
    let indent = line.len() - text.len();
    for (symbol, mark) in [("-/+ ", '!'), ("+/- ", '!'), ("+ ", '+'), ("- ", '-'), ("~ ", '!')] {
        if let Some(rest) = text.strip_prefix(symbol) {
            let width = indent + symbol.len() - 1;
            return format!("{mark}{}{rest}", " ".repeat(width));
        }
    }
    // Other lines get a blank first column, so nothing in them reads as a diff marker.
    if line.is_empty() { String::new() } else { format!(" {line}") }
}

/// Forges refuse long comments (GitHub: 65,536 characters): the collapsed plan is cut to fit,
/// at a line, saying how much was left out, rather than the whole comment being refused.
const MAX_DETAILS: usize = 60_000;

fn fit(lines: Vec<String>) -> String {
    let mut body = String::new();
    for (shown, line) in lines.iter().enumerate() {
        if body.len() + line.len() + 1 > MAX_DETAILS {
            let left = lines.len() - shown;
            body.push_str(&format!(
                " ... {left} more lines left out to fit a comment; `corral plan` shows the whole plan"
            ));
            return body;
        }
        body.push_str(line);
        body.push('\n');
    }
    body.pop();
    body
}

fn longest_backtick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_move_to_the_first_column_keeping_the_indentation() {
        assert_eq!(diff_line("  + resource \"a\" \"b\" {"), "+   resource \"a\" \"b\" {");
        assert_eq!(diff_line("      ~ size = 3 -> 5"), "!       size = 3 -> 5");
        assert_eq!(diff_line("-/+ resource \"a\" \"b\" {"), "!   resource \"a\" \"b\" {");
        assert_eq!(diff_line("  # testing_thing.a will be created"), "   # testing_thing.a will be created");
        assert_eq!(diff_line(""), "");
    }

    #[test]
    fn a_plan_too_long_for_a_comment_is_cut_at_a_line_saying_so() {
        let line = format!("  + name = \"{}\"", "x".repeat(90));
        let text = vec![line.as_str(); 2000].join("\n");
        let block = details("t", &text);
        assert!(block.len() < MAX_DETAILS + 200, "{}", block.len());
        assert!(block.contains("more lines left out to fit a comment"), "{block}");
        let short = details("t", "  + a = 1\n  + b = 2");
        assert!(short.contains("+   a = 1\n+   b = 2\n```\n"), "{short}");
    }

    #[test]
    fn the_fence_outlasts_any_backticks_in_the_plan() {
        let block = details("t", "  + name = \"````\"");
        assert!(block.contains("`````diff\n"), "{block}");
        assert!(block.ends_with("\n`````\n\n</details>\n"), "{block}");
        assert_eq!(cell_code(&"a|b`c"), "a\\|b'c");
    }
}
