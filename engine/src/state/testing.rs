//! The contract every [`StateStore`] backend must meet, as one runnable suite, so that the
//! embedded redb store and the PostgreSQL store are held to the same behaviour.
//!
//! Compiled for tests and with the `test-support` feature. Failures panic with a message
//! naming the broken rule.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{
    InstanceState, InstanceStatus, Intent, IntentAction, LockInfo, OutputState, State, StateChange, StateError,
    StateStore, StateWriter, lock_with_timeout,
};
use crate::addr::AbsResourceInstance;

/// Runs the whole contract. `make_store` returns a new client of ONE backing storage, which
/// must start empty; each call stands for a separate process (its own locks).
pub async fn conformance_suite(make_store: impl Fn() -> Arc<dyn StateStore>) {
    empty_workspace_reads_as_serial_zero(&make_store).await;
    commits_read_back_and_fix_the_lineage(&make_store).await;
    stale_serial_is_rejected_and_changes_nothing(&make_store).await;
    changes_apply_in_order_within_a_commit(&make_store).await;
    intents_and_instances_change_together(&make_store).await;
    outputs_are_replaced_as_a_whole(&make_store).await;
    invalid_change_fails_the_whole_commit(&make_store).await;
    workspaces_are_independent(&make_store).await;
    locks_exclude_other_clients(&make_store).await;
    lock_of_a_departed_holder_can_be_forced(&make_store).await;
    concurrent_submissions_are_grouped(&make_store).await;
    workspace_keys_are_made_once_and_kept(&make_store).await;
    changes_applied_in_memory_equal_the_same_commits(&make_store).await;
    replace_takes_the_lineage_and_moves_the_serial_past_both(&make_store).await;
    lock_with_timeout_waits_for_the_holder(&make_store).await;
    a_failed_group_does_not_fail_its_good_submissions(&make_store).await;
}

/// A resource instance record for `addr` with the given payload.
pub fn instance(addr: &str, payload: &str) -> InstanceState {
    InstanceState {
        addr: addr.to_string(),
        provider: "testing".to_string(),
        schema_version: 0,
        attributes: serde_json::json!({ "id": addr, "payload": payload }),
        sensitive_paths: Vec::new(),
        private: None,
        dependencies: Vec::new(),
        create_before_destroy: false,
        status: InstanceStatus::Ready,
    }
}

/// A create intent for `addr`.
pub fn intent(addr: &str) -> Intent {
    Intent {
        id: uuid::Uuid::new_v4(),
        addr: addr.to_string(),
        provider: "testing".to_string(),
        type_name: "testing_thing".to_string(),
        action: IntentAction::Create,
        idempotency_token: uuid::Uuid::new_v4().to_string(),
        planned: Some(serde_json::json!({ "name": addr })),
        dependencies: vec!["testing_thing.base".to_string()],
        create_before_destroy: false,
        started_at: chrono::Utc::now(),
    }
}

pub fn lock_info(user: &str, operation: &str) -> LockInfo {
    LockInfo {
        id: uuid::Uuid::new_v4().to_string(),
        user: user.to_string(),
        host: "host-1".to_string(),
        pid: 4242,
        operation: operation.to_string(),
        created: chrono::Utc::now(),
    }
}

fn addr(text: &str) -> AbsResourceInstance {
    must(text.parse().map_err(StateError::InvalidAddress), "parse a test address")
}

fn must<T>(result: Result<T, StateError>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{what}: unexpected error: {error}"),
    }
}

async fn empty_workspace_reads_as_serial_zero(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    let first = must(store.read("default").await, "read an unwritten `default`");
    let second = must(store.read("default").await, "read it again");
    assert_eq!(first.serial, 0, "an unwritten workspace has serial 0");
    assert!(first.instances.is_empty() && first.outputs.is_empty() && first.intents.is_empty());
    assert_eq!(first.lineage, uuid::Uuid::nil(), "reading must not invent a lineage");
    assert_eq!(first, second, "two reads of an unwritten workspace agree");
    assert_eq!(must(store.workspaces().await, "list workspaces"), vec!["default".to_string()]);
}

