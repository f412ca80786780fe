//! The few token rewrites `terraform fmt` makes beyond whitespace (Terraform's
//! `command/fmt.go`): an interpolation-only string `"${expr}"` becomes `expr`, a bare
//! block label becomes a quoted one, and a `variable` block's legacy type (`"string"`,
//! `list`) becomes its modern spelling. Which tokens belong to which attribute or label
//! is taken from hcl-edit's syntax tree (its spans), so rewrites never reach into
//! object constructors or heredocs.

use std::ops::Range;

use hcl_edit::Span;
use hcl_edit::structure::{BlockLabel, Body, Structure};

use super::lexer::{Kind, Token};

/// Applies the rewrites to `tokens`, the tokens of the source `body` was parsed from.
pub(super) fn rewrite<'a>(body: &'a Body, tokens: &mut Vec<Token<'a>>) {
    let mut edits = Vec::new();
    collect(body, &[], tokens, &mut edits);
    // Apply from the back so earlier ranges stay valid.
    edits.sort_by_key(|edit: &Edit<'a>| std::cmp::Reverse(edit.range.start));
    for edit in edits {
        tokens.splice(edit.range, edit.replacement);
    }
}

struct Edit<'a> {
    range: Range<usize>,
    replacement: Vec<Token<'a>>,
}

fn collect<'a>(body: &'a Body, in_blocks: &[&str], tokens: &[Token<'a>], edits: &mut Vec<Edit<'a>>) {
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attribute) => {
                let Some(range) = attribute.value.span().map(|span| token_range(tokens, span)) else { continue };
                let value = &tokens[range.clone()];
                let replacement = if in_blocks == ["variable"] && attribute.key.as_str() == "type" {
                    type_expression(value)
                } else {
                    // Terraform unwraps once, so `"${"${x}"}"` needs two runs; unwrapping to
                    // the end keeps formatting idempotent.
                    let mut unwrapped = unwrap_interpolation(value);
                    while let Some(next) = unwrapped.as_deref().and_then(unwrap_interpolation) {
                        unwrapped = Some(next);
                    }
                    unwrapped
                };
                if let Some(replacement) = replacement {
                    edits.push(Edit { range, replacement });
                }
            }
            Structure::Block(block) => {
                for label in &block.labels {
                    if let BlockLabel::Ident(ident) = label
                        && let Some(span) = ident.span()
                    {
                        let range = token_range(tokens, span);
                        if let [token] = &tokens[range.clone()] {
                            edits.push(Edit {
                                range,
                                replacement: vec![
                                    Token::synthetic(Kind::OQuote, "\""),
                                    Token { kind: Kind::QuotedLit, ..*token },
                                    Token::synthetic(Kind::CQuote, "\""),
                                ],
                            });
                        }
                    }
                }
                let mut nested = in_blocks.to_vec();
                nested.push(block.ident.as_str());
                collect(&block.body, &nested, tokens, edits);
            }
        }
    }
}

/// The tokens that start inside `span` (tokens are sorted by offset before rewriting).
fn token_range(tokens: &[Token<'_>], span: Range<usize>) -> Range<usize> {
    let start = tokens.partition_point(|t| t.start.is_some_and(|s| s < span.start));
    let end = tokens.partition_point(|t| t.start.is_some_and(|s| s < span.end));
    start..end.max(start)
}

/// `"${expr}"` → `expr` (parenthesised when it spans lines); `None` when the value is
/// anything else, including templates with literal text or several interpolations.
fn unwrap_interpolation<'a>(value: &[Token<'a>]) -> Option<Vec<Token<'a>>> {
    if value.len() < 5 {
        return None;
    }
    let kinds = (value[0].kind, value[1].kind, value[value.len() - 2].kind, value[value.len() - 1].kind);
    if kinds != (Kind::OQuote, Kind::TemplateInterp, Kind::TemplateSeqEnd, Kind::CQuote) {
        return None;
    }
    let inside = &value[2..value.len() - 2];
    let mut quotes = 0usize;
    for token in inside {
        match token.kind {
            Kind::OQuote => quotes += 1,
            Kind::CQuote => quotes = quotes.saturating_sub(1),
            // Sequences inside nested strings belong to nested expressions.
            _ if quotes > 0 => {}
            Kind::TemplateInterp | Kind::TemplateSeqEnd | Kind::QuotedLit => return None,
            _ => {}
        }
    }
    let first = inside.iter().position(|t| t.kind != Kind::Newline)?;
    let last = inside.iter().rposition(|t| t.kind != Kind::Newline)?;
    let trimmed = &inside[first..=last];
    let multi_line = trimmed.iter().any(|t| t.kind == Kind::Newline);
    let parenthesised = trimmed.first().is_some_and(|t| t.kind == Kind::OParen)
        && trimmed.last().is_some_and(|t| t.kind == Kind::CParen);
    let mut result = Vec::with_capacity(trimmed.len() + 2);
    let wrap = multi_line && !parenthesised;
    if wrap {
        result.push(Token::synthetic(Kind::OParen, "("));
    }
    result.extend_from_slice(trimmed);
    if wrap {
        result.push(Token::synthetic(Kind::CParen, ")"));
    }
    Some(result)
}

/// A `variable` block's `type`: `list`/`map`/`set` mean a collection of `any`, and the
/// quoted types of Terraform 0.11 mean collections of strings.
fn type_expression<'a>(value: &[Token<'a>]) -> Option<Vec<Token<'a>>> {
    let collection = |name: &'a str, element: &'a str| {
        vec![
            Token::synthetic(Kind::Ident, name),
            Token::synthetic(Kind::OParen, "("),
            Token::synthetic(Kind::Ident, element),
            Token::synthetic(Kind::CParen, ")"),
        ]
    };
    match value {
        [keyword] if keyword.kind == Kind::Ident => match keyword.text {
            "list" => Some(collection("list", "any")),
            "map" => Some(collection("map", "any")),
            "set" => Some(collection("set", "any")),
            _ => None,
        },
        [open, literal, close]
            if open.kind == Kind::OQuote && literal.kind == Kind::QuotedLit && close.kind == Kind::CQuote =>
        {
            match literal.text {
                "string" => Some(vec![Token::synthetic(Kind::Ident, "string")]),
                "list" => Some(collection("list", "string")),
                "map" => Some(collection("map", "string")),
                _ => None,
            }
        }
        _ => None,
    }
}
