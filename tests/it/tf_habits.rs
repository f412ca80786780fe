//! Pipelines written for Terraform run with only the program name changed: Terraform's
//! single-dash flags, `-chdir=DIR`, `-input=false`, `TF_CLI_ARGS(_<command>)` and `TF_LOG`;
//! plus `corral completion`, `corral version` and `corral refresh`.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{Output, Workdir};

/// A CI script as written for Terraform 1.0.
const PIPELINE: &str = "set -e
terraform init -input=false -backend=true
terraform validate
terraform plan -input=false -out=tfplan -var env=prod -var-file=prod.tfvars -lock-timeout=30s -parallelism=20 -compact-warnings -lock=true
terraform show -json tfplan > plan.json
terraform apply -input=false -auto-approve tfplan
terraform plan -input=false -no-color -out=tfplan2 -var env=staging -var-file=prod.tfvars -refresh=false
terraform apply -input=false tfplan2
terraform output -json > outputs.json
";

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `corral args`, without any of Terraform's variables from the test's own environment.
fn corral(w: &Workdir, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = w.command(args);
    for name in ["TF_CLI_ARGS", "TF_CLI_ARGS_plan", "TF_CLI_ARGS_apply", "TF_LOG", "CORRAL_CLI_ARGS"] {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied());
    run(&mut cmd)
}

#[test]
fn terraform_pipeline_runs_with_only_the_program_name_changed() {
    let w = Workdir::fixture("tf_habits");
    let script = PIPELINE.replace("terraform ", "corral ");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_corral")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = run(Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(w.path())
        .env("PATH", path)
        .env("CORRAL_TESTING_PROVIDER", "1")
        .env("NO_COLOR", "1")
        .env_remove("CORRAL_LOG")
        .env_remove("CORRAL_WORKSPACE")
        .env_remove("TF_CLI_ARGS")
        .env_remove("TF_LOG")
        .stdin(Stdio::null()));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let plan = json(&w.path().join("plan.json"));
    assert_eq!(plan["variables"]["env"]["value"], "prod");
    let outputs = json(&w.path().join("outputs.json"));
    assert_eq!(outputs["name"]["value"], "app-staging-3");
}

