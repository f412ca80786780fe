//! `yamlencode` and `yamldecode`, as Terraform's (go-cty-yaml): decoding resolves plain
//! scalars by YAML 1.1's rules (`yes`, `on`, `y` are true; `~` is null; `0x1F` is a
//! number), mappings become objects and sequences tuples; encoding writes block style with
//! every string double-quoted (multi-line strings as literal blocks), as go-cty-yaml's
//! emitter settings do.
//!
//! yaml-rust2 does the scanning; its own value loader follows YAML 1.2's core schema, so
//! we build values from its event stream and resolve scalars ourselves.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

use crate::value::{Number, Value};

/// How many values `value` holds, itself included.
fn node_count(value: &Value) -> u64 {
    match value.unmarked() {
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
            1 + items.iter().map(node_count).sum::<u64>()
        }
        Value::Map(_, entries) | Value::Object(entries) => 1 + entries.values().map(node_count).sum::<u64>(),
        _ => 1,
    }
}

/// A collection being built from the event stream.
enum Frame {
    Seq { anchor: usize, items: Vec<Value> },
    Map { anchor: usize, entries: BTreeMap<String, Value>, key: Option<String>, merge: bool },
}

/// Parses one YAML document into a value.
pub(super) fn decode(text: &str) -> Result<Value, String> {
    let mut parser = Parser::new_from_str(text);
    let mut anchors: BTreeMap<usize, Value> = BTreeMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut result: Option<Value> = None;
    let mut documents = 0;
    // Aliases copy their anchor's value: anchors of aliases of anchors grow exponentially
    // ("billion laughs"), so every node the result will hold is counted against the limit.
    let limit = crate::limits::limits().collection_elements;
    let mut nodes: u64 = 0;
    let mut add_nodes = |n: u64| {
        nodes = nodes.saturating_add(n);
        if limit.allows(nodes) { Ok(()) } else { Err(limit.exceeded(format!("more than {}", limit.value))) }
    };
    loop {
        let (event, marker) = parser.next_token().map_err(|e| e.to_string())?;
        let completed = match event {
            Event::StreamEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => continue,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(format!("on line {}: unexpected extra content after value", marker.line()));
                }
                continue;
            }
            Event::Alias(id) => {
                let value = anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| format!("on line {}: unknown anchor referenced", marker.line()))?;
                add_nodes(node_count(&value)).map_err(|m| format!("on line {}: {m}", marker.line()))?;
                value
            }
            Event::Scalar(text, style, anchor, tag) => {
                add_nodes(1).map_err(|m| format!("on line {}: {m}", marker.line()))?;
                let value = resolve_scalar(&text, style, tag.as_ref())
                    .map_err(|message| format!("on line {}: {message}", marker.line()))?;
                if anchor > 0 {
                    anchors.insert(anchor, value.clone());
                }
                value
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq { anchor, items: Vec::new() });
                continue;
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map { anchor, entries: BTreeMap::new(), key: None, merge: false });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                add_nodes(1).map_err(|m| format!("on line {}: {m}", marker.line()))?;
                let (anchor, value) = match stack.pop() {
                    Some(Frame::Seq { anchor, items }) => (anchor, Value::Tuple(items)),
                    Some(Frame::Map { anchor, entries, .. }) => (anchor, Value::Object(entries)),
                    None => return Err("unbalanced collection".to_string()),
                };
                if anchor > 0 {
                    anchors.insert(anchor, value.clone());
                }
                value
            }
        };
        match stack.last_mut() {
            None => result = Some(completed),
            Some(Frame::Seq { items, .. }) => items.push(completed),
            Some(Frame::Map { entries, key, merge, .. }) => match key.take() {
                None => {
                    *merge = matches!(&completed, Value::String(s) if s == "<<");
                    *key = Some(map_key(&completed).map_err(|m| format!("on line {}: {m}", marker.line()))?);
                }
                Some(k) if *merge => {
                    *merge = false;
                    // `<<: *base` merges the entries of one mapping (or of a list of them)
                    // that are not set explicitly.
                    let sources = match completed {
                        Value::Tuple(items) => items,
                        other => vec![other],
                    };
                    for source in sources {
                        let Value::Object(attrs) = source else {
                            return Err(format!(
                                "on line {}: map merge requires map or sequence of maps as the value",
                                marker.line()
                            ));
                        };
                        for (name, value) in attrs {
                            entries.entry(name).or_insert(value);
                        }
                    }
                    let _ = k;
                }
                Some(k) => {
                    entries.insert(k, completed);
                }
            },
        }
    }
    Ok(result.unwrap_or_else(Value::null))
}

/// Mapping keys become attribute names: strings as they are, numbers and bools in their
/// text form.
fn map_key(key: &Value) -> Result<String, String> {
    match key {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null(_) => Ok("null".to_string()),
        _ => Err("only strings, numbers and booleans may be used as mapping keys".to_string()),
    }
}

