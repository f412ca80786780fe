//! Which state backend a working directory uses, the way Terraform keeps it: `corral init`
//! settles the backend (the configuration's `backend` block, `-backend-config` over it) and
//! records it in `.corral/backend.json`; every later command opens the recorded backend, and
//! refuses to run when the configuration's block no longer matches what was initialised
//! ("run `corral init`"), so a plan never reads one backend while the block names another.
//!
//! Settings the record does not hold come from the environment when the store is opened, as
//! Terraform's pg backend takes them: `PG_CONN_STR`, `PG_SCHEMA_NAME` (or
//! `CORRAL_BACKEND_CONN_STR`, `CORRAL_BACKEND_SCHEMA_NAME`); `CORRAL_PG_LEASE_SECS` sets the
//! lock lease.

pub(crate) mod block;
pub(crate) mod migrate;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use corral_engine::diag::{Diagnostic, SourceMap};
use corral_engine::state::{PgSettings, PgStore, RedbStore, StateStore};

use crate::context::Context;
use crate::ui::Reported;
use block::BackendBlock;

/// The backends Corral can keep state in.
pub(crate) const BACKENDS: &[&str] = &["local", "pg"];
/// The settings each backend takes.
pub(crate) fn settings_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "pg" => &["conn_str", "schema_name"],
        _ => &[],
    }
}

const RECORD_FILE: &str = "backend.json";
const RECORD_VERSION: u32 = 1;

/// A backend kind with its settings (constants, as JSON).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct BackendSettings {
    #[serde(rename = "type")]
    pub kind: String,
    pub config: BTreeMap<String, serde_json::Value>,
}

impl BackendSettings {
    pub(crate) fn local() -> BackendSettings {
        BackendSettings { kind: "local".to_string(), config: BTreeMap::new() }
    }

    fn string(&self, name: &str) -> Option<String> {
        self.config.get(name).and_then(|v| v.as_str()).map(str::to_string)
    }
}

/// What `corral init` settled: the backend in use (block and `-backend-config` merged), and
/// the configuration's block alone, to notice when it is edited.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct BackendRecord {
    pub version: u32,
    pub backend: BackendSettings,
    pub block: Option<BackendSettings>,
    /// The names of the `-backend-config` files that lie in the configuration directory:
    /// settings, never configuration, so no later command loads them as such.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings_files: Vec<String>,
}

impl BackendRecord {
    pub(crate) fn new(backend: BackendSettings, block: Option<BackendSettings>) -> BackendRecord {
        BackendRecord { version: RECORD_VERSION, backend, block, settings_files: Vec::new() }
    }
}

/// The files of the configuration directory `root` that are backend settings: those the
/// record names (a missing or unreadable record names none; opening the backend reports it).
pub(crate) fn settings_files(root: &Path, data_dir: &Path) -> Vec<std::path::PathBuf> {
    match read_record(data_dir) {
        Ok(Some(record)) => record.settings_files.iter().map(|name| root.join(name)).collect(),
        _ => Vec::new(),
    }
}

/// The record `corral init` left, if any.
pub(crate) fn read_record(data_dir: &Path) -> anyhow::Result<Option<BackendRecord>> {
    let path = data_dir.join(RECORD_FILE);
    let text = match fs_err::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let record: BackendRecord = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a backend record Corral can read ({e}); run `corral init -reconfigure`",
            path.display()
        )
    })?;
    if record.version > RECORD_VERSION {
        anyhow::bail!("{} was written by a newer Corral; run `corral init -reconfigure`", path.display());
    }
    Ok(Some(record))
}

