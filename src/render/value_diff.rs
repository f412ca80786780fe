//! Attribute-level diffs of two values in Terraform's layout: `+ name = "x"`,
//! `~ size = 3 -> 5`, `- old = "y" -> null`, nested objects, maps and lists opened with
//! `{`/`[` one level deeper, unchanged attributes counted instead of shown.
//!
//! A line at nesting level `n` is `4n` spaces, the action symbol right-aligned in three
//! columns, a space, then the text; closing brackets line up with the text of their
//! opening line.

use std::collections::BTreeMap;

use corral_engine::value::{Path, PathStep, Value};
use similar::{Algorithm, DiffOp, TextDiff, capture_diff_slices};

use super::style::Style;

/// The symbol at the start of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sym {
    Create,
    Delete,
    Update,
    Same,
    /// A whole-resource symbol (`-/+`, `<=` …) given as text.
    Raw(&'static str),
}

impl Sym {
    fn text(self) -> &'static str {
        match self {
            Sym::Create => "+",
            Sym::Delete => "-",
            Sym::Update => "~",
            Sym::Same => "",
            Sym::Raw(text) => text,
        }
    }
}

/// Which unchanged attributes a body shows instead of counting them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Body {
    /// A resource's top level: `id`, `name` and `tags` are shown even when unchanged, so
    /// the reader can tell which object this is (as Terraform does).
    Resource,
    Nested,
}

pub(crate) struct DiffWriter<'a> {
    pub(crate) out: String,
    pub(crate) style: Style,
    pub(crate) replace_paths: &'a [Path],
}

const UNKNOWN: &str = "(known after apply)";
const SENSITIVE: &str = "(sensitive value)";

