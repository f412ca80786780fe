//! The engine driven in process with the built-in providers, where a test needs to watch
//! the walk: the order of operations, and properties over generated configurations.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use corral_engine::addr::AbsResourceInstance;
use corral_engine::apply::StateSink;
use corral_engine::apply::{self, ApplyEvent, ApplyInput, InstanceOutcome};
use corral_engine::config::{self, LoadOptions};
use corral_engine::graph;
use corral_engine::plan::{self, Action, InputValues, Plan, PlanInput, PlanOptions};
use corral_engine::provider::{self as p, Provider, ProviderFactory, ProviderRegistry};
use corral_engine::schema::ProviderSchema;
use corral_engine::state::{RedbStore, StateChange, StateError, StateStore, StateWriter};
use proptest::prelude::*;

use crate::support::Workdir;

/// One plan (and optionally apply) in process; returns the plan and the event order.
fn run(dir: &Path, options: PlanOptions, do_apply: bool) -> (Plan, Vec<ApplyEvent>) {
    run_with(dir, options, do_apply, corral_providers_builtin::registry(true))
}

fn run_with(dir: &Path, options: PlanOptions, do_apply: bool, registry: ProviderRegistry) -> (Plan, Vec<ApplyEvent>) {
    run_watched(dir, options, do_apply.then_some(4), registry, Arc::default())
}

/// `run_with`, applying at `parallelism` (if any) through a sink that tells `durable` which
/// instances' intents are committed.
fn run_watched(
    dir: &Path,
    options: PlanOptions,
    parallelism: Option<usize>,
    registry: ProviderRegistry,
    durable: Arc<Durable>,
) -> (Plan, Vec<ApplyEvent>) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (config, diags) = config::load_dir(dir, &LoadOptions::default());
        assert!(!diags.has_errors(), "{diags:?}");
        let (graph, diags) = graph::build(&config);
        assert!(!diags.has_errors(), "{diags:?}");
        let store = Arc::new(RedbStore::open(dir.join(".corral/state")).unwrap());
        let state = store.read("default").await.unwrap();
        let outcome = plan::plan(PlanInput {
            config: &config,
            graph: &graph,
            state: state.clone(),
            registry: &registry,
            variables: &InputValues::new(),
            options,
            workspace: "default".into(),
            data_dir: dir.join(".corral"),
            cwd: dir.to_path_buf(),
            parallelism: 10,
            key: store.workspace_key("default").await.unwrap(),
        })
        .await;
        assert!(!outcome.diagnostics.has_errors(), "{:?}", outcome.diagnostics);
        assert!(outcome.recovered.is_empty());
        let plan = outcome.plan.unwrap();
        let mut events = Vec::new();
        if let Some(parallelism) = parallelism {
            let sink = Watching { inner: StateWriter::new(store.clone(), "default", state.serial), durable };
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let result = apply::apply(ApplyInput {
                config: &config,
                graph: &graph,
                plan: &plan,
                state: &state,
                registry: &registry,
                sink: &sink,
                workspace: "default".into(),
                data_dir: dir.join(".corral"),
                cwd: dir.to_path_buf(),
                parallelism,
                key: store.workspace_key("default").await.unwrap(),
                events: Some(tx),
                interrupted: apply::Interrupt::new(),
            })
            .await;
            assert!(!result.diagnostics.has_errors(), "{:?}", result.diagnostics);
            assert!(result.outcomes.iter().all(|(_, _, o)| *o == InstanceOutcome::Done), "{:?}", result.outcomes);
            while let Ok(e) = rx.try_recv() {
                events.push(e);
            }
        }
        (plan, events)
    })
}

fn refresh() -> PlanOptions {
    PlanOptions { refresh: true, ..PlanOptions::default() }
}

