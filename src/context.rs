//! Resolved settings for one command: directories, workspace, providers, the state store,
//! and the loaded configuration with its graph.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use corral_engine::config::{self, Config, LoadOptions};
use corral_engine::diag::{Diagnostic, Diagnostics, SourceMap};
use corral_engine::graph::{self, ConfigGraph};
use corral_engine::provider::ProviderRegistry;
use corral_engine::state::{LockInfo, StateError, StateStore, lock_with_timeout};

use crate::ui::{self, Reported};

pub(crate) struct Context {
    /// The configuration directory.
    pub root: PathBuf,
    /// `.corral/` inside it: state, provider data, the selected workspace.
    pub data_dir: PathBuf,
    /// The process's working directory (after `-C`): where paths are shown from.
    pub cwd: PathBuf,
    /// Where Corral was started, before `-C`: `path.cwd`, as with Terraform's `-chdir`.
    pub path_cwd: PathBuf,
    /// The directory `-C` names (else the working directory): where relative paths given
    /// on the command line, such as `--var-file`, are read from, as with Terraform's `-chdir`.
    pub work_dir: PathBuf,
    pub color: bool,
    pub registry: ProviderRegistry,
    /// The plugins among the providers (launched on first use), to stop on Ctrl-C.
    pub plugins: Vec<Arc<corral_provider_protocol::PluginFactory>>,
}

/// The directory Corral was started in, recorded by `main` before it follows `-C`.
static STARTED_IN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

pub(crate) fn record_start_dir(dir: PathBuf) {
    let _ = STARTED_IN.set(dir);
}

fn started_in() -> Option<PathBuf> {
    STARTED_IN.get().cloned()
}

pub(crate) struct Loaded {
    pub config: Config,
    pub graph: ConfigGraph,
}

impl Context {
    pub(crate) fn new(chdir: Option<&Path>, dir: Option<&Path>, no_color: bool) -> anyhow::Result<Context> {
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        let work_dir = match chdir {
            Some(d) => cwd.join(d),
            None => cwd.clone(),
        };
        let mut root = work_dir.clone();
        if let Some(d) = dir {
            root = root.join(d);
        }
        if !root.is_dir() {
            anyhow::bail!("`{}` is not a directory", root.display());
        }
        let testing = std::env::var("CORRAL_TESTING_PROVIDER").is_ok_and(|v| v == "1" || v == "true");
        let data_dir = root.join(".corral");
        let providers = crate::plugins::providers(&data_dir, testing);
        // `provider::NAME::FUNCTION(...)` anywhere (configuration, console) reaches these.
        corral_engine::lang::functions::install_provider_functions(Arc::new(
            corral_engine::runtime::RegistryFunctions::new(providers.registry.clone()),
        ));
        Ok(Context {
            data_dir,
            root,
            path_cwd: started_in().unwrap_or_else(|| cwd.clone()),
            cwd,
            work_dir,
            color: ui::use_color(no_color),
            registry: providers.registry,
            plugins: providers.plugins,
        })
    }

    /// Loads the configuration and builds its graph, printing every diagnostic; fails if
    /// any is an error.
    pub(crate) fn load(&self) -> anyhow::Result<Loaded> {
        self.load_inner(false, Vec::new())
    }

    /// [`Context::load`] for a command that will call the providers: the plugins the
    /// configuration uses start launching as soon as it is parsed, so their start-up
    /// overlaps building the graph and reading the state instead of following them.
    pub(crate) fn load_for_providers(&self) -> anyhow::Result<Loaded> {
        self.load_inner(true, Vec::new())
    }

    /// [`Context::load_for_providers`] for `corral init`, whose `-backend-config` files are
    /// not configuration even when they lie in the configuration directory.
    pub(crate) fn load_for_init(&self, backend_files: Vec<PathBuf>) -> anyhow::Result<Loaded> {
        self.load_inner(true, backend_files)
    }

    fn load_inner(&self, start_plugins: bool, mut skip_files: Vec<PathBuf>) -> anyhow::Result<Loaded> {
        // Backend settings files an earlier `init` was given are not configuration either.
        skip_files.extend(crate::backend::settings_files(&self.root, &self.data_dir));
        let (config, mut diags) = config::load_dir(&self.root, &LoadOptions { skip_files, ..LoadOptions::default() });
        if start_plugins && !diags.has_errors() {
            self.start_plugins(&config);
        }
        if !diags.has_errors() {
            diags.extend(corral_engine::runtime::check_calls(&config, &self.registry));
        }
        if !diags.has_errors() {
            let (graph, graph_diags) = graph::build(&config);
            diags.extend(graph_diags);
            ui::print_diagnostics(&diags, &config.sources, self.color);
            if diags.has_errors() {
                return Err(Reported.into());
            }
            return Ok(Loaded { config, graph });
        }
        ui::print_diagnostics(&diags, &config.sources, self.color);
        Err(Reported.into())
    }

