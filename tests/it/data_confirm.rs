//! Data sources that wait for a pending change through `depends_on` (issue 12): read while
//! planning so their dependents plan exactly, read again during apply, and a different
//! result stops their dependents with "data changed since the plan".

use std::path::Path;

use crate::support::{Output, Workdir};

/// The configuration under test; its testing objects live in `<workdir>/objects`, shared
/// with the one of [`OTHER`] (in `other/`), which manages the object the data source reads.
const MAIN: &str = r#"
provider "testing" {
  dir = "OBJECTS"
}

variable "payload" {
  type    = string
  default = "one"
}

variable "fail" {
  type    = bool
  default = false
}

# Changes with var.payload (and fails when asked).
resource "testing_thing" "base" {
  name    = "confirm-base"
  payload = var.payload
  fail    = var.fail
}

# Waits for base, as the quickstart's KSCKMR group waits for the cluster.
data "testing_things" "group" {
  name_prefix = "confirm-group"
  depends_on  = [testing_thing.base]
}

# Its input comes from the data source: nothing changes while base does.
resource "testing_thing" "rule" {
  name    = "confirm-rule"
  payload = "in ${data.testing_things.group.ids[0]}"
}

# Changes with var.payload and uses what the data source read.
resource "testing_thing" "echoed" {
  name    = "confirm-echoed"
  payload = "${var.payload} after ${data.testing_things.group.things[0].payload}"
}

# Depends on none of it.
resource "testing_thing" "independent" {
  name    = "confirm-independent"
  payload = var.payload
}

# Reads back base (a data source of the type of what it waits for): during apply only, as
# Terraform does.
data "testing_thing" "echo" {
  name       = "confirm-base"
  depends_on = [testing_thing.base]
}

output "echo" {
  value = data.testing_thing.echo.payload
}
"#;

/// Manages the object `data.testing_things.group` reads, beside the main configuration.
const OTHER: &str = r#"
provider "testing" {
  dir = "OBJECTS"
}

variable "payload" {
  type    = string
  default = "steady"
}

resource "testing_thing" "group" {
  name    = "confirm-group"
  payload = var.payload
}
"#;

fn setup() -> Workdir {
    setup_with(MAIN)
}

/// [`setup`] with another main configuration.
fn setup_with(main: &str) -> Workdir {
    let w = Workdir::new();
    let objects = w.path().join("objects");
    let objects = objects.to_str().unwrap();
    w.write("main.hcl", &main.replace("OBJECTS", objects));
    w.write("other/main.hcl", &OTHER.replace("OBJECTS", objects));
    other(&w, &["apply", "--auto-approve"]);
    w.ok(&["apply", "--auto-approve"]);
    w
}

/// Runs corral in `other/`, asserting success.
fn other(w: &Workdir, args: &[&str]) -> Output {
    let mut command = w.command(args);
    command.current_dir(w.path().join("other"));
    let out = Output::from(command.output().unwrap());
    assert_eq!(out.code, 0, "corral {args:?} in other/ failed:\n{}\n{}", out.stdout, out.stderr);
    out
}

/// The payload of the testing object named `name`.
fn payload(w: &Workdir, name: &str) -> String {
    let dir = w.path().join("objects");
    for object in crate::support::testing_objects(&dir) {
        if object["attributes"]["name"] == name {
            return object["attributes"]["payload"].as_str().unwrap().to_string();
        }
    }
    panic!("no object {name} in {}", dir.display())
}

fn line_of(path: &Path, start: &str) -> usize {
    std::fs::read_to_string(path).unwrap().lines().position(|l| l.starts_with(start)).unwrap() + 1
}