async fn commits_read_back_and_fix_the_lineage(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    let changes = vec![
        StateChange::PutInstance(instance("testing_thing.a", "one")),
        StateChange::PutInstance(instance("module.net[\"eu\"].testing_thing.b[2]", "two")),
    ];
    assert_eq!(must(store.commit("default", 0, changes).await, "first commit"), 1);
    let state = must(store.read("default").await, "read after the first commit");
    assert_eq!(state.serial, 1);
    assert_ne!(state.lineage, uuid::Uuid::nil(), "the first commit fixes a lineage");
    assert_eq!(state.instances.len(), 2);
    assert_eq!(state.instances[&addr("testing_thing.a")], instance("testing_thing.a", "one"));
    let b = &state.instances[&addr("module.net[\"eu\"].testing_thing.b[2]")];
    assert_eq!(b.attributes["payload"], "two");

    let changes = vec![StateChange::PutInstance(instance("testing_thing.a", "uno"))];
    assert_eq!(must(store.commit("default", 1, changes).await, "second commit"), 2);
    let again = must(make_store().read("default").await, "read from another client");
    assert_eq!(again.lineage, state.lineage, "the lineage never changes after the first commit");
    assert_eq!(again.serial, 2);
    assert_eq!(again.instances[&addr("testing_thing.a")].attributes["payload"], "uno");
}

async fn stale_serial_is_rejected_and_changes_nothing(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    let before = must(store.read("default").await, "read");
    let stale = before.serial - 1;
    let result = store.commit("default", stale, vec![StateChange::PutInstance(instance("testing_thing.z", "x"))]).await;
    match result {
        Err(StateError::SerialMismatch { expected, found }) => {
            assert_eq!((expected, found), (stale, before.serial));
        }
        other => panic!("a stale serial must be refused with SerialMismatch, got {other:?}"),
    }
    let result = store.commit("default", before.serial + 5, Vec::new()).await;
    assert!(matches!(result, Err(StateError::SerialMismatch { .. })), "a future serial is refused too: {result:?}");
    assert_eq!(must(store.read("default").await, "read"), before, "a refused commit changes nothing");
}

async fn changes_apply_in_order_within_a_commit(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    let serial = must(store.read("default").await, "read").serial;
    let changes = vec![
        StateChange::PutInstance(instance("testing_thing.order", "first")),
        StateChange::PutInstance(instance("testing_thing.order", "second")),
        StateChange::PutInstance(instance("testing_thing.gone", "x")),
        StateChange::RemoveInstance(addr("testing_thing.gone")),
        // Removing what is not there is not an error.
        StateChange::RemoveInstance(addr("testing_thing.never")),
        StateChange::RemoveIntent(uuid::Uuid::new_v4()),
    ];
    let serial = must(store.commit("default", serial, changes).await, "commit");
    let state = must(store.read("default").await, "read");
    assert_eq!(state.serial, serial);
    assert_eq!(state.instances[&addr("testing_thing.order")].attributes["payload"], "second");
    assert!(!state.instances.contains_key(&addr("testing_thing.gone")));
}

async fn intents_and_instances_change_together(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    let serial = must(store.read("default").await, "read").serial;
    let started = intent("testing_thing.c");
    let serial = must(store.commit("default", serial, vec![StateChange::PutIntent(started.clone())]).await, "intent");
    let state = must(store.read("default").await, "read");
    assert_eq!(state.intents.get(&started.id), Some(&started), "the intent is recorded before the call");
    assert!(!state.instances.contains_key(&addr("testing_thing.c")));

    let finish =
        vec![StateChange::PutInstance(instance("testing_thing.c", "made")), StateChange::RemoveIntent(started.id)];
    must(store.commit("default", serial, finish).await, "result");
    let state = must(make_store().read("default").await, "read");
    assert!(state.intents.is_empty(), "the intent goes in the same commit as the result");
    assert_eq!(state.instances[&addr("testing_thing.c")].attributes["payload"], "made");
}

async fn outputs_are_replaced_as_a_whole(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    let serial = must(store.read("default").await, "read").serial;
    let output = |value: serde_json::Value, sensitive| OutputState { value, ty: crate::value::Type::String, sensitive };
    let first = BTreeMap::from([
        ("x".to_string(), output(serde_json::json!("ex"), false)),
        ("secret".to_string(), output(serde_json::json!("hunter2"), true)),
    ]);
    let serial = must(store.commit("default", serial, vec![StateChange::SetOutputs(first.clone())]).await, "outputs");
    assert_eq!(must(store.read("default").await, "read").outputs, first);
    let second = BTreeMap::from([("z".to_string(), output(serde_json::json!("zed"), false))]);
    must(store.commit("default", serial, vec![StateChange::SetOutputs(second.clone())]).await, "outputs again");
    assert_eq!(must(store.read("default").await, "read").outputs, second, "SetOutputs replaces all outputs");
}

