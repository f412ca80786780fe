//! The miette adapter: binds an engine [`Diagnostic`] to its source text so miette's report
//! handlers can draw it. It lives at the CLI edge because only the terminal needs it; the
//! engine's diagnostics know nothing of how they are drawn.

use std::fmt;

use corral_engine::diag::{Diagnostic, Severity, SourceMap};

/// A diagnostic bound to its source text, ready for miette's report handlers.
#[derive(Debug)]
pub(crate) struct Rendered {
    message: String,
    severity: Severity,
    help: Option<String>,
    source: Option<miette::NamedSource<String>>,
    labels: Vec<miette::LabeledSpan>,
    related: Vec<Rendered>,
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() { None } else { Some(Box::new(self.labels.iter().cloned())) }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
        }
    }
}

/// Binds `diagnostic` to its source so miette can draw it. Labels in other files than the
/// primary span's become related diagnostics of their own, because a miette report holds one
/// source.
pub(crate) fn render(diagnostic: &Diagnostic, sources: &SourceMap) -> Rendered {
    let mut message = diagnostic.summary.clone();
    match (diagnostic.span, &diagnostic.attribute) {
        (Some(span), Some(path)) => message = format!("{message}\n  at {}, attribute `{path}`", sources.location(span)),
        (Some(span), None) => message = format!("{message}\n  at {}", sources.location(span)),
        (None, Some(path)) => message = format!("{message}\n  attribute `{path}`"),
        (None, None) => {}
    }
    if let Some(detail) = &diagnostic.detail {
        message = format!("{message}\n\n{detail}");
    }
    let primary_file = diagnostic.span.map(|s| s.file).or_else(|| diagnostic.labels.first().map(|l| l.0.file));
    let mut labels = Vec::new();
    let mut related = Vec::new();
    if let Some(span) = diagnostic.span {
        labels.push(miette::LabeledSpan::new_primary_with_span(None, (span.start, span.end - span.start)));
    }
    for (span, text) in &diagnostic.labels {
        if Some(span.file) == primary_file {
            labels.push(miette::LabeledSpan::new_with_span(Some(text.clone()), (span.start, span.end - span.start)));
        } else {
            let sub = Diagnostic {
                severity: Severity::Warning,
                summary: format!("{text} (at {})", sources.location(*span)),
                detail: None,
                span: Some(*span),
                labels: Vec::new(),
                help: None,
                attribute: None,
            };
            let mut rendered = render(&sub, sources);
            rendered.severity = diagnostic.severity;
            related.push(rendered);
        }
    }
    let source = primary_file
        .and_then(|id| sources.get(id))
        .map(|f| miette::NamedSource::new(f.path.display().to_string(), f.text.to_string()));
    Rendered { message, severity: diagnostic.severity, help: diagnostic.help.clone(), source, labels, related }
}

#[cfg(test)]
mod tests {
    use corral_engine::diag::Span;

    use super::*;

    /// How a user sees a cycle (the engine's `graph` makes this diagnostic): every node
    /// named in the summary, each reference labelled where it is written.
    #[test]
    fn cycle_renders_with_every_reference() {
        let text = "resource \"testing_thing\" \"a\" {\n  name = local.x\n}\n\nlocals {\n  x = testing_thing.b.id\n}\n\nresource \"testing_thing\" \"b\" {\n  name = testing_thing.a.id\n}\n";
        let mut sources = SourceMap::default();
        let file = sources.add("main.hcl".into(), text);
        let at = |s: &str| {
            let start = text.find(s).unwrap();
            Span::new(file, start..start + s.len())
        };
        let diagnostic = Diagnostic::error("Cycle: testing_thing.a → local.x → testing_thing.b → testing_thing.a")
            .with_label(at("local.x"), "testing_thing.a refers to local.x here")
            .with_label(at("testing_thing.b.id"), "local.x refers to testing_thing.b here")
            .with_label(at("testing_thing.a.id"), "testing_thing.b refers to testing_thing.a here")
            .with_help("break the cycle by removing one of these references");
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_links(false)
            .with_width(100)
            .render_report(&mut out, &render(&diagnostic, &sources))
            .unwrap();
        insta::assert_snapshot!(out);
    }
}
