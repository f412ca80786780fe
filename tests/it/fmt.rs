//! `corral fmt` and `corral console` through the binary: exit codes as Terraform's, files
//! rewritten (or not), standard input; console answers from variables, locals and state.

use crate::support::{Output, Workdir};

const UNFORMATTED: &str = "resource \"testing_thing\" \"a\" {\nname=\"a\"\n    payload = \"x\"\n}\n";
const FORMATTED: &str = "resource \"testing_thing\" \"a\" {\n  name    = \"a\"\n  payload = \"x\"\n}\n";

fn run_with_stdin(w: &Workdir, args: &[&str], stdin: &str) -> Output {
    crate::support::run_with_stdin(w.command(args), stdin)
}

#[test]
fn check_exits_3_and_lists_unformatted_files_without_writing() {
    let w = Workdir::new();
    w.write("main.hcl", UNFORMATTED);
    w.write("ok.hcl", FORMATTED);
    w.write("notes.txt", "x=1\n");
    let out = w.corral(&["fmt", "--check"]);
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(out.stdout, "main.hcl\n");
    assert_eq!(std::fs::read_to_string(w.path().join("main.hcl")).unwrap(), UNFORMATTED);
}

#[test]
fn formats_in_place_then_check_passes() {
    let w = Workdir::new();
    w.write("main.hcl", UNFORMATTED);
    let out = w.ok(&["fmt"]);
    assert_eq!(out.stdout, "main.hcl\n");
    assert_eq!(std::fs::read_to_string(w.path().join("main.hcl")).unwrap(), FORMATTED);
    let again = w.corral(&["fmt", "--check"]);
    assert_eq!((again.code, again.stdout.as_str()), (0, ""), "{again:?}");
}

#[test]
fn parse_error_exits_2_and_leaves_the_file_alone() {
    let w = Workdir::new();
    w.write("bad.tf", "x = {\n");
    let out = w.corral(&["fmt", "--check"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("bad.tf"), "{}", out.stderr);
    let out = w.corral(&["fmt"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(std::fs::read_to_string(w.path().join("bad.tf")).unwrap(), "x = {\n");
}

#[test]
fn recursive_descends_and_diff_prints_a_unified_diff() {
    let w = Workdir::new();
    w.write("top.tfvars", "a = 1\n");
    w.write("sub/inner.tf", "b=1\n");
    w.write(".hidden/skip.tf", "c=1\n");
    let flat = w.corral(&["fmt", "--check"]);
    assert_eq!(flat.code, 0, "{flat:?}");
    let out = w.corral(&["fmt", "--check", "--recursive", "--diff"]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stdout.starts_with("sub/inner.tf\n--- old/sub/inner.tf\n+++ new/sub/inner.tf\n"), "{}", out.stdout);
    assert!(out.stdout.contains("-b=1\n+b = 1\n"), "{}", out.stdout);
    assert!(!out.stdout.contains("skip.tf"), "{}", out.stdout);
}

#[test]
fn list_false_writes_silently() {
    let w = Workdir::new();
    w.write("main.tf", "b=1\n");
    let out = w.ok(&["fmt", "--list=false"]);
    assert_eq!(out.stdout, "");
    assert_eq!(std::fs::read_to_string(w.path().join("main.tf")).unwrap(), "b = 1\n");
}

#[test]
fn stdin_is_formatted_to_stdout() {
    let w = Workdir::new();
    let out = run_with_stdin(&w, &["fmt", "-"], UNFORMATTED);
    assert_eq!((out.code, out.stdout.as_str()), (0, FORMATTED), "{out:?}");
    let check = run_with_stdin(&w, &["fmt", "--check", "-"], UNFORMATTED);
    assert_eq!((check.code, check.stdout.as_str()), (3, ""), "{check:?}");
    let bad = run_with_stdin(&w, &["fmt", "-"], "x = [\n");
    assert_eq!((bad.code, bad.stdout.as_str()), (2, ""), "{bad:?}");
}

#[test]
fn repository_examples_are_formatted() {
    let w = Workdir::new();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let out = w.corral(&["fmt", "--check", "--recursive", examples.to_str().unwrap()]);
    assert_eq!(out.code, 0, "unformatted examples:\n{}{}", out.stdout, out.stderr);
}

const CONSOLE_CONFIG: &str = r#"
variable "greeting" {
  type = string
}
variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
locals {
  names = ["a", "b"]
  shout = upper(var.greeting)
}
resource "testing_thing" "a" {
  name    = "thing-a"
  payload = local.shout
}
"#;

#[test]
fn console_answers_from_variables_locals_and_state() {
    let w = Workdir::new();
    w.write("main.hcl", CONSOLE_CONFIG);
    // Before apply the resource has no state: its value is not known yet.
    let before = run_with_stdin(&w, &["console", "--var", "greeting=hi"], "testing_thing.a.id\n");
    assert_eq!(before.stdout, "(known after apply)\n", "{before:?}");
    w.ok(&["apply", "--auto-approve", "--var", "greeting=hi"]);
    let id = w.state().instances.values().next().unwrap().attributes["id"].as_str().unwrap().to_string();
    let input = "var.greeting\nlocal.shout\nlocal.names\nnope.x\ntesting_thing.a.payload\ntesting_thing.a.id\nvar.secret\n{ s = var.secret, n = 1 }\n";
    let out = run_with_stdin(&w, &["console", "--var", "greeting=hi"], input);
    assert_eq!(out.code, 0, "{out:?}");
    let expected = format!(
        "\"hi\"\n\"HI\"\n[\n  \"a\",\n  \"b\",\n]\n\"HI\"\n\"{id}\"\n(sensitive)\n{{\n  \"n\" = 1\n  \"s\" = (sensitive)\n}}\n"
    );
    assert_eq!(out.stdout, expected);
    assert!(out.stderr.contains("Reference to undeclared resource"), "{}", out.stderr);
}

#[test]
fn console_json_gives_one_object_per_line() {
    let w = Workdir::new();
    w.write("main.hcl", CONSOLE_CONFIG);
    w.ok(&["apply", "--auto-approve", "--var", "greeting=hi"]);
    let input = "local.names\ntesting_thing.a.name\n1 +\nvar.nope\nvar.secret\n";
    let out = run_with_stdin(&w, &["console", "--json", "--var", "greeting=hi"], input);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<serde_json::Value> = out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5, "{}", out.stdout);
    assert_eq!(lines[0], serde_json::json!({"value": ["a", "b"]}));
    assert_eq!(lines[1], serde_json::json!({"value": "thing-a"}));
    assert!(lines[2]["error"].as_str().unwrap().starts_with("Invalid expression"), "{}", lines[2]);
    assert!(lines[3]["error"].as_str().unwrap().contains("undeclared input variable"), "{}", lines[3]);
    assert_eq!(lines[4], serde_json::json!({"value": null, "sensitive": true}));
    assert!(!out.stdout.contains("hunter2"));
}
