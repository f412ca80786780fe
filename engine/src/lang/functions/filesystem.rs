//! Filesystem functions: `file`, `fileexists`, `templatefile`, `basename`, `dirname`.
//! Relative paths are resolved against `path.module`, as in Terraform.

use std::path::{Path, PathBuf};

use super::{CallContext, FnError, Function, Functions, Param, str_of};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang::{Scope, Subject};
use crate::value::{Type, Value};

fn resolve(ctx: &CallContext<'_>, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    let base = ctx
        .scope
        .lookup(&Subject::PathModule, ctx.span)
        .ok()
        .and_then(|v| v.as_str().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join(path)
}

fn read(ctx: &CallContext<'_>, path: &str) -> Result<String, FnError> {
    let full = resolve(ctx, path);
    if !full.exists() {
        return Err(FnError::Arg(
            0,
            format!(
                "no file exists at {path}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource"
            ),
        ));
    }
    let bytes = fs_err::read(&full).map_err(|e| FnError::Arg(0, format!("failed to read {path}: {e}")))?;
    String::from_utf8(bytes).map_err(|_| FnError::Arg(0, format!("contents of {path} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead")))
}

/// The scope of a template: its variables only.
struct TemplateScope;

impl Scope for TemplateScope {
    fn lookup(&self, subject: &Subject, span: Span) -> Result<Value, Diagnostic> {
        Err(Diagnostic::error("Invalid reference in template")
            .with_detail(format!("A template can only use the variables passed to it, not {subject:?}."))
            .with_span(span))
    }
}

pub(super) fn register(functions: &mut Functions) {
    functions.register(
        "file",
        Function::new(vec![Param::new("path", Type::String)], Type::String, |ctx, args| {
            read(ctx, str_of(&args[0])).map(Value::String)
        }),
    );
    functions.register(
        "fileexists",
        Function::new(vec![Param::new("path", Type::String)], Type::Bool, |ctx, args| {
            let full = resolve(ctx, str_of(&args[0]));
            match fs_err::metadata(&full) {
                Ok(meta) if meta.is_file() => Ok(Value::Bool(true)),
                Ok(_) => {
                    Err(FnError::Call(format!("{} is not a regular file, but {:?}", str_of(&args[0]), "directory")))
                }
                Err(_) => Ok(Value::Bool(false)),
            }
        }),
    );
    functions.register(
        "templatefile",
        Function::new(
            vec![Param::new("path", Type::String), Param::new("vars", Type::Dynamic)],
            Type::String,
            |ctx, args| {
                let path = str_of(&args[0]).to_string();
                let text = read(ctx, &path)?;
                let Some(vars) = args[1].as_entries().cloned() else {
                    return Err(FnError::Arg(1, "invalid vars value: must be a map".to_string()));
                };
                let template = hcl_edit::parser::parse_template(&text)
                    .map_err(|e| FnError::Call(format!("failed to parse {path}: {e}")))?;
                let mut evaluator =
                    crate::lang::eval::Evaluator::new(&TemplateScope, super::standard(), ctx.span.file, ctx.span);
                evaluator.bind(vars.into_iter().collect());
                evaluator.render_template(&template).map_err(|diags: Diagnostics| {
                    let messages: Vec<String> = diags.iter().map(ToString::to_string).collect();
                    FnError::Call(format!("in {path}: {}", messages.join("; ")))
                })
            },
        ),
    );
    functions.register(
        "basename",
        Function::new(vec![Param::new("path", Type::String)], Type::String, |_, args| {
            let path = Path::new(str_of(&args[0]));
            Ok(Value::String(
                path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| ".".to_string()),
            ))
        }),
    );
    functions.register(
        "dirname",
        Function::new(vec![Param::new("path", Type::String)], Type::String, |_, args| {
            let path = Path::new(str_of(&args[0]));
            let parent = path.parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(Value::String(if parent.is_empty() { ".".to_string() } else { parent }))
        }),
    );
}
