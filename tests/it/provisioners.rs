//! `provisioner "local-exec"` blocks run as Terraform runs them (after the create, in order;
//! `when = destroy` before the destroy; `on_failure = continue`; a failure taints the
//! object), `remote-exec` and `file` are refused with the reason at their block, and
//! `connection` and `terraform { provider_meta }` blocks load.

use crate::support::Workdir;

fn squeezed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn local_exec_runs_after_create_and_before_destroy() {
    let w = Workdir::fixture("provisioners/runs");
    let out = w.ok(&["apply", "-auto-approve"]);
    assert!(out.stdout.contains("testing_thing.web (local-exec): Executing:"), "{}", out.stdout);
    assert!(out.stdout.contains("testing_thing.flaky (local-exec): flaky output"), "{}", out.stdout);
    // on_failure = continue: a warning, and the object stays.
    assert!(squeezed(&out.stderr).contains("local-exec provisioner error: testing_thing.flaky"), "{}", out.stderr);
    assert!(out.stderr.contains("exit status 3"), "{}", out.stderr);
    let log = std::fs::read_to_string(w.path().join("out/log.txt")).unwrap();
    let id = w.objects().iter().find(|o| o["attributes"]["name"] == "web").unwrap()["id"].as_str().unwrap().to_string();
    assert_eq!(log, format!("created web hello\nsecond {id}\n"));
    // Nothing tainted: the next plan is empty.
    let out = w.corral(&["plan", "-detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);

    w.ok(&["destroy", "-auto-approve"]);
    let log = std::fs::read_to_string(w.path().join("out/log.txt")).unwrap();
    assert_eq!(log, format!("created web hello\nsecond {id}\ndestroyed web\n"));
    assert!(w.objects().is_empty());
}

#[test]
fn a_failed_provisioner_taints_the_object_and_stops_its_dependents() {
    let w = Workdir::fixture("provisioners/fails");
    let out = w.corral(&["apply", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let err = squeezed(&out.stderr);
    assert!(err.contains("local-exec provisioner error: testing_thing.app"), "{}", out.stderr);
    assert!(err.contains("main.tf:4:"), "{}", out.stderr);
    assert!(err.contains("exit status 7"), "{}", out.stderr);
    assert!(err.contains("setting up app"), "{}", out.stderr);
    // The provisioners after the failed one do not run, nor do the dependents.
    assert!(!w.path().join("never.txt").exists());
    let names: Vec<_> = w.objects().iter().map(|o| o["attributes"]["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, ["app"]);
    // The object exists and is tainted: the next plan replaces it.
    let state = w.ok(&["state", "list"]);
    assert!(state.stdout.contains("testing_thing.app"), "{}", state.stdout);
    let out = w.ok(&["plan", "-no-color"]);
    assert!(out.stdout.contains("testing_thing.app is tainted, so must be replaced"), "{}", out.stdout);
}

#[test]
fn remote_exec_and_file_are_refused_with_the_reason() {
    let w = Workdir::fixture("provisioners/remote_exec");
    let out = w.corral(&["validate"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let err = squeezed(&out.stderr);
    assert!(err.contains("`remote-exec` provisioners are not supported"), "{}", out.stderr);
    assert!(err.contains("main.tf:4:"), "{}", out.stderr);
    assert!(err.contains("`file` provisioners are not supported"), "{}", out.stderr);
    assert!(err.contains("main.tf:8:"), "{}", out.stderr);
    assert!(err.contains("SSH or WinRM"), "{}", out.stderr);
}

#[test]
fn provisioner_arguments_are_checked() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        "resource \"testing_thing\" \"t\" {\n  name = \"t\"\n  provisioner \"local-exec\" {\n    when = later\n    comand = \"x\"\n  }\n}\n",
    );
    let out = w.corral(&["validate"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let err = squeezed(&out.stderr);
    assert!(err.contains("`when` must be `create` or `destroy`"), "{}", out.stderr);
    assert!(err.contains("comand"), "{}", out.stderr);
    assert!(err.contains("missing required argument `command`"), "{}", out.stderr);
}
