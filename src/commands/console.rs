//! `corral console`: evaluate expressions against the configuration in the working
//! directory, its variables and the values recorded in state. On a terminal it is an
//! interactive prompt (line editing and history from rustyline); otherwise it reads one
//! expression per line from standard input and prints one result per line, either in
//! Terraform's console notation or, with `--json`, as `{"value": ...}` / `{"error": "..."}`.
//! An error is reported and the loop goes on.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use corral_engine::addr::ModuleInstance;
use corral_engine::config::Config;
use corral_engine::diag::{Diagnostics, SourceMap};
use corral_engine::lang;
use corral_engine::plan::{self, ConsoleInput};
use corral_engine::runtime::{InstanceScope, RepetitionData, Values};
use corral_engine::value::Value;

use crate::args::ConsoleArgs;
use crate::context::Context;
use crate::ui::{self, Reported};
use crate::variables;

pub(crate) async fn run(ctx: &Context, args: &ConsoleArgs) -> anyhow::Result<i32> {
    let loaded = ctx.load()?;
    let store = ctx.store()?;
    let workspace = ctx.workspace();
    let state = store.read(&workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    let (inputs, var_sources, var_diags) = variables::collect(&loaded.config, &ctx.root, &ctx.work_dir, &args.vars);
    if !var_diags.is_empty() {
        ctx.report(&var_diags, &var_sources);
    }
    if var_diags.has_errors() {
        return Err(Reported.into());
    }
    let (values, diags) = plan::evaluate_for_console(&ConsoleInput {
        config: &loaded.config,
        graph: &loaded.graph,
        state: &state,
        registry: &ctx.registry,
        variables: &inputs,
        workspace,
        cwd: ctx.path_cwd.clone(),
    });
    // Problems in the configuration are shown once; expressions that do not touch them
    // still evaluate.
    ctx.report(&diags, &loaded.config.sources);
    let session = Session { config: &loaded.config, values: &values, json: args.json, color: ctx.color };
    if std::io::stdin().is_terminal() && !args.json {
        session.interactive()?;
    } else {
        session.piped()?;
    }
    Ok(0)
}

struct Session<'a> {
    config: &'a Config,
    values: &'a Values,
    json: bool,
    color: bool,
}

/// The outcome of one line.
enum Answer {
    Value(Value),
    Error { message: String, diags: Diagnostics, sources: SourceMap },
}

impl Session<'_> {
    fn interactive(&self) -> anyhow::Result<()> {
        let mut editor = rustyline::DefaultEditor::new()?;
        loop {
            match editor.readline("> ") {
                Ok(line) => {
                    let line = line.trim();
                    if line.is_empty() {
                        continue;
                    }
                    let _ = editor.add_history_entry(line);
                    if line == "exit" {
                        return Ok(());
                    }
                    self.print(self.evaluate(line))?;
                }
                // Ctrl-C abandons the line, as in a shell.
                Err(rustyline::error::ReadlineError::Interrupted) => {}
                Err(rustyline::error::ReadlineError::Eof) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn piped(&self) -> anyhow::Result<()> {
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if line == "exit" {
                break;
            }
            self.print(self.evaluate(line))?;
        }
        Ok(())
    }

    fn evaluate(&self, line: &str) -> Answer {
        let mut sources = SourceMap::default();
        let file = sources.add(PathBuf::from("<console-input>"), line);
        let expr = match lang::parse_expr(line, file) {
            Ok(expr) => expr,
            Err(diagnostic) => {
                let message = diagnostic_message(&diagnostic);
                return Answer::Error { message, diags: Diagnostics(vec![diagnostic]), sources };
            }
        };
        let root = ModuleInstance::root();
        let repetition = RepetitionData::default();
        let scope = InstanceScope {
            values: self.values,
            module: &root,
            config: &self.config.root,
            repetition: &repetition,
            self_value: None,
        };
        let (value, diags) = lang::eval(&expr, &scope);
        let first_error = diags.errors().next().map(diagnostic_message);
        match first_error {
            Some(message) => Answer::Error { message, diags, sources },
            None => Answer::Value(value),
        }
    }

    fn print(&self, answer: Answer) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        match (answer, self.json) {
            (Answer::Value(value), false) => writeln!(stdout, "{}", render(&value, 0))?,
            (Answer::Value(value), true) => writeln!(stdout, "{}", json_answer(&value))?,
            (Answer::Error { message, .. }, true) => writeln!(stdout, "{}", serde_json::json!({ "error": message }))?,
            (Answer::Error { diags, sources, .. }, false) => {
                stdout.flush()?;
                ui::print_diagnostics(&diags, &sources, self.color);
            }
        }
        stdout.flush()?;
        Ok(())
    }
}

