//! The everyday workflow through the real binary: apply, plan, saved plans, destroy,
//! outputs, state commands, workspaces.

use crate::support::Workdir;

#[test]
fn apply_then_plan_shows_no_changes() {
    let w = Workdir::fixture("e2e/basic");
    let apply = w.ok(&["apply", "--auto-approve"]);
    assert!(apply.stdout.contains("Apply complete! Resources: 7 added, 0 changed, 0 destroyed."), "{}", apply.stdout);
    assert_eq!(w.objects().len(), 6, "five testing things in the root module and one in the child");
    let plan = w.corral(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "second plan should be empty:\n{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}

#[test]
fn detailed_exitcode_is_two_when_there_are_changes() {
    let w = Workdir::fixture("e2e/basic");
    let plan = w.corral(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("Plan: 7 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
}

#[test]
fn outputs_and_state_commands() {
    let w = Workdir::fixture("e2e/basic");
    w.ok(&["apply", "--auto-approve"]);
    let list = w.ok(&["state", "list"]);
    let addrs: Vec<&str> = list.stdout.lines().collect();
    assert!(addrs.contains(&"testing_thing.counted[1]"), "{addrs:?}");
    assert!(addrs.contains(&"testing_thing.each[\"large\"]"), "{addrs:?}");
    assert!(addrs.contains(&"module.child.testing_thing.leaf"), "{addrs:?}");
    let json = w.ok(&["output", "--json"]);
    let outputs: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(outputs["looked_up"]["value"], "root");
    let raw = w.ok(&["output", "--raw", "child_name"]);
    assert!(raw.stdout.trim().starts_with("leaf-of-"), "{}", raw.stdout);

    // Renaming in state means the next plan sees no change for the moved instance but
    // plans the old address's configuration anew.
    w.ok(&["state", "mv", "testing_thing.base", "testing_thing.renamed"]);
    let list = w.ok(&["state", "list", "testing_thing.renamed"]);
    assert_eq!(list.stdout.trim(), "testing_thing.renamed");
    w.ok(&["state", "rm", "testing_thing.renamed"]);
    assert!(!w.ok(&["state", "list"]).stdout.contains("renamed"));
}

#[test]
fn changing_a_value_updates_in_place_and_a_replace_field_replaces() {
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name    = \"a\"\n  payload = \"one\"\n}\n");
    w.ok(&["apply", "--auto-approve"]);
    let id_before = w.objects()[0]["id"].clone();
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name    = \"a\"\n  payload = \"two\"\n}\n");
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("will be updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    w.ok(&["apply", "--auto-approve"]);
    assert_eq!(w.objects()[0]["id"], id_before);
    assert_eq!(w.objects()[0]["attributes"]["payload"], "two");

    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name    = \"b\"\n  payload = \"two\"\n}\n");
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.stdout);
    w.ok(&["apply", "--auto-approve"]);
    let objects = w.objects();
    assert_eq!(objects.len(), 1);
    assert_ne!(objects[0]["id"], id_before);
}

#[test]
fn saved_plan_is_applied_and_refused_when_stale() {
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name = \"a\"\n}\n");
    w.ok(&["plan", "--out", "first.plan"]);
    w.ok(&["plan", "--out", "second.plan"]);
    let applied = w.ok(&["apply", "first.plan"]);
    assert!(applied.stdout.contains("1 added"), "{}", applied.stdout);
    // The state moved on since the second plan was made.
    let stale = w.corral(&["apply", "second.plan"]);
    assert_eq!(stale.code, 1);
    assert!(stale.stderr.contains("Saved plan is stale"), "{}", stale.stderr);
    assert_eq!(w.objects().len(), 1, "a stale plan must not create anything");

    // So is a plan made before the configuration changed.
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name = \"a\"\n  payload = \"x\"\n}\n");
    w.ok(&["plan", "--out", "third.plan"]);
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name = \"a\"\n  payload = \"y\"\n}\n");
    let changed = w.corral(&["apply", "third.plan"]);
    assert_eq!(changed.code, 1);
    assert!(changed.stderr.contains("configuration changed"), "{}", changed.stderr);
}

#[test]
fn destroy_removes_everything() {
    let w = Workdir::fixture("e2e/basic");
    w.ok(&["apply", "--auto-approve"]);
    let destroy = w.ok(&["destroy", "--auto-approve"]);
    assert!(destroy.stdout.contains("Destroy complete! Resources: 7 destroyed."), "{}", destroy.stdout);
    assert!(w.objects().is_empty());
    assert!(w.ok(&["state", "list"]).stdout.trim().is_empty());
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name = \"a\"\n}\n");
    let out = w.corral(&["apply"]);
    assert_eq!(out.code, 1);
    assert!(w.objects().is_empty());
}

