//! Two processes on one workspace: the second is told who holds the lock, or waits for it.

use std::time::{Duration, Instant};

use crate::support::Workdir;

#[test]
fn second_process_gets_the_lock_holder_or_waits() {
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"slow\" {\n  name     = \"slow\"\n  delay_ms = 3000\n}\n");
    let mut first = w
        .command(&["apply", "--auto-approve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first process holds the lock (its create intent is recorded).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = w.corral(&["plan"]);
        if out.code != 0 && out.stderr.contains("locked by") {
            assert!(out.stderr.contains("apply"), "the message names the operation: {}", out.stderr);
            assert!(out.stderr.contains("pid"), "the message names the holder: {}", out.stderr);
            break;
        }
        assert!(Instant::now() < deadline, "the first apply never took the lock: {}", out.stderr);
        std::thread::sleep(Duration::from_millis(100));
    }
    let waited = w.corral(&["plan", "--lock-timeout", "30s", "--detailed-exitcode"]);
    assert_eq!(
        waited.code, 0,
        "after the first apply finished, nothing is left to do: {}\n{}",
        waited.stdout, waited.stderr
    );
    assert!(first.wait().unwrap().success());
    assert_eq!(w.objects().len(), 1);
}