fn resolve_scalar(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if let Some(tag) = tag {
        let suffix = tag.suffix.as_str();
        return match suffix {
            "str" | "binary" => Ok(Value::string(text)),
            "null" => Ok(Value::null()),
            "bool" => resolve_plain(text)
                .filter(|v| matches!(v, Value::Bool(_)))
                .ok_or_else(|| format!("cannot decode {text:?} as a boolean")),
            "int" | "float" => resolve_plain(text)
                .filter(|v| matches!(v, Value::Number(_)))
                .ok_or_else(|| format!("cannot decode {text:?} as a number")),
            "timestamp" => Ok(Value::string(text)),
            _ => Err(format!("unsupported tag {}{}", tag.handle, tag.suffix)),
        };
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::string(text));
    }
    Ok(resolve_plain(text).unwrap_or_else(|| Value::string(text)))
}

/// YAML 1.1's implicit types for a plain scalar (go-yaml v2's `resolve`).
fn resolve_plain(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::null()),
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Some(Value::Bool(true));
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Some(Value::Bool(false));
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(Value::Number(Number::from(1).div(&Number::from(0))));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(Value::Number(Number::from(-1).div(&Number::from(0)))),
        _ => {}
    }
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let radix = if let Some(hex) = digits.strip_prefix("0x") {
        Some((hex, 16))
    } else if let Some(bin) = digits.strip_prefix("0b") {
        Some((bin, 2))
    } else if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()) {
        Some((&digits[1..], 8))
    } else {
        None
    };
    if let Some((body, radix)) = radix {
        let magnitude = bigdecimal::num_bigint::BigInt::parse_bytes(body.as_bytes(), radix)?;
        let value = if negative { -magnitude } else { magnitude };
        return Number::parse(&value.to_string()).map(Value::Number);
    }
    let looks_numeric = !digits.is_empty()
        && digits.bytes().any(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !looks_numeric {
        return None;
    }
    let literal = if negative { format!("-{digits}") } else { digits.to_string() };
    Number::parse(&literal).map(Value::Number)
}

/// Terraform's YAML text of a value.
pub(super) fn encode(value: &Value) -> Result<String, String> {
    let mut out = String::new();
    match value.unmarked() {
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) if !items.is_empty() => {
            write_seq(items, 0, &mut out)?;
        }
        Value::Map(_, entries) | Value::Object(entries) if !entries.is_empty() => {
            write_map(entries, 0, &mut out)?;
        }
        other => {
            write_scalar(other, 0, &mut out)?;
            out.push('\n');
        }
    }
    Ok(out)
}

fn is_block(value: &Value) -> bool {
    match value.unmarked() {
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => !items.is_empty(),
        Value::Map(_, entries) | Value::Object(entries) => !entries.is_empty(),
        _ => false,
    }
}

fn write_seq(items: &[Value], indent: usize, out: &mut String) -> Result<(), String> {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        write_nested(item, indent + 2, true, out)?;
    }
    Ok(())
}

fn write_map(entries: &BTreeMap<String, Value>, indent: usize, out: &mut String) -> Result<(), String> {
    for (i, (key, item)) in entries.iter().enumerate() {
        if i > 0 {
            out.push_str(&" ".repeat(indent));
        }
        write_quoted(key, out);
        out.push(':');
        match item.unmarked() {
            // A sequence under a key sits at the key's own indentation, as libyaml writes it.
            Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) if !items.is_empty() => {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                write_seq(items, indent, out)?;
            }
            Value::Map(_, entries) | Value::Object(entries) if !entries.is_empty() => {
                out.push('\n');
                out.push_str(&" ".repeat(indent + 2));
                write_map(entries, indent + 2, out)?;
            }
            other => {
                out.push(' ');
                write_scalar(other, indent + 2, out)?;
                out.push('\n');
            }
        }
    }
    Ok(())
}

/// A sequence item: collections continue on the same line (`- - a`, `- "k": v`).
fn write_nested(value: &Value, indent: usize, _inline: bool, out: &mut String) -> Result<(), String> {
    if is_block(value) {
        match value.unmarked() {
            Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => write_seq(items, indent, out),
            Value::Map(_, entries) | Value::Object(entries) => write_map(entries, indent, out),
            _ => Ok(()),
        }
    } else {
        write_scalar(value.unmarked(), indent, out)?;
        out.push('\n');
        Ok(())
    }
}

fn write_scalar(value: &Value, indent: usize, out: &mut String) -> Result<(), String> {
    match value {
        Value::Null(_) => out.push_str("null"),
        Value::Unknown(_) => return Err("cannot serialize unknown value as YAML".to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_infinite() => out.push_str(if n.is_negative() { "-.inf" } else { "+.inf" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) if s.contains('\n') => write_literal(s, indent, out),
        Value::String(s) => write_quoted(s, out),
        Value::List(..) | Value::Set(..) | Value::Tuple(_) => out.push_str("[]"),
        Value::Map(..) | Value::Object(_) => out.push_str("{}"),
        Value::Sensitive(inner) => return write_scalar(inner, indent, out),
    }
    Ok(())
}

/// A literal block (`|`), with the chomping indicator that keeps trailing newlines exact.
fn write_literal(s: &str, indent: usize, out: &mut String) {
    out.push('|');
    if s.starts_with(' ') {
        out.push('2');
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    let pad = " ".repeat(indent.max(2));
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
}

/// A double-quoted scalar with libyaml's escapes.
fn write_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            '\u{feff}' => out.push_str("\\uFEFF"),
            c => out.push(c),
        }
    }
    out.push('"');
}
