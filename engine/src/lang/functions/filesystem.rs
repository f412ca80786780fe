//! Filesystem functions: `file`, `fileexists`, `fileset`, `filebase64`, the file hashes
//! (`filemd5`, `filesha256`, ...), `templatefile`, `templatestring`, `basename`,
//! `dirname`, `abspath`, `pathexpand`.
//! Relative paths are resolved against `path.module`, as in Terraform.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use md5::Digest as _;

use super::{CallContext, FnError, Function, Functions, Param, str_of};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang::{Scope, Subject};
use crate::limits::limits;
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
    let bytes = read_bytes(ctx, path)?;
    String::from_utf8(bytes).map_err(|_| FnError::Arg(0, format!("contents of {path} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead")))
}

fn read_bytes(ctx: &CallContext<'_>, path: &str) -> Result<Vec<u8>, FnError> {
    let full = resolve(ctx, path);
    if !full.exists() {
        return Err(FnError::Arg(
            0,
            format!(
                "no file exists at {path}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource"
            ),
        ));
    }
    read_bounded(&full).map_err(|e| match e {
        Bounded::Io(e) => FnError::Arg(0, format!("failed to read {path}: {e}")),
        Bounded::TooLarge(size) => {
            FnError::Arg(0, format!("{path} is too large: {}", limits().file_bytes.exceeded(size)))
        }
    })
}

enum Bounded {
    Io(std::io::Error),
    /// The size seen (for a stream, the limit + 1: reading stops there).
    TooLarge(String),
}

/// Reads at most the file-size limit: a regular file is judged by its length before any
/// read, anything else (`/dev/zero`, a FIFO) is read through a bounded reader and refused
/// one byte past the limit, so nothing unbounded is ever read into memory.
fn read_bounded(full: &Path) -> Result<Vec<u8>, Bounded> {
    use std::io::Read as _;
    let limit = limits().file_bytes;
    let file = fs_err::File::open(full).map_err(Bounded::Io)?;
    let metadata = file.metadata().map_err(Bounded::Io)?;
    if metadata.is_file() && !limit.allows(metadata.len()) {
        return Err(Bounded::TooLarge(metadata.len().to_string()));
    }
    let mut bytes = Vec::new();
    file.take(limit.value.saturating_add(1)).read_to_end(&mut bytes).map_err(Bounded::Io)?;
    if !limit.allows(bytes.len() as u64) {
        return Err(Bounded::TooLarge(format!("more than {}", limit.value)));
    }
    Ok(bytes)
}

/// A function of the bytes of a file (`filebase64`, `filesha256`, ...).
fn file_bytes_fn(f: fn(&[u8]) -> String) -> Function {
    Function::new(vec![Param::new("path", Type::String)], Type::String, move |ctx, args| {
        read_bytes(ctx, str_of(&args[0])).map(|bytes| Value::String(f(&bytes)))
    })
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Renders a template text with the given variables (`templatefile`, `templatestring`).
fn render(ctx: &CallContext<'_>, text: &str, vars: &Value, what: &str) -> Result<Value, FnError> {
    let Some(vars) = vars.as_entries().cloned() else {
        return Err(FnError::Arg(1, "invalid vars value: must be a map".to_string()));
    };
    for name in vars.keys() {
        if !is_identifier(name) {
            return Err(FnError::Arg(
                1,
                format!(
                    "invalid template variable name {name:?}: must start with a letter, followed by zero or more letters, digits, and underscores"
                ),
            ));
        }
    }
    let template =
        hcl_edit::parser::parse_template(text).map_err(|e| FnError::Call(format!("failed to parse {what}: {e}")))?;
    let mut evaluator = crate::lang::eval::Evaluator::new(&TemplateScope, super::standard(), ctx.span.file, ctx.span);
    evaluator.bind(vars.into_iter().collect());
    evaluator.render_template(&template).map_err(|diags: Diagnostics| {
        let messages: Vec<String> = diags.iter().map(ToString::to_string).collect();
        FnError::Call(format!("in {what}: {}", messages.join("; ")))
    })
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(char::is_alphabetic) && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// `fileset`: the files under `dir` whose path relative to it matches `pattern` (`*`
/// stays within one directory, `**` crosses them), as a set of slash-separated paths.
fn fileset(ctx: &CallContext<'_>, dir: &str, pattern: &str) -> Result<Value, FnError> {
    let base = resolve(ctx, dir);
    // Terraform globs with doublestar, which finds nothing (no error) under a missing directory.
    if !base.exists() {
        return Ok(Value::new_set(Type::String, Vec::new()));
    }
    let matcher = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| FnError::Arg(1, format!("failed to glob pattern ({pattern}): {e}")))?
        .compile_matcher();
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(&base).follow_links(true).into_iter() {
        let entry = entry.map_err(|e| FnError::Call(format!("failed to glob pattern ({pattern}): {e}")))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(&base) else { continue };
        let relative: Vec<String> =
            relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let relative = relative.join("/");
        if matcher.is_match(&relative) {
            found.push(Value::String(relative));
        }
    }
    Ok(Value::new_set(Type::String, found))
}

/// `pathexpand`: a leading `~` becomes the home directory.
fn expand_home(path: &str) -> Result<String, FnError> {
    let Some(rest) = path.strip_prefix('~') else { return Ok(path.to_string()) };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return Err(FnError::Call("cannot expand user-specific home dir".to_string()));
    }
    let home = std::env::var("HOME").map_err(|_| FnError::Call("cannot find the home directory".to_string()))?;
    Ok(format!("{home}{rest}"))
}

/// `abspath`: an absolute, lexically cleaned path with forward slashes.
fn absolute(path: &str) -> Result<String, FnError> {
    let path = Path::new(path);
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_err(|e| FnError::Call(e.to_string()))?.join(path)
    };
    let mut parts: Vec<String> = Vec::new();
    for component in joined.components() {
        match component {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    Ok(format!("/{}", parts.join("/")))
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
                render(ctx, &text, &args[1], &path)
            },
        ),
    );
    functions.register(
        "templatestring",
        Function::new(
            vec![Param::new("template", Type::String), Param::new("vars", Type::Dynamic)],
            Type::String,
            |ctx, args| render(ctx, str_of(&args[0]), &args[1], "the template"),
        ),
    );
    functions.register("filebase64", file_bytes_fn(b64));
    functions.register("filemd5", file_bytes_fn(|b| hex::encode(md5::Md5::digest(b))));
    functions.register("filesha1", file_bytes_fn(|b| hex::encode(sha1::Sha1::digest(b))));
    functions.register("filesha256", file_bytes_fn(|b| hex::encode(sha2::Sha256::digest(b))));
    functions.register("filesha512", file_bytes_fn(|b| hex::encode(sha2::Sha512::digest(b))));
    functions.register("filebase64sha256", file_bytes_fn(|b| b64(&sha2::Sha256::digest(b))));
    functions.register("filebase64sha512", file_bytes_fn(|b| b64(&sha2::Sha512::digest(b))));
    functions.register(
        "fileset",
        Function::new(
            vec![Param::new("path", Type::String), Param::new("pattern", Type::String)],
            Type::set(Type::String),
            |ctx, args| fileset(ctx, str_of(&args[0]), str_of(&args[1])),
        ),
    );
    functions.register(
        "pathexpand",
        Function::new(vec![Param::new("path", Type::String)], Type::String, |_, args| {
            expand_home(str_of(&args[0])).map(Value::String)
        }),
    );
    functions.register(
        "abspath",
        Function::new(vec![Param::new("path", Type::String)], Type::String, |_, args| {
            absolute(str_of(&args[0])).map(Value::String)
        }),
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