async fn invalid_change_fails_the_whole_commit(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    let before = must(store.read("default").await, "read");
    let changes = vec![
        StateChange::PutInstance(instance("testing_thing.fine", "x")),
        StateChange::PutInstance(instance("not an address!", "x")),
    ];
    let result = store.commit("default", before.serial, changes).await;
    assert!(matches!(result, Err(StateError::InvalidAddress(_))), "a bad address is refused: {result:?}");
    assert_eq!(must(store.read("default").await, "read"), before, "nothing of a refused commit is applied");
}

async fn workspaces_are_independent(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    must(store.create_workspace("staging").await, "create `staging`");
    let result = store.create_workspace("staging").await;
    assert!(matches!(result, Err(StateError::WorkspaceExists(ref name)) if name == "staging"), "{result:?}");
    let result = store.create_workspace("default").await;
    assert!(matches!(result, Err(StateError::WorkspaceExists(_))), "{result:?}");
    assert_eq!(must(make_store().workspaces().await, "list"), vec!["default".to_string(), "staging".to_string()]);

    let staging = must(store.read("staging").await, "read `staging`");
    assert_eq!((staging.serial, staging.instances.len()), (0, 0), "a new workspace is empty");
    let default_before = must(store.read("default").await, "read `default`");
    let changes = vec![StateChange::PutInstance(instance("testing_thing.s", "s"))];
    assert_eq!(must(store.commit("staging", 0, changes).await, "commit to `staging`"), 1);
    assert_eq!(must(store.read("default").await, "read"), default_before, "workspaces do not share state");

    for missing in [store.read("nope").await.err(), store.commit("nope", 0, Vec::new()).await.err()] {
        assert!(matches!(missing, Some(StateError::NoSuchWorkspace(ref n)) if n == "nope"), "{missing:?}");
    }
    let result = store.lock("nope", lock_info("alice", "apply")).await;
    assert!(matches!(result, Err(StateError::NoSuchWorkspace(_))), "{result:?}");

    let result = store.delete_workspace("default").await;
    assert!(matches!(result, Err(StateError::CannotDeleteDefault)), "{result:?}");
    let result = store.delete_workspace("staging").await;
    assert!(
        matches!(result, Err(StateError::WorkspaceNotEmpty { instances: 1, intents: 0, .. })),
        "a workspace that still tracks objects is not deleted: {result:?}"
    );
    must(store.commit("staging", 1, vec![StateChange::RemoveInstance(addr("testing_thing.s"))]).await, "empty it");
    must(store.delete_workspace("staging").await, "delete the emptied `staging`");
    assert_eq!(must(store.workspaces().await, "list"), vec!["default".to_string()]);
    let result = store.delete_workspace("staging").await;
    assert!(matches!(result, Err(StateError::NoSuchWorkspace(_))), "{result:?}");

    // A re-created workspace starts over.
    must(store.create_workspace("staging").await, "create `staging` again");
    assert_eq!(must(make_store().read("staging").await, "read").serial, 0);
    must(store.delete_workspace("staging").await, "delete it again");
}

async fn locks_exclude_other_clients(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let (first, second) = (make_store(), make_store());
    let alice = lock_info("alice", "apply");
    must(first.lock("default", alice.clone()).await, "take the lock");
    assert_eq!(must(first.lock_holder("default").await, "holder"), Some(alice.clone()));
    assert_eq!(must(second.lock_holder("default").await, "holder seen by another client"), Some(alice.clone()));

    let bob = lock_info("bob", "plan");
    match second.lock("default", bob.clone()).await {
        Err(error @ StateError::Locked { .. }) => {
            let StateError::Locked { workspace, holder } = &error else { unreachable!() };
            assert_eq!((workspace.as_str(), holder), ("default", &alice), "the error names the holder");
            let message = error.to_string();
            for part in ["state for workspace \"default\" is locked by alice@host-1", "pid 4242", "`apply`", &alice.id]
            {
                assert!(message.contains(part), "`{message}` should contain `{part}`");
            }
        }
        other => panic!("a second client must get Locked, got {other:?}"),
    }
    let result = first.lock("default", bob.clone()).await;
    assert!(matches!(result, Err(StateError::Locked { .. })), "the lock is not re-entrant: {result:?}");

    // Reading while someone else holds the lock works (`state list` during an apply).
    must(second.read("default").await, "read while another client holds the lock");
    // Another workspace is not blocked.
    must(first.create_workspace("other").await, "create `other`");
    must(second.lock("other", bob.clone()).await, "lock another workspace");
    must(second.unlock("other", &bob.id).await, "unlock it");

    for result in [
        first.unlock("default", "wrong-id").await,
        second.unlock("default", &alice.id).await,
        second.force_unlock("default", "wrong-id").await,
    ] {
        assert!(matches!(result, Err(StateError::NotLocked { .. })), "{result:?}");
    }
    assert_eq!(must(second.lock_holder("default").await, "holder"), Some(alice.clone()), "still held");

    must(first.unlock("default", &alice.id).await, "release");
    assert_eq!(must(second.lock_holder("default").await, "holder"), None);
    must(second.lock("default", bob.clone()).await, "the lock is free again");
    assert_eq!(must(first.lock_holder("default").await, "holder"), Some(bob.clone()));
    must(second.unlock("default", &bob.id).await, "release");
    let result = second.force_unlock("default", &bob.id).await;
    assert!(matches!(result, Err(StateError::NotLocked { .. })), "nothing to force: {result:?}");
    must(first.delete_workspace("other").await, "delete `other`");
}

