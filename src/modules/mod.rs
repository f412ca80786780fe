//! `corral init`'s module installer: every `module` call with a registry or remote source is
//! downloaded into `.corral/modules/<key>` and recorded in `.corral/modules/modules.json`
//! (Terraform's `.terraform/modules/modules.json` shape), which the configuration loader
//! reads. Installing is a loop: load the configuration with what is installed so far, fetch
//! what the loader asks for, repeat, so a remote module's own remote calls are found once its
//! code is there. A call already installed from the same source at a version its constraint
//! still allows is kept, so a second `init` downloads nothing; `-upgrade` starts from an empty
//! manifest and takes the newest matching versions. Each package is unpacked into a
//! temporary directory beside its final place and renamed into it, so an `init` killed half
//! way leaves either the old module or none, never half of one; the next `init` removes the
//! temporary directory it left (a lock on the modules directory tells it that no live `init`
//! is using it).

mod fetch;
mod registry;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use corral_engine::config::installed::{InstalledModule, MANIFEST_FILE, ModulesManifest, default_modules_dir};
use corral_engine::config::module_source::ModuleSource;
use corral_engine::config::{LoadOptions, ModuleRequest, load_dir_for_install};
use corral_engine::diag::{Diagnostic, Diagnostics};

use crate::context::Context;
use crate::ui::Reported;

/// Installs every remote module the configuration in `ctx.root` calls. `skip_files` are the
/// root's files that are not configuration (backend settings files).
pub(crate) async fn install(ctx: &Context, skip_files: Vec<PathBuf>, upgrade: bool) -> anyhow::Result<()> {
    let modules_dir = default_modules_dir(&ctx.root);
    // Held from here to the end; taken before anything is written when there is no modules
    // directory yet.
    let mut lock = if modules_dir.exists() { Some(lock_modules_dir(&modules_dir).await?) } else { None };
    let mut manifest =
        if upgrade { ModulesManifest::default() } else { ModulesManifest::read(&modules_dir).unwrap_or_default() };
    let client = reqwest::Client::builder()
        .user_agent(concat!("corral/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot make an HTTP client: {e}"))?;
    let mut announced = false;
    let mut attempted = BTreeSet::new();
    loop {
        let options = LoadOptions { skip_files: skip_files.clone(), manifest: Some(manifest.clone()) };
        let (config, diags, requests) = load_dir_for_install(&ctx.root, &options);
        if requests.is_empty() || diags.has_errors() {
            // What is left to report (syntax errors, a module that is not there) the
            // configuration load that follows reports, with everything installed so far.
            break;
        }
        if !announced {
            println!("Initializing modules...");
            announced = true;
        }
        let mut failed = Diagnostics::new();
        for request in requests {
            if !attempted.insert(request.key.clone()) {
                // Installed, yet asked for again: the manifest entry does not satisfy the
                // loader, which would loop forever.
                failed.push(
                    Diagnostic::error(format!("module `{}` was installed but cannot be used", request.key))
                        .with_span(request.span),
                );
                continue;
            }
            if lock.is_none() {
                lock = Some(lock_modules_dir(&modules_dir).await?);
            }
            match install_one(&client, &request, &ctx.root, &modules_dir).await {
                Ok(entry) => {
                    let version = entry.version.as_deref().map(|v| format!(" {v}")).unwrap_or_default();
                    println!("- {} in {}: {}{version}", entry.key, entry.dir, entry.source);
                    manifest.insert(entry);
                }
                Err(e) => failed.push(
                    Diagnostic::error(format!("Failed to install module `{}`", request.key))
                        .with_span(request.span)
                        .with_detail(format!("{e:#}")),
                ),
            }
        }
        write_manifest(&modules_dir, &manifest)?;
        if failed.has_errors() {
            ctx.report(&failed, &config.sources);
            return Err(Reported.into());
        }
    }
    if upgrade {
        // Entries of calls no longer in the configuration were dropped with the old manifest.
        write_manifest(&modules_dir, &manifest)?;
    }
    drop(lock);
    Ok(())
}

