//! Syntax errors: parsing one file with hcl-edit and, when that fails, turning its error
//! into a diagnostic at the right place.
//!
//! hcl-edit's parser backtracks, so for an unterminated string or an unclosed brace it
//! reports the start of the enclosing construct (often line 1, column 1). When parsing fails
//! we therefore first run a small lexical scan that tracks strings, heredocs, comments and
//! bracket nesting, and report what it finds at the offending character; only when the scan
//! finds nothing do we use hcl-edit's own location and message.

use hcl_edit::structure::Body;

use crate::diag::{Diagnostic, FileId, Span};

/// Parses one file; on failure returns the diagnostic for its first syntax error.
pub(super) fn parse_file(file: FileId, text: &str) -> Result<Body, Box<Diagnostic>> {
    hcl_edit::parser::parse_body(text).map_err(|err| {
        if let Some(problem) = scan(text) {
            let mut d = Diagnostic::error(problem.summary).with_span(Span::new(file, problem.at..problem.at + 1));
            if let Some(help) = problem.help {
                d = d.with_help(help);
            }
            if let Some((at, label)) = problem.related {
                d = d.with_label(Span::new(file, at..at + 1), label);
            }
            return Box::new(d);
        }
        Box::new(parser_error(file, text, &err))
    })
}

fn parser_error(file: FileId, text: &str, err: &hcl_edit::parser::Error) -> Diagnostic {
    let location = err.location();
    let offset = offset_of(text, location.line(), location.column());
    let end = next_char_boundary(text, offset);
    let span = Span::new(file, offset..end);
    let message = err.message();
    let duplicate = if message.contains("redefined attribute") {
        Some(("argument", "each argument may be set only once in a block"))
    } else if message.contains("redefined object key") {
        Some(("object key", "each key may appear only once in an object"))
    } else {
        None
    };
    if let Some((what, help)) = duplicate {
        // The error points at the repeated name (possibly quoted): name it.
        let rest = &text[offset..];
        let quoted = rest.starts_with('"');
        let name: String =
            rest[usize::from(quoted)..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-').collect();
        let name_end = offset + usize::from(quoted) + name.len();
        return Diagnostic::error(format!("duplicate {what} `{name}`"))
            .with_span(Span::new(file, offset..name_end.max(end)))
            .with_help(help);
    }
    // hcl-edit's messages read "invalid expression; expected `]`, ...": the first clause is
    // the summary, the rest the detail.
    let (what, detail) = match message.split_once("; ") {
        Some((what, detail)) => (what, Some(detail)),
        None => (message, None),
    };
    let mut d = Diagnostic::error(format!("syntax error: {what}")).with_span(span);
    if let Some(detail) = detail {
        d = d.with_detail(detail.to_string());
    }
    d
}

/// The byte offset of a 1-based line and character column, clamped to the text.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start =
        if line <= 1 { 0 } else { text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1).unwrap_or(text.len()) };
    text[line_start..].char_indices().nth(column.saturating_sub(1)).map(|(i, _)| line_start + i).unwrap_or(text.len())
}

fn next_char_boundary(text: &str, offset: usize) -> usize {
    text[offset..].chars().next().map(|c| offset + c.len_utf8()).unwrap_or(offset)
}

/// A lexical problem found by [`scan`], at a byte offset.
#[derive(Debug, PartialEq)]
pub(super) struct Problem {
    pub(super) at: usize,
    pub(super) summary: String,
    pub(super) help: Option<String>,
    /// Another place worth pointing at (the opening bracket of a mismatched closing one).
    pub(super) related: Option<(usize, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Open {
    Brace,
    Bracket,
    Paren,
    /// `${` or `%{` inside a quoted string: closed by `}`, then back in the string.
    Interpolation,
    Quote,
}

impl Open {
    fn text(self) -> &'static str {
        match self {
            Open::Brace => "{",
            Open::Bracket => "[",
            Open::Paren => "(",
            Open::Interpolation => "${",
            Open::Quote => "\"",
        }
    }

    fn closer(self) -> &'static str {
        match self {
            Open::Brace | Open::Interpolation => "}",
            Open::Bracket => "]",
            Open::Paren => ")",
            Open::Quote => "\"",
        }
    }
}

