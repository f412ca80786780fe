//! `corral plan --markdown`, the plan as a pull-request comment: a heading with the summary,
//! a table of the changed resources, the full plan collapsed in `<details>` as a `diff` block,
//! and sensitive values (a sensitive variable, a sensitive attribute, a sensitive output)
//! hidden everywhere.

use crate::support::Workdir;

const BEFORE: &str = r#"
variable "token" {
  type      = string
  sensitive = true
  default   = "s3cr3t-token"
}

resource "testing_thing" "kept" {
  name    = "kept"
  payload = "v1"
}

resource "testing_thing" "renamed" {
  name = "old-name"
}

resource "testing_thing" "gone" {
  name = "gone"
}

resource "testing_thing" "secretive" {
  name    = "secretive"
  secret  = "hunter2"
  payload = var.token
}
"#;

const AFTER: &str = r#"
variable "token" {
  type      = string
  sensitive = true
  default   = "s3cr3t-token-v2"
}

resource "testing_thing" "kept" {
  name    = "kept"
  payload = "v2 | with a pipe and ``` backticks"
}

resource "testing_thing" "renamed" {
  name = "new-name"
}

resource "testing_thing" "secretive" {
  name    = "secretive"
  secret  = "hunter3"
  payload = var.token
}

resource "testing_thing" "fresh" {
  name = "fresh"
}

output "token" {
  value     = var.token
  sensitive = true
}
"#;

#[test]
fn plan_markdown_is_a_pull_request_comment_with_secrets_hidden() {
    let w = Workdir::new();
    w.write("main.hcl", BEFORE);
    w.ok(&["apply", "-auto-approve"]);
    let out = w.ok(&["plan", "-markdown"]);
    assert_eq!(out.stdout, "### Corral plan: no changes\n\nThe infrastructure matches the configuration.\n");

    w.write("main.hcl", AFTER);
    let out = w.corral(&["plan", "--markdown", "-detailed-exitcode"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    for secret in ["s3cr3t", "hunter"] {
        assert!(!out.stdout.contains(secret), "`{secret}` leaked into the comment:\n{}", out.stdout);
    }
    assert!(out.stdout.starts_with("### Corral plan: 2 to add, 2 to change, 2 to destroy\n"), "{}", out.stdout);
    assert!(out.stdout.contains("<details><summary>Show the 5 changes</summary>"), "{}", out.stdout);
    assert!(out.stdout.contains("\n````diff\n"), "the fence outlasts the backticks in a value: {}", out.stdout);
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[ID]");
    settings.bind(|| insta::assert_snapshot!("plan_markdown_changes", out.stdout));

    // `--json` and `--markdown` are two answers to one question.
    let out = w.corral(&["plan", "--markdown", "--json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}

#[test]
fn plan_markdown_warns_of_drift_without_showing_its_secrets() {
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name   = \"a\"\n  secret = \"hunter2\"\n}\n");
    w.ok(&["apply", "-auto-approve"]);
    // Someone deletes the object behind Corral's back.
    crate::support::edit_testing_objects(&w.path().join(".corral/testing"), |_| false);
    let out = w.ok(&["plan", "--markdown"]);
    assert!(out.stdout.starts_with("### Corral plan: 1 to add, 0 to change, 0 to destroy\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains("\n:warning: 1 object has changed outside of Corral since the last apply.\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("testing_thing.a has been deleted"), "the drift is in the details: {}", out.stdout);
    assert!(!out.stdout.contains("hunter2"), "{}", out.stdout);
    assert!(out.stdout.contains("<details><summary>Show the change</summary>"), "{}", out.stdout);
}
