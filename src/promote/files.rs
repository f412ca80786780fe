//! What an environment's revision is made of, and moving it: the promotable files of an
//! environment directory (its `*.hcl` and `*.tf` files but those the target keeps), the
//! shared local modules they call (recursively), the content hash over both, the git commit,
//! and the journal that puts a target's files back when a promotion does not go ahead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::settings::SETTINGS_FILE;

/// What an environment runs, or would run: a content hash over its promotable files and the
/// modules they call, and where they came from in git.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Revision {
    /// `sha256:` over every promotable file (name and content) and every module file (path
    /// from the repository root and content), in name order.
    pub hash: String,
    /// The repository's `HEAD` when the revision was taken (none outside git).
    pub git_commit: Option<String>,
    /// Whether those files were all committed, unchanged, at that commit.
    pub git_clean: Option<bool>,
    /// Each promotable file of the environment, by name, with its `sha256:`.
    pub files: BTreeMap<String, String>,
    /// Each file of the modules called, by path from the repository root, with its `sha256:`.
    pub modules: BTreeMap<String, String>,
}

impl Revision {
    pub(crate) fn short(&self) -> String {
        let hash = self.hash.strip_prefix("sha256:").unwrap_or(&self.hash);
        let hash = hash.get(..12).unwrap_or(hash);
        match (&self.git_commit, self.git_clean) {
            (Some(commit), Some(true)) => format!("{} sha256:{hash}", commit.get(..12).unwrap_or(commit)),
            (Some(commit), _) => format!("{}+changes sha256:{hash}", commit.get(..12).unwrap_or(commit)),
            (None, _) => format!("sha256:{hash}"),
        }
    }
}

/// Whether a file of an environment directory is configuration: `*.hcl` or `*.tf`, not
/// hidden (what the configuration loader reads).
fn is_config_name(name: &str) -> bool {
    !name.starts_with('.') && !name.starts_with('#') && (name.ends_with(".hcl") || name.ends_with(".tf"))
}

