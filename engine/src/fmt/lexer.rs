//! Splits HCL source into the tokens `terraform fmt` reasons about.
//!
//! The token kinds and boundaries follow hclsyntax's scanner, because the layout rules
//! (`layout.rs`) are stated in terms of them: a single-line comment owns its newline, a
//! heredoc's opening token owns its newline, every heredoc line is one literal token and
//! the closing marker keeps its leading whitespace. Every token is a slice of the source,
//! so heredoc bodies and string literals are copied byte for byte and never re-printed.
//! The lexer runs only on text hcl-edit has already parsed, but it never panics on
//! anything: unexpected bytes become `Other` tokens.

/// What a token is, named after hclsyntax's token types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Newline,
    Comment,
    Ident,
    Number,
    OQuote,
    CQuote,
    QuotedLit,
    OHeredoc,
    CHeredoc,
    StringLit,
    TemplateInterp,
    TemplateControl,
    TemplateSeqEnd,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    Equal,
    Colon,
    Comma,
    Dot,
    Ellipsis,
    Question,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    EqualOp,
    NotEqual,
    GreaterThan,
    GreaterThanEq,
    LessThan,
    LessThanEq,
    And,
    Or,
    Bang,
    FatArrow,
    Other,
}

/// One token: its text (a slice of the source, or a fixed string for tokens the
/// rewrites add) and the spaces the layout puts before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token<'a> {
    pub(super) kind: Kind,
    pub(super) text: &'a str,
    /// Byte offset in the source; `None` for tokens the rewrites made up.
    pub(super) start: Option<usize>,
    pub(super) spaces_before: usize,
}

impl<'a> Token<'a> {
    pub(super) fn synthetic(kind: Kind, text: &'a str) -> Self {
        Token { kind, text, start: None, spaces_before: 0 }
    }

    /// Single-line comments end with their newline, so they end a line as a newline does.
    pub(super) fn ends_line(&self) -> bool {
        self.kind == Kind::Newline || (self.kind == Kind::Comment && self.text.ends_with('\n'))
    }

    /// +1 for an opening bracket (including `${` and `%{`), -1 for a closing one.
    pub(super) fn bracket_change(&self) -> i64 {
        match self.kind {
            Kind::OBrace | Kind::OBrack | Kind::OParen | Kind::TemplateInterp | Kind::TemplateControl => 1,
            Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
            _ => 0,
        }
    }
}

enum Mode<'a> {
    /// Expressions and structure. `in_template` is set inside `${ }`/`%{ }`, where a `}`
    /// at brace depth zero closes the sequence.
    Main {
        brace_depth: usize,
        in_template: bool,
    },
    Quoted,
    Heredoc {
        marker: &'a str,
        start_of_line: bool,
    },
}

/// Tokenizes `text`. The result covers every non-blank byte of the input.
pub(super) fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut lexer =
        Lexer { text, pos: 0, tokens: Vec::new(), modes: vec![Mode::Main { brace_depth: 0, in_template: false }] };
    lexer.run();
    lexer.tokens
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    tokens: Vec<Token<'a>>,
    modes: Vec<Mode<'a>>,
}

