//! An apply killed with SIGKILL at any instant loses nothing: every object on disk is in
//! state or in the intent journal, the next run adopts what it must, and no object is ever
//! created twice.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use corral_engine::state::IntentAction;

use crate::support::Workdir;

const THINGS: usize = 200;

fn config() -> String {
    format!(
        "resource \"testing_thing\" \"t\" {{\n  count    = {THINGS}\n  name     = \"thing-${{count.index}}\"\n  delay_ms = 20\n}}\n"
    )
}

/// Checks the invariant after a kill: objects on disk == objects in state ∪ objects of
/// create intents.
fn check_accounted(w: &Workdir) {
    let state = w.state();
    let in_state: BTreeSet<String> = state
        .instances
        .values()
        .filter_map(|i| i.attributes.get("id").and_then(|v| v.as_str()).map(str::to_string))
        .collect();
    let pending_tokens: BTreeSet<String> = state
        .intents
        .values()
        .filter(|i| i.action == IntentAction::Create)
        .map(|i| i.idempotency_token.clone())
        .collect();
    let mut names = BTreeSet::new();
    for object in w.objects() {
        let name = object["attributes"]["name"].as_str().unwrap().to_string();
        assert!(names.insert(name.clone()), "two objects named {name}: a create was duplicated");
        let id = object["id"].as_str().unwrap().to_string();
        let token = object["idempotency_token"].as_str().unwrap_or_default().to_string();
        assert!(
            in_state.contains(&id) || pending_tokens.contains(&token),
            "object {id} (token {token}) exists but neither state nor the intent journal knows it"
        );
    }
}

#[test]
fn sigkill_at_random_moments_never_orphans_or_duplicates() {
    let w = Workdir::new();
    w.write("main.hcl", &config());
    // Rounds alternate between applying and destroying, so every kill lands in real work
    // (creates or deletes) rather than in a finished apply. With `--parallelism 2` a full
    // pass takes about 2 s; the kill moments spread between 150 ms and 1.85 s.
    let mut seed: u64 = 0x5eed_c0de;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..20 {
        let command = if round % 2 == 0 { "apply" } else { "destroy" };
        let mut child = w
            .command(&[command, "--auto-approve", "--parallelism", "2", "--lock-timeout", "10s"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let wait = Duration::from_millis(150 + next() % 1700);
        std::thread::sleep(wait);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        check_accounted(&w);
        let state = w.state();
        eprintln!(
            "round {round} ({command}): killed after {wait:?}; {} in state, {} intents, {} objects",
            state.instances.len(),
            state.intents.len(),
            w.objects().len()
        );
    }
    // The next apply settles everything.
    w.ok(&["apply", "--auto-approve"]);
    let objects = w.objects();
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    for object in &objects {
        *by_name.entry(object["attributes"]["name"].as_str().unwrap().to_string()).or_default() += 1;
    }
    assert_eq!(by_name.len(), THINGS, "every thing exists");
    assert!(
        by_name.values().all(|&n| n == 1),
        "no thing was created twice: {:?}",
        by_name.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
    let state = w.state();
    assert_eq!(state.instances.len(), THINGS);
    assert!(state.intents.is_empty(), "no intents left: {:?}", state.intents);
    let plan = w.corral(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stdout);
}
