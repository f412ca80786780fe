//! Root variable values given on the command line, in files and in the environment, read
//! as Terraform 1.0 reads them: text taken literally for untyped variables, undeclared names
//! refused on the command line, `--var-file` relative to `-C`.

use std::process::Command;

use crate::support::Workdir;

const CONFIG: &str = r#"
variable "env" {
  default = "dev"
}
variable "q" {
  default = "one"
}
variable "n" {
  type    = number
  default = 1
}
variable "l" {
  type    = list(number)
  default = []
}
output "env" {
  value = var.env
}
output "q" {
  value = var.q
}
output "n" {
  value = var.n
}
output "l" {
  value = var.l
}
"#;

/// Applies with `args` (and `env`), then returns the root outputs as JSON.
fn outputs(w: &Workdir, args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let mut cmd: Command = w.command(&[&["apply", "--auto-approve"], args].concat());
    cmd.env_remove("TF_VAR_q").env_remove("CORRAL_VAR_q");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let shown = w.ok(&["output", "--json"]);
    let all: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    let mut values = serde_json::Map::new();
    for name in ["env", "q", "n", "l"] {
        values.insert(name.to_string(), all[name]["value"].clone());
    }
    serde_json::Value::Object(values)
}

#[test]
fn untyped_variable_takes_var_text_literally() {
    let w = Workdir::new();
    w.write("main.hcl", CONFIG);
    let got = outputs(&w, &["--var", "env=prod", "--var", "q=5", "--var", "n=7", "--var", "l=[1, 2]"], &[]);
    assert_eq!(got, serde_json::json!({"env": "prod", "q": "5", "n": 7, "l": [1, 2]}));
    let got = outputs(&w, &["--var", "q=true", "--var", "env=a.b"], &[]);
    assert_eq!(got["q"], "true");
    assert_eq!(got["env"], "a.b");
}

#[test]
fn untyped_variable_takes_environment_text_literally_corral_over_tf() {
    let w = Workdir::new();
    w.write("main.hcl", CONFIG);
    let got = outputs(&w, &[], &[("TF_VAR_q", "two"), ("TF_VAR_env", "prod")]);
    assert_eq!(got["q"], "two");
    assert_eq!(got["env"], "prod");
    let got = outputs(&w, &[], &[("TF_VAR_q", "two"), ("CORRAL_VAR_q", "three")]);
    assert_eq!(got["q"], "three");
}

#[test]
fn var_for_undeclared_variable_is_an_error() {
    let w = Workdir::new();
    w.write("main.hcl", CONFIG);
    let out = w.corral(&["plan", "--var", "nosuch=1"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("Value for undeclared variable"), "{}", out.stderr);
    assert!(out.stderr.contains("A variable named \"nosuch\" was assigned on the command line"), "{}", out.stderr);
}

#[test]
fn file_value_for_undeclared_variable_is_a_warning_and_environment_is_ignored() {
    let w = Workdir::new();
    w.write("main.hcl", CONFIG);
    w.write("extra.tfvars", "zzz = 1\nenv = \"fromfile\"\n");
    let out = w.command(&["plan", "--var-file", "extra.tfvars"]).env("CORRAL_VAR_yyy", "1").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Value for undeclared variable"), "{stderr}");
    assert!(
        stderr.contains("declare a variable named \"zzz\" but a value was found in file \"extra.tfvars\""),
        "{stderr}"
    );
    assert!(!stderr.contains("yyy"), "{stderr}");
}

#[test]
fn var_file_is_relative_to_chdir() {
    let w = Workdir::new();
    w.write("stack/main.hcl", CONFIG);
    w.write("stack/prod.tfvars", "env = \"prod\"\n");
    let out = w.command(&["-C", "stack", "apply", "--auto-approve", "--var-file", "prod.tfvars"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = w.ok(&["-C", "stack", "output", "--json", "env"]);
    assert_eq!(shown.stdout.trim(), "\"prod\"");
}

#[test]
fn a_validation_may_refer_to_other_variables() {
    // Terraform 1.9's cross-variable validation: `max` is checked against `min`.
    let w = Workdir::new();
    w.write(
        "main.hcl",
        r#"
variable "min" {
  type    = number
  default = 2
}

variable "max" {
  type = number
  validation {
    condition     = var.max >= var.min
    error_message = "max (${var.max}) must be at least min (${var.min})."
  }
}

output "range" {
  value = "${var.min}-${var.max}"
}
"#,
    );
    let out = w.corral(&["plan", "-var", "max=1"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("Invalid value for variable \"max\""), "{}", out.stderr);
    assert!(out.stderr.contains("max (1) must be at least min (2)."), "{}", out.stderr);
    w.ok(&["apply", "-auto-approve", "-var", "max=3"]);
    let shown = w.ok(&["output", "-json", "range"]);
    assert_eq!(shown.stdout.trim(), "\"2-3\"");
    // A reference that is not in the module is still refused (locals and data sources are
    // allowed: tests/it/validation_refs.rs).
    w.write("main.hcl", "variable \"v\" {\n  default = 1\n  validation {\n    condition     = var.v >= local.nosuch\n    error_message = \"no\"\n  }\n}\n");
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("nosuch"), "{}", out.stderr);
}