/// (start index, finish index) of each address's operation in the event stream; deposed
/// deletions are keyed with a `(deposed)` suffix.
fn timeline(events: &[ApplyEvent]) -> HashMap<String, (usize, usize)> {
    let mut out: HashMap<String, (usize, usize)> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        match e {
            ApplyEvent::Started { addr, deposed, .. } => {
                let key = if *deposed { format!("{addr} (deposed)") } else { addr.to_string() };
                out.entry(key).or_insert((i, i)).0 = i;
            }
            ApplyEvent::Finished { addr, .. } => {
                let key = addr.to_string();
                let deposed_key = format!("{addr} (deposed)");
                // A finish belongs to the latest started operation on that address.
                let target = match (out.get(&deposed_key), out.get(&key)) {
                    (Some(d), Some(k)) if d.0 > k.0 => deposed_key,
                    (Some(_), None) => deposed_key,
                    _ => key,
                };
                out.entry(target).or_insert((i, i)).1 = i;
            }
            ApplyEvent::Waiting { .. } | ApplyEvent::Provisioner { .. } => {}
        }
    }
    out
}

#[test]
fn create_before_destroy_orders_create_update_delete() {
    let w = Workdir::fixture("e2e/cbd");
    run(w.path(), refresh(), true);
    w.write("terraform.tfvars", "generation = \"2\"\n");
    // Variables files are read by the CLI; here, set the default instead.
    let main =
        std::fs::read_to_string(w.path().join("main.hcl")).unwrap().replace("default = \"1\"", "default = \"2\"");
    w.write("main.hcl", &main);
    let (plan, events) = run(w.path(), refresh(), true);
    let replaced = plan.changes.iter().find(|c| c.addr.to_string() == "testing_thing.old_then_new").unwrap();
    assert_eq!(replaced.action, Action::CreateThenDelete);
    let t = timeline(&events);
    let create_new = t["testing_thing.old_then_new"];
    let update_dependent = t["testing_thing.dependent"];
    let delete_old = t["testing_thing.old_then_new (deposed)"];
    assert!(create_new.1 < update_dependent.0, "new object before the dependent moves to it: {events:#?}");
    assert!(update_dependent.1 < delete_old.0, "dependent moves before the old object goes: {events:#?}");
    assert_eq!(w.objects().len(), 2);
    let (plan, _) = run(w.path(), refresh(), false);
    assert!(!plan.has_changes());
}

/// A generated configuration: `n` things, each depending on up to two earlier ones
/// (directly, through a local, or through `depends_on`).
fn generated(n: usize, links: &[(usize, usize, u8)]) -> String {
    let mut text = String::new();
    for i in 0..n {
        let deps: Vec<&(usize, usize, u8)> = links.iter().filter(|(to, from, _)| *to == i && *from < i).collect();
        let mut payload = Vec::new();
        let mut depends_on = Vec::new();
        for (_, from, how) in deps {
            match how % 3 {
                0 => payload.push(format!("${{testing_thing.t{from}.id}}")),
                1 => payload.push(format!("${{local.l{from}}}")),
                _ => depends_on.push(format!("testing_thing.t{from}")),
            }
        }
        text.push_str(&format!("locals {{\n  l{i} = testing_thing.t{i}.name\n}}\n"));
        text.push_str(&format!(
            "resource \"testing_thing\" \"t{i}\" {{\n  name    = \"thing-{i}\"\n  payload = \"{}\"\n  depends_on = [{}]\n}}\n",
            payload.join(","),
            depends_on.join(", ")
        ));
    }
    text
}

fn edges(n: usize, links: &[(usize, usize, u8)]) -> BTreeSet<(String, String)> {
    links
        .iter()
        .filter(|(to, from, _)| to < &n && from < to)
        .map(|(to, from, _)| (format!("testing_thing.t{from}"), format!("testing_thing.t{to}")))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    /// Apply, then plan: no changes. The apply order respects every edge, and destroy
    /// reverses it.
    #[test]
    fn apply_respects_edges_and_settles(n in 1usize..12, links in proptest::collection::vec((0usize..12, 0usize..12, 0u8..3), 0..20)) {
        let w = Workdir::new();
        w.write("main.hcl", &generated(n, &links));
        let (_, events) = run(w.path(), refresh(), true);
        let t = timeline(&events);
        for (from, to) in edges(n, &links) {
            prop_assert!(t[&from].1 < t[&to].0, "{from} must finish before {to} starts");
        }
        let (plan, _) = run(w.path(), refresh(), false);
        prop_assert!(!plan.has_changes(), "second plan: {:?}", plan.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| (&c.addr, c.action)).collect::<Vec<_>>());
        let (_, events) = run(w.path(), PlanOptions { destroy: true, ..refresh() }, true);
        let t = timeline(&events);
        for (from, to) in edges(n, &links) {
            prop_assert!(t[&to].1 < t[&from].0, "destroy: {to} must go before {from}");
        }
        prop_assert!(w.objects().is_empty());
        let _: Option<AbsResourceInstance> = None;
    }
}

