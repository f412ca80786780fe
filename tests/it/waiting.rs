//! Waiting is not work: an operation whose provider reports that it only waits for the
//! remote side gives its `--parallelism` slot back, in process and through the plugin
//! protocol; and a long operation says it is still running every 10 s when stdout is not a
//! terminal.

use crate::support::{Output, Workdir};

/// Two creates that wait 3 s for a remote `provisioning` status, and quick ones that may
/// start only once `gate` (200 ms of work) is done, by which time both waiting creates have
/// asked for the one slot (equals are served first come, first served).
const WAITING_BESIDE_QUICK: &str = r#"
provider "testing" {
  fsync = false
}

resource "testing_thing" "slow" {
  count   = 2
  name    = "slow-${count.index}"
  wait_ms = 3000
}

resource "testing_thing" "gate" {
  name     = "gate"
  delay_ms = 200
}

resource "testing_thing" "quick" {
  count      = 4
  name       = "quick-${count.index}"
  delay_ms   = 20
  depends_on = [testing_thing.gate]
}
"#;

/// The line index of the first stdout line that starts with `prefix`.
fn line_of(out: &Output, prefix: &str) -> usize {
    out.stdout
        .lines()
        .position(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with `{prefix}`:\n{}", out.stdout))
}

fn assert_waits_overlap(out: &Output) {
    let slow_started: Vec<usize> =
        (0..2).map(|i| line_of(out, &format!("testing_thing.slow[{i}]: Creating..."))).collect();
    let slow_done: Vec<usize> =
        (0..2).map(|i| line_of(out, &format!("testing_thing.slow[{i}]: Creation complete"))).collect();
    // One slot: holding it through the wait would finish one slow create before the other
    // starts.
    let last_start = *slow_started.iter().max().unwrap();
    let first_done = *slow_done.iter().min().unwrap();
    assert!(last_start < first_done, "the waiting creates ran one after the other:\n{}", out.stdout);
    // And the quick ones ran, start to finish, while both waited.
    for i in 0..4 {
        let started = line_of(out, &format!("testing_thing.quick[{i}]: Creating..."));
        let done = line_of(out, &format!("testing_thing.quick[{i}]: Creation complete"));
        assert!(last_start < started && done < first_done, "quick[{i}] did not run during the wait:\n{}", out.stdout);
    }
}

#[test]
fn waiting_creates_free_their_slot_in_process() {
    let w = Workdir::new();
    w.write("main.hcl", WAITING_BESIDE_QUICK);
    let out = w.ok(&["apply", "--auto-approve", "--parallelism", "1"]);
    assert_waits_overlap(&out);
    assert_eq!(w.objects().len(), 7);
}

#[test]
fn waiting_creates_free_their_slot_through_the_plugin_protocol() {
    let w = Workdir::new();
    w.write("main.hcl", WAITING_BESIDE_QUICK);
    let mut command = w.command(&["apply", "--auto-approve", "--parallelism", "1"]);
    command.env("CORRAL_OUT_OF_PROCESS", "testing");
    let out = Output::from(command.output().unwrap());
    assert_eq!(out.code, 0, "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert_waits_overlap(&out);
    assert_eq!(w.objects().len(), 7);
}

#[test]
fn a_long_create_says_it_is_still_creating_every_10s_without_a_terminal() {
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"slow\" {\n  name    = \"slow\"\n  wait_ms = 11500\n}\n");
    let out = w.ok(&["apply", "--auto-approve"]);
    let still: Vec<&str> = out.stdout.lines().filter(|l| l.contains("Still")).collect();
    assert_eq!(still, ["testing_thing.slow: Still creating... [10s elapsed, status: provisioning]"], "{}", out.stdout);
    assert!(
        line_of(&out, "testing_thing.slow: Still creating") < line_of(&out, "testing_thing.slow: Creation complete")
    );
}

/// A resource whose schema marks it long-running (`testing_slow_thing`, as KMR and MRS
/// clusters and Kyligence stacks) gets the next slot before quick operations that asked
/// first: declared first, it is the last of the ready operations to ask for the one slot.
#[test]
fn a_long_running_create_gets_the_next_slot_before_quick_ones() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        r#"
provider "testing" {
  fsync = false
}

resource "testing_slow_thing" "cluster" {
  name     = "cluster"
  delay_ms = 20
  wait_ms  = 300
}

resource "testing_thing" "quick" {
  count    = 4
  name     = "quick-${count.index}"
  delay_ms = 50
}
"#,
    );
    let out = w.ok(&["apply", "--auto-approve", "--parallelism", "1"]);
    let cluster = line_of(&out, "testing_slow_thing.cluster: Creating...");
    // The slot was free when the walk started: whoever asked first got it; the cluster
    // gets the one after.
    let quick_before =
        (0..4).filter(|i| line_of(&out, &format!("testing_thing.quick[{i}]: Creating...")) < cluster).count();
    assert!(quick_before <= 1, "the long-running create waited behind the quick ones:\n{}", out.stdout);
    assert_eq!(w.objects().len(), 5);
    // Still planned and applied like any other object: nothing left to change.
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
}
