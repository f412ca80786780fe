//! Which providers a run can use, and where each one runs.
//!
//! - Built-in providers (`corral`, and `testing` with `CORRAL_TESTING_PROVIDER=1`) run in
//!   process, unless `CORRAL_OUT_OF_PROCESS=NAME[,NAME]` asks for them to be served out of
//!   process by this binary (how the tests and the benchmark exercise the plugin protocol).
//! - Plugin executables `corral-provider-NAME`, looked for under `.corral/plugins/` of the
//!   configuration, then on `CORRAL_PLUGIN_PATH` (colon-separated), then beside the `corral`
//!   binary; the first found wins.
//! - Providers compiled into this binary ([`compiled_in`]) that no executable provides run
//!   out of process through the multicall entry `corral __provider NAME`, so a plain
//!   `cargo run` works without building plugin binaries.
//!
//! Plugins are launched on first use, not here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use corral_engine::provider::{ProviderFactory, ProviderRegistry};
use corral_provider_protocol::{LaunchOptions, PluginCommand, PluginFactory, ServeOptions};

/// The hidden subcommand that serves a compiled-in provider as a plugin.
pub(crate) const PROVIDER_SUBCOMMAND: &str = "__provider";

const EXECUTABLE_PREFIX: &str = "corral-provider-";

/// Compiled-in providers served out of process by default (through [`PROVIDER_SUBCOMMAND`]).
/// The cloud providers (KMR, Kyligence, Kylin, MRS, IAM) are compiled in and run this way.
const OUT_OF_PROCESS_BY_DEFAULT: &[&str] = &["kmr", "kyligence", "kylin", "mrs", "iam"];

/// The providers of a run and the plugins among them (to stop them on Ctrl-C).
pub(crate) struct Providers {
    pub registry: ProviderRegistry,
    pub plugins: Vec<Arc<PluginFactory>>,
}

/// A provider compiled into this binary, by name, with the options it is served with.
pub(crate) fn compiled_in(name: &str) -> Option<(Arc<dyn ProviderFactory>, ServeOptions)> {
    match name {
        "corral" => Some((Arc::new(corral_providers_builtin::CorralFactory::new()), ServeOptions::default())),
        "testing" => Some((Arc::new(corral_providers_builtin::TestingFactory::new()), ServeOptions::default())),
        "terraform" => Some((Arc::new(corral_providers_builtin::TerraformFactory::new()), ServeOptions::default())),
        "kmr" => Some((Arc::new(corral_provider_kmr::KmrFactory::new()), corral_provider_kmr::serve_options())),
        "kyligence" => Some((
            Arc::new(corral_provider_kyligence::KyligenceFactory::new()),
            corral_provider_kyligence::serve_options(),
        )),
        "kylin" => Some((Arc::new(corral_provider_kylin::KylinFactory::new()), corral_provider_kylin::serve_options())),
        "mrs" => Some((Arc::new(corral_provider_mrs::MrsFactory::new()), corral_provider_mrs::serve_options())),
        "iam" => Some((Arc::new(corral_provider_iam::IamFactory::new()), corral_provider_iam::serve_options())),
        _ => None,
    }
}

/// Builds the providers of a run for the configuration whose data directory is `data_dir`.
pub(crate) fn providers(data_dir: &Path, include_testing: bool) -> Providers {
    let mut registry = corral_providers_builtin::registry(include_testing);
    let mut plugins = Vec::new();
    let own_exe = std::env::current_exe().ok();

    let mut multicall: Vec<String> = OUT_OF_PROCESS_BY_DEFAULT.iter().map(|s| s.to_string()).collect();
    if let Ok(names) = std::env::var("CORRAL_OUT_OF_PROCESS") {
        multicall.extend(
            names
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty() && (*n != "testing" || include_testing))
                .map(str::to_string),
        );
    }
    let builtin: Vec<String> = registry.names().map(str::to_string).collect();
    let add = |registry: &mut ProviderRegistry, plugins: &mut Vec<Arc<PluginFactory>>, name: &str, command| {
        let factory = Arc::new(PluginFactory::new(name, command, LaunchOptions::default()));
        registry.register(name, factory.clone());
        plugins.retain(|p| p.name() != name);
        plugins.push(factory);
    };
    if let Some(exe) = &own_exe {
        for name in &multicall {
            if compiled_in(name).is_some() {
                add(&mut registry, &mut plugins, name, PluginCommand::new(exe).arg(PROVIDER_SUBCOMMAND).arg(name));
            } else {
                tracing::warn!("`CORRAL_OUT_OF_PROCESS` names `{name}`, which is not compiled into corral");
            }
        }
    }
    // Executables found on disk override compiled-in plugins, not in-process built-ins.
    for (name, path) in executables(&search_dirs(data_dir, own_exe.as_deref())) {
        if builtin.contains(&name) && !multicall.contains(&name) {
            tracing::debug!("ignoring `{}`: `{name}` is built in", path.display());
            continue;
        }
        add(&mut registry, &mut plugins, &name, PluginCommand::new(path));
    }
    Providers { registry, plugins }
}

/// Where plugin executables are looked for, in order of precedence.
fn search_dirs(data_dir: &Path, own_exe: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = vec![data_dir.join("plugins")];
    if let Some(path) = std::env::var_os("CORRAL_PLUGIN_PATH") {
        dirs.extend(std::env::split_paths(&path).filter(|p| !p.as_os_str().is_empty()));
    }
    if let Some(dir) = own_exe.and_then(Path::parent) {
        dirs.push(dir.to_path_buf());
    }
    dirs
}

/// `corral-provider-NAME` executables in `dirs`: the first one of each name wins.
fn executables(dirs: &[PathBuf]) -> BTreeMap<String, PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut found = BTreeMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str().and_then(|n| n.strip_prefix(EXECUTABLE_PREFIX)) else { continue };
            // Cargo leaves `corral-provider-x.d` and friends beside binaries.
            if name.is_empty() || name.contains('.') {
                continue;
            }
            let path = entry.path();
            let executable = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
            if executable {
                found.entry(name.to_string()).or_insert(path);
            }
        }
    }
    found
}

/// `corral __provider NAME`: serves a compiled-in provider as a plugin (the multicall
/// entry). Runs before the CLI's own runtime and logging exist.
pub(crate) fn serve_compiled_in(name: &str) -> std::process::ExitCode {
    match compiled_in(name) {
        Some((factory, options)) => corral_provider_protocol::plugin_main(factory, options),
        None => {
            eprintln!("Error: no provider named `{name}` is compiled into corral");
            std::process::ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests;