/// The lock file in `.corral/modules`: an OS lock (`flock`) held by the `init` installing
/// there, so one never removes what a live one is unpacking. The OS drops it when its holder
/// dies, kill -9 included.
const LOCK_FILE: &str = ".lock";

/// The prefix of the directory a package is unpacked into before it is renamed into place.
const STAGING_PREFIX: &str = ".installing-";

/// Takes the modules directory's lock, waiting for another `init` that holds it, then
/// removes what installs killed half way left behind: with the lock held, every staging
/// directory there is one whose `init` is gone.
async fn lock_modules_dir(modules_dir: &Path) -> anyhow::Result<std::fs::File> {
    fs_err::create_dir_all(modules_dir)?;
    let path = modules_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    let file = match file.try_lock() {
        Ok(()) => file,
        Err(std::fs::TryLockError::WouldBlock) => {
            println!("Waiting for another `corral init` that is installing modules here...");
            tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                .await
                .map_err(|e| anyhow::anyhow!("waiting for the modules lock: {e}"))?
                .map_err(|e| anyhow::anyhow!("cannot lock {}: {e}", path.display()))?
        }
        Err(std::fs::TryLockError::Error(e)) => anyhow::bail!("cannot lock {}: {e}", path.display()),
    };
    let mut removed = 0;
    for entry in fs_err::read_dir(modules_dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(STAGING_PREFIX) && entry.file_type()?.is_dir() {
            fs_err::remove_dir_all(entry.path())?;
            removed += 1;
        }
    }
    if removed > 0 {
        println!("Removed {removed} unfinished module install(s) an interrupted `corral init` left.");
    }
    Ok(file)
}

/// Fetches one module into `.corral/modules/<key>` and says where its code is.
async fn install_one(
    client: &reqwest::Client,
    request: &ModuleRequest,
    root: &Path,
    modules_dir: &Path,
) -> anyhow::Result<InstalledModule> {
    fs_err::create_dir_all(modules_dir)?;
    let staging = tempfile::Builder::new().prefix(STAGING_PREFIX).tempdir_in(modules_dir)?;
    let package = staging.path().join("package");
    let (version, subdir) = match ModuleSource::parse(&request.source) {
        ModuleSource::Local(_) => anyhow::bail!("a local module is not installed"),
        ModuleSource::Registry(addr) => {
            let found = registry::resolve(client, &addr, request.version.as_deref()).await?;
            let inner = fetch::fetch(client, &found.location, &package).await?;
            (Some(found.version.to_string()), join_subdirs(inner, addr.subdir))
        }
        ModuleSource::Remote(address) => (None, fetch::fetch(client, &address, &package).await?),
    };
    let subdir = match subdir {
        Some(subdir) => Some(fetch::resolve_subdir(&package, &subdir)?),
        None => None,
    };
    let final_dir = modules_dir.join(&request.key);
    if final_dir.exists() {
        fs_err::remove_dir_all(&final_dir)?;
    }
    fs_err::rename(&package, &final_dir)?;
    let mut dir = final_dir;
    if let Some(subdir) = subdir {
        dir = dir.join(subdir);
    }
    let relative = dir.strip_prefix(root).unwrap_or(&dir);
    Ok(InstalledModule {
        key: request.key.clone(),
        source: request.source.clone(),
        version,
        dir: relative.to_string_lossy().into_owned(),
    })
}

fn join_subdirs(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a}/{b}")),
        (a, b) => a.or(b),
    }
}

/// Writes the manifest through a temporary file and a rename, so a reader never sees half.
fn write_manifest(modules_dir: &Path, manifest: &ModulesManifest) -> anyhow::Result<()> {
    fs_err::create_dir_all(modules_dir)?;
    let mut file = tempfile::NamedTempFile::new_in(modules_dir)?;
    serde_json::to_writer_pretty(&mut file, manifest)?;
    file.persist(modules_dir.join(MANIFEST_FILE))
        .map_err(|e| anyhow::anyhow!("cannot write the module manifest: {e}"))?;
    Ok(())
}
