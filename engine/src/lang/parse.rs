//! Parsing a standalone expression (for `--var` values, the console and tests).

use hcl_edit::Span as _;

use crate::config::Expr;
use crate::diag::{Diagnostic, FileId, Span};

/// Parses `text` as one expression. Spans are offsets into `text`, in file `file`.
pub fn parse_expr(text: &str, file: FileId) -> Result<Expr, Diagnostic> {
    // Trailing whitespace is not part of the expression (hcl-edit refuses a newline after
    // a heredoc's closing marker); trimming the end keeps every offset valid.
    let text = text.trim_end();
    match hcl_edit::parser::parse_expr(text) {
        Ok(expr) => {
            let range = expr.span().unwrap_or(0..text.len());
            Ok(Expr { expr, span: Span::new(file, range) })
        }
        Err(error) => {
            // hcl-edit may point inside a multi-byte character: step back to its start.
            let mut offset = error.location().offset().min(text.len());
            while !text.is_char_boundary(offset) {
                offset -= 1;
            }
            let end = text[offset..].chars().next().map(|c| offset + c.len_utf8()).unwrap_or(offset);
            Err(Diagnostic::error("Invalid expression")
                .with_detail(error.message().to_string())
                .with_span(Span::new(file, offset..end)))
        }
    }
}