fn diagnostic_message(diagnostic: &corral_engine::diag::Diagnostic) -> String {
    match &diagnostic.detail {
        Some(detail) => format!("{}: {detail}", diagnostic.summary),
        None => diagnostic.summary.clone(),
    }
}

/// `{"value": ...}`. Unknown and sensitive parts are `null` in the value, and flagged, so a
/// script never mistakes them for nulls and a secret never reaches the output.
fn json_answer(value: &Value) -> serde_json::Value {
    let mut answer = serde_json::Map::new();
    answer.insert("value".to_string(), hide_sensitive(value).to_json());
    if !value.is_wholly_known() {
        answer.insert("unknown".to_string(), serde_json::Value::Bool(true));
    }
    if value.contains_sensitive() {
        answer.insert("sensitive".to_string(), serde_json::Value::Bool(true));
    }
    serde_json::Value::Object(answer)
}

fn hide_sensitive(value: &Value) -> Value {
    match value {
        Value::Sensitive(inner) => Value::Null(inner.ty()),
        Value::List(ty, items) => Value::List(ty.clone(), items.iter().map(hide_sensitive).collect()),
        Value::Set(ty, items) => Value::Set(ty.clone(), items.iter().map(hide_sensitive).collect()),
        Value::Tuple(items) => Value::Tuple(items.iter().map(hide_sensitive).collect()),
        Value::Map(ty, items) => {
            Value::Map(ty.clone(), items.iter().map(|(k, v)| (k.clone(), hide_sensitive(v))).collect())
        }
        Value::Object(items) => Value::Object(items.iter().map(|(k, v)| (k.clone(), hide_sensitive(v))).collect()),
        other => other.clone(),
    }
}

/// A value in Terraform's console notation (`repl.FormatValue`): `tolist([...])`,
/// `tomap({...})`, heredocs for multi-line strings, `(known after apply)`,
/// `(sensitive)` (Terraform 1.0.3's console says that; plans say `(sensitive value)`).
/// `indent` is the column the value starts at.
pub(crate) fn render(value: &Value, indent: usize) -> String {
    match value {
        Value::Sensitive(_) => "(sensitive)".to_string(),
        Value::Unknown(_) => "(known after apply)".to_string(),
        Value::Null(_) => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => multi_line_string(s, indent).unwrap_or_else(|| quote(s)),
        Value::List(_, items) if !items.is_empty() => format!("tolist({})", sequence(items, indent)),
        Value::List(..) => "tolist([])".to_string(),
        Value::Set(_, items) if !items.is_empty() => format!("toset({})", sequence(items, indent)),
        Value::Set(..) => "toset([])".to_string(),
        Value::Tuple(items) => sequence(items, indent),
        Value::Map(_, entries) if !entries.is_empty() => format!("tomap({})", mapping(entries, indent)),
        Value::Map(..) => "tomap({})".to_string(),
        Value::Object(entries) => mapping(entries, indent),
    }
}

fn sequence(items: &[Value], indent: usize) -> String {
    if items.is_empty() {
        return "[]".to_string();
    }
    let mut out = String::from("[\n");
    for item in items {
        out.push_str(&" ".repeat(indent + 2));
        out.push_str(&render(item, indent + 2));
        out.push_str(",\n");
    }
    out.push_str(&" ".repeat(indent));
    out.push(']');
    out
}

fn mapping(entries: &std::collections::BTreeMap<String, Value>, indent: usize) -> String {
    if entries.is_empty() {
        return "{}".to_string();
    }
    let mut out = String::from("{\n");
    for (key, value) in entries {
        out.push_str(&" ".repeat(indent + 2));
        out.push_str(&quote(key));
        out.push_str(" = ");
        out.push_str(&render(value, indent + 2));
        out.push('\n');
    }
    out.push_str(&" ".repeat(indent));
    out.push('}');
    out
}

/// A string with newlines as a heredoc (`<<-` when indented), with a marker no line of the
/// text equals.
fn multi_line_string(text: &str, indent: usize) -> Option<String> {
    if !text.contains('\n') {
        return None;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let mut marker = "EOT".to_string();
    while lines.iter().any(|line| line.trim() == marker) {
        marker.push('_');
    }
    let pad = " ".repeat(indent);
    let mut out = String::from(if indent > 0 { "<<-" } else { "<<" });
    out.push_str(&marker);
    for line in lines {
        out.push('\n');
        out.push_str(&pad);
        out.push_str(line);
    }
    out.push('\n');
    out.push_str(&pad);
    out.push_str(&marker);
    Some(out)
}

/// A double-quoted string with Go's `%q` escapes, as Terraform prints strings.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() && (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
