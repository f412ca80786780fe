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
mod rewrite;

#[cfg(test)]
mod tests;

/// The source could not be parsed, so it was not formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct FormatError {
    pub message: String,
    /// 1-based line of the error.
    pub line: usize,
    /// 1-based column of the error.
    pub column: usize,
    /// Byte offset of the error in the source.
    pub offset: usize,
}

/// Formats HCL source as `terraform fmt` does. The result always ends with a newline;
/// formatting it again gives the same text.
pub fn format_source(text: &str) -> Result<String, FormatError> {
    let body = hcl_edit::parser::parse_body(text).map_err(|err| {
        let location = err.location();
        FormatError {
            message: err.message().to_owned(),
            line: location.line(),
            column: location.column(),
            offset: location.offset().min(text.len()),
        }
    })?;
    let mut tokens = lexer::tokenize(text);
    rewrite::rewrite(&body, &mut tokens);
    layout::layout(&mut tokens);
    Ok(layout::render(&tokens))
}