/// Writes an intent straight into state, as an interrupted apply would have left it.
fn put_intent(dir: &Path, intent: corral_engine::state::Intent) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = RedbStore::open(dir.join(".corral/state")).unwrap();
        let state = store.read("default").await.unwrap();
        store.commit("default", state.serial, vec![StateChange::PutIntent(intent)]).await.unwrap();
    });
}

fn intent(
    action: corral_engine::state::IntentAction,
    addr: &str,
    token: &str,
    planned: Option<serde_json::Value>,
) -> corral_engine::state::Intent {
    corral_engine::state::Intent {
        id: uuid::Uuid::new_v4(),
        addr: addr.to_string(),
        provider: "testing".to_string(),
        type_name: "testing_thing".to_string(),
        action,
        idempotency_token: token.to_string(),
        planned,
        dependencies: Vec::new(),
        create_before_destroy: false,
        started_at: chrono::Utc::now(),
    }
}

#[test]
fn an_interrupted_create_is_adopted_not_repeated() {
    // The create call reached the provider, the process died before the result was
    // committed: the object exists, state only has the intent.
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name = \"a\"\n}\n");
    run(w.path(), refresh(), true);
    let object = w.objects().pop().unwrap();
    let token = object["idempotency_token"].as_str().unwrap().to_string();
    // Forget the instance, keep the object, and leave the create intent behind.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = RedbStore::open(w.path().join(".corral/state")).unwrap();
        let state = store.read("default").await.unwrap();
        let addr: AbsResourceInstance = "testing_thing.a".parse().unwrap();
        store.commit("default", state.serial, vec![StateChange::RemoveInstance(addr)]).await.unwrap();
    });
    put_intent(w.path(), intent(corral_engine::state::IntentAction::Create, "testing_thing.a", &token, None));
    let out = w.ok(&["plan", "--detailed-exitcode"]);
    assert!(out.stdout.contains("No changes."), "the object was adopted: {}", out.stdout);
    let state = w.state();
    assert!(state.intents.is_empty());
    assert_eq!(state.instances.len(), 1);
    assert_eq!(w.objects().len(), 1);
}

