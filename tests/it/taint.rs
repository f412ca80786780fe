//! `corral taint` / `corral untaint`: the tainted mark in state, which makes the next plan
//! replace the instance (Terraform's commands, messages and `-allow-missing`).

use crate::support::Workdir;

#[test]
fn a_tainted_instance_is_replaced_and_untaint_keeps_it() {
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name    = \"a\"\n  payload = \"p\"\n}\n");
    w.ok(&["apply", "-auto-approve"]);
    let serial = w.state().serial;

    let tainted = w.ok(&["taint", "testing_thing.a"]);
    assert!(
        tainted.stdout.contains("Resource instance testing_thing.a has been marked as tainted."),
        "{}",
        tainted.stdout
    );
    assert!(w.state().serial > serial, "the mark is written to state");
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("testing_thing.a is tainted, so must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 1 to destroy."), "{}", plan.stdout);

    let untainted = w.ok(&["untaint", "testing_thing.a"]);
    assert!(
        untainted.stdout.contains("Resource instance testing_thing.a has been successfully untainted."),
        "{}",
        untainted.stdout
    );
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    let again = w.corral(&["untaint", "testing_thing.a"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("Resource instance is not tainted"), "{}", again.stderr);

    let missing = w.corral(&["taint", "testing_thing.nosuch"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("No such resource instance"), "{}", missing.stderr);
    let allowed = w.corral(&["taint", "-allow-missing", "testing_thing.nosuch"]);
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);

    // Tainted, then applied: replaced by a new object.
    let before = w.state().instances[&"testing_thing.a".parse().unwrap()].attributes["id"].clone();
    w.ok(&["taint", "testing_thing.a"]);
    w.ok(&["apply", "-auto-approve"]);
    let after = w.state().instances[&"testing_thing.a".parse().unwrap()].attributes["id"].clone();
    assert_ne!(before, after, "a new object replaced the tainted one");
}