#[test]
fn other_terraform_flag_spellings_are_read() {
    let w = Workdir::fixture("tf_habits");
    let vars = ["-var", "env=a", "-var-file=prod.tfvars"];
    let out =
        corral(&w, &[&["plan", "-detailed-exitcode", "-target=testing_thing.app", "-json"], &vars[..]].concat(), &[]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.trim_start().starts_with('{'), "{}", out.stdout);
    let out = corral(&w, &[&["apply", "-auto-approve"], &vars[..]].concat(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = corral(&w, &[&["apply", "-auto-approve", "-replace=testing_thing.app"], &vars[..]].concat(), &[]);
    assert!(out.stdout.contains("1 added, 0 changed, 1 destroyed"), "{}\n{}", out.stdout, out.stderr);
    let out = corral(&w, &[&["destroy", "-auto-approve=true", "-compact-warnings=false"], &vars[..]].concat(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(corral(&w, &["state", "list"], &[]).stdout.is_empty());
    w.write("ugly.hcl", "locals {\n  a=1\n}\n");
    let out = corral(&w, &["fmt", "-check", "-diff", "-recursive"], &[]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("+  a = 1"), "{}", out.stdout);
}

#[test]
fn input_false_fails_where_corral_would_ask() {
    let w = Workdir::fixture("tf_habits");
    let out = corral(&w, &["apply", "-input=false", "-var", "env=a", "-var-file=prod.tfvars"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("No confirmation with `--input=false`"), "{}", out.stderr);
    assert!(out.stderr.contains("--auto-approve"), "{}", out.stderr);
    assert!(corral(&w, &["state", "list"], &[]).stdout.is_empty());
}

#[test]
fn lock_false_is_refused_rather_than_ignored() {
    let w = Workdir::fixture("tf_habits");
    let out = corral(&w, &["plan", "-lock=false", "-var", "env=a", "-var-file=prod.tfvars"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("always locks"), "{}", out.stderr);
}

#[test]
fn chdir_before_the_command_runs_in_that_directory() {
    let w = Workdir::new();
    super::support::copy_dir(&super::support::fixtures().join("tf_habits"), &w.path().join("infra"));
    let out = corral(&w, &["-chdir=infra", "apply", "--auto-approve", "--var", "env=c", "--var-file=prod.tfvars"], &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(w.path().join("infra/.corral").is_dir());
    assert!(!w.path().join(".corral").exists());
    assert_eq!(corral(&w, &["-chdir", "infra", "state", "list"], &[]).stdout, "testing_thing.app\n");
}

#[test]
fn tf_cli_args_add_arguments_as_terraform_does() {
    let w = Workdir::fixture("tf_habits");
    let env = [
        ("TF_CLI_ARGS", "-var-file=prod.tfvars"),
        ("TF_CLI_ARGS_plan", "-var 'env=from env'"),
        ("TF_CLI_ARGS_apply", "-no-such-flag"),
    ];
    let out = corral(&w, &["plan", "--out=p"], &env);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("\"app-from env-3\""), "{}", out.stdout);
    // Typed arguments come after the environment's, so a typed `-var` wins.
    let out = corral(&w, &["plan", "--var", "env=typed"], &env);
    assert!(out.stdout.contains("\"app-typed-3\""), "{}\n{}", out.stdout, out.stderr);
    // The apply-only variable reaches apply only.
    let out = corral(&w, &["apply", "p"], &env);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("no-such-flag"), "{}", out.stderr);
    let out = corral(&w, &["apply", "p"], &[("CORRAL_CLI_ARGS_apply", "-no-color")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = corral(&w, &["plan"], &[("TF_CLI_ARGS", "-var 'unclosed")]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("TF_CLI_ARGS"), "{}", out.stderr);
}

#[test]
fn tf_log_sets_the_log_level_unless_corral_log_does() {
    let w = Workdir::fixture("tf_habits");
    let args = ["apply", "--auto-approve", "--var", "env=l", "--var-file=prod.tfvars"];
    let out = corral(&w, &args, &[("TF_LOG", "DEBUG")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("DEBUG"), "{}", out.stderr);
    let out = corral(
        &w,
        &["destroy", "--auto-approve", "--var", "env=l", "--var-file=prod.tfvars"],
        &[("TF_LOG", "DEBUG"), ("CORRAL_LOG", "error")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("DEBUG"), "{}", out.stderr);
}

#[test]
fn completion_scripts_for_bash_zsh_and_fish() {
    let w = Workdir::new();
    for (shell, mark) in [("bash", "_corral()"), ("zsh", "#compdef corral"), ("fish", "complete -c corral")] {
        let out = corral(&w, &["completion", shell], &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout.contains(mark), "{shell}: {}", out.stdout);
        assert!(out.stdout.contains("auto-approve"), "{shell}");
    }
    assert_ne!(corral(&w, &["completion", "tcsh"], &[]).code, 0);
}

#[test]
fn tf_cli_args_do_not_reach_the_plugins_corral_starts_from_itself() {
    // A pipeline's `TF_CLI_ARGS=-input=false` is inherited by `corral __provider NAME`,
    // which serves a compiled-in provider and takes no such flag.
    let w = Workdir::new();
    let out = corral(&w, &["__provider", "kmr"], &[("TF_CLI_ARGS", "-input=false")]);
    assert!(out.stdout.starts_with("CORRAL_PLUGIN|"), "{}\n{}", out.stdout, out.stderr);
}

#[test]
fn tf_in_automation_leaves_out_the_next_step_hint() {
    let w = Workdir::fixture("tf_habits");
    let args = ["plan", "--out=p", "--var", "env=a", "--var-file=prod.tfvars"];
    let out = corral(&w, &args, &[]);
    assert!(out.stdout.contains("corral apply p"), "{}", out.stdout);
    let out = corral(&w, &args, &[("TF_IN_AUTOMATION", "1")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Plan: 1 to add"), "{}", out.stdout);
    assert!(!out.stdout.contains("corral apply"), "{}", out.stdout);
}

/// `terraform version`'s form: `Corral v0.1.0` / `on linux_amd64`, or JSON.
#[test]
fn version_prints_the_version_and_platform_as_text_and_json() {
    let w = Workdir::new();
    let text = w.ok(&["version"]);
    let expected = format!("Corral v{}\n", env!("CARGO_PKG_VERSION"));
    assert!(text.stdout.starts_with(&expected), "{}", text.stdout);
    assert!(text.stdout.lines().nth(1).is_some_and(|l| l.starts_with("on ") && l.contains('_')), "{}", text.stdout);
    let json: serde_json::Value = serde_json::from_str(&w.ok(&["version", "-json"]).stdout).unwrap();
    assert_eq!(json["corral_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["platform"].as_str(), text.stdout.lines().nth(1).and_then(|l| l.strip_prefix("on ")));
}

/// `terraform providers`' form: the requirements of each module as a tree (the full source,
/// with the version constraints, exact ones to three parts), then the providers of the
/// objects in state.
#[test]
fn providers_shows_the_requirements_tree_and_the_providers_in_state() {
    let w = Workdir::new();
    let module_call = "resource \"testing_thing\" \"a\" { name = \"a\" }\n\nmodule \"m\" {\n  source = \"./m\"\n}\n";
    w.write(
        "main.hcl",
        &format!(
            "terraform {{\n  required_providers {{\n    testing = {{ version = \">= 1.0\" }}\n    aws = {{\n      source  = \"hashicorp/aws\"\n      version = \"~> 3.0, != 3.1\"\n    }}\n  }}\n}}\n\n{module_call}"
        ),
    );
    w.write("m/main.hcl", "resource \"testing_thing\" \"b\" { name = \"b\" }\n");
    let out = w.ok(&["providers"]);
    assert_eq!(
        out.stdout,
        "\nProviders required by configuration:\n.\n\
         ├── provider[registry.terraform.io/corral/testing] >= 1.0.0\n\
         ├── provider[registry.terraform.io/hashicorp/aws] ~> 3.0, != 3.1.0\n\
         └── module.m\n    \
         └── provider[registry.terraform.io/corral/testing]\n\n"
    );
    assert!(!w.path().join(".corral").exists(), "nothing is made where nothing ran");

    w.write("main.hcl", module_call);
    w.ok(&["apply", "-auto-approve"]);
    let out = w.ok(&["providers"]);
    assert!(
        out.stdout.ends_with(
            "└── module.m\n    └── provider[registry.terraform.io/corral/testing]\n\n\
             Providers required by state:\n\n    provider[registry.terraform.io/corral/testing]\n\n"
        ),
        "{}",
        out.stdout
    );
    // The schema subcommand is still there.
    assert!(w.ok(&["providers", "schema", "-json"]).stdout.contains("\"provider_schemas\""));
}