#[test]
fn a_deposed_object_is_planned_for_deletion_and_deleted() {
    // A create-before-destroy replacement made the new object and died before deleting the
    // old one: the old object waits in a delete intent with its attributes.
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name = \"old\"\n}\n");
    run(w.path(), refresh(), true);
    let old = w.objects().pop().unwrap();
    let state = w.state();
    let _ = state;
    // Now the configuration moves on; pretend the replacement's first half happened by
    // applying the new config while keeping the old object in a delete intent.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = RedbStore::open(w.path().join(".corral/state")).unwrap();
        let state = store.read("default").await.unwrap();
        let addr: AbsResourceInstance = "testing_thing.a".parse().unwrap();
        store.commit("default", state.serial, vec![StateChange::RemoveInstance(addr)]).await.unwrap();
    });
    put_intent(
        w.path(),
        intent(corral_engine::state::IntentAction::Delete, "testing_thing.a", "", Some(old["attributes"].clone())),
    );
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name = \"new\"\n}\n");
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("(deposed object) will be destroyed"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 1 to destroy."), "{}", plan.stdout);
    w.ok(&["apply", "--auto-approve"]);
    let names: BTreeSet<String> =
        w.objects().iter().map(|o| o["attributes"]["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, BTreeSet::from(["new".to_string()]));
    assert!(w.state().intents.is_empty());
}

/// What the planner asked of a provider.
#[derive(Default)]
struct Calls {
    single_plans: AtomicUsize,
    batch_sizes: Mutex<Vec<usize>>,
    reads: AtomicUsize,
    reads_in_flight: AtomicUsize,
    most_reads_in_flight: AtomicUsize,
}

/// The testing provider, with every call the planner makes recorded. Reads take a moment,
/// so that reads allowed to overlap do.
struct Recording {
    inner: Arc<dyn Provider>,
    calls: Arc<Calls>,
}

struct RecordingFactory {
    inner: corral_providers_builtin::TestingFactory,
    calls: Arc<Calls>,
}

/// The addresses whose intents are durable, as a [`Watching`] sink commits them.
#[derive(Default)]
struct Durable {
    intents: Mutex<BTreeSet<String>>,
    changed: tokio::sync::Notify,
}

impl Durable {
    /// Waits (at most `limit`) until `n` intents are durable; whether they were.
    async fn at_least(&self, n: usize, limit: Duration) -> bool {
        let wait = async {
            loop {
                let changed = self.changed.notified();
                if self.intents.lock().unwrap().len() >= n {
                    return;
                }
                changed.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

/// A state sink that commits through `inner` and tells `durable` of every intent committed.
struct Watching {
    inner: StateWriter,
    durable: Arc<Durable>,
}

#[async_trait::async_trait]
impl StateSink for Watching {
    async fn commit(&self, changes: Vec<StateChange>) -> Result<(), StateError> {
        let intents: Vec<String> = changes
            .iter()
            .filter_map(|c| match c {
                StateChange::PutIntent(intent) => Some(intent.addr.clone()),
                _ => None,
            })
            .collect();
        StateSink::commit(&self.inner, changes).await?;
        self.durable.intents.lock().unwrap().extend(intents);
        self.durable.changed.notify_waiters();
        Ok(())
    }
    async fn commit_deferred(&self, changes: Vec<StateChange>) -> apply::Deferred {
        self.inner.commit_deferred(changes).await
    }
    async fn sync(&self) -> Result<(), StateError> {
        StateSink::sync(&self.inner).await
    }
    fn stopped(&self) -> bool {
        self.inner.stopped()
    }
}

/// The testing provider, whose first create waits until a second intent is durable.
struct WaitsForTheNextIntent {
    inner: Arc<dyn Provider>,
    durable: Arc<Durable>,
    first: Arc<std::sync::atomic::AtomicBool>,
    saw_it: Arc<std::sync::atomic::AtomicBool>,
}

#[async_trait::async_trait]
impl Provider for WaitsForTheNextIntent {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.inner.schema()
    }
    async fn configure(&self, request: p::ConfigureRequest) -> p::ConfigureResponse {
        self.inner.configure(request).await
    }
    async fn plan(&self, request: p::PlanRequest) -> p::PlanResponse {
        self.inner.plan(request).await
    }
    async fn plan_batch(&self, requests: Vec<p::PlanRequest>) -> Vec<p::PlanResponse> {
        self.inner.plan_batch(requests).await
    }
    async fn apply(&self, request: p::ApplyRequest) -> p::ApplyResponse {
        if self.first.swap(false, Ordering::SeqCst) {
            let seen = self.durable.at_least(2, Duration::from_secs(10)).await;
            self.saw_it.store(seen, Ordering::SeqCst);
        }
        self.inner.apply(request).await
    }
    async fn read(&self, request: p::ReadRequest) -> p::ReadResponse {
        self.inner.read(request).await
    }
    async fn read_data(&self, request: p::ReadDataRequest) -> p::ReadDataResponse {
        self.inner.read_data(request).await
    }
    async fn find_created(&self, request: p::FindCreatedRequest) -> p::FindCreatedResponse {
        self.inner.find_created(request).await
    }
}

struct WaitsForTheNextIntentFactory(Arc<dyn Provider>);

impl ProviderFactory for WaitsForTheNextIntentFactory {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.0.schema()
    }
    fn instantiate(&self) -> Arc<dyn Provider> {
        self.0.clone()
    }
}

/// At `--parallelism 1`, the operation next in line commits its intent while the one ahead
/// still holds the slot: the first create's provider call waits for the second intent, and
/// sees it durable (were the intent committed only after the slot, it would wait in vain).
#[test]
fn the_next_operation_commits_its_intent_while_the_one_ahead_holds_the_slot() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        "provider \"testing\" {\n  fsync = false\n}\nresource \"testing_thing\" \"a\" { name = \"a\" }\nresource \"testing_thing\" \"b\" { name = \"b\" }\n",
    );
    let durable = Arc::new(Durable::default());
    let saw_it = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let provider = Arc::new(WaitsForTheNextIntent {
        inner: corral_providers_builtin::TestingFactory::new().instantiate(),
        durable: durable.clone(),
        first: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        saw_it: saw_it.clone(),
    });
    let mut registry = corral_providers_builtin::registry(true);
    registry.register("testing", Arc::new(WaitsForTheNextIntentFactory(provider)));
    let (plan, _) = run_watched(w.path(), PlanOptions::default(), Some(1), registry, durable.clone());
    assert_eq!(plan.changes.len(), 2);
    assert!(saw_it.load(Ordering::SeqCst), "the second intent was not durable during the first call");
    assert_eq!(durable.intents.lock().unwrap().len(), 2);
    assert!(w.state().intents.is_empty(), "every intent is settled");
}

impl ProviderFactory for RecordingFactory {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.inner.schema()
    }

    fn instantiate(&self) -> Arc<dyn Provider> {
        Arc::new(Recording { inner: self.inner.instantiate(), calls: self.calls.clone() })
    }
}

#[async_trait::async_trait]
impl Provider for Recording {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.inner.schema()
    }
    fn validate_resource(&self, request: p::ValidateResourceRequest) -> p::ValidateResourceResponse {
        self.inner.validate_resource(request)
    }
    async fn configure(&self, request: p::ConfigureRequest) -> p::ConfigureResponse {
        self.inner.configure(request).await
    }
    async fn plan(&self, request: p::PlanRequest) -> p::PlanResponse {
        self.calls.single_plans.fetch_add(1, Ordering::SeqCst);
        self.inner.plan(request).await
    }
    async fn plan_batch(&self, requests: Vec<p::PlanRequest>) -> Vec<p::PlanResponse> {
        self.calls.batch_sizes.lock().unwrap().push(requests.len());
        self.inner.plan_batch(requests).await
    }
    async fn apply(&self, request: p::ApplyRequest) -> p::ApplyResponse {
        self.inner.apply(request).await
    }
    async fn read(&self, request: p::ReadRequest) -> p::ReadResponse {
        self.calls.reads.fetch_add(1, Ordering::SeqCst);
        let now = self.calls.reads_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.calls.most_reads_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(2)).await;
        let response = self.inner.read(request).await;
        self.calls.reads_in_flight.fetch_sub(1, Ordering::SeqCst);
        response
    }
    async fn read_data(&self, request: p::ReadDataRequest) -> p::ReadDataResponse {
        self.inner.read_data(request).await
    }
    async fn find_created(&self, request: p::FindCreatedRequest) -> p::FindCreatedResponse {
        self.inner.find_created(request).await
    }
}

