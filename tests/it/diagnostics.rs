//! Bad input gets a clear error at file:line:col, through the real binary.

use crate::support::{Workdir, fixtures};

#[test]
fn every_malformed_fixture_is_reported_at_its_location() {
    let root = fixtures().join("malformed");
    let mut cases: Vec<_> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    assert!(cases.len() >= 30, "only {} malformed fixtures", cases.len());
    for case in cases {
        let w = Workdir::new();
        crate::support::copy_dir(&case, w.path());
        let out = w.corral(&["validate"]);
        let expected = std::fs::read_to_string(case.join("expected.txt")).unwrap();
        let only_warnings =
            expected.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).all(|l| l.contains(": warning:"));
        assert_eq!(
            out.code,
            if only_warnings { 0 } else { 1 },
            "{}: unexpected exit code\n{}",
            case.display(),
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}: panic\n{}", case.display(), out.stderr);
        for line in expected.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            // `file:line:col: summary` — the location must appear in the output.
            let location = line.splitn(4, ':').take(3).collect::<Vec<_>>().join(":");
            assert!(
                out.stderr.contains(&location),
                "{}: expected a diagnostic at {location}\n{}",
                case.display(),
                out.stderr
            );
        }
    }
}

#[test]
fn a_cycle_names_every_node_with_locations() {
    let w = Workdir::fixture("e2e/cycle");
    let out = w.corral(&["validate"]);
    assert_eq!(out.code, 1);
    for node in ["testing_thing.a", "testing_thing.b", "testing_thing.c"] {
        assert!(out.stderr.contains(node), "{node} missing:\n{}", out.stderr);
    }
    assert!(out.stderr.contains("main.hcl:3:13"), "the reference in a is located:\n{}", out.stderr);
}
