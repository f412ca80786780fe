//! Reading a directory (and the local modules it calls) into a [`Config`].
//!
//! This is the one place in `config` that touches the file system: it reads the files,
//! records them in the [`SourceMap`] and hands their text to the decoder.

use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::blocks::decode_file;
use super::decode::Decoder;
use super::installed::{ModulesManifest, default_modules_dir};
use super::module_source::{ModuleSource, VersionConstraint};
use super::syntax::parse_file;
use super::{Config, Module, validate};
use crate::addr::ModulePath;
use crate::diag::{Diagnostic, Diagnostics, SourceMap, Span};

#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Files of the root directory that are not configuration although named like it: those
    /// `corral init -backend-config=FILE` reads (Terraform loads only `*.tf`, so a
    /// `backend.hcl` beside the configuration is a common layout).
    pub skip_files: Vec<PathBuf>,
    /// The installed modules to load remote sources from; `None` reads the manifest in
    /// `<dir>/.corral/modules`, where `corral init` installs them.
    pub manifest: Option<ModulesManifest>,
}

/// A module call with a remote source that is not installed (or no longer matches what is):
/// what `corral init` must fetch.
#[derive(Clone, Debug)]
pub struct ModuleRequest {
    /// The call's static path, `.`-separated: the manifest's key.
    pub key: String,
    pub source: String,
    /// The `version` constraint, as written.
    pub version: Option<String>,
    /// The call's `source` argument.
    pub span: Span,
}

/// Loads every `*.hcl` and `*.tf` file of `dir` as the root module, and every module it
/// calls with a local `source`, recursively. Always returns a configuration (possibly
/// partial) and every diagnostic found.
pub fn load_dir(dir: &Path, options: &LoadOptions) -> (Config, Diagnostics) {
    let (config, diags, _) = load(dir, options, false);
    (config, diags)
}

/// [`load_dir`] for `corral init`: module calls whose remote source is not installed are
/// returned, not reported, and the tree below them is not loaded yet.
pub fn load_dir_for_install(dir: &Path, options: &LoadOptions) -> (Config, Diagnostics, Vec<ModuleRequest>) {
    load(dir, options, true)
}

fn load(dir: &Path, options: &LoadOptions, installing: bool) -> (Config, Diagnostics, Vec<ModuleRequest>) {
    let mut diags = Diagnostics::new();
    let manifest = match &options.manifest {
        Some(manifest) => manifest.clone(),
        None => ModulesManifest::read(&default_modules_dir(dir)).unwrap_or_else(|problem| {
            diags.push(
                Diagnostic::error("the manifest of installed modules cannot be read")
                    .with_detail(problem)
                    .with_help("run `corral init` to install the modules again"),
            );
            ModulesManifest::default()
        }),
    };
    let mut loader = Loader {
        root_dir: normalize(dir),
        manifest,
        installing,
        requests: Vec::new(),
        skip_files: options.skip_files.iter().map(|f| f.canonicalize().unwrap_or_else(|_| normalize(f))).collect(),
        sources: SourceMap::default(),
        diags,
        cwd: std::env::current_dir().ok(),
        hasher: Sha256::new(),
        modules_loaded: 0,
        too_many_reported: false,
    };
    let root_dir = normalize(dir);
    let mut ancestors = Vec::new();
    let root = loader.load_module(&root_dir, ModulePath::root(), &mut ancestors);
    let Loader { sources, mut diags, hasher, requests, .. } = loader;
    let config = Config { root, sources, hash: hex::encode(hasher.finalize()) };
    if requests.is_empty() {
        validate::validate(&config, &mut diags);
    }
    (config, diags, requests)
}

struct Loader {
    /// The configuration directory: installed modules' directories are relative to it.
    root_dir: PathBuf,
    manifest: ModulesManifest,
    /// Whether missing remote modules are requests for `corral init` rather than errors.
    installing: bool,
    requests: Vec<ModuleRequest>,
    /// [`LoadOptions::skip_files`], canonical.
    skip_files: Vec<PathBuf>,
    sources: SourceMap,
    diags: Diagnostics,
    cwd: Option<PathBuf>,
    /// Fed with every file in load order (root first, then children by call name; files by
    /// name), which is deterministic for a given tree.
    hasher: Sha256,
    /// Module calls loaded so far. The static tree is counted while it is read, because a
    /// tree whose modules each call the next one twice grows exponentially: 18 levels of
    /// 150 KB on disk would otherwise be read into memory until the process is killed.
    modules_loaded: u64,
    too_many_reported: bool,
}