/// Finds the first unterminated string, heredoc or comment, or unbalanced bracket.
pub(super) fn scan(text: &str) -> Option<Problem> {
    let bytes = text.as_bytes();
    let mut stack: Vec<(Open, usize)> = Vec::new();
    let mut i = 0;
    let problem = |at: usize, summary: String, help: Option<String>| Some(Problem { at, summary, help, related: None });
    while i < bytes.len() {
        let b = bytes[i];
        let in_string = matches!(stack.last(), Some((Open::Quote, _)));
        if in_string {
            match b {
                b'\\' => i += 1,
                b'$' | b'%' if bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b'{') => i += 2,
                b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                    stack.push((Open::Interpolation, i));
                    i += 1;
                }
                b'"' => {
                    stack.pop();
                }
                b'\n' => {
                    let start = stack.last().map(|(_, at)| *at).unwrap_or(i);
                    return problem(
                        start,
                        "unterminated string".into(),
                        Some("close the string with `\"` on the same line; use a heredoc (`<<EOT`) for text over several lines".into()),
                    );
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'#' => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => match text[i + 2..].find("*/") {
                Some(end) => i = i + 2 + end + 2,
                None => return problem(i, "unterminated comment".into(), Some("close the comment with `*/`".into())),
            },
            b'"' => {
                stack.push((Open::Quote, i));
                i += 1;
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => match heredoc(text, i) {
                Heredoc::Absent => i += 2,
                Heredoc::Ends(next) => i = next,
                Heredoc::Unterminated(marker) => {
                    return problem(
                        i,
                        format!("heredoc `<<{marker}` has no end marker"),
                        Some(format!("end the heredoc with a line holding only `{marker}`")),
                    );
                }
            },
            b'{' | b'[' | b'(' => {
                let open = match b {
                    b'{' => Open::Brace,
                    b'[' => Open::Bracket,
                    _ => Open::Paren,
                };
                stack.push((open, i));
                i += 1;
            }
            b'}' | b']' | b')' => {
                let closer = (b as char).to_string();
                match stack.last().copied() {
                    Some((open, _)) if open.closer() == closer => {
                        stack.pop();
                    }
                    Some((open, at)) => {
                        return Some(Problem {
                            at: i,
                            summary: format!("unexpected `{closer}`"),
                            help: Some(format!("expected `{}` to close the `{}`", open.closer(), open.text())),
                            related: Some((at, format!("`{}` opened here", open.text()))),
                        });
                    }
                    None => return problem(i, format!("unexpected `{closer}`"), Some("nothing is open here".into())),
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let (open, at) = stack.pop()?;
    Some(match open {
        Open::Quote => Problem {
            at,
            summary: "unterminated string".into(),
            help: Some("close the string with `\"`".into()),
            related: None,
        },
        Open::Brace => Problem {
            at,
            summary: "unclosed `{`".into(),
            help: Some("there is no closing `}` for this block or object before the end of the file".into()),
            related: None,
        },
        other => Problem {
            at,
            summary: format!("unclosed `{}`", other.text()),
            help: Some(format!("there is no closing `{}` before the end of the file", other.closer())),
            related: None,
        },
    })
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..].iter().position(|b| *b == b'\n').map(|p| from + p).unwrap_or(bytes.len())
}

enum Heredoc {
    Absent,
    /// The offset just after the end marker's line.
    Ends(usize),
    Unterminated(String),
}

/// `<<EOT` or `<<-EOT` at `at`, up to the line holding only the marker.
fn heredoc(text: &str, at: usize) -> Heredoc {
    let rest = &text[at + 2..];
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let marker: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-').collect();
    if marker.is_empty() {
        return Heredoc::Absent;
    }
    let after_marker = &rest[marker.len()..];
    let Some(body) = after_marker.strip_prefix("\r\n").or_else(|| after_marker.strip_prefix('\n')) else {
        return Heredoc::Absent;
    };
    let body_start = text.len() - body.len();
    let mut offset = body_start;
    for line in body.split_inclusive('\n') {
        offset += line.len();
        if line.trim() == marker {
            // The end marker's line break ends the attribute; leave it to the caller.
            return Heredoc::Ends(offset - (line.len() - line.trim_end().len()));
        }
    }
    Heredoc::Unterminated(marker)
}