/// Writes the record (0600: a connection string may hold a password).
pub(crate) fn write_record(data_dir: &Path, record: &BackendRecord) -> anyhow::Result<()> {
    corral_engine::state::secure_fs::create_private_dir_all(data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", data_dir.display()))?;
    let path = data_dir.join(RECORD_FILE);
    let temporary = data_dir.join(format!(".{RECORD_FILE}.{}", uuid::Uuid::new_v4()));
    let text = serde_json::to_string_pretty(record)?;
    corral_engine::state::secure_fs::create_new_private(&temporary, text.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", temporary.display()))?;
    fs_err::rename(&temporary, &path)?;
    Ok(())
}

/// The state store of the backend `corral init` set up, after checking that the
/// configuration's backend block is still the one it set up.
pub(crate) fn open(ctx: &Context) -> anyhow::Result<Arc<dyn StateStore>> {
    let record = read_record(&ctx.data_dir)?;
    let found = block::find(&ctx.root)?;
    let configured = found.as_ref().map(BackendBlock::settings);
    let recorded_block = record.as_ref().and_then(|r| r.block.clone());
    // The local backend has no settings Corral uses, so any local block is the default one.
    let is_local = |s: &Option<BackendSettings>| s.as_ref().is_none_or(|s| s.kind == "local");
    let reason = match &record {
        None if is_local(&configured) => None,
        None => Some(format!(
            "Initial configuration of the requested backend \"{}\"",
            configured.as_ref().map_or("local", |s| s.kind.as_str())
        )),
        Some(_) if configured == recorded_block || (is_local(&configured) && is_local(&recorded_block)) => None,
        Some(record) if configured.is_none() => {
            Some(format!("Unsetting the previously set backend \"{}\"", record.backend.kind))
        }
        Some(_) => Some(format!(
            "Backend configuration changed for \"{}\"",
            configured.as_ref().map_or("local", |s| s.kind.as_str())
        )),
    };
    if let Some(reason) = reason {
        let mut sources = SourceMap::default();
        let mut diag = Diagnostic::error("Backend initialization required, please run \"corral init\"")
            .with_detail(format!(
                "Reason: {reason}\n\nChanges to the backend configuration require reinitialization, so that Corral can set up the new backend and copy the existing state."
            ))
            .with_help("run `corral init -migrate-state` to move the state to the configured backend, or `corral init -reconfigure` to use it as it is");
        if let Some(found) = found {
            diag = diag.with_span(found.span);
            sources = found.sources;
        }
        ctx.report(&diag.into(), &sources);
        return Err(Reported.into());
    }
    let backend = record.map_or_else(BackendSettings::local, |r| r.backend);
    let origin = origin(ctx, &backend, found.as_ref());
    store_for(ctx, &backend, origin)
}

/// Where a backend's connection settings come from, for its error messages: the block's
/// line, `-backend-config`, or the environment.
pub(crate) fn origin(ctx: &Context, backend: &BackendSettings, found: Option<&BackendBlock>) -> String {
    let kind = &backend.kind;
    if let Some(found) = found.filter(|b| b.kind == *kind) {
        let at = found.location(ctx, "conn_str");
        return format!("backend \"{kind}\" ({at})");
    }
    if backend.config.contains_key("conn_str") {
        return format!("backend \"{kind}\" (conn_str from `corral init -backend-config`)");
    }
    format!("backend \"{kind}\" (conn_str from the environment)")
}

/// A store for `backend`, with settings the record lacks taken from the environment.
pub(crate) fn store_for(
    ctx: &Context,
    backend: &BackendSettings,
    origin: String,
) -> anyhow::Result<Arc<dyn StateStore>> {
    match backend.kind.as_str() {
        "local" => Ok(Arc::new(RedbStore::open(ctx.data_dir.join("state")).map_err(|e| anyhow::anyhow!(e))?)),
        "pg" => Ok(Arc::new(PgStore::open(&pg_settings(backend, origin)?).map_err(|e| anyhow::anyhow!(e))?)),
        other => anyhow::bail!("unsupported backend type \"{other}\" in .corral/{RECORD_FILE}; run `corral init`"),
    }
}

fn env(names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
}

pub(crate) fn pg_settings(backend: &BackendSettings, origin: String) -> anyhow::Result<PgSettings> {
    let conn_str =
        backend.string("conn_str").or_else(|| env(&["PG_CONN_STR", "CORRAL_BACKEND_CONN_STR"])).ok_or_else(|| {
            anyhow::anyhow!(
                "{origin}: the pg backend needs `conn_str` (in the backend block, `-backend-config` or PG_CONN_STR)"
            )
        })?;
    let schema_name = backend
        .string("schema_name")
        .or_else(|| env(&["PG_SCHEMA_NAME", "CORRAL_BACKEND_SCHEMA_NAME"]))
        .unwrap_or_else(|| PgSettings::DEFAULT_SCHEMA.to_string());
    let lease = match env(&["CORRAL_PG_LEASE_SECS"]) {
        None => PgSettings::DEFAULT_LEASE,
        Some(text) => text
            .parse::<f64>()
            .ok()
            .filter(|secs| secs.is_finite() && *secs > 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| anyhow::anyhow!("CORRAL_PG_LEASE_SECS must be a number of seconds, not `{text}`"))?,
    };
    Ok(PgSettings { conn_str, schema_name, lease, origin: Some(origin) })
}