impl<'a> Lexer<'a> {
    fn run(&mut self) {
        while self.pos < self.text.len() {
            let before = self.pos;
            match self.modes.last() {
                Some(Mode::Quoted) => self.quoted(),
                Some(Mode::Heredoc { marker, start_of_line }) => {
                    let (marker, start_of_line) = (*marker, *start_of_line);
                    self.heredoc(marker, start_of_line);
                }
                Some(Mode::Main { .. }) => self.main(),
                None => {
                    // Unbalanced input (only possible if the parser accepted something the
                    // scanner does not know): carry on in the top-level mode.
                    self.modes.push(Mode::Main { brace_depth: 0, in_template: false });
                }
            }
            if self.pos == before && self.pos < self.text.len() {
                // Never loop without progress: take one character as it is.
                let len = self.char_len_at(self.pos);
                self.push(Kind::Other, self.pos + len);
            }
        }
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn char_len_at(&self, at: usize) -> usize {
        self.text.get(at..).and_then(|rest| rest.chars().next()).map_or(1, char::len_utf8)
    }

    fn push(&mut self, kind: Kind, end: usize) {
        let text = self.text.get(self.pos..end).unwrap_or("");
        self.tokens.push(Token { kind, text, start: Some(self.pos), spaces_before: 0 });
        self.pos = end;
    }

    fn main(&mut self) {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let Some(&first) = bytes.first() else { return };
        let second = bytes.get(1).copied();
        let at = self.pos;
        match first {
            b' ' | b'\t' => self.pos += 1,
            b'\n' => self.push(Kind::Newline, at + 1),
            b'\r' if second == Some(b'\n') => self.push(Kind::Newline, at + 2),
            b'#' => self.line_comment(),
            b'/' if second == Some(b'/') => self.line_comment(),
            b'/' if second == Some(b'*') => {
                let end = rest.get(2..).and_then(|after| after.find("*/")).map_or(self.text.len(), |i| at + 2 + i + 2);
                self.push(Kind::Comment, end);
            }
            b'"' => {
                self.push(Kind::OQuote, at + 1);
                self.modes.push(Mode::Quoted);
            }
            b'<' if second == Some(b'<') => {
                if let Some((marker, len)) = heredoc_header(rest) {
                    self.push(Kind::OHeredoc, at + len);
                    self.modes.push(Mode::Heredoc { marker, start_of_line: true });
                } else {
                    self.push(Kind::LessThan, at + 1);
                }
            }
            b'{' => {
                if let Some(Mode::Main { brace_depth, .. }) = self.modes.last_mut() {
                    *brace_depth += 1;
                }
                self.push(Kind::OBrace, at + 1);
            }
            b'}' => self.close_brace(1),
            b'~' if second == Some(b'}') => self.close_brace(2),
            b'[' => self.push(Kind::OBrack, at + 1),
            b']' => self.push(Kind::CBrack, at + 1),
            b'(' => self.push(Kind::OParen, at + 1),
            b')' => self.push(Kind::CParen, at + 1),
            b',' => self.push(Kind::Comma, at + 1),
            b':' => self.push(Kind::Colon, at + 1),
            b'?' => self.push(Kind::Question, at + 1),
            b'+' => self.push(Kind::Plus, at + 1),
            b'-' => self.push(Kind::Minus, at + 1),
            b'*' => self.push(Kind::Star, at + 1),
            b'/' => self.push(Kind::Slash, at + 1),
            b'%' => self.push(Kind::Percent, at + 1),
            b'=' => match second {
                Some(b'=') => self.push(Kind::EqualOp, at + 2),
                Some(b'>') => self.push(Kind::FatArrow, at + 2),
                _ => self.push(Kind::Equal, at + 1),
            },
            b'!' if second == Some(b'=') => self.push(Kind::NotEqual, at + 2),
            b'!' => self.push(Kind::Bang, at + 1),
            b'<' if second == Some(b'=') => self.push(Kind::LessThanEq, at + 2),
            b'<' => self.push(Kind::LessThan, at + 1),
            b'>' if second == Some(b'=') => self.push(Kind::GreaterThanEq, at + 2),
            b'>' => self.push(Kind::GreaterThan, at + 1),
            b'&' if second == Some(b'&') => self.push(Kind::And, at + 2),
            b'|' if second == Some(b'|') => self.push(Kind::Or, at + 2),
            b'.' if rest.starts_with("...") => self.push(Kind::Ellipsis, at + 3),
            b'.' => self.push(Kind::Dot, at + 1),
            b'0'..=b'9' => self.push(Kind::Number, at + number_len(rest)),
            _ => {
                let ident = ident_len(rest);
                if ident > 0 {
                    self.push(Kind::Ident, at + ident);
                } else {
                    let len = self.char_len_at(at);
                    self.push(Kind::Other, at + len);
                }
            }
        }
    }

    fn line_comment(&mut self) {
        let end = self.rest().find('\n').map_or(self.text.len(), |i| self.pos + i + 1);
        self.push(Kind::Comment, end);
    }

    /// A `}` (or `~}`) ends a template sequence when no object brace is open inside it.
    fn close_brace(&mut self, len: usize) {
        let at = self.pos;
        match self.modes.last_mut() {
            Some(Mode::Main { brace_depth, in_template }) if *brace_depth == 0 && *in_template => {
                self.modes.pop();
                self.push(Kind::TemplateSeqEnd, at + len);
            }
            Some(Mode::Main { brace_depth, .. }) if len == 1 => {
                *brace_depth = brace_depth.saturating_sub(1);
                self.push(Kind::CBrace, at + 1);
            }
            _ => {
                let char_len = self.char_len_at(at);
                self.push(Kind::Other, at + char_len);
            }
        }
    }

    /// `${`, `${~`, `%{` or `%{~` at the current position: pushes the sequence start.
    fn template_sequence_start(&mut self) -> bool {
        let rest = self.rest();
        let kind = if rest.starts_with("${") {
            Kind::TemplateInterp
        } else if rest.starts_with("%{") {
            Kind::TemplateControl
        } else {
            return false;
        };
        let len = if rest.as_bytes().get(2) == Some(&b'~') { 3 } else { 2 };
        self.push(kind, self.pos + len);
        self.modes.push(Mode::Main { brace_depth: 0, in_template: true });
        true
    }

    fn quoted(&mut self) {
        let rest = self.rest();
        if rest.starts_with('"') {
            self.push(Kind::CQuote, self.pos + 1);
            self.modes.pop();
            return;
        }
        if self.template_sequence_start() {
            return;
        }
        let len = literal_len(rest, true);
        self.push(Kind::QuotedLit, self.pos + len.max(1));
    }

    fn heredoc(&mut self, marker: &'a str, start_of_line: bool) {
        let rest = self.rest();
        if start_of_line {
            let line_end = rest.find('\n').unwrap_or(rest.len());
            let line = rest.get(..line_end).unwrap_or("");
            if line.trim() == marker {
                // The closing marker keeps its indentation; its newline is a token of its own
                // so it ends the attribute's line as any other newline does.
                let content = line.strip_suffix('\r').unwrap_or(line);
                self.push(Kind::CHeredoc, self.pos + content.len());
                self.modes.pop();
                let newline_len = line_end - content.len() + usize::from(line_end < rest.len());
                if newline_len > 0 {
                    self.push(Kind::Newline, self.pos + newline_len);
                }
                return;
            }
        }
        if let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.last_mut() {
            *start_of_line = false;
        }
        if self.template_sequence_start() {
            return;
        }
        let len = literal_len(rest, false).max(1);
        let ends_line = rest.get(..len).is_some_and(|s| s.ends_with('\n'));
        self.push(Kind::StringLit, self.pos + len);
        if ends_line && let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.last_mut() {
            *start_of_line = true;
        }
    }
}

/// Length of template literal text at the start of `rest`: up to an unescaped `${`/`%{`,
/// and up to the closing quote (quoted) or through the end of the line (heredoc).
fn literal_len(rest: &str, quoted: bool) -> usize {
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 2,
            b'"' if quoted => return i,
            b'$' | b'%' if bytes.get(i + 1) == Some(&bytes[i]) && bytes.get(i + 2) == Some(&b'{') => i += 3,
            b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => return i,
            b'\n' if !quoted => return i + 1,
            _ => i += 1,
        }
    }
    // An escape may have stepped past the end, or into a multi-byte character.
    let mut end = i.min(rest.len());
    while !rest.is_char_boundary(end) {
        end += 1;
    }
    end
}

