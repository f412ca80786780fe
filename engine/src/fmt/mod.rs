//! `terraform fmt`'s canonical layout for HCL source.
//!
//! hcl-edit has no formatter, and its printer re-spells some heredocs, so formatting works
//! on tokens sliced from the original text instead (`lexer`): heredoc bodies, strings and
//! comments are copied byte for byte and only the spaces between tokens change
//! (`layout`, hclwrite's rules), plus Terraform's few token rewrites (`rewrite`). hcl-edit
//! parses the text first: a file with a syntax error is never rewritten, and its tree
//! tells the rewrites which tokens form an attribute's value or a block label.

mod layout;
mod lexer;
mod meaning;
mod rewrite;

#[cfg(test)]
mod tests;

/// The source could not be parsed, so it was not formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct FormatError {
    pub kind: FormatErrorKind,
    pub message: String,
    /// 1-based line of the error.
    pub line: usize,
    /// 1-based column of the error.
    pub column: usize,
    /// Byte offset of the error in the source.
    pub offset: usize,
}

/// Why a file was not formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatErrorKind {
    /// The file does not parse.
    Syntax,
    /// The formatted text would not mean what the file means (a formatter limitation).
    WouldChangeMeaning,
}

/// Formats HCL source as `terraform fmt` does. The result always ends with a newline;
/// formatting it again gives the same text.
pub fn format_source(text: &str) -> Result<String, FormatError> {
    let body = hcl_edit::parser::parse_body(text).map_err(|err| {
        let location = err.location();
        FormatError {
            kind: FormatErrorKind::Syntax,
            message: err.message().to_owned(),
            line: location.line(),
            column: location.column(),
            offset: location.offset().min(text.len()),
        }
    })?;
    let mut tokens = lexer::tokenize(text);
    rewrite::rewrite(&body, &mut tokens);
    layout::layout(&mut tokens);
    let formatted = layout::render(&tokens);
    drop(tokens);
    // Formatting must never change what a file means. Should it ever (the token scanner
    // reading a construct differently from the parser), the file is refused, not rewritten.
    let unchanged = hcl_edit::parser::parse_body(&formatted)
        .is_ok_and(|formatted_body| meaning::normalize(formatted_body) == meaning::normalize(body));
    if !unchanged {
        return Err(FormatError {
            kind: FormatErrorKind::WouldChangeMeaning,
            message: "cannot format this file without changing its meaning; it is left as it is".to_owned(),
            line: 1,
            column: 1,
            offset: 0,
        });
    }
    Ok(formatted)
}