/// The files of `dir` that promotion moves: configuration files not matching `keep`.
/// Variables (`*.tfvars`), `corral.unit`, `corral.promotion`, the revision record,
/// subdirectories and `.corral/` are never configuration files, so they always stay.
pub(crate) fn promotable(dir: &Path, keep: &[String]) -> anyhow::Result<Vec<String>> {
    let mut builder = globset::GlobSetBuilder::new();
    for pattern in keep {
        builder.add(globset::Glob::new(pattern)?);
    }
    let keep = builder.build()?;
    let mut names = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
        if is_config_name(&name) && entry.file_type()?.is_file() && !keep.is_match(&name) && name != SETTINGS_FILE {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The revision `dir` holds now: its promotable files (by `keep`) and the modules they call.
pub(crate) async fn revision(root: &Path, dir: &Path, keep: &[String]) -> anyhow::Result<Revision> {
    let names = promotable(dir, keep)?;
    let mut files = BTreeMap::new();
    let mut texts = Vec::new();
    for name in &names {
        let bytes = fs_err::read(dir.join(name))?;
        files.insert(name.clone(), sha256(&bytes));
        texts.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    let mut modules = BTreeMap::new();
    let mut module_dirs = BTreeSet::new();
    for text in &texts {
        for source in module_sources(text) {
            called_modules(&dir.join(source), &mut module_dirs);
        }
    }
    for module_dir in &module_dirs {
        for entry in fs_err::read_dir(module_dir)? {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
            if is_config_name(&name) && entry.file_type()?.is_file() {
                let path = entry.path();
                modules.insert(relative(root, &path), sha256(&fs_err::read(&path)?));
            }
        }
    }
    let mut hasher = Sha256::new();
    for (name, digest) in &files {
        hasher.update(format!("file\0{name}\0{digest}\n"));
    }
    for (path, digest) in &modules {
        hasher.update(format!("module\0{path}\0{digest}\n"));
    }
    let hash = format!("sha256:{}", hex::encode(hasher.finalize()));
    let mut tracked: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    tracked.extend(module_dirs.iter().cloned());
    let (git_commit, git_clean) = git_state(root, &tracked).await;
    Ok(Revision { hash, git_commit, git_clean, files, modules })
}

/// The local `source`s of the `module` blocks of one file (a file that does not parse has
/// none here: planning reports it).
pub(crate) fn module_sources(text: &str) -> Vec<String> {
    let Ok(body) = hcl_edit::parser::parse_body(text) else { return Vec::new() };
    let mut sources = Vec::new();
    for block in body.get_blocks("module") {
        if let Some(hcl_edit::expr::Expression::String(source)) = block.body.get_attribute("source").map(|a| &a.value) {
            let source = source.value().to_string();
            if source.starts_with("./") || source.starts_with("../") {
                sources.push(source);
            }
        }
    }
    sources
}

/// `dir` and every local module it calls, recursively, as the loader finds them.
fn called_modules(dir: &Path, found: &mut BTreeSet<PathBuf>) {
    let Ok(dir) = dir.canonicalize() else { return };
    let (config, _) = corral_engine::config::load_dir(&dir, &corral_engine::config::LoadOptions::default());
    for module in config.modules() {
        if let Ok(canonical) = module.dir.canonicalize() {
            found.insert(canonical);
        }
    }
}

/// `path` from `root`, with `/`; the path as it is when outside `root`.
pub(crate) fn relative(root: &Path, path: &Path) -> String {
    let (root, path) =
        (root.canonicalize().unwrap_or(root.to_path_buf()), path.canonicalize().unwrap_or(path.to_path_buf()));
    match path.strip_prefix(&root) {
        Ok(rel) => rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/"),
        Err(_) => path.display().to_string(),
    }
}

/// `HEAD` of the repository `root` is in, and whether `paths` are committed unchanged there
/// (`git status` lists none of them, untracked ones included). Outside git: none.
async fn git_state(root: &Path, paths: &[PathBuf]) -> (Option<String>, Option<bool>) {
    let git = |args: Vec<std::ffi::OsString>| async move {
        let out = tokio::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let Some(head) = git(vec!["rev-parse".into(), "--verify".into(), "--quiet".into(), "HEAD".into()]).await else {
        return (None, None);
    };
    let mut args: Vec<std::ffi::OsString> = vec!["status".into(), "--porcelain".into(), "--".into()];
    args.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
    let clean = git(args).await.map(|listed| listed.is_empty());
    (Some(head), clean)
}

/// What a promotion does to the target's files.
#[derive(Debug, Default)]
pub(crate) struct FileChanges {
    /// Name → (the target's text, none if new; the source's text, none if removed).
    pub changed: BTreeMap<String, (Option<String>, Option<String>)>,
}

impl FileChanges {
    pub(crate) fn between(source: &Path, target: &Path, keep: &[String]) -> anyhow::Result<FileChanges> {
        let from: BTreeSet<String> = promotable(source, keep)?.into_iter().collect();
        let to: BTreeSet<String> = promotable(target, keep)?.into_iter().collect();
        let mut changed = BTreeMap::new();
        for name in from.union(&to) {
            let read = |dir: &Path, present: bool| -> anyhow::Result<Option<String>> {
                Ok(if present { Some(fs_err::read_to_string(dir.join(name))?) } else { None })
            };
            let (old, new) = (read(target, to.contains(name))?, read(source, from.contains(name))?);
            if old != new {
                changed.insert(name.clone(), (old, new));
            }
        }
        Ok(FileChanges { changed })
    }
}

/// The target's own files while a promotion is under way, kept in `.corral/promote/` of the
/// target so that a promotion that stops before its apply (refused, declined, failed, or
/// killed) leaves the target as it was: the next `corral promote` puts them back first.
pub(crate) struct Journal {
    dir: PathBuf,
    target: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Pending {
    /// File name → whether the target had it (its text is in `backup/`).
    files: BTreeMap<String, bool>,
}

impl Journal {
    pub(crate) fn new(target: &Path) -> Journal {
        Journal { dir: target.join(".corral/promote"), target: target.to_path_buf() }
    }

    fn pending_file(&self) -> PathBuf {
        self.dir.join("pending.json")
    }

    pub(crate) fn work_dir(&self) -> &Path {
        &self.dir
    }

    /// The target's plan with the promoted files.
    pub(crate) fn plan_file(&self) -> PathBuf {
        self.dir.join("promote.plan")
    }

    /// Puts back the files of a promotion that did not go ahead; true when there was one.
    pub(crate) fn roll_back(&self) -> anyhow::Result<bool> {
        let _ = fs_err::remove_file(self.plan_file());
        let text = match fs_err::read_to_string(self.pending_file()) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let pending: Pending = serde_json::from_str(&text)?;
        for (name, existed) in &pending.files {
            let path = self.target.join(name);
            if *existed {
                write_atomic(&path, &fs_err::read(self.dir.join("backup").join(name))?)?;
            } else if path.exists() {
                fs_err::remove_file(&path)?;
            }
        }
        fs_err::remove_file(self.pending_file())?;
        let _ = fs_err::remove_dir_all(self.dir.join("backup"));
        Ok(true)
    }

    /// Backs the target's files up, then writes the promoted ones.
    pub(crate) fn apply(&self, changes: &FileChanges) -> anyhow::Result<()> {
        corral_engine::state::secure_fs::create_private_dir_all(&self.dir.join("backup"))
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", self.dir.display()))?;
        let mut pending = Pending { files: BTreeMap::new() };
        for (name, (old, _)) in &changes.changed {
            if old.is_some() {
                fs_err::copy(self.target.join(name), self.dir.join("backup").join(name))?;
            }
            pending.files.insert(name.clone(), old.is_some());
        }
        write_atomic(&self.pending_file(), serde_json::to_string_pretty(&pending)?.as_bytes())?;
        for (name, (_, new)) in &changes.changed {
            let path = self.target.join(name);
            match new {
                Some(text) => write_atomic(&path, text.as_bytes())?,
                None => fs_err::remove_file(&path)?,
            }
        }
        Ok(())
    }

    /// The promoted files are the target's from now on (its apply is starting).
    pub(crate) fn commit(&self) -> anyhow::Result<()> {
        if self.pending_file().exists() {
            fs_err::remove_file(self.pending_file())?;
        }
        let _ = fs_err::remove_dir_all(self.dir.join("backup"));
        Ok(())
    }
}

/// Written beside and renamed over, so a reader (or a kill) never sees half a file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.promote-tmp"));
    fs_err::write(&tmp, bytes)?;
    fs_err::rename(&tmp, path)?;
    Ok(())
}