/// The instances of one level go to the provider in chunked batch calls (never one call
/// per instance), instances of different resources share chunks, and refresh keeps to
/// `parallelism` reads at once.
#[test]
fn a_level_is_planned_in_chunks_and_refreshed_within_parallelism() {
    let w = Workdir::fixture("e2e/batched");
    run(w.path(), refresh(), true);
    let calls = Arc::new(Calls::default());
    let mut registry = corral_providers_builtin::registry(true);
    registry.register(
        "testing",
        Arc::new(RecordingFactory { inner: corral_providers_builtin::TestingFactory::new(), calls: calls.clone() }),
    );
    let (plan, _) = run_with(w.path(), refresh(), false, registry);
    assert!(!plan.has_changes());
    assert_eq!(plan.changes.len(), 170);
    assert_eq!(calls.single_plans.load(Ordering::SeqCst), 0, "no instance is planned on its own");
    let mut sizes = calls.batch_sizes.lock().unwrap().clone();
    sizes.sort_unstable();
    // 150 + 20 instances of one provider: a level too small for four full chunks of 64 is
    // cut into four.
    assert_eq!(sizes, vec![41, 43, 43, 43]);
    assert_eq!(calls.reads.load(Ordering::SeqCst), 170);
    let most = calls.most_reads_in_flight.load(Ordering::SeqCst);
    assert!((2..=10).contains(&most), "{most} reads at once with parallelism 10");
}