async fn lock_of_a_departed_holder_can_be_forced(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let departed = make_store();
    let carol = lock_info("carol", "apply");
    must(departed.lock("default", carol.clone()).await, "take the lock");
    // The holder goes away without unlocking (a crashed process drops its client).
    drop(departed);
    let store = make_store();
    must(store.force_unlock("default", &carol.id).await, "force-unlock the departed holder's lock");
    assert_eq!(must(store.lock_holder("default").await, "holder"), None);
    let dave = lock_info("dave", "apply");
    must(store.lock("default", dave.clone()).await, "lock after force-unlock");
    must(store.unlock("default", &dave.id).await, "release");
}

async fn concurrent_submissions_are_grouped(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    let serial = must(store.read("default").await, "read").serial;
    let writer = StateWriter::new(store.clone(), "default", serial);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer.submit(vec![StateChange::PutInstance(instance(&format!("testing_thing.g[{i}]"), "g"))]).await
            })
        })
        .collect();
    for task in tasks {
        let result = task.await.unwrap_or_else(|e| panic!("submit task panicked: {e}"));
        let committed = must(result, "submit");
        assert!(committed > serial && committed <= writer.serial(), "a submission reports the serial that holds it");
    }
    let state = must(store.read("default").await, "read");
    assert_eq!(state.serial, writer.serial());
    assert_eq!(state.serial - serial, writer.commits(), "one serial per commit");
    assert!(writer.commits() <= 50, "never more commits than submissions");
    for i in 0..50 {
        assert!(state.instances.contains_key(&addr(&format!("testing_thing.g[{i}]"))), "submission {i} is stored");
    }
}

async fn workspace_keys_are_made_once_and_kept(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    let before = must(store.read("default").await, "read the state");
    let first = must(store.workspace_key("default").await, "make the key");
    assert_eq!(must(store.workspace_key("default").await, "read it again"), first, "a key is made once");
    assert_eq!(must(make_store().workspace_key("default").await, "read it from another client"), first);
    must(store.create_workspace("keyed").await, "create a workspace");
    assert_ne!(must(store.workspace_key("keyed").await, "key of another workspace"), first, "one key per workspace");
    let after = must(store.read("default").await, "read the state again");
    assert_eq!(after, before, "the key is not part of the state");

    // A key carried over from another backend replaces the one made here.
    let carried = crate::secret::WorkspaceKey::generate();
    must(store.set_workspace_key("keyed", &carried).await, "set the key");
    assert_eq!(must(make_store().workspace_key("keyed").await, "read the set key"), carried);
    assert_eq!(must(store.workspace_key("default").await, "the other workspace's key"), first, "only its own key");
}

/// What a failed apply saves (its read state with its changes applied in memory) is exactly
/// what the store would hold had the commits succeeded, intents included: the intent journal
/// reads back as it was written.
async fn changes_applied_in_memory_equal_the_same_commits(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    must(store.create_workspace("journal").await, "create `journal`");
    let changes = vec![StateChange::PutInstance(instance("testing_thing.a", "a"))];
    let mut serial = must(store.commit("journal", 0, changes).await, "first commit");
    let base = must(store.read("journal").await, "read");
    let (pending, finished) = (intent("testing_thing.b"), intent("testing_thing.c"));
    let rounds = vec![
        vec![StateChange::PutIntent(pending.clone()), StateChange::PutIntent(finished.clone())],
        vec![StateChange::RemoveIntent(finished.id), StateChange::PutInstance(instance("testing_thing.c", "c"))],
        vec![
            StateChange::RemoveInstance(addr("testing_thing.a")),
            StateChange::RemoveInstance(addr("testing_thing.z")),
        ],
    ];
    let mut in_memory = base.clone();
    for changes in rounds {
        in_memory.apply_changes(changes.clone());
        serial = must(store.commit("journal", serial, changes).await, "commit a round");
    }
    let stored = must(make_store().read("journal").await, "read from another client");
    assert_eq!(in_memory.instances, stored.instances);
    assert_eq!(in_memory.intents, stored.intents);
    assert_eq!(stored.intents.get(&pending.id), Some(&pending), "the unfinished create's intent is kept whole");
}