    /// Launches, each on a thread of its own, the plugins that `config` names. A plugin
    /// that cannot start reports why on its first use, as if it had been launched then.
    fn start_plugins(&self, config: &Config) {
        let mut used = std::collections::BTreeSet::new();
        for module in config.modules() {
            used.extend(module.providers.iter().map(|p| p.name.as_str()));
            used.extend(module.resources.values().map(|r| r.provider.name.as_str()));
        }
        for plugin in self.plugins.iter().filter(|p| used.contains(p.name())) {
            let plugin = plugin.clone();
            let started = std::thread::Builder::new().name(format!("start-{}", plugin.name())).spawn(move || {
                let _ = plugin.start();
            });
            if let Err(e) = started {
                // Not fatal: the plugin is launched on first use instead.
                tracing::debug!("cannot start a thread to launch a plugin early: {e}");
            }
        }
    }

    /// A path as shown to the user: relative to the working directory when inside it (the
    /// working directory itself in full, rather than as an empty name).
    pub(crate) fn display(&self, path: &Path) -> String {
        match path.strip_prefix(&self.cwd) {
            Ok(relative) if !relative.as_os_str().is_empty() => relative.display().to_string(),
            _ => path.display().to_string(),
        }
    }

    pub(crate) fn report(&self, diags: &Diagnostics, sources: &SourceMap) {
        ui::print_diagnostics(diags, sources, self.color);
    }

    /// The state store of the backend `corral init` set up (`crate::backend`): redb under
    /// `.corral/state` unless a `backend` block says otherwise.
    pub(crate) fn store(&self) -> anyhow::Result<Arc<dyn StateStore>> {
        crate::backend::open(self)
    }

    /// The selected workspace: `CORRAL_WORKSPACE`, else `.corral/environment`, else `default`.
    pub(crate) fn workspace(&self) -> String {
        if let Ok(ws) = std::env::var("CORRAL_WORKSPACE")
            && !ws.is_empty()
        {
            return ws;
        }
        fs_err::read_to_string(self.data_dir.join("environment"))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "default".to_string())
    }

    pub(crate) fn select_workspace(&self, name: &str) -> anyhow::Result<()> {
        corral_engine::state::secure_fs::create_private_dir_all(&self.data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", self.data_dir.display()))?;
        fs_err::write(self.data_dir.join("environment"), format!("{name}\n"))?;
        Ok(())
    }

    /// Takes the workspace lock, waiting up to `timeout`.
    pub(crate) async fn lock(
        &self,
        store: &dyn StateStore,
        workspace: &str,
        operation: &str,
        timeout: Duration,
    ) -> anyhow::Result<LockInfo> {
        // `.corral/` holds state, keys and plugins: its owner's alone (0700, also when an older
        // Corral or another tool made it wider).
        corral_engine::state::secure_fs::create_private_dir_all(&self.data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", self.data_dir.display()))?;
        let info = LockInfo::for_current_process(operation);
        match lock_with_timeout(store, workspace, info.clone(), timeout).await {
            Ok(()) => Ok(info),
            Err(e @ StateError::Locked { .. }) => {
                let diag = Diagnostic::error("Error acquiring the state lock").with_detail(e.to_string()).with_help(
                    "wait for the other operation to finish, use `--lock-timeout 30s` to wait for it, or `corral force-unlock LOCK_ID` if it died",
                );
                self.report(&diag.into(), &SourceMap::default());
                Err(Reported.into())
            }
            Err(e) => Err(anyhow::anyhow!(e)),
        }
    }
}

/// Runs `foreground` on this thread while `background` runs on a thread of its own, and
/// returns both results with the diagnostics `background` printed, held back for the caller
/// to print (or drop) once it knows whether `foreground` succeeded.
///
/// `background` borrows from the caller, so it runs on a scoped thread; `block_in_place`
/// lets the runtime move other tasks off this thread meanwhile. Without a multi-threaded
/// runtime the two run one after the other and nothing is held back.
pub(crate) async fn alongside<A, B>(
    foreground: impl FnOnce() -> A,
    background: impl std::future::Future<Output = B> + Send,
) -> (A, B, String)
where
    B: Send,
{
    use tokio::runtime::{Handle, RuntimeFlavor};
    let Some(handle) = Handle::try_current().ok().filter(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread) else {
        let a = foreground();
        return (a, background.await, String::new());
    };
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let worker = scope.spawn(|| ui::hold_diagnostics(|| handle.block_on(background)));
            let a = foreground();
            match worker.join() {
                Ok((b, held)) => (a, b, held),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    })
}