#[test]
fn independent_branches_run_concurrently() {
    // Ten 500 ms creates: serially 5 s; concurrently about one branch's time. The bound is
    // loose so a busy machine does not fail it, and still far from serial.
    let w = Workdir::fixture("e2e/concurrency");
    let started = std::time::Instant::now();
    w.ok(&["apply", "--auto-approve"]);
    let elapsed = started.elapsed();
    assert_eq!(w.objects().len(), 10);
    assert!(elapsed < std::time::Duration::from_millis(3000), "took {elapsed:?}");
}

#[test]
fn a_failure_skips_dependents_but_not_independent_branches() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        r#"
resource "testing_thing" "broken" {
  name = "broken"
  fail = true
}

resource "testing_thing" "after_broken" {
  name    = "after"
  payload = testing_thing.broken.id
}

resource "testing_thing" "independent" {
  name     = "independent"
  delay_ms = 200
}
"#,
    );
    let out = w.corral(&["apply", "--auto-approve"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("testing_thing.after_broken: skipped"), "{}", out.stdout);
    let objects = w.objects();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["attributes"]["name"], "independent");
    let state = w.state();
    assert_eq!(state.instances.len(), 1, "only the finished instance is in state");
}

#[test]
fn workspaces_keep_separate_state() {
    let w = Workdir::new();
    w.write("main.hcl", "resource \"corral_data\" \"a\" {\n  input = terraform.workspace\n}\n");
    w.ok(&["apply", "--auto-approve"]);
    w.ok(&["workspace", "new", "staging"]);
    assert_eq!(w.ok(&["workspace", "show"]).stdout.trim(), "staging");
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("1 to add"), "{}", plan.stdout);
    let list = w.ok(&["workspace", "list"]);
    assert!(list.stdout.contains("* staging") && list.stdout.contains("  default"), "{}", list.stdout);
    w.ok(&["workspace", "select", "default"]);
    assert!(w.ok(&["plan"]).stdout.contains("No changes."));
}

#[test]
fn variables_from_flags_files_and_environment() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        r#"
variable "name" {
  type = string
}
variable "count_of" {
  type    = number
  default = 1
}
variable "tags" {
  type    = map(string)
  default = {}
}
resource "corral_data" "x" {
  count = var.count_of
  input = { name = var.name, tags = var.tags }
}
output "names" {
  value = corral_data.x[*].output.name
}
"#,
    );
    let missing = w.corral(&["plan"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("No value for required variable \"name\""), "{}", missing.stderr);
    w.write("prod.tfvars", "count_of = 2\ntags = { env = \"prod\" }\n");
    let mut cmd = w.command(&["apply", "--auto-approve", "--var-file", "prod.tfvars", "--var", "name=web"]);
    let out = cmd.env("CORRAL_VAR_name", "from-env").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let names = w.ok(&["output", "--json", "names"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&names.stdout).unwrap(), serde_json::json!(["web", "web"]));
}

/// The README's main job: the quickstart through the CLI, the KMR provider out of process
/// (the plugin protocol) and the embedded sandbox over HTTP. The sandbox clock runs fast so
/// the cluster's eight sandbox minutes of creation take a fraction of a second.
#[test]
fn quickstart_applies_and_settles() {
    let w = Workdir::new();
    crate::support::copy_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart"), w.path());
    let _ = std::fs::remove_dir_all(w.path().join(".corral"));
    let out = w.command(&["apply", "--auto-approve"]).env("CORRAL_SANDBOX_TIME_SCALE", "3600").output().unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let plan = w.corral(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

#[test]
fn plan_output_snapshot() {
    let w = Workdir::fixture("e2e/basic");
    let plan = w.ok(&["plan"]);
    insta::assert_snapshot!("basic_plan", plan.stdout);
    w.ok(&["apply", "--auto-approve"]);
    w.write(
        "main.hcl",
        &std::fs::read_to_string(w.path().join("main.hcl"))
            .unwrap()
            .replace("payload = \"root\"", "payload = \"root-v2\"")
            .replace("count   = 2", "count   = 1"),
    );
    let plan = w.ok(&["plan"]);
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[ID]");
    settings.add_filter(r"leaf-of-[0-9a-f]{4}", "leaf-of-[ID]");
    settings.bind(|| insta::assert_snapshot!("basic_change_plan", plan.stdout));
}
