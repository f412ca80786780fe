//! Collecting root variable values from where Terraform users put them, in Terraform's
//! order (later wins): `TF_VAR_*` then `CORRAL_VAR_*` environment variables,
//! `terraform.tfvars(.json)`, `*.auto.tfvars(.json)`, then `--var-file` and `--var` in
//! command-line order. Values for undeclared variables are treated as Terraform does: an
//! error from `--var`, a warning from a file, ignored from the environment.

use std::path::{Path, PathBuf};

use corral_engine::config::{Config, Expr};
use corral_engine::diag::{Diagnostic, Diagnostics, FileId, SourceMap, Span};
use corral_engine::lang;
use corral_engine::plan::{InputValue, InputValues, RawInput};
use corral_engine::runtime::nodes::ConstScope;
use corral_engine::value::{Type, Value};
use hcl_edit::Span as _;

use crate::args::VarArgs;

/// As many "undeclared variable" warnings for files as Terraform shows before summing up.
const MAX_UNDECLARED_WARNINGS: usize = 3;

/// Every value given for a root variable of `config`, plus the sources read (for error
/// messages). `--var-file` paths are relative to `work_dir` (the directory `-C` names, as
/// Terraform's `-chdir`); the automatic files are looked for in `root`.
pub(crate) fn collect(
    config: &Config,
    root: &Path,
    work_dir: &Path,
    args: &VarArgs,
) -> (InputValues, SourceMap, Diagnostics) {
    let declared = |name: &str| config.root.variables.contains_key(name);
    let mut values = InputValues::new();
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::new();
    // `CORRAL_VAR_` is read last so that it wins over Terraform's `TF_VAR_` for the same name.
    // Undeclared names are ignored silently, as Terraform does: such variables are often set
    // globally for many configurations.
    for prefix in ["TF_VAR_", "CORRAL_VAR_"] {
        for (key, value) in std::env::vars() {
            if let Some(name) = key.strip_prefix(prefix) {
                values.insert(
                    name.to_string(),
                    InputValue { raw: RawInput::Text(value), source: format!("the environment variable {key}") },
                );
            }
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
    // Each file is read from its full path but named as the user knows it: an automatic file
    // by its name, a `--var-file` as given.
    let auto = auto.into_iter().map(|p| {
        let label = p.file_name().map(PathBuf::from).unwrap_or_else(|| p.clone());
        (p, label)
    });
    let named = args.var_files.iter().map(|p| (work_dir.join(p), p.clone()));
    let mut undeclared_in_files = 0;
    for (path, label) in auto.chain(named) {
        let mut from_file = InputValues::new();
        read_file(&path, &label, &mut from_file, &mut sources, &mut diags);
        for (name, value) in from_file {
            if !declared(&name) {
                undeclared_in_files += 1;
                if undeclared_in_files <= MAX_UNDECLARED_WARNINGS {
                    diags.push(Diagnostic::warning("Value for undeclared variable").with_detail(format!(
                        "The root module does not declare a variable named \"{name}\" but a value was found in file \"{}\". If you meant to use this value, add a \"variable\" block to the configuration.\n\nTo silence these warnings, use CORRAL_VAR_... environment variables to provide certain \"global\" settings to all configurations in your organization.",
                        value.source
                    )));
                }
            }
            values.insert(name, value);
        }
    }
    if undeclared_in_files > MAX_UNDECLARED_WARNINGS {
        diags.push(Diagnostic::warning("Values for undeclared variables").with_detail(format!(
            "In addition to the other similar warnings shown, {} other variable(s) defined without being declared.",
            undeclared_in_files - MAX_UNDECLARED_WARNINGS
        )));
    }
    for assignment in &args.vars {
        match assignment.split_once('=') {
            Some((name, _)) if !name.trim().is_empty() && !declared(name.trim()) => diags.push(
                Diagnostic::error("Value for undeclared variable").with_detail(format!(
                    "A variable named \"{}\" was assigned on the command line, but the root module does not declare a variable of that name. To use this value, add a \"variable\" block to the configuration.",
                    name.trim()
                )),
            ),
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

fn read_file(path: &Path, label: &Path, values: &mut InputValues, sources: &mut SourceMap, diags: &mut Diagnostics) {
    let text = match fs_err::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error("Failed to read variables file").with_detail(e.to_string()));
            return;
        }
    };
    let file = sources.add(label.to_path_buf(), text.clone());
    let label = label.display().to_string();
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
    for (name, value, _) in assignments(file, &body, diags) {
        values.insert(name, InputValue { raw: RawInput::Value(value), source: label.clone() });
    }
}

/// The `name = value` assignments of a parsed variables-style file (tfvars, a
/// `--backend-config` file), each evaluated as a constant, with the span of its value.
pub(crate) fn assignments(
    file: FileId,
    body: &hcl_edit::structure::Body,
    diags: &mut Diagnostics,
) -> Vec<(String, Value, Span)> {
    let mut found = Vec::new();
    for structure in body.iter() {
        match structure {
            hcl_edit::structure::Structure::Attribute(attr) => {
                let range = attr.value.span().unwrap_or(0..0);
                let expr = Expr { expr: attr.value.clone(), span: Span::new(file, range) };
                let (value, d) = lang::eval(&expr, &ConstScope);
                diags.extend(d);
                found.push((attr.key.to_string(), value, expr.span));
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
    found
}
