//! `lifecycle` meta-arguments, `moved`, `--target` and `--replace`, through the binary.

use crate::support::Workdir;

fn thing(name: &str, body: &str) -> String {
    format!("resource \"testing_thing\" \"{name}\" {{\n{body}\n}}\n")
}

#[test]
fn prevent_destroy_stops_the_plan() {
    let w = Workdir::new();
    w.write("main.hcl", &thing("db", "  name = \"db\"\n  lifecycle {\n    prevent_destroy = true\n  }"));
    w.ok(&["apply", "--auto-approve"]);
    w.write("main.hcl", &thing("db", "  name = \"db-renamed\"\n  lifecycle {\n    prevent_destroy = true\n  }"));
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("Instance cannot be destroyed"), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:1:1"), "points at the resource: {}", out.stderr);
    let destroy = w.corral(&["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 1, "{}", destroy.stdout);
    assert_eq!(w.objects().len(), 1);
}

#[test]
fn ignore_changes_keeps_the_prior_value() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        &thing("a", "  name    = \"a\"\n  payload = \"one\"\n  lifecycle {\n    ignore_changes = [payload]\n  }"),
    );
    w.ok(&["apply", "--auto-approve"]);
    w.write(
        "main.hcl",
        &thing("a", "  name    = \"a\"\n  payload = \"two\"\n  lifecycle {\n    ignore_changes = [payload]\n  }"),
    );
    let plan = w.corral(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stdout);
    w.write(
        "main.hcl",
        &thing("a", "  name    = \"a\"\n  payload = \"two\"\n  lifecycle {\n    ignore_changes = all\n  }"),
    );
    assert_eq!(w.corral(&["plan", "--detailed-exitcode"]).code, 0);
}

#[test]
fn replace_triggered_by_and_replace_flag() {
    let w = Workdir::new();
    let config = |payload: &str| {
        format!(
            "{}{}",
            thing("source", &format!("  name    = \"source\"\n  payload = \"{payload}\"")),
            thing(
                "follower",
                "  name = \"follower\"\n  lifecycle {\n    replace_triggered_by = [testing_thing.source]\n  }"
            )
        )
    };
    w.write("main.hcl", &config("v1"));
    w.ok(&["apply", "--auto-approve"]);
    w.write("main.hcl", &config("v2"));
    let plan = w.ok(&["plan", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let follower =
        json["resource_changes"].as_array().unwrap().iter().find(|c| c["address"] == "testing_thing.follower").unwrap();
    assert_eq!(follower["change"]["actions"], serde_json::json!(["delete", "create"]));
    assert_eq!(follower["action_reason"], "replace_by_triggers");
    w.ok(&["apply", "--auto-approve"]);

    let before: Vec<String> = w.objects().iter().map(|o| o["id"].as_str().unwrap().to_string()).collect();
    let out = w.ok(&["apply", "--auto-approve", "--replace", "testing_thing.source"]);
    assert!(out.stdout.contains("1 added, 0 changed, 1 destroyed") || out.stdout.contains("2 added"), "{}", out.stdout);
    let after: Vec<String> = w.objects().iter().map(|o| o["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(after.len(), 2);
    assert!(after.iter().any(|id| !before.contains(id)), "the source object was replaced");
}

#[test]
fn moved_renames_without_replacing() {
    let w = Workdir::new();
    w.write("main.hcl", &thing("old", "  name = \"kept\""));
    w.ok(&["apply", "--auto-approve"]);
    let id = w.objects()[0]["id"].clone();
    w.write(
        "main.hcl",
        &format!(
            "{}moved {{\n  from = testing_thing.old\n  to   = testing_thing.new\n}}\n",
            thing("new", "  name = \"kept\"")
        ),
    );
    let plan = w.corral(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "a move alone changes nothing: {}\n{}", plan.stdout, plan.stderr);
    assert_eq!(w.ok(&["state", "list"]).stdout.trim(), "testing_thing.new");
    assert_eq!(w.objects()[0]["id"], id);
}

#[test]
fn target_limits_the_plan_to_a_resource_and_its_dependencies() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        &format!(
            "{}{}{}",
            thing("base", "  name = \"base\""),
            thing("app", "  name = \"app\"\n  payload = testing_thing.base.id"),
            thing("unrelated", "  name = \"unrelated\"")
        ),
    );
    let out = w.ok(&["apply", "--auto-approve", "--target", "testing_thing.app"]);
    assert!(out.stdout.contains("2 added"), "{}", out.stdout);
    assert!(out.stderr.contains("resource targeting is in effect"), "{}", out.stderr);
    let names: Vec<String> =
        w.objects().iter().map(|o| o["attributes"]["name"].as_str().unwrap().to_string()).collect();
    assert!(!names.contains(&"unrelated".to_string()), "{names:?}");
    let rest = w.ok(&["plan"]);
    assert!(rest.stdout.contains("Plan: 1 to add"), "{}", rest.stdout);
}

#[test]
fn preconditions_and_postconditions_fail_the_plan() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        r#"
variable "replicas" {
  type    = number
  default = 1
}

resource "testing_thing" "a" {
  name = "a"
  lifecycle {
    precondition {
      condition     = var.replicas >= 2
      error_message = "HDFS needs at least two replicas."
    }
  }
}
"#,
    );
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("HDFS needs at least two replicas."), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:11:23"), "{}", out.stderr);
    w.write(
        "main.hcl",
        r#"
resource "testing_thing" "a" {
  name = "a"
  lifecycle {
    postcondition {
      condition     = self.name == "b"
      error_message = "The name must come back as b."
    }
  }
}
"#,
    );
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("The name must come back as b."), "{}", out.stderr);
}