impl DiffWriter<'_> {
    pub(crate) fn line(&mut self, level: usize, sym: Sym, text: &str) {
        let symbol = sym.text();
        self.out.push_str(&" ".repeat(4 * level + 3 - symbol.len()));
        self.out.push_str(&self.style.symbol(symbol));
        self.out.push(' ');
        self.out.push_str(text);
        // Lines of unchanged values have no symbol; keep no trailing spaces either.
        let trimmed = self.out.trim_end_matches(' ').len();
        self.out.truncate(trimmed);
        self.out.push('\n');
    }

    /// A closing bracket (or heredoc end) of a value opened at `level`.
    fn close(&mut self, level: usize, text: &str) {
        self.out.push_str(&" ".repeat(4 * level + 4));
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn forces(&self, path: &Path) -> String {
        if self.replace_paths.contains(path) {
            format!(" {}", self.style.red("# forces replacement"))
        } else {
            String::new()
        }
    }

    /// The entries of an object or map body, one line (or block) each; unchanged entries
    /// are counted in a `# (N unchanged … hidden)` line.
    pub(crate) fn entries(
        &mut self,
        level: usize,
        before: Option<&BTreeMap<String, Value>>,
        after: Option<&BTreeMap<String, Value>>,
        is_map: bool,
        path: &Path,
        body: Body,
    ) {
        let present = |entries: Option<&BTreeMap<String, Value>>, key: &str| {
            entries.and_then(|e| e.get(key)).filter(|v| !v.is_null()).cloned()
        };
        let mut keys: Vec<&String> = before.into_iter().chain(after).flat_map(|e| e.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut shown = Vec::new();
        let mut hidden = 0;
        for key in keys {
            let (b, a) = (present(before, key), present(after, key));
            let unchanged = match (&b, &a) {
                (None, None) => continue,
                (Some(b), Some(a)) => same(b, a),
                _ => false,
            };
            let both_sides = before.is_some() && after.is_some();
            let important = body == Body::Resource && matches!(key.as_str(), "id" | "name" | "tags");
            if unchanged && both_sides && !important {
                hidden += 1;
                continue;
            }
            let label = if is_map || !is_identifier(key) { quote(key) } else { key.clone() };
            let step = if is_map { PathStep::Key(key.clone()) } else { PathStep::Attr(key.clone()) };
            shown.push((label, step, b, a));
        }
        let width = shown.iter().map(|(label, ..)| label.chars().count()).max().unwrap_or(0);
        for (label, step, b, a) in shown {
            let prefix = format!("{} = ", super::pad_to(&label, width));
            let mut child = path.clone();
            child.0.push(step);
            self.change(level, &prefix, b.as_ref(), a.as_ref(), &child, "");
        }
        if hidden > 0 {
            let noun = if is_map { "element" } else { "attribute" };
            self.hidden(level, hidden, noun);
        }
    }

    fn hidden(&mut self, level: usize, count: usize, noun: &str) {
        let plural = if count == 1 { "" } else { "s" };
        self.line(level, Sym::Same, &format!("# ({count} unchanged {noun}{plural} hidden)"));
    }

    /// One attribute or element, from `before` to `after` (`None` = absent).
    fn change(
        &mut self,
        level: usize,
        prefix: &str,
        before: Option<&Value>,
        after: Option<&Value>,
        path: &Path,
        tail: &str,
    ) {
        let comment = self.forces(path);
        match (before, after) {
            (None, None) => {}
            (None, Some(a)) => self.whole(level, Sym::Create, Sym::Create, prefix, a, tail, &comment),
            (Some(b), None) => {
                self.whole(level, Sym::Delete, Sym::Delete, prefix, b, &format!(" -> null{tail}"), &comment)
            }
            (Some(b), Some(a)) if same(b, a) => self.whole(level, Sym::Same, Sym::Same, prefix, a, tail, &comment),
            (Some(b), Some(a)) => self.update(level, prefix, b, a, path, tail, &comment),
        }
    }

    /// A whole value (created, deleted or unchanged). `open` is the symbol of its first
    /// line, `child` that of the lines inside it.
    #[expect(clippy::too_many_arguments, reason = "a private recursive helper; a struct would only rename them")]
    fn whole(&mut self, level: usize, open: Sym, child: Sym, prefix: &str, value: &Value, tail: &str, comment: &str) {
        if let Some(text) = inline(value) {
            self.line(level, open, &format!("{prefix}{text}{tail}{comment}"));
            return;
        }
        match value {
            Value::String(s) => {
                self.line(level, open, &format!("{prefix}<<-EOT{comment}"));
                for text in s.lines() {
                    self.line(level + 1, Sym::Same, text);
                }
                self.close(level, &format!("EOT{tail}"));
            }
            Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
                self.line(level, open, &format!("{prefix}[{comment}"));
                for item in items {
                    self.whole(level + 1, child, child, "", item, ",", "");
                }
                self.close(level, &format!("]{tail}"));
            }
            Value::Map(_, items) | Value::Object(items) => {
                let is_map = matches!(value, Value::Map(..));
                self.line(level, open, &format!("{prefix}{{{comment}"));
                let shown: Vec<(String, &Value)> = items
                    .iter()
                    .filter(|(_, v)| !v.is_null() || is_map)
                    .map(|(k, v)| (if is_map || !is_identifier(k) { quote(k) } else { k.clone() }, v))
                    .collect();
                let width = shown.iter().map(|(label, _)| label.chars().count()).max().unwrap_or(0);
                for (label, item) in shown {
                    self.whole(level + 1, child, child, &format!("{} = ", super::pad_to(&label, width)), item, "", "");
                }
                self.close(level, &format!("}}{tail}"));
            }
            // `inline` handles every other kind.
            other => self.line(level, open, &format!("{prefix}{}{tail}{comment}", compact(other))),
        }
    }

    #[expect(clippy::too_many_arguments, reason = "a private recursive helper; a struct would only rename them")]
    fn update(
        &mut self,
        level: usize,
        prefix: &str,
        before: &Value,
        after: &Value,
        path: &Path,
        tail: &str,
        comment: &str,
    ) {
        if before.is_sensitive() || after.is_sensitive() {
            self.line(level, Sym::Update, &format!("{prefix}{SENSITIVE}{tail}{comment}"));
            return;
        }
        if !after.is_known() {
            match inline(before) {
                Some(text) => self.line(level, Sym::Update, &format!("{prefix}{text} -> {UNKNOWN}{tail}{comment}")),
                None => self.whole(
                    level,
                    Sym::Update,
                    Sym::Delete,
                    prefix,
                    before,
                    &format!(" -> {UNKNOWN}{tail}"),
                    comment,
                ),
            }
            return;
        }
        match (before, after) {
            (Value::String(b), Value::String(a)) if b.contains('\n') || a.contains('\n') => {
                self.line(level, Sym::Update, &format!("{prefix}<<-EOT{comment}"));
                let diff = TextDiff::from_lines(b.as_str(), a.as_str());
                for change in diff.iter_all_changes() {
                    let sym = match change.tag() {
                        similar::ChangeTag::Equal => Sym::Same,
                        similar::ChangeTag::Delete => Sym::Delete,
                        similar::ChangeTag::Insert => Sym::Create,
                    };
                    self.line(level + 1, sym, change.value().trim_end_matches('\n'));
                }
                self.close(level, &format!("EOT{tail}"));
            }
            (Value::Object(b), Value::Object(a)) | (Value::Map(_, b), Value::Map(_, a)) => {
                let is_map = matches!(after, Value::Map(..));
                self.line(level, Sym::Update, &format!("{prefix}{{{comment}"));
                self.entries(level + 1, Some(b), Some(a), is_map, path, Body::Nested);
                self.close(level, &format!("}}{tail}"));
            }
            (
                Value::List(_, b) | Value::Set(_, b) | Value::Tuple(b),
                Value::List(_, a) | Value::Set(_, a) | Value::Tuple(a),
            ) => {
                self.line(level, Sym::Update, &format!("{prefix}[{comment}"));
                self.sequence(level + 1, b, a, path);
                self.close(level, &format!("]{tail}"));
            }
            (b, a) => match (inline(b), inline(a)) {
                (Some(b), Some(a)) => self.line(level, Sym::Update, &format!("{prefix}{b} -> {a}{tail}{comment}")),
                // Different kinds of value, at least one of them big: show the old one
                // going and the new one coming.
                _ => {
                    self.whole(level, Sym::Delete, Sym::Delete, prefix, b, &format!(" -> null{tail}"), comment);
                    self.whole(level, Sym::Create, Sym::Create, prefix, a, tail, comment);
                }
            },
        }
    }

    /// The elements of two sequences, matched by a longest-common-subsequence diff.
    fn sequence(&mut self, level: usize, before: &[Value], after: &[Value], path: &Path) {
        let key = |v: &Value| format!("{v:?}");
        let before_keys: Vec<String> = before.iter().map(key).collect();
        let after_keys: Vec<String> = after.iter().map(key).collect();
        for op in capture_diff_slices(Algorithm::Myers, &before_keys, &after_keys) {
            match op {
                DiffOp::Equal { len, .. } => self.hidden(level, len, "element"),
                DiffOp::Delete { old_index, old_len, .. } => {
                    for item in &before[old_index..old_index + old_len] {
                        self.whole(level, Sym::Delete, Sym::Delete, "", item, ",", "");
                    }
                }
                DiffOp::Insert { new_index, new_len, .. } => {
                    for item in &after[new_index..new_index + new_len] {
                        self.whole(level, Sym::Create, Sym::Create, "", item, ",", "");
                    }
                }
                DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                    let olds = &before[old_index..old_index + old_len];
                    let news = &after[new_index..new_index + new_len];
                    // Objects at the same position are shown as changed in place; other
                    // elements as removed and added.
                    let paired = olds.len().min(news.len());
                    for i in 0..paired {
                        let mut child = path.clone();
                        child.0.push(PathStep::Index((new_index + i) as i64));
                        if is_structural(&olds[i]) && is_structural(&news[i]) {
                            self.update(level, "", &olds[i], &news[i], &child, ",", "");
                        } else {
                            self.whole(level, Sym::Delete, Sym::Delete, "", &olds[i], ",", "");
                            self.whole(level, Sym::Create, Sym::Create, "", &news[i], ",", "");
                        }
                    }
                    for item in &olds[paired..] {
                        self.whole(level, Sym::Delete, Sym::Delete, "", item, ",", "");
                    }
                    for item in &news[paired..] {
                        self.whole(level, Sym::Create, Sym::Create, "", item, ",", "");
                    }
                }
            }
        }
    }
}

/// Whether two values render the same: equal, or equal as JSON with the same unknowns and
/// marks (state keeps a list as a tuple; that is no change to show).
pub(crate) fn same(before: &Value, after: &Value) -> bool {
    before == after
        || (before.to_json() == after.to_json()
            && before.unknown_mask() == after.unknown_mask()
            && before.sensitive_mask() == after.sensitive_mask())
}

fn is_structural(value: &Value) -> bool {
    matches!(value.unmarked(), Value::Object(_) | Value::Map(..))
}

/// A value that fits on one line, or `None` for one that needs several.
pub(crate) fn inline(value: &Value) -> Option<String> {
    Some(match value {
        Value::Sensitive(_) => SENSITIVE.to_string(),
        Value::Unknown(_) => UNKNOWN.to_string(),
        Value::Null(_) => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if !s.contains('\n') => quote(s),
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) if items.is_empty() => "[]".to_string(),
        Value::Map(_, items) | Value::Object(items) if items.is_empty() => "{}".to_string(),
        _ => return None,
    })
}

fn compact(value: &Value) -> String {
    value.to_json().to_string()
}

/// A string literal as HCL writes it.
pub(crate) fn quote(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string().replace("${", "$${")
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}
