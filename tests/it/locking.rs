//! Two processes on one workspace: the second is told who holds the lock, or waits for it.

use std::time::{Duration, Instant};

use crate::support::Workdir;

const SLOW: &str = "resource \"testing_thing\" \"slow\" {\n  name     = \"slow\"\n  delay_ms = 3000\n}\n";

/// Starts an apply of [`SLOW`] and returns once it holds the lock (its create intent is
/// recorded), with what a `plan` was told meanwhile. A `plan` that looks for the lock holds
/// it for a moment itself, so an apply that started in that moment was refused: it is
/// started again.
fn slow_apply_holding_the_lock(w: &Workdir) -> (std::process::Child, String) {
    w.write("main.hcl", SLOW);
    let start = || {
        w.command(&["apply", "--auto-approve"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = start();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = w.corral(&["plan"]);
        if out.code != 0 && out.stderr.contains("locked by") {
            return (first, out.stderr);
        }
        assert!(Instant::now() < deadline, "the first apply never took the lock: {}", out.stderr);
        if let Some(status) = first.try_wait().unwrap() {
            assert!(!status.success() || w.objects().is_empty(), "the apply ended before it was seen holding the lock");
            first = start();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn second_process_gets_the_lock_holder_or_waits() {
    let w = Workdir::new();
    let (mut first, told) = slow_apply_holding_the_lock(&w);
    assert!(told.contains("apply"), "the message names the operation: {told}");
    assert!(told.contains("pid"), "the message names the holder: {told}");
    let waited = w.corral(&["plan", "--lock-timeout", "30s", "--detailed-exitcode"]);
    assert_eq!(
        waited.code, 0,
        "after the first apply finished, nothing is left to do: {}\n{}",
        waited.stdout, waited.stderr
    );
    assert!(first.wait().unwrap().success());
    assert_eq!(w.objects().len(), 1);
}

/// The state is read while the configuration loads: what the read finds (here, the lock
/// another process holds) is reported only when the configuration is good, and a command
/// that stops at a configuration error leaves no lock of its own behind.
#[test]
fn a_configuration_error_comes_before_the_lock_and_leaves_no_lock_behind() {
    let w = Workdir::new();
    let (mut first, _) = slow_apply_holding_the_lock(&w);
    // The first apply has read its configuration; break it for the commands after it.
    w.write("main.hcl", "resource \"testing_thing\" \"slow\" {\n  name = \n}\n");
    let broken = w.corral(&["plan"]);
    assert_eq!(broken.code, 1, "{}", broken.stderr);
    assert!(broken.stderr.contains("main.hcl:2:10"), "the error names where: {}", broken.stderr);
    assert!(!broken.stderr.contains("locked by"), "the lock is not what is wrong: {}", broken.stderr);
    assert!(first.wait().unwrap().success());
    // Without a holder: the error again, and then a good configuration finds no lock.
    let broken = w.corral(&["plan"]);
    assert_eq!(broken.code, 1, "{}", broken.stderr);
    assert!(!broken.stderr.contains("lock"), "{}", broken.stderr);
    w.write("main.hcl", SLOW);
    let fine = w.corral(&["plan", "--detailed-exitcode"]);
    assert_eq!(fine.code, 0, "{}\n{}", fine.stdout, fine.stderr);
}