impl Loader {
    /// `ancestors` holds the canonical directory and path of each module being loaded above
    /// this one, to stop a module that (indirectly) includes itself.
    fn load_module(&mut self, dir: &Path, path: ModulePath, ancestors: &mut Vec<(PathBuf, ModulePath)>) -> Module {
        let mut module = Module { path: path.clone(), dir: dir.to_path_buf(), ..Module::default() };
        let (files, unreadable) = match config_files(dir) {
            Ok((mut files, unreadable)) => {
                if path.is_root() && !self.skip_files.is_empty() {
                    files.retain(|f| {
                        let canonical = f.canonicalize().unwrap_or_else(|_| f.clone());
                        !self.skip_files.contains(&canonical)
                    });
                }
                (files, unreadable)
            }
            Err(err) => {
                self.diags.push(
                    Diagnostic::error(format!("cannot read configuration directory `{}`", self.display(dir).display()))
                        .with_detail(err.to_string()),
                );
                return module;
            }
        };
        // A configuration file that cannot be read is an error, never a file skipped: planning
        // without it would destroy everything it declares.
        for problem in &unreadable {
            self.diags.push(
                Diagnostic::error(format!(
                    "cannot read configuration file `{}`",
                    self.display(&problem.path).display()
                ))
                .with_detail(problem.reason.clone()),
            );
        }
        if files.is_empty() && unreadable.is_empty() {
            self.diags
                .push(Diagnostic::warning(format!("no `.hcl` or `.tf` files in `{}`", self.display(dir).display())));
        }
        for file in files {
            let text = match fs_err::read_to_string(&file) {
                Ok(text) => text,
                Err(err) => {
                    self.diags.push(
                        Diagnostic::error(format!(
                            "cannot read configuration file `{}`",
                            self.display(&file).display()
                        ))
                        .with_detail(err.to_string()),
                    );
                    continue;
                }
            };
            self.hash_file(&path, &file, &text);
            let id = self.sources.add(self.display(&file), text.as_str());
            match parse_file(id, &text) {
                Ok(body) => {
                    let mut dec = Decoder { file: id, diags: &mut self.diags };
                    decode_file(&mut dec, &body, &mut module);
                }
                Err(diagnostic) => self.diags.push(*diagnostic),
            }
        }
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        ancestors.push((canonical, path.clone()));
        let calls: Vec<(String, String, Option<String>, Span, Span)> = module
            .module_calls
            .values()
            .filter(|c| !c.source.is_empty())
            .map(|c| {
                (c.name.clone(), c.source.clone(), c.version.as_ref().map(|v| v.0.clone()), c.source_span, c.decl_span)
            })
            .collect();
        for (name, source, version, source_span, decl_span) in calls {
            let child_dir = match ModuleSource::parse(&source) {
                ModuleSource::Local(_) => {
                    let child_dir = normalize(&dir.join(&source));
                    if !child_dir.is_dir() {
                        self.diags.push(
                            Diagnostic::error(format!(
                                "module directory `{}` does not exist",
                                self.display(&child_dir).display()
                            ))
                            .with_span(source_span)
                            .with_detail(format!(
                                "module `{name}` has `source = \"{source}\"`, relative to this file's directory"
                            )),
                        );
                        continue;
                    }
                    child_dir
                }
                ModuleSource::Registry(_) | ModuleSource::Remote(_) => {
                    let key = path.child(&name).0.join(".");
                    match self.installed_dir(&key, &source, version.as_deref()) {
                        Ok(dir) => dir,
                        Err(why) => {
                            if self.installing {
                                self.requests.push(ModuleRequest { key, source, version, span: source_span });
                            } else {
                                self.diags.push(
                                    Diagnostic::error(format!("module `{name}` is not installed"))
                                        .with_span(decl_span)
                                        .with_detail(why)
                                        .with_help("run `corral init` to install the modules this configuration calls"),
                                );
                            }
                            continue;
                        }
                    }
                }
            };
            let child_canonical = child_dir.canonicalize().unwrap_or_else(|_| child_dir.clone());
            if let Some((_, ancestor)) = ancestors.iter().find(|(d, _)| *d == child_canonical) {
                let ancestor = if ancestor.is_root() { "the root module".to_string() } else { format!("`{ancestor}`") };
                self.diags.push(
                    Diagnostic::error(format!("module `{name}` includes itself"))
                        .with_span(source_span)
                        .with_detail(format!(
                            "`{source}` is the directory of {ancestor}, which calls `{}`; a module cannot call itself, directly or through other modules",
                            path.child(&name)
                        )),
                );
                continue;
            }
            let child_path = path.child(&name);
            if !self.within_limits(&child_path, source_span) {
                continue;
            }
            let child = self.load_module(&child_dir, child_path, ancestors);
            module.children.insert(name, child);
        }
        ancestors.pop();
        module
    }

