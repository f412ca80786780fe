//! Diagnostics: errors and warnings about what the user wrote, each pointing at a span of a
//! source file. Layers return `(T, Diagnostics)` instead of stopping at the first error; only
//! the CLI renders them (through its miette adapter, `diagnostic_report` in the binary).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, range: std::ops::Range<usize>) -> Span {
        Span { file, start: range.start, end: range.end }
    }
}

#[derive(Debug)]
pub struct SourceFile {
    /// The path as it should be shown to the user (relative to the working directory when
    /// possible).
    pub path: PathBuf,
    pub text: Arc<str>,
}

/// Every source file read while loading a configuration, so diagnostics can be rendered
/// with file:line:col long after loading.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: PathBuf, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile { path, text: text.into() });
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let Some(f) = self.get(file) else { return (0, 0) };
        let offset = offset.min(f.text.len());
        let mut line = 1;
        let mut line_start = 0;
        for (i, b) in f.text.as_bytes()[..offset].iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                line_start = i + 1;
            }
        }
        let col = f.text.get(line_start..offset).map(|s| s.chars().count()).unwrap_or(0) + 1;
        (line, col)
    }

    /// `path:line:col` of the start of a span.
    pub fn location(&self, span: Span) -> String {
        let (line, col) = self.line_col(span.file, span.start);
        let path = self.get(span.file).map(|f| f.path.display().to_string()).unwrap_or_default();
        format!("{path}:{line}:{col}")
    }

    /// The source text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        self.get(span.file).and_then(|f| f.text.get(span.start..span.end)).unwrap_or("")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in the user's configuration or while acting on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// One sentence, no trailing period, literals in backticks.
    pub summary: String,
    pub detail: Option<String>,
    /// The primary location, when there is one.
    pub span: Option<Span>,
    /// Further locations with their own messages (e.g. each reference of a cycle).
    pub labels: Vec<(Span, String)>,
    pub help: Option<String>,
    /// The attribute of a resource the diagnostic is about (providers name it; the planner
    /// turns it into the span of that attribute in the resource block).
    pub attribute: Option<crate::value::Path>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: None,
            span: None,
            labels: Vec::new(),
            help: None,
            attribute: None,
        }
    }

    pub fn warning(summary: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(summary) }
    }

    pub fn with_span(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    pub fn with_opt_span(mut self, span: Option<Span>) -> Diagnostic {
        self.span = span;
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Diagnostic {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push((span, message.into()));
        self
    }

    /// About this attribute of the resource (`Path::attr("core").index(0).then("count")`).
    pub fn with_attribute(mut self, path: crate::value::Path) -> Diagnostic {
        self.attribute = Some(path).filter(|p| !p.0.is_empty());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

/// An ordered collection of diagnostics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }

    /// Folds diagnostics that say the same thing (severity, summary, detail, help, attribute)
    /// into the first of them, whose labels gain the others' locations. A provider that dies
    /// fails every call it was serving with one and the same error; the user should read it
    /// once, pointing at every place it concerns, not once per instance.
    pub fn merge_repeats(self) -> Diagnostics {
        type Key = (Severity, String, Option<String>, Option<String>, Option<String>);
        let key = |d: &Diagnostic| -> Key {
            (
                d.severity,
                d.summary.clone(),
                d.detail.clone(),
                d.help.clone(),
                d.attribute.as_ref().map(|p| p.to_string()),
            )
        };
        let mut out: Vec<Diagnostic> = Vec::with_capacity(self.0.len());
        let mut seen: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
        for d in self.0 {
            let Some(&first) = seen.get(&key(&d)) else {
                seen.insert(key(&d), out.len());
                out.push(d);
                continue;
            };
            let kept = &mut out[first];
            let more = d.span.map(|s| (s, "also here".to_string())).into_iter().chain(d.labels);
            for (span, text) in more {
                let known = kept.span == Some(span) || kept.labels.iter().any(|(s, _)| *s == span);
                if !known {
                    if kept.span.is_none() {
                        kept.span = Some(span);
                    } else {
                        kept.labels.push((span, text));
                    }
                }
            }
        }
        Diagnostics(out)
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_diagnostics_fold_into_one_with_every_location() {
        let at = |start: usize| Span::new(FileId(0), start..start + 1);
        let crash = || Diagnostic::error("provider `p` exited unexpectedly (signal 9)");
        let diags = Diagnostics(vec![
            crash().with_span(at(0)),
            Diagnostic::error("something else").with_span(at(0)),
            crash().with_span(at(0)),
            crash().with_span(at(5)),
            crash(),
            Diagnostic::warning("provider `p` exited unexpectedly (signal 9)"),
        ])
        .merge_repeats();
        assert_eq!(diags.len(), 3, "{diags:?}");
        assert_eq!(diags.0[0].span, Some(at(0)));
        assert_eq!(diags.0[0].labels, vec![(at(5), "also here".to_string())]);
        assert_eq!(diags.0[1].summary, "something else");
        assert_eq!(diags.0[2].severity, Severity::Warning);
    }
}
