//! The root module's `terraform { backend "KIND" { ... } }` block, found without loading the
//! whole configuration: every command that opens the state checks it against what `corral
//! init` recorded, including commands that read no configuration (`state list`,
//! `workspace select`), as Terraform does.

use std::collections::BTreeMap;
use std::path::Path;

use corral_engine::diag::{Diagnostics, SourceMap, Span};
use hcl_edit::structure::{Body, Structure};

use super::BackendSettings;
use crate::context::Context;

/// A backend block with its constant settings and where each is.
pub(crate) struct BackendBlock {
    pub kind: String,
    pub settings: BTreeMap<String, (serde_json::Value, Span)>,
    pub span: Span,
    pub sources: SourceMap,
}

impl BackendBlock {
    pub(crate) fn settings(&self) -> BackendSettings {
        BackendSettings {
            kind: self.kind.clone(),
            config: self.settings.iter().map(|(name, (value, _))| (name.clone(), value.clone())).collect(),
        }
    }

    /// `file:line` of a setting, or of the block when the setting is not in it.
    pub(crate) fn location(&self, ctx: &Context, setting: &str) -> String {
        let span = self.settings.get(setting).map_or(self.span, |(_, span)| *span);
        let (line, _) = self.sources.line_col(span.file, span.start);
        let path = self.sources.get(span.file).map(|f| ctx.display(&f.path)).unwrap_or_default();
        format!("{path}:{line}")
    }
}

/// The first backend block among the root module's files (`*.tf`, `*.hcl`), if any. Files
/// that do not mention `backend` are not parsed; files that do not parse are left to the
/// configuration loader to report.
pub(crate) fn find(root: &Path) -> anyhow::Result<Option<BackendBlock>> {
    let mut names: Vec<_> = match fs_err::read_dir(root) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(_) => return Ok(None),
    };
    names.sort();
    for path in names {
        let is_config = path.extension().is_some_and(|ext| ext == "tf" || ext == "hcl");
        if !is_config || !path.is_file() {
            continue;
        }
        let Ok(text) = fs_err::read_to_string(&path) else { continue };
        if !text.contains("backend") {
            continue;
        }
        let Ok(body) = hcl_edit::parser::parse_body(&text) else { continue };
        let mut sources = SourceMap::default();
        // Shown as the configuration loader shows it: relative to the working directory.
        let cwd = std::env::current_dir().unwrap_or_default();
        let shown = path.strip_prefix(&cwd).map_or_else(|_| path.clone(), Path::to_path_buf);
        let file = sources.add(shown, text.clone());
        if let Some(found) = find_in(&body, file, sources) {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

fn find_in(body: &Body, file: corral_engine::diag::FileId, sources: SourceMap) -> Option<BackendBlock> {
    let backend = body
        .iter()
        .filter_map(Structure::as_block)
        .filter(|b| b.ident.as_str() == "terraform")
        .flat_map(|terraform| terraform.body.iter().filter_map(Structure::as_block))
        .find(|b| b.ident.as_str() == "backend")?;
    let kind = backend.labels.first().map(|label| label.as_str().to_string())?;
    let mut diags = Diagnostics::new();
    let settings = crate::variables::assignments(file, &backend.body, &mut diags)
        .into_iter()
        .map(|(name, value, span)| (name, (value.to_json(), span)))
        .collect();
    let span = Span::new(file, hcl_edit::Span::span(backend).unwrap_or(0..0));
    Some(BackendBlock { kind, settings, span, sources })
}