    /// The directory where `corral init` installed the module called `key` from `source`,
    /// or why it cannot be used.
    fn installed_dir(&self, key: &str, source: &str, version: Option<&str>) -> Result<PathBuf, String> {
        let Some(entry) = self.manifest.get(key) else {
            return Err(format!("`{source}` has not been downloaded into .corral/modules"));
        };
        if entry.source != source {
            return Err(format!(
                "the installed module came from `{}`, but the configuration now says `{source}`",
                entry.source
            ));
        }
        if let Some(constraint) = version {
            let installed = entry.version.as_deref().and_then(|v| semver::Version::parse(v).ok());
            let fits = match (VersionConstraint::parse(constraint), installed) {
                (Ok(c), Some(v)) => c.matches(&v),
                _ => false,
            };
            if !fits {
                return Err(format!(
                    "the installed version {} does not meet the constraint `{constraint}`",
                    entry.version.as_deref().unwrap_or("(none)")
                ));
            }
        }
        let dir = self.root_dir.join(&entry.dir);
        if !dir.is_dir() {
            return Err(format!("its directory `{}` is missing", entry.dir));
        }
        Ok(normalize(&dir))
    }

    /// Whether one more module at `path` stays within the module depth and instance limits
    /// (`CORRAL_MAX_MODULE_DEPTH`, `CORRAL_MAX_MODULE_INSTANCES`); each statically loaded
    /// module is at least one instance. Otherwise reports it at the call, the instance limit
    /// once.
    fn within_limits(&mut self, path: &ModulePath, call: crate::diag::Span) -> bool {
        let limits = crate::limits::limits();
        let depth = path.0.len() as u64;
        if !limits.module_depth.allows(depth) {
            self.diags.push(
                Diagnostic::error("Modules nested too deeply")
                    .with_span(call)
                    .with_detail(format!("{path}: {}", limits.module_depth.exceeded(depth))),
            );
            return false;
        }
        self.modules_loaded += 1;
        if limits.module_instances.allows(self.modules_loaded) {
            return true;
        }
        if !self.too_many_reported {
            self.too_many_reported = true;
            self.diags.push(Diagnostic::error("Too many module instances").with_span(call).with_detail(format!(
                "the module calls of this configuration make more module instances than allowed, before any count or for_each: {}",
                limits.module_instances.exceeded(format!("more than {}", limits.module_instances.value))
            )));
        }
        false
    }

    /// Hashes a file under a name that does not depend on where Corral runs from: the module
    /// path and the file name. Lengths are included so no two trees hash alike by shifting
    /// bytes between a name and a content.
    fn hash_file(&mut self, module: &ModulePath, file: &Path, text: &str) {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let key = if module.is_root() { name } else { format!("{module}/{name}") };
        self.hasher.update((key.len() as u64).to_le_bytes());
        self.hasher.update(key.as_bytes());
        self.hasher.update((text.len() as u64).to_le_bytes());
        self.hasher.update(text.as_bytes());
    }

    /// The path as shown to the user: relative to the working directory when it is inside it
    /// (the working directory itself is shown in full, not as an empty name).
    fn display(&self, path: &Path) -> PathBuf {
        if path.is_absolute()
            && let Some(cwd) = &self.cwd
            && let Ok(relative) = path.strip_prefix(cwd)
            && !relative.as_os_str().is_empty()
        {
            return relative.to_path_buf();
        }
        normalize(path)
    }
}

/// An entry named like a configuration file that cannot be read as one.
struct Unreadable {
    path: PathBuf,
    reason: String,
}

/// The `*.hcl` and `*.tf` files of a directory, sorted by name, and the entries named like
/// them that cannot be read (a name that is not UTF-8, a dangling symlink, a symlink loop).
/// Editor leftovers (hidden files, `foo.tf~`, `#foo.tf#`) and directories are skipped, as
/// Terraform does.
fn config_files(dir: &Path) -> std::io::Result<(Vec<PathBuf>, Vec<Unreadable>)> {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let raw = entry.file_name();
        // Bytes, so that a name that is not UTF-8 is still recognised as configuration.
        let bytes = raw.as_encoded_bytes();
        if bytes.starts_with(b".") || bytes.starts_with(b"#") {
            continue;
        }
        if !(bytes.ends_with(b".hcl") || bytes.ends_with(b".tf")) {
            continue;
        }
        if raw.to_str().is_none() {
            unreadable
                .push(Unreadable { path, reason: "the file name is not valid UTF-8; rename the file".to_string() });
            continue;
        }
        // Follows symlinks: a dangling one or a loop fails here.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => files.push(path),
            Err(e) => {
                let reason = match std::fs::symlink_metadata(&path) {
                    Ok(link) if link.file_type().is_symlink() => {
                        let target =
                            std::fs::read_link(&path).map(|t| format!(" to `{}`", t.display())).unwrap_or_default();
                        format!("it is a symbolic link{target} that cannot be followed: {e}")
                    }
                    _ => e.to_string(),
                };
                unreadable.push(Unreadable { path, reason });
            }
        }
    }
    files.sort();
    unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, unreadable))
}

/// Removes `.` and resolvable `..` components without touching the file system, so paths
/// shown to the user read `modules/net/main.hcl`, not `./modules/./net/../net/main.hcl`.
fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}