async fn replace_takes_the_lineage_and_moves_the_serial_past_both(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    must(store.create_workspace("replaced").await, "create `replaced`");
    let mut serial = 0;
    for name in ["a", "b", "c"] {
        let change = StateChange::PutInstance(instance(&format!("testing_thing.{name}"), name));
        serial = must(store.commit("replaced", serial, vec![change]).await, "commit");
    }
    let mut pushed = State::empty();
    pushed.serial = 2;
    pushed.apply_changes(vec![StateChange::PutInstance(instance("testing_thing.z", "z"))]);
    pushed.apply_changes(vec![StateChange::PutIntent(intent("testing_thing.y"))]);
    assert_eq!(must(store.replace("replaced", serial, &pushed).await, "replace"), 4, "past both serials");
    let after = must(make_store().read("replaced").await, "read");
    assert_eq!(after.lineage, pushed.lineage, "the replacing state's lineage is taken");
    assert_eq!(after.instances.keys().map(ToString::to_string).collect::<Vec<_>>(), ["testing_thing.z"]);
    assert_eq!(after.intents.len(), 1, "intents come with the state");
    let stale = store.replace("replaced", serial, &pushed).await;
    assert!(matches!(stale, Err(StateError::SerialMismatch { .. })), "{stale:?}");
}

async fn lock_with_timeout_waits_for_the_holder(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let (holder, waiter) = (make_store(), make_store());
    let alice = lock_info("alice", "apply");
    must(holder.lock("default", alice.clone()).await, "take the lock");
    let started = Instant::now();
    match lock_with_timeout(&*waiter, "default", lock_info("bob", "apply"), Duration::from_millis(150)).await {
        Err(StateError::Locked { holder: reported, .. }) => assert_eq!(reported, alice),
        other => panic!("expected Locked after the timeout, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(150), "it waited the whole timeout");

    let release = {
        let (holder, id) = (holder.clone(), alice.id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            holder.unlock("default", &id).await
        })
    };
    let started = Instant::now();
    let bob = lock_info("bob", "apply");
    must(lock_with_timeout(&*waiter, "default", bob.clone(), Duration::from_secs(10)).await, "wait for the lock");
    assert!(started.elapsed() >= Duration::from_millis(250), "it got the lock only once released");
    assert_eq!(must(holder.lock_holder("default").await, "holder"), Some(bob.clone()));
    must(release.await.unwrap_or_else(|e| panic!("release task panicked: {e}")), "release");
    must(waiter.unlock("default", &bob.id).await, "release");
}

async fn a_failed_group_does_not_fail_its_good_submissions(make_store: &impl Fn() -> Arc<dyn StateStore>) {
    let store = make_store();
    must(store.create_workspace("grouped").await, "create `grouped`");
    let writer = StateWriter::new(store.clone(), "grouped", 0);
    let submissions: Vec<_> = (0..20)
        .map(|i| {
            let writer = writer.clone();
            // Every fifth submission carries an address that cannot be stored.
            let addr = if i % 5 == 4 { format!("bad address {i}") } else { format!("testing_thing.w[{i}]") };
            tokio::spawn(async move { writer.submit(vec![StateChange::PutInstance(instance(&addr, "w"))]).await })
        })
        .collect();
    let mut failed = 0;
    for (i, task) in submissions.into_iter().enumerate() {
        match task.await.unwrap_or_else(|e| panic!("submit task panicked: {e}")) {
            Ok(_) => assert!(i % 5 != 4, "submission {i} should have failed"),
            Err(StateError::InvalidAddress(_)) => {
                assert_eq!(i % 5, 4, "submission {i} should have succeeded");
                failed += 1;
            }
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    assert_eq!(failed, 4);
    let state = must(make_store().read("grouped").await, "read");
    assert_eq!(state.instances.len(), 16);
    assert_eq!(state.serial, writer.serial());
}
