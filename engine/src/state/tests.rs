//! Tests of the state layer: the backend contract run against `RedbStore`, what is particular to
//! redb (file layout, damaged records, OS locks across processes, durability under SIGKILL), the
//! group-commit writer, and the JSON format.
//!
//! Cross-process tests re-run this test binary as the other process: `child_process_entry` does
//! nothing unless `CORRAL_STATE_TEST_ROLE` is set, and then plays the role it names.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::codec::INSTANCES;
use super::testing::{conformance_suite, instance, intent, lock_info};
use super::*;

const CHILD_ROLE: &str = "CORRAL_STATE_TEST_ROLE";
const CHILD_DIR: &str = "CORRAL_STATE_TEST_DIR";

fn redb(dir: &Path) -> Arc<dyn StateStore> {
    Arc::new(RedbStore::open(dir).unwrap())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redb_store_meets_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state");
    conformance_suite(move || redb(&path)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_workspace_has_its_own_database_and_lock_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = redb(dir.path());
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "reading writes nothing");
    store.read("default").await.unwrap();
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "reading writes nothing");

    store.commit("default", 0, vec![StateChange::PutInstance(instance("testing_thing.a", "a"))]).await.unwrap();
    store.create_workspace("prod-eu").await.unwrap();
    let info = lock_info("alice", "apply");
    store.lock("prod-eu", info.clone()).await.unwrap();

    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["default.redb", "prod-eu.lock", "prod-eu.redb"]);
    let written: LockInfo = serde_json::from_slice(&std::fs::read(dir.path().join("prod-eu.lock")).unwrap()).unwrap();
    assert_eq!(written, info, "the lock file describes its holder");

    store.unlock("prod-eu", &info.id).await.unwrap();
    assert_eq!(std::fs::read(dir.path().join("prod-eu.lock")).unwrap(), b"", "a released lock describes no one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_record_is_reported_by_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = redb(dir.path());
    store.commit("default", 0, vec![StateChange::PutInstance(instance("testing_thing.good", "a"))]).await.unwrap();

    // Another handle on the same file, as a second process would have.
    let database = redb_store::builder().open(dir.path().join("default.redb")).unwrap();
    let txn = database.begin_write().unwrap();
    txn.open_table(INSTANCES).unwrap().insert("testing_thing.bad", b"{not json".as_slice()).unwrap();
    txn.commit().unwrap();

    match store.read("default").await {
        Err(StateError::Corrupt(message)) => {
            assert!(message.contains("`testing_thing.bad`"), "{message}");
            assert!(message.contains("default.redb"), "the message names the file: {message}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_never_recreates_a_removed_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = redb(dir.path());
    let serial =
        store.commit("default", 0, vec![StateChange::PutInstance(instance("testing_thing.a", "a"))]).await.unwrap();
    std::fs::remove_file(dir.path().join("default.redb")).unwrap();
    let result = store.commit("default", serial, vec![StateChange::PutInstance(instance("testing_thing.b", "b"))]);
    match result.await {
        Err(error @ StateError::Vanished { .. }) => assert!(error.is_changed_underneath()),
        other => panic!("expected Vanished, got {other:?}"),
    }
    assert!(!dir.path().join("default.redb").exists(), "no empty state was made in its place");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_state_file_is_refused_by_its_lineage_even_at_the_same_serial() {
    let ours = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    let store = redb(ours.path());
    let other = redb(theirs.path());
    store.commit("default", 0, vec![StateChange::PutInstance(instance("testing_thing.a", "a"))]).await.unwrap();
    other.commit("default", 0, vec![StateChange::PutInstance(instance("testing_thing.o", "o"))]).await.unwrap();
    let read = store.read("default").await.unwrap();
    let writer = StateWriter::for_state(store.clone(), "default", read.lineage, read.serial);
    std::fs::copy(theirs.path().join("default.redb"), ours.path().join("incoming")).unwrap();
    std::fs::rename(ours.path().join("incoming"), ours.path().join("default.redb")).unwrap();
    let first = writer.submit(vec![StateChange::PutInstance(instance("testing_thing.b", "b"))]).await;
    assert!(matches!(first, Err(StateError::LineageMismatch { .. })), "{first:?}");
    assert!(writer.lost().is_some());
    // Latched: later submissions fail without writing, even ones that would pass the checks.
    let second = writer.submit(Vec::new()).await;
    assert!(matches!(second, Err(StateError::LineageMismatch { .. })), "{second:?}");
    assert_eq!(store.read("default").await.unwrap(), other.read("default").await.unwrap());
}

/// After the store's state is replaced, the writer still knows what the run did: what it
/// committed, and results it could not commit, but not intents it could not record (their
/// provider calls were never made).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_writer_knows_what_the_run_did() {
    let ours = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    let store = redb(ours.path());
    let other = redb(theirs.path());
    store.commit("default", 0, vec![StateChange::PutInstance(instance("testing_thing.a", "a"))]).await.unwrap();
    other.commit("default", 0, vec![StateChange::PutInstance(instance("testing_thing.o", "o"))]).await.unwrap();
    let read = store.read("default").await.unwrap();
    let writer = StateWriter::for_state(store.clone(), "default", read.lineage, read.serial);
    let done = intent("testing_thing.b");
    writer.submit(vec![StateChange::PutIntent(done.clone())]).await.unwrap();
    let committed = writer.serial();
    std::fs::copy(theirs.path().join("default.redb"), ours.path().join("incoming")).unwrap();
    std::fs::rename(ours.path().join("incoming"), ours.path().join("default.redb")).unwrap();
    let result = vec![StateChange::RemoveIntent(done.id), StateChange::PutInstance(instance("testing_thing.b", "b"))];
    assert!(writer.submit(result).await.is_err());
    assert!(writer.is_lost());
    let never_started = intent("testing_thing.c");
    assert!(writer.submit(vec![StateChange::PutIntent(never_started)]).await.is_err());

    let known = writer.known_state(&read);
    let mut expected = read.clone();
    expected.apply_changes([StateChange::PutInstance(instance("testing_thing.b", "b"))]);
    assert_eq!(known.instances, expected.instances);
    assert!(known.intents.is_empty(), "{:?}", known.intents);
    assert_eq!(known.lineage, read.lineage);
    assert_eq!(known.serial, committed + 1, "one past the last commit that succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_written_by_a_newer_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = redb(dir.path());
    store.commit("default", 0, Vec::new()).await.unwrap();
    let database = redb_store::builder().open(dir.path().join("default.redb")).unwrap();
    let txn = database.begin_write().unwrap();
    txn.open_table(codec::META).unwrap().insert(codec::META_STORE_FORMAT, "99").unwrap();
    txn.commit().unwrap();
    match store.read("default").await {
        Err(StateError::Corrupt(message)) => assert!(message.contains("format 99"), "{message}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_names_must_be_safe_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = redb(dir.path());
    for name in ["", "../escape", "a/b", ".hidden", "sp ace", &"x".repeat(91)] {
        let result = store.create_workspace(name).await;
        assert!(matches!(result, Err(StateError::InvalidWorkspaceName { .. })), "`{name}`: {result:?}");
    }
    for name in ["prod", "eu-west_1", "v1.2"] {
        store.create_workspace(name).await.unwrap();
    }
    assert_eq!(store.workspaces().await.unwrap(), ["default", "eu-west_1", "prod", "v1.2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_holder_cannot_be_forced_out() {
    let dir = tempfile::tempdir().unwrap();
    let (holder, other) = (redb(dir.path()), redb(dir.path()));
    let info = lock_info("alice", "apply");
    holder.lock("default", info.clone()).await.unwrap();
    match other.force_unlock("default", &info.id).await {
        Err(error @ StateError::LockHeldByLiveProcess { .. }) => {
            assert!(error.to_string().contains("held by a running process"), "{error}");
        }
        other => panic!("expected LockHeldByLiveProcess, got {other:?}"),
    }
    assert_eq!(other.lock_holder("default").await.unwrap(), Some(info));
}

/// Informal benchmark (run with `--nocapture` to see the figures): commit latency one at a
/// time, and 200 concurrent submissions through the group-commit writer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_beats_one_commit_per_operation() {
    let dir = tempfile::tempdir().unwrap();
    let store = redb(dir.path());
    const N: usize = 200;

    let mut latencies = Vec::new();
    let started = Instant::now();
    for i in 0..N {
        let one = Instant::now();
        let changes = vec![StateChange::PutInstance(instance(&format!("testing_thing.seq[{i}]"), "x"))];
        store.commit("default", i as u64, changes).await.unwrap();
        latencies.push(one.elapsed());
    }
    let sequential = started.elapsed();
    latencies.sort();

    let writer = StateWriter::new(store.clone(), "default", N as u64);
    let started = Instant::now();
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let writer = writer.clone();
            tokio::spawn(async move {
                let one = Instant::now();
                let changes = vec![StateChange::PutInstance(instance(&format!("testing_thing.grp[{i}]"), "x"))];
                writer.submit(changes).await.unwrap();
                one.elapsed()
            })
        })
        .collect();
    let mut waits = Vec::new();
    for task in tasks {
        waits.push(task.await.unwrap());
    }
    let grouped = started.elapsed();
    waits.sort();

    eprintln!(
        "ungrouped: {N} commits in {sequential:?} ({:.0} commits/s), median {:?}, p90 {:?}",
        N as f64 / sequential.as_secs_f64(),
        latencies[N / 2],
        latencies[N * 9 / 10]
    );
    eprintln!(
        "grouped:   {N} submissions in {grouped:?} ({:.0} submissions/s) as {} commits, median wait {:?}",
        N as f64 / grouped.as_secs_f64(),
        writer.commits(),
        waits[N / 2]
    );
    assert!(writer.commits() < N as u64 / 2, "concurrent submissions were grouped: {} commits", writer.commits());
    assert_eq!(store.read("default").await.unwrap().instances.len(), 2 * N);

    // Operations finishing one per millisecond, as in a busy apply: each waits for its own
    // durable commit, either serialized one commit per operation or through the writer.
    let serial = store.read("default").await.unwrap().serial;
    let one_at_a_time = Arc::new(tokio::sync::Mutex::new(serial));
    let (ungrouped_waits, ungrouped_total) = staggered(N, |i| {
        let (store, serial) = (store.clone(), one_at_a_time.clone());
        async move {
            let mut serial = serial.lock().await;
            let changes = vec![StateChange::PutInstance(instance(&format!("testing_thing.u[{i}]"), "x"))];
            *serial = store.commit("default", *serial, changes).await.unwrap();
        }
    })
    .await;
    let serial = *one_at_a_time.lock().await;
    let writer = StateWriter::new(store.clone(), "default", serial);
    let (grouped_waits, grouped_total) = staggered(N, |i| {
        let writer = writer.clone();
        async move {
            let changes = vec![StateChange::PutInstance(instance(&format!("testing_thing.s[{i}]"), "x"))];
            writer.submit(changes).await.unwrap();
        }
    })
    .await;
    eprintln!(
        "1 op/ms, one commit each: {N} ops done in {ungrouped_total:?}, median wait {:?}, p90 {:?}",
        ungrouped_waits[N / 2],
        ungrouped_waits[N * 9 / 10]
    );
    eprintln!(
        "1 op/ms, group commit:    {N} ops done in {grouped_total:?} as {} commits, median wait {:?}, p90 {:?}",
        writer.commits(),
        grouped_waits[N / 2],
        grouped_waits[N * 9 / 10]
    );
    assert_eq!(store.read("default").await.unwrap().instances.len(), 4 * N);
}

/// Starts `n` tasks one millisecond apart; returns each one's time to completion (sorted) and
/// the time until the last finished.
async fn staggered<F: std::future::Future<Output = ()> + Send + 'static>(
    n: usize,
    task: impl Fn(usize) -> F,
) -> (Vec<Duration>, Duration) {
    let started = Instant::now();
    let mut handles = Vec::new();
    for i in 0..n {
        let work = task(i);
        handles.push(tokio::spawn(async move {
            let one = Instant::now();
            work.await;
            one.elapsed()
        }));
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut waits = Vec::new();
    for handle in handles {
        waits.push(handle.await.unwrap());
    }
    waits.sort();
    (waits, started.elapsed())
}

#[test]
fn state_format_round_trips() {
    let mut state = State::empty();
    state.serial = 7;
    for text in ["testing_thing.a", "module.m[\"k\"].testing_thing.b[1]"] {
        state.instances.insert(text.parse().unwrap(), instance(text, text));
    }
    let started = intent("testing_thing.c");
    state.intents.insert(started.id, started);
    state.outputs.insert(
        "o".to_string(),
        OutputState { value: serde_json::json!([1, 2]), ty: crate::value::Type::Dynamic, sensitive: true },
    );
    let text = format::export_string(&state);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["format_version"], "1");
    assert_eq!(json["serial"], 7);
    assert_eq!(json["lineage"], state.lineage.to_string());
    assert_eq!(json["instances"][0]["addr"], "testing_thing.a", "instances in address order, root module first");
    assert_eq!(format::import(&text).unwrap(), state);
}

#[test]
fn state_format_refuses_what_it_cannot_read() {
    let lineage = uuid::Uuid::new_v4();
    let doc = |version: &str, instances: serde_json::Value| {
        serde_json::json!({"format_version": version, "lineage": lineage, "serial": 1, "instances": instances})
            .to_string()
    };
    let err = format::import(&doc("2", serde_json::json!([]))).unwrap_err();
    assert!(err.to_string().contains("version `2` is not supported"), "{err}");
    let bad = serde_json::to_value(instance("not an address!", "x")).unwrap();
    let err = format::import(&doc("1", serde_json::json!([bad]))).unwrap_err();
    assert!(matches!(err, format::StateFormatError::BadInstance { .. }), "{err}");
    let twice = serde_json::to_value(instance("testing_thing.a", "x")).unwrap();
    let err = format::import(&doc("1", serde_json::json!([twice, twice]))).unwrap_err();
    assert!(err.to_string().contains("appears twice"), "{err}");
    assert!(matches!(format::import("{").unwrap_err(), format::StateFormatError::Json(_)));
}

// ---- Across processes ----

/// Not a test of its own: the other process of the cross-process tests (see the module doc).
#[test]
fn child_process_entry() {
    let Ok(role) = std::env::var(CHILD_ROLE) else { return };
    let dir = PathBuf::from(std::env::var(CHILD_DIR).unwrap());
    let store = redb(&dir);
    runtime().block_on(async move {
        match role.as_str() {
            // Commits (so its database is open), takes the lock and holds it until killed.
            "hold-lock" => {
                let serial = store.read("default").await.unwrap().serial;
                let changes = vec![StateChange::PutInstance(instance("testing_thing.child", "held"))];
                store.commit("default", serial, changes).await.unwrap();
                let info = LockInfo::for_current_process("apply");
                store.lock("default", info.clone()).await.unwrap();
                println!("locked {}", info.id);
                tokio::time::sleep(Duration::from_secs(120)).await;
            }
            // Commits forever, reporting each commit once `commit` has returned.
            "commit-loop" => {
                let mut serial = store.read("default").await.unwrap().serial;
                loop {
                    let next = serial + 1;
                    let changes = vec![
                        StateChange::PutInstance(instance(&format!("testing_thing.t[{next}]"), &format!("p{next}"))),
                        StateChange::SetOutputs(BTreeMap::from([(
                            "count".to_string(),
                            OutputState { value: next.into(), ty: crate::value::Type::Number, sensitive: false },
                        )])),
                    ];
                    serial = store.commit("default", serial, changes).await.unwrap();
                    println!("committed {serial}");
                }
            }
            other => panic!("unknown child role {other}"),
        }
    });
}

struct ChildProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl ChildProcess {
    fn spawn(role: &str, dir: &Path) -> ChildProcess {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "state::tests::child_process_entry", "--nocapture", "--test-threads=1"])
            .env(CHILD_ROLE, role)
            .env(CHILD_DIR, dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        ChildProcess { child, lines }
    }

    /// What follows `marker` on the first line holding it. (The test harness writes
    /// `test … ... ` before the child's first line, so markers are searched, not prefixed.)
    fn wait_for(&self, marker: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).unwrap_or_else(|e| panic!("child said no `{marker}`: {e}"));
            if let Some(rest) = after_marker(&line, marker) {
                return rest.to_string();
            }
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then every line the child wrote before.
    fn kill(mut self) -> Vec<String> {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.lines.iter().collect()
    }
}

fn after_marker<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|at| line[at + marker.len()..].trim())
}

/// Scenario: a second process holds the workspace lock during an "apply". We can still read the
/// state; locking reports that process; force-unlock refuses while it lives; once it is killed
/// the OS lock is gone, only its description is left, and force-unlock clears that. Then a
/// waiting `lock_with_timeout` gets a lock as soon as a second holder is killed.
#[cfg(unix)]
#[test]
fn locks_across_processes_vanish_with_their_holder() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let store = redb(dir.path());

    let child = ChildProcess::spawn("hold-lock", dir.path());
    let lock_id = child.wait_for("locked ");
    let child_pid = child.child.id();
    runtime.block_on(async {
        let state = store.read("default").await.expect("reading while another process holds the lock");
        assert!(state.instances.contains_key(&"testing_thing.child".parse().unwrap()));
        match store.lock("default", lock_info("parent", "apply")).await {
            Err(error @ StateError::Locked { .. }) => {
                let StateError::Locked { holder, .. } = &error else { unreachable!() };
                assert_eq!(
                    (holder.pid, holder.id.as_str(), holder.operation.as_str()),
                    (child_pid, &*lock_id, "apply")
                );
                assert!(error.to_string().starts_with("state for workspace \"default\" is locked by "), "{error}");
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        let holder = store.lock_holder("default").await.unwrap().unwrap();
        assert_eq!(holder.pid, child_pid);
        let result = store.force_unlock("default", &lock_id).await;
        assert!(matches!(result, Err(StateError::LockHeldByLiveProcess { .. })), "{result:?}");
    });

    child.kill();
    runtime.block_on(async {
        assert_eq!(store.lock_holder("default").await.unwrap(), None, "the OS released the dead holder's lock");
        let stale = lock_file::read_info(&dir.path().join("default.lock")).unwrap();
        assert_eq!(stale.id, lock_id, "its description is left behind");
        store.force_unlock("default", &lock_id).await.unwrap();
        assert_eq!(lock_file::read_info(&dir.path().join("default.lock")), None, "force-unlock cleared it");
    });

    let child = ChildProcess::spawn("hold-lock", dir.path());
    child.wait_for("locked ");
    let waiter = {
        let store = store.clone();
        runtime.spawn(async move {
            let started = Instant::now();
            let info = lock_info("parent", "apply");
            lock_with_timeout(&*store, "default", info, Duration::from_secs(30)).await.map(|()| started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(400));
    child.kill();
    let waited = runtime.block_on(waiter).unwrap().expect("the lock is taken once its holder is gone");
    assert!(waited >= Duration::from_millis(300), "it waited for the holder: {waited:?}");
    runtime.block_on(async {
        let serial = store.read("default").await.unwrap().serial;
        store.commit("default", serial, Vec::new()).await.expect("commit after the holder was killed");
    });
}

/// Scenario: a process committing in a loop is SIGKILLed at a random moment, three times over
/// the same workspace. A commit is durable before `commit` returns, and the child reports it
/// after, so the stored serial is the last reported one, or one more when the kill landed
/// between the fsync and the report. Every reported commit must be there, whole (its instance
/// and the output written with it), and nothing beyond the serial.
#[cfg(unix)]
#[test]
fn commits_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let mut lineage = None;
    let mut previous_serial = 0;
    // Keeps its database open throughout, reading while the child commits and after it dies,
    // as `corral state list` would during an apply.
    let observer = redb(dir.path());
    for round in 0..3 {
        let child = ChildProcess::spawn("commit-loop", dir.path());
        let first: u64 = child.wait_for("committed ").parse().unwrap();
        let seen = runtime.block_on(observer.read("default")).expect("reading while another process commits");
        assert!(seen.serial >= first && seen.instances.len() as u64 == seen.serial, "a read sees whole commits");
        let jitter = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() % 150;
        std::thread::sleep(Duration::from_millis(20 + u64::from(jitter)));
        let lines = child.kill();
        let reported = lines.iter().filter_map(|l| after_marker(l, "committed ")?.parse::<u64>().ok()).max();
        let reported = reported.unwrap_or(first).max(first);

        let state = runtime.block_on(redb(dir.path()).read("default")).expect("the state decodes after SIGKILL");
        assert!(
            state.serial == reported || state.serial == reported + 1,
            "round {round}: serial {} after the child reported {reported}",
            state.serial
        );
        assert!(state.serial > previous_serial, "round {round}: the serial only grows");
        assert_eq!(*lineage.get_or_insert(state.lineage), state.lineage, "the lineage survives");
        assert_eq!(state.instances.len() as u64, state.serial, "one instance per commit, nothing beyond");
        for i in 1..=state.serial {
            let record = &state.instances[&format!("testing_thing.t[{i}]").parse().unwrap()];
            assert_eq!(record.attributes["payload"], format!("p{i}"));
        }
        assert_eq!(state.outputs["count"].value, serde_json::json!(state.serial), "a commit is all or nothing");
        assert_eq!(runtime.block_on(observer.read("default")).unwrap(), state, "a handle open all along agrees");
        previous_serial = state.serial;
    }
}

/// A deferred result starts no commit of its own: the next submission's commit carries it,
/// and once that one returns both are durable (a chain's result and its dependent's intent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferred_result_rides_with_the_next_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = redb(dir.path());
    let writer = StateWriter::new(store.clone(), "default", 0);
    let result = writer.submit_deferred(vec![StateChange::PutInstance(instance("testing_thing.a", "a"))]);
    writer.submit(vec![StateChange::PutIntent(intent("testing_thing.b"))]).await.unwrap();
    assert_eq!(writer.commits(), 1, "one commit carried both");
    let state = store.read("default").await.unwrap();
    assert_eq!((state.instances.len(), state.intents.len()), (1, 1));
    assert_eq!(result.await.unwrap(), 1);
    // Nothing pending: `sync` commits nothing.
    writer.sync().await.unwrap();
    assert_eq!(writer.commits(), 1);

    // Alone, a deferred result is committed after the window all the same.
    let alone = writer.submit_deferred(vec![StateChange::PutInstance(instance("testing_thing.c", "c"))]);
    assert_eq!(alone.await.unwrap(), 2);
    assert_eq!(store.read("default").await.unwrap().instances.len(), 2);
}

/// The submitter that drives a flush may stop waiting half-way (an apply abandoned at the
/// second interrupt): its commit is finished by a task of its own, and the writer's serial
/// follows the store's, so later submissions still commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submitter_that_stops_waiting_does_not_abandon_its_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = redb(dir.path());
    let writer = StateWriter::new(store.clone(), "default", 0);
    {
        let submit = writer.submit(vec![StateChange::PutInstance(instance("testing_thing.a", "a"))]);
        tokio::pin!(submit);
        // Polled once: the commit is under way on the store's blocking thread.
        assert!(futures::poll!(submit.as_mut()).is_pending());
    }
    let synced = tokio::time::timeout(Duration::from_secs(30), writer.sync()).await;
    assert!(matches!(synced, Ok(Ok(()))), "the abandoned flush finished: {synced:?}");
    assert_eq!(writer.serial(), 1);
    writer.submit(vec![StateChange::PutInstance(instance("testing_thing.b", "b"))]).await.unwrap();
    let state = store.read("default").await.unwrap();
    assert_eq!((state.instances.len(), state.serial), (2, 2));
}