#[test]
fn a_data_source_behind_depends_on_is_read_while_planning_and_confirmed() {
    let w = setup();
    assert_eq!(payload(&w, "confirm-echoed"), "one after steady");
    let rule = payload(&w, "confirm-rule");

    let plan = w.ok(&["plan", "--var", "payload=two"]);
    let out = &plan.stdout;
    assert!(out.contains("data.testing_things.group will be read during apply, to confirm"), "{out}");
    assert!(out.contains("data.testing_thing.echo will be read during apply\n"), "reads back base:\n{out}");
    // The rule's input is known: no change (Terraform plans it with an unknown id).
    assert!(!out.contains("testing_thing.rule"), "{out}");
    assert!(out.contains("testing_thing.echoed will be updated in-place"), "{out}");
    assert!(out.contains("\"two after steady\""), "planned with the value read now:\n{out}");
    assert!(out.contains("Plan: 0 to add, 3 to change, 0 to destroy."), "{out}");

    // A saved plan carries the value read; its JSON shows it as Terraform's pending read.
    w.ok(&["plan", "--var", "payload=two", "--out", "tfplan"]);
    let json: serde_json::Value = serde_json::from_str(&w.ok(&["show", "--json", "tfplan"]).stdout).unwrap();
    let changes = json["resource_changes"].as_array().unwrap();
    let group = changes.iter().find(|c| c["address"] == "data.testing_things.group").unwrap();
    assert_eq!(group["change"]["actions"], serde_json::json!(["read"]));
    assert_eq!(group["action_reason"], "read_because_dependency_pending");
    assert_eq!(group["change"]["after"]["things"][0]["payload"], "steady");

    let applied = w.ok(&["apply", "tfplan"]);
    assert!(applied.stdout.contains("0 added, 3 changed, 0 destroyed"), "{}", applied.stdout);
    assert_eq!(payload(&w, "confirm-echoed"), "two after steady");
    assert_eq!(payload(&w, "confirm-rule"), rule, "untouched");
    assert_eq!(w.ok(&["output", "echo"]).stdout.trim(), "\"two\"");
    let settled = w.corral(&["plan", "--var", "payload=two", "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);
}

#[test]
fn data_that_changed_since_the_plan_stops_its_dependents_only() {
    let w = setup();
    w.ok(&["plan", "--var", "payload=two", "--out", "tfplan"]);
    // Between plan and apply, someone else changes what the data source reads.
    other(&w, &["apply", "--auto-approve", "--var", "payload=moved"]);

    let applied = w.corral(&["apply", "tfplan"]);
    assert_eq!(applied.code, 1, "{}\n{}", applied.stdout, applied.stderr);
    let err = &applied.stderr;
    assert!(err.contains("Data changed since the plan: data.testing_things.group"), "{err}");
    let line = line_of(&w.path().join("main.hcl"), "data \"testing_things\" \"group\"");
    assert!(err.contains(&format!("main.hcl:{line}:1")), "names the data source's line:\n{err}");
    assert!(err.contains("(things)"), "names what changed:\n{err}");
    assert!(applied.stdout.contains("✗ data.testing_things.group: data changed since the plan"), "{}", applied.stdout);
    assert!(applied.stdout.contains("- testing_thing.echoed: skipped"), "{}", applied.stdout);
    // The dependent is not applied; the independent branches are.
    assert_eq!(payload(&w, "confirm-echoed"), "one after steady");
    assert_eq!(payload(&w, "confirm-base"), "two");
    assert_eq!(payload(&w, "confirm-independent"), "two");

    // The next run plans with what the data source reads now, and settles.
    w.ok(&["apply", "--auto-approve", "--var", "payload=two"]);
    assert_eq!(payload(&w, "confirm-echoed"), "two after moved");
    let settled = w.corral(&["plan", "--var", "payload=two", "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);
}

/// Only what the configuration uses is confirmed: an attribute nothing refers to may change.
#[test]
fn a_change_in_an_unused_attribute_is_no_reason_to_stop() {
    let w = setup();
    w.write(
        "main.hcl",
        &std::fs::read_to_string(w.path().join("main.hcl"))
            .unwrap()
            .replace("${data.testing_things.group.things[0].payload}", "${data.testing_things.group.ids[0]}"),
    );
    w.ok(&["apply", "--auto-approve"]);
    w.ok(&["plan", "--var", "payload=two", "--out", "tfplan"]);
    other(&w, &["apply", "--auto-approve", "--var", "payload=moved"]);
    let applied = w.ok(&["apply", "tfplan"]);
    assert!(applied.stdout.contains("0 added, 3 changed, 0 destroyed"), "{}", applied.stdout);
}

/// A plain apply (plan and apply in one run) whose dependency changes what the data source
/// reads: the confirmation fails, the dependents are skipped, and the next run settles.
#[test]
fn a_plain_apply_stops_dependents_when_the_dependency_changes_the_data() {
    // The data source now reads base itself, under another type than base's.
    let w = setup_with(&MAIN.replace("name_prefix = \"confirm-group\"", "name_prefix = \"confirm-base\""));
    assert_eq!(payload(&w, "confirm-echoed"), "one after one");

    let applied = w.corral(&["apply", "--auto-approve", "--var", "payload=two"]);
    assert_eq!(applied.code, 1, "{}\n{}", applied.stdout, applied.stderr);
    assert!(applied.stderr.contains("Data changed since the plan: data.testing_things.group"), "{}", applied.stderr);
    assert!(applied.stdout.contains("- testing_thing.echoed: skipped"), "{}", applied.stdout);
    assert_eq!(payload(&w, "confirm-echoed"), "one after one", "not applied with a value the plan did not show");
    assert_eq!(payload(&w, "confirm-base"), "two");
    assert_eq!(payload(&w, "confirm-independent"), "two");

    w.ok(&["apply", "--auto-approve", "--var", "payload=two"]);
    assert_eq!(payload(&w, "confirm-echoed"), "two after two");
    let settled = w.corral(&["plan", "--var", "payload=two", "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);
}

/// When what the data source waits for fails, it is not read and its dependents are skipped;
/// no "data changed" error is made up.
#[test]
fn a_failed_dependency_skips_the_read_and_its_dependents() {
    let w = setup();
    let applied = w.corral(&["apply", "--auto-approve", "--var", "payload=two", "--var", "fail=true"]);
    assert_eq!(applied.code, 1, "{}\n{}", applied.stdout, applied.stderr);
    assert!(applied.stderr.contains("failed as asked"), "{}", applied.stderr);
    assert!(!applied.stderr.contains("Data changed"), "{}", applied.stderr);
    assert!(applied.stdout.contains("- testing_thing.echoed: skipped"), "{}", applied.stdout);
    assert_eq!(payload(&w, "confirm-echoed"), "one after steady");
    assert_eq!(payload(&w, "confirm-independent"), "two");
}

/// `--target` takes the data source along with what depends on it, read to confirm, and
/// leaves it out otherwise.
#[test]
fn targets_take_the_read_to_confirm_along() {
    let w = setup();
    let plan = w.ok(&["plan", "--var", "payload=two", "--target", "testing_thing.echoed"]);
    let out = &plan.stdout;
    assert!(out.contains("data.testing_things.group will be read during apply, to confirm"), "{out}");
    assert!(out.contains("\"two after steady\""), "{out}");
    assert!(out.contains("Plan: 0 to add, 2 to change, 0 to destroy."), "base and echoed:\n{out}");
    assert!(!out.contains("testing_thing.independent"), "{out}");

    let other_branch = w.ok(&["plan", "--var", "payload=two", "--target", "testing_thing.independent"]);
    assert!(!other_branch.stdout.contains("data.testing_things.group"), "{}", other_branch.stdout);

    let applied = w.ok(&["apply", "--auto-approve", "--var", "payload=two", "--target", "testing_thing.echoed"]);
    assert!(applied.stdout.contains("0 added, 2 changed, 0 destroyed"), "{}", applied.stdout);
    assert_eq!(payload(&w, "confirm-echoed"), "two after steady");
    assert_eq!(payload(&w, "confirm-independent"), "one");
}

/// A data source whose own configuration is unknown is still read during apply only.
#[test]
fn a_data_source_with_unknown_configuration_stays_deferred() {
    let w = Workdir::new();
    let objects = w.path().join("objects");
    w.write(
        "main.hcl",
        &format!(
            r#"
provider "testing" {{
  dir = "{}"
}}

resource "testing_thing" "fresh" {{
  name = "fresh"
}}

data "testing_things" "by_id" {{
  name_prefix = testing_thing.fresh.id
}}

resource "testing_thing" "user" {{
  name    = "user"
  payload = "${{length(data.testing_things.by_id.ids)}}"
}}
"#,
            objects.to_str().unwrap()
        ),
    );
    let plan = w.ok(&["plan", "--out", "tfplan"]);
    let out = &plan.stdout;
    assert!(out.contains("data.testing_things.by_id will be read during apply\n"), "{out}");
    assert!(out.contains("(config refers to values not yet known)"), "{out}");
    assert!(!out.contains("to confirm"), "{out}");
    let json: serde_json::Value = serde_json::from_str(&w.ok(&["show", "--json", "tfplan"]).stdout).unwrap();
    let changes = json["resource_changes"].as_array().unwrap();
    let read = changes.iter().find(|c| c["address"] == "data.testing_things.by_id").unwrap();
    assert_eq!(read["action_reason"], "read_because_config_unknown");
    assert_eq!(read["change"]["after_unknown"]["name_prefix"], true);
}
