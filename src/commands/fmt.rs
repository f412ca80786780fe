//! `corral fmt`: rewrite `*.hcl`, `*.tf` and `*.tfvars` files in the canonical style
//! (`corral_engine::fmt`). Exit codes as `terraform fmt`: 0 done, 2 a file does not parse,
//! 3 with `--check` when some file is not formatted.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use corral_engine::diag::{Diagnostic, Diagnostics, SourceMap, Span};
use corral_engine::fmt::{FormatErrorKind, format_source};

use crate::args::FmtArgs;
use crate::ui;

/// Extensions of the files a directory contributes.
const EXTENSIONS: [&str; 3] = ["hcl", "tf", "tfvars"];

pub(crate) fn run(chdir: Option<&Path>, no_color: bool, args: &FmtArgs) -> anyhow::Result<i32> {
    let base = chdir.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut run = FmtRun {
        args,
        color: ui::use_color(no_color),
        changed: false,
        diags: Diagnostics::new(),
        sources: SourceMap::default(),
    };
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        if args.paths.len() > 1 {
            anyhow::bail!("`-` (standard input) cannot be combined with other paths");
        }
        run.stdin()?;
    } else if args.paths.is_empty() {
        run.dir(&base, Path::new(""))?;
    } else {
        for path in &args.paths {
            let full = base.join(path);
            let metadata = fs_err::metadata(&full)?;
            if metadata.is_dir() {
                run.dir(&full, path)?;
            } else {
                run.file(&full, path)?;
            }
        }
    }
    ui::print_diagnostics(&run.diags, &run.sources, run.color);
    Ok(if run.diags.has_errors() {
        2
    } else if args.check && run.changed {
        3
    } else {
        0
    })
}

struct FmtRun<'a> {
    args: &'a FmtArgs,
    color: bool,
    /// Some file is (or was, before writing) not formatted.
    changed: bool,
    diags: Diagnostics,
    sources: SourceMap,
}

impl FmtRun<'_> {
    fn stdin(&mut self) -> anyhow::Result<()> {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read standard input")?;
        let Some(formatted) = self.format(Path::new("<stdin>"), &text) else { return Ok(()) };
        let mut stdout = std::io::stdout().lock();
        if formatted != text {
            self.changed = true;
            if self.args.diff {
                stdout.write_all(unified_diff(Path::new("<stdin>"), &text, &formatted).as_bytes())?;
            }
        }
        // As Terraform: standard input is echoed formatted unless only checking or diffing.
        if !self.args.check && !self.args.diff {
            stdout.write_all(formatted.as_bytes())?;
        }
        Ok(())
    }

    /// Formats the configuration files of `dir` (and of its subdirectories with
    /// `--recursive`), in name order. Hidden directories (`.corral`, `.git`) are skipped.
    fn dir(&mut self, dir: &Path, shown: &Path) -> anyhow::Result<()> {
        let mut entries: Vec<_> = fs_err::read_dir(dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let name = entry.file_name();
            let path = entry.path();
            let shown_path = shown.join(&name);
            if entry.file_type()?.is_dir() {
                let hidden = name.to_string_lossy().starts_with('.');
                if self.args.recursive && !hidden {
                    self.dir(&path, &shown_path)?;
                }
                continue;
            }
            let wanted = path.extension().is_some_and(|ext| EXTENSIONS.iter().any(|e| ext == *e));
            if wanted {
                self.file(&path, &shown_path)?;
            }
        }
        Ok(())
    }

    fn file(&mut self, path: &Path, shown: &Path) -> anyhow::Result<()> {
        let text = fs_err::read_to_string(path)?;
        let Some(formatted) = self.format(shown, &text) else { return Ok(()) };
        if formatted == text {
            return Ok(());
        }
        self.changed = true;
        let mut stdout = std::io::stdout().lock();
        if self.args.list {
            writeln!(stdout, "{}", shown.display())?;
        }
        if self.args.write && !self.args.check {
            fs_err::write(path, &formatted)?;
        }
        if self.args.diff {
            stdout.write_all(unified_diff(shown, &text, &formatted).as_bytes())?;
        }
        Ok(())
    }

    /// The formatted text, or `None` after recording a syntax error.
    fn format(&mut self, shown: &Path, text: &str) -> Option<String> {
        match format_source(text) {
            Ok(formatted) => Some(formatted),
            Err(err) => {
                let file = self.sources.add(shown.to_path_buf(), text);
                let end = text
                    .get(err.offset..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(err.offset, |c| err.offset + c.len_utf8());
                let (summary, detail) = match err.message.split_once("; ") {
                    Some((summary, detail)) => (summary.to_owned(), Some(detail.to_owned())),
                    None => (err.message.clone(), None),
                };
                let summary = match err.kind {
                    FormatErrorKind::Syntax => format!("Syntax error: {summary}"),
                    FormatErrorKind::WouldChangeMeaning => summary,
                };
                let mut diagnostic = Diagnostic::error(summary).with_span(Span::new(file, err.offset..end));
                if let Some(detail) = detail {
                    diagnostic = diagnostic.with_detail(detail);
                }
                self.diags.push(diagnostic);
                None
            }
        }
    }
}

/// `diff -u` style, with Terraform's `old/` and `new/` prefixes.
fn unified_diff(shown: &Path, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("old/{}", shown.display()), &format!("new/{}", shown.display()))
        .to_string()
}
