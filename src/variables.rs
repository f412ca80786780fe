//! Collecting root variable values from where Terraform users put them, in Terraform's
//! order (later wins): `CORRAL_VAR_*` environment variables, `terraform.tfvars(.json)`,
//! `*.auto.tfvars(.json)`, then `--var-file` and `--var` in command-line order.

use std::path::{Path, PathBuf};

use corral_engine::config::Expr;
use corral_engine::diag::{Diagnostic, Diagnostics, SourceMap, Span};
use corral_engine::lang;
use corral_engine::plan::{InputValue, InputValues, RawInput};
use corral_engine::runtime::nodes::ConstScope;
use corral_engine::value::{Type, Value};
use hcl_edit::Span as _;

use crate::args::VarArgs;

/// Every value given for a root variable, plus the sources read (for error messages).
pub fn collect(root: &Path, args: &VarArgs) -> (InputValues, SourceMap, Diagnostics) {
    let mut values = InputValues::new();
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::new();
    for (key, value) in std::env::vars() {
        if let Some(name) = key.strip_prefix("CORRAL_VAR_") {
            values.insert(
                name.to_string(),
                InputValue { raw: RawInput::Text(value), source: format!("the environment variable {key}") },
            );
        }
    }
    let mut auto: Vec<PathBuf> = Vec::new();
    for name in ["terraform.tfvars", "terraform.tfvars.json", "corral.tfvars", "corral.tfvars.json"] {
        let path = root.join(name);
        if path.is_file() {
            auto.push(path);
        }
    }
    if let Ok(entries) = fs_err::read_dir(root) {
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
            })
            .collect();
        found.sort();
        auto.extend(found);
    }
    for path in auto.iter().chain(&args.var_files) {
        read_file(path, &mut values, &mut sources, &mut diags);
    }
    for assignment in &args.vars {
        match assignment.split_once('=') {
            Some((name, text)) if !name.trim().is_empty() => {
                values.insert(name.trim().to_string(), InputValue { raw: RawInput::Text(text.to_string()), source: "--var".to_string() });
            }
            _ => diags.push(
                Diagnostic::error(format!("Invalid `--var` option `{assignment}`"))
                    .with_detail("The given `--var` option is not correctly specified: it must be a variable name and its value separated by an equals sign, like `--var key=value`"),
            ),
        }
    }
    (values, sources, diags)
}

fn read_file(path: &Path, values: &mut InputValues, sources: &mut SourceMap, diags: &mut Diagnostics) {
    let text = match fs_err::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error("Failed to read variables file").with_detail(e.to_string()));
            return;
        }
    };
    let label = path.display().to_string();
    let file = sources.add(path.to_path_buf(), text.clone());
    if label.ends_with(".json") {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(entries)) => {
                for (name, json) in entries {
                    if let Ok(value) = Value::from_json(&json, &Type::Dynamic) {
                        values.insert(name, InputValue { raw: RawInput::Value(value), source: label.clone() });
                    }
                }
            }
            Ok(_) => diags.push(
                Diagnostic::error("Invalid variables file").with_detail(format!("{label} must hold a JSON object")),
            ),
            Err(e) => diags.push(Diagnostic::error("Invalid variables file").with_detail(format!("{label}: {e}"))),
        }
        return;
    }
    let body = match hcl_edit::parser::parse_body(&text) {
        Ok(b) => b,
        Err(e) => {
            let loc = e.location();
            let offset = loc.offset();
            diags.push(Diagnostic::error(e.message().to_string()).with_span(Span::new(file, offset..offset)));
            return;
        }
    };
    for structure in body.iter() {
        match structure {
            hcl_edit::structure::Structure::Attribute(attr) => {
                let range = attr.value.span().unwrap_or(0..0);
                let expr = Expr { expr: attr.value.clone(), span: Span::new(file, range) };
                let (value, d) = lang::eval(&expr, &ConstScope);
                diags.extend(d);
                values.insert(attr.key.to_string(), InputValue { raw: RawInput::Value(value), source: label.clone() });
            }
            hcl_edit::structure::Structure::Block(block) => {
                let range = block.ident.span().unwrap_or(0..0);
                diags.push(
                    Diagnostic::error("Unexpected block in variables file")
                        .with_span(Span::new(file, range))
                        .with_detail("A variables file holds only `name = value` assignments"),
                );
            }
        }
    }
}