/// `<<EOT\n` or `<<-EOT\n` (also `\r\n`): the marker and the header's length.
fn heredoc_header(rest: &str) -> Option<(&str, usize)> {
    let after = rest.strip_prefix("<<")?;
    let (after, dash) = match after.strip_prefix('-') {
        Some(after) => (after, 1),
        None => (after, 0),
    };
    let marker_len = ident_len(after);
    if marker_len == 0 {
        return None;
    }
    let marker = after.get(..marker_len)?;
    let tail = after.get(marker_len..)?;
    let newline = if tail.starts_with("\r\n") {
        2
    } else if tail.starts_with('\n') {
        1
    } else {
        return None;
    };
    Some((marker, 2 + dash + marker_len + newline))
}

fn ident_len(rest: &str) -> usize {
    let mut chars = rest.char_indices();
    match chars.next() {
        Some((_, c)) if c.is_alphabetic() || c == '_' => {}
        _ => return 0,
    }
    chars.find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '-')).map_or(rest.len(), |(i, _)| i)
}

fn number_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let digits =
        |from: usize| bytes.get(from..).map_or(0, |tail| tail.iter().take_while(|b| b.is_ascii_digit()).count());
    let mut len = digits(0);
    if bytes.get(len) == Some(&b'.') && bytes.get(len + 1).is_some_and(u8::is_ascii_digit) {
        len += 1 + digits(len + 1);
    }
    if matches!(bytes.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(len + 1), Some(b'+' | b'-')));
        let exponent = digits(len + 1 + sign);
        if exponent > 0 {
            len += 1 + sign + exponent;
        }
    }
    len
}