#[test]
fn variable_validation_is_checked() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        "variable \"env\" {\n  type = string\n  validation {\n    condition     = contains([\"dev\", \"prod\"], var.env)\n    error_message = \"The environment must be dev or prod.\"\n  }\n}\n",
    );
    let out = w.corral(&["plan", "--var", "env=qa"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("The environment must be dev or prod."), "{}", out.stderr);
    w.ok(&["plan", "--var", "env=dev"]);
}

#[test]
fn drift_is_detected_and_repaired() {
    let w = Workdir::new();
    w.write("main.hcl", &thing("a", "  name    = \"a\"\n  payload = \"wanted\""));
    w.ok(&["apply", "--auto-approve"]);
    // Someone deletes the object behind Corral's back.
    crate::support::edit_testing_objects(&w.path().join(".corral/testing"), |_| false);
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("Plan: 1 to add"), "{}", plan.stdout);
    assert!(plan.stdout.contains("changed outside of Corral"), "{}", plan.stdout);
    w.ok(&["apply", "--auto-approve"]);
    assert_eq!(w.objects().len(), 1);
}

#[test]
fn destroy_target_takes_the_target_and_its_dependents_never_its_dependencies() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        &format!(
            "{}{}{}{}",
            thing("a", "  name = \"a\""),
            thing("b", "  name = \"b\"\n  payload = testing_thing.a.id"),
            thing("c", "  name = \"c\"\n  payload = testing_thing.b.id"),
            thing("other", "  name = \"other\"")
        ),
    );
    w.ok(&["apply", "--auto-approve"]);
    let plan = w.ok(&["plan", "-destroy", "-target", "testing_thing.b", "-no-color"]);
    assert!(plan.stdout.contains("testing_thing.b will be destroyed"), "{}", plan.stdout);
    assert!(plan.stdout.contains("testing_thing.c will be destroyed"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("testing_thing.a will"), "{}", plan.stdout);
    assert!(plan.stdout.contains("0 to add, 0 to change, 2 to destroy"), "{}", plan.stdout);
    w.ok(&["destroy", "-auto-approve", "-target=testing_thing.b"]);
    let mut names: Vec<String> =
        w.objects().iter().map(|o| o["attributes"]["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    assert_eq!(names, ["a", "other"]);
}
