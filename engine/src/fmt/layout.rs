//! The whitespace rules of `terraform fmt` (hclwrite's `format`), applied to a token list.
//!
//! Formatting only ever changes the spaces *before* tokens; the tokens themselves, and the
//! newlines between them, stay as written. The three passes are hclwrite's: indent each
//! line by its bracket nesting, space the tokens within a line, then align the `=` of runs
//! of single-line attributes and the trailing comments of runs of commented lines.

use unicode_segmentation::UnicodeSegmentation;

use super::lexer::{Kind, Token};

/// One source line split into hclwrite's cells: `lead` (everything up to the others),
/// `assign` (from the `=` of an attribute whose value closes on this line) and `comment`
/// (a trailing single-line comment). Ranges index the token list.
#[derive(Debug, Clone, Default)]
struct Line {
    lead: std::ops::Range<usize>,
    assign: Option<std::ops::Range<usize>>,
    comment: Option<std::ops::Range<usize>>,
}

/// Sets `spaces_before` on every token.
pub(super) fn layout(tokens: &mut [Token<'_>]) {
    let lines = split_lines(tokens);
    indent(tokens, &lines);
    space(tokens, &lines);
    align(tokens, &lines);
}

/// Writes the tokens with their spacing, ending with exactly the newlines the tokens hold
/// (plus one if the text does not end with a newline, as Terraform does).
pub(super) fn render(tokens: &[Token<'_>]) -> String {
    let mut out = String::with_capacity(tokens.iter().map(|t| t.text.len() + t.spaces_before).sum::<usize>() + 1);
    for token in tokens {
        out.extend(std::iter::repeat_n(' ', token.spaces_before));
        out.push_str(token.text);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn split_lines(tokens: &[Token<'_>]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        if token.ends_line() {
            lines.push(Line { lead: start..i + 1, ..Line::default() });
            start = i + 1;
        }
    }
    if start < tokens.len() {
        lines.push(Line { lead: start..tokens.len(), ..Line::default() });
    }
    for line in &mut lines {
        let lead = line.lead.clone();
        if lead.len() > 1 && tokens[lead.end - 1].kind == Kind::Comment {
            line.comment = Some(lead.end - 1..lead.end);
            line.lead = lead.start..lead.end - 1;
        }
        let lead = line.lead.clone();
        // Only an `=` whose right-hand side closes on this line starts an "assign" cell:
        // an attribute opening a multi-line value does not take part in alignment.
        if let Some(equals) = lead.clone().skip(1).find(|&i| tokens[i].kind == Kind::Equal) {
            let net: i64 = tokens[equals..lead.end].iter().map(Token::bracket_change).sum();
            if net == 0 {
                line.assign = Some(equals..lead.end);
                line.lead = lead.start..equals;
            }
        }
    }
    lines
}

fn indent(tokens: &mut [Token<'_>], lines: &[Line]) {
    // A stack of "how many brackets this indent level opened", so that lines whose
    // brackets do not balance (`foo({` ... `})`) move by one level, not two.
    let mut indents: Vec<i64> = Vec::new();
    for line in lines {
        if line.lead.is_empty() {
            continue;
        }
        let first = line.lead.start;
        if tokens[first].kind == Kind::Newline {
            tokens[first].spaces_before = 0;
            continue;
        }
        let mut net = 0;
        for token in &tokens[line.lead.clone()] {
            net += token.bracket_change();
            if token.kind == Kind::OHeredoc {
                break;
            }
        }
        if let Some(assign) = &line.assign {
            net += tokens[assign.clone()].iter().map(Token::bracket_change).sum::<i64>();
        }
        if net < 0 {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = indents.last_mut() else { break };
                if closed >= *top {
                    closed -= *top;
                    indents.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
        }
        tokens[first].spaces_before = 2 * indents.len();
        if net > 0 {
            indents.push(net);
        }
    }
}

fn space(tokens: &mut [Token<'_>], lines: &[Line]) {
    for line in lines {
        space_cell(tokens, line.lead.clone());
        if let Some(assign) = &line.assign {
            // The `=` is always one space from what it assigns to; alignment may widen it.
            tokens[assign.start].spaces_before = 1;
            space_cell(tokens, assign.clone());
        }
    }
}

fn space_cell(tokens: &mut [Token<'_>], cell: std::ops::Range<usize>) {
    for i in cell.clone() {
        if i + 1 >= cell.end {
            break;
        }
        let before = if i > cell.start { Some(tokens[i - 1]) } else { None };
        let spaced = space_after(&tokens[i], before.as_ref(), &tokens[i + 1]);
        tokens[i + 1].spaces_before = usize::from(spaced);
    }
}

/// Whether `subject` is followed by a space, given its neighbours (hclwrite's
/// `spaceAfterToken`; `before` is `None` at the start of a cell).
fn space_after(subject: &Token<'_>, before: Option<&Token<'_>>, after: &Token<'_>) -> bool {
    use Kind::*;
    let before_kind = before.map(|t| t.kind);
    match (subject.kind, after.kind) {
        (_, Newline) => false,
        (Ident, OParen) => false,
        (Dot, _) | (_, Dot) => false,
        (_, Comma | Ellipsis) => false,
        (Comma, _) => true,
        (QuotedLit | StringLit | OQuote | OHeredoc, _) | (_, QuotedLit | StringLit | CQuote | CHeredoc) => false,
        // `in` after an identifier is the keyword of a `for`, even before a `[`.
        (Ident, _) if subject.text == "in" && before_kind == Some(Ident) => true,
        (Ident | Number, OBrack) => false,
        (_, OBrack) if subject.bracket_change() < 0 => false,
        (Bang, _) => false,
        (Minus, _) => !matches!(
            before_kind,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | EqualOp
                    | NotEqual
                    | GreaterThan
                    | GreaterThanEq
                    | LessThan
                    | LessThanEq
                    | And
                    | Or
                    | Bang
            )
        ),
        (OBrace, CBrace) => false,
        (OBrace, _) | (_, CBrace) => true,
        // A lone object constructor inside `${ }` keeps a space from the delimiters.
        (TemplateInterp | TemplateControl, OBrace) => true,
        (CBrace, TemplateSeqEnd) => true,
        (TemplateSeqEnd, TemplateInterp | TemplateControl) => false,
        _ if subject.bracket_change() > 0 => false,
        _ if after.bracket_change() < 0 => false,
        _ => true,
    }
}

/// Display width as hclwrite counts it: spaces plus grapheme clusters.
fn columns(tokens: &[Token<'_>]) -> usize {
    tokens.iter().map(|t| t.spaces_before + t.text.graphemes(true).count()).sum()
}

fn align(tokens: &mut [Token<'_>], lines: &[Line]) {
    // Runs of consecutive lines with an assign cell: every `=` one column after the
    // widest lead of the run.
    for run in runs(lines, |line| line.assign.is_some()) {
        let width = run.iter().map(|line| columns(&tokens[line.lead.clone()])).max().unwrap_or(0);
        for line in run {
            if let Some(assign) = &line.assign {
                tokens[assign.start].spaces_before = width - columns(&tokens[line.lead.clone()]) + 1;
            }
        }
    }
    let width_before_comment = |tokens: &[Token<'_>], line: &Line| {
        columns(&tokens[line.lead.clone()]) + line.assign.clone().map_or(0, |assign| columns(&tokens[assign]))
    };
    for run in runs(lines, |line| line.comment.is_some()) {
        let width = run.iter().map(|line| width_before_comment(tokens, line)).max().unwrap_or(0);
        for line in run {
            if let Some(comment) = &line.comment {
                tokens[comment.start].spaces_before = width - width_before_comment(tokens, line) + 1;
            }
        }
    }
}

/// Maximal runs of consecutive lines for which `member` holds.
fn runs(lines: &[Line], member: impl Fn(&Line) -> bool) -> Vec<&[Line]> {
    lines.split(|line| !member(line)).filter(|run| !run.is_empty()).collect()
}
