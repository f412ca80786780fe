//! End to end, in process: the engine's plan and apply with the KMR provider (`KmrFactory`)
//! against a real sandbox server over HTTP (signed requests, redb storage, its own clock),
//! one sandbox per test directory with a time scale chosen by the test.
#![expect(clippy::unwrap_used)]

mod clusters;
mod quickstart;
mod schedules;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use corral_engine::apply::{self, ApplyInput, InstanceOutcome};
use corral_engine::config::{self, LoadOptions};
use corral_engine::diag::Diagnostics;
use corral_engine::graph;
use corral_engine::plan::{self, InputValues, Plan, PlanInput, PlanOptions};
use corral_engine::provider::ProviderRegistry;
use corral_engine::state::{RedbStore, StateStore, StateWriter};
use corral_provider_kmr::KmrFactory;
use corral_provider_sdk::emulator::ObjectView;
use corral_sandbox::{Faults, SandboxOptions};

/// A working directory with its own sandbox.
pub struct Env {
    dir: tempfile::TempDir,
    options: SandboxOptions,
    runtime: tokio::runtime::Runtime,
    /// The root outputs of the last apply.
    outputs: std::sync::Mutex<std::collections::BTreeMap<String, serde_json::Value>>,
}

impl Env {
    /// `time_scale`: sandbox seconds per real second.
    pub fn new(time_scale: f64) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let options = SandboxOptions { time_scale, faults: Faults::default(), ..SandboxOptions::default() };
        // The provider (no `endpoint`) reuses the sandbox already running for its directory.
        corral_sandbox::start_embedded_with(&dir.path().join(".corral/sandbox"), options.clone()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        Env { dir, options, runtime, outputs: Default::default() }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn sandbox_dir(&self) -> PathBuf {
        self.path().join(".corral/sandbox")
    }

    pub fn write(&self, name: &str, text: &str) {
        let path = self.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Plans (refreshing); the plan, or the diagnostics that stopped it.
    pub fn plan(&self) -> Result<Plan, Diagnostics> {
        self.run(false)
    }

    /// Plans and applies; every change must succeed.
    pub fn apply(&self) -> Result<Plan, Diagnostics> {
        self.run(true)
    }

    fn run(&self, do_apply: bool) -> Result<Plan, Diagnostics> {
        let dir = self.path().to_path_buf();
        self.runtime.block_on(async move {
            let (config, diags) = config::load_dir(&dir, &LoadOptions::default());
            assert!(!diags.has_errors(), "{diags:?}");
            let (graph, diags) = graph::build(&config);
            assert!(!diags.has_errors(), "{diags:?}");
            let store = Arc::new(RedbStore::open(dir.join(".corral/state")).unwrap());
            let mut state = store.read("default").await.unwrap();
            let mut registry = ProviderRegistry::new();
            registry.register("kmr", Arc::new(KmrFactory::new()));
            let outcome = plan::plan(PlanInput {
                config: &config,
                graph: &graph,
                state: state.clone(),
                registry: &registry,
                variables: &InputValues::new(),
                options: PlanOptions { refresh: true, ..PlanOptions::default() },
                workspace: "default".into(),
                data_dir: dir.join(".corral"),
                cwd: dir.clone(),
                parallelism: 10,
                key: store.workspace_key("default").await.unwrap(),
            })
            .await;
            if !outcome.recovered.is_empty() {
                store.commit("default", state.serial, outcome.recovered).await.unwrap();
                state = store.read("default").await.unwrap();
            }
            if outcome.diagnostics.has_errors() {
                return Err(outcome.diagnostics);
            }
            let mut plan = outcome.plan.unwrap();
            plan.basis.state_serial = state.serial;
            if do_apply {
                let sink = StateWriter::new(store.clone(), "default", state.serial);
                let result = apply::apply(ApplyInput {
                    config: &config,
                    graph: &graph,
                    plan: &plan,
                    state: &state,
                    registry: &registry,
                    sink: &sink,
                    workspace: "default".into(),
                    data_dir: dir.join(".corral"),
                    cwd: dir.clone(),
                    parallelism: 4,
                    key: store.workspace_key("default").await.unwrap(),
                    events: None,
                    interrupted: apply::Interrupt::new(),
                })
                .await;
                if result.diagnostics.has_errors() {
                    return Err(result.diagnostics);
                }
                assert!(result.outcomes.iter().all(|(_, _, o)| *o == InstanceOutcome::Done), "{:?}", result.outcomes);
                *self.outputs.lock().unwrap() = result.outputs.into_iter().map(|(name, o)| (name, o.value)).collect();
            }
            Ok(plan)
        })
    }

    /// The recorded attributes of an instance (`kmr_cluster.warehouse`).
    pub fn state(&self, addr: &str) -> Option<serde_json::Value> {
        let dir = self.path().to_path_buf();
        let state = self.runtime.block_on(async move {
            let store = RedbStore::open(dir.join(".corral/state")).unwrap();
            store.read("default").await.unwrap()
        });
        state.instances.iter().find(|(a, _)| a.to_string() == addr).map(|(_, s)| s.attributes.clone())
    }

    /// A root output's value after the last apply.
    pub fn output(&self, name: &str) -> Option<serde_json::Value> {
        self.outputs.lock().unwrap().get(name).cloned()
    }

    /// Every object of the sandbox, advanced to now.
    pub fn inspect(&self) -> Vec<ObjectView> {
        corral_sandbox::inspect_with(&self.sandbox_dir(), &self.options).unwrap()
    }

    pub fn objects(&self, kind: &str) -> Vec<ObjectView> {
        self.inspect().into_iter().filter(|o| o.kind == kind).collect()
    }

    /// Real time passes (and sandbox time with it, scaled).
    pub fn sleep_ms(&self, ms: u64) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// The addresses a plan would change, with their actions (`kmr_cluster.a: Update`).
pub fn changes(plan: &Plan) -> Vec<String> {
    plan.changes.iter().filter(|c| c.action.is_change()).map(|c| format!("{}: {:?}", c.addr, c.action)).collect()
}

/// Every error's summary and detail, for matching.
pub fn messages(diagnostics: &Diagnostics) -> String {
    diagnostics.errors().map(|d| format!("{d:?}")).collect::<Vec<_>>().join("\n")
}

/// The network every cluster test stands in.
pub const NETWORK: &str = r#"
resource "kmr_vpc" "main" {
  cidr_block = "172.16.0.0/16"
}

resource "kmr_subnet" "a" {
  vpc_id     = kmr_vpc.main.id
  cidr_block = "172.16.1.0/24"
}
"#;
