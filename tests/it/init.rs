//! `corral init`, as a pipeline's first step runs it: ready (exit 0, again and again), or a
//! clear error naming the file and line before any plan is tried.

use std::os::unix::fs::PermissionsExt;

use crate::support::Workdir;

fn squeezed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn init_sets_up_the_state_store_and_is_idempotent() {
    let w = Workdir::fixture("tf_habits");
    let out = w.ok(&["init", "-input=false"]);
    assert!(out.stdout.contains("Initializing the backend..."), "{}", out.stdout);
    assert!(out.stdout.contains("- testing: built into corral"), "{}", out.stdout);
    assert!(out.stdout.contains("Corral has been successfully initialized!"), "{}", out.stdout);
    let state_dir = w.path().join(".corral/state");
    let mode = std::fs::metadata(&state_dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", state_dir.display());

    let again = w.ok(&["init", "-upgrade", "-reconfigure"]);
    assert!(again.stdout.contains("Corral has been successfully initialized!"), "{}", again.stdout);
    // Nothing was planned or applied.
    assert!(w.objects().is_empty());
}

#[test]
fn init_starts_each_plugin_the_configuration_names() {
    let w = Workdir::new();
    w.write("main.hcl", "resource \"kmr_vpc\" \"net\" {\n  name = \"n\"\n  cidr_block = \"10.0.0.0/16\"\n}\n");
    let out = w.ok(&["init"]);
    assert!(out.stdout.contains("- kmr:") && out.stdout.contains("started, pid"), "{}", out.stdout);
}

#[test]
fn an_unsupported_backend_is_refused_at_its_block() {
    let w = Workdir::fixture("tf_habits");
    w.write("backend.hcl", "terraform {\n  backend \"s3\" {\n    bucket = \"b\"\n  }\n}\n");
    let out = w.corral(&["init"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let err = squeezed(&out.stderr);
    assert!(err.contains("Unsupported backend type \"s3\""), "{}", out.stderr);
    assert!(err.contains("backend.hcl:2:"), "{}", out.stderr);
    assert!(!out.stdout.contains("successfully initialized"), "{}", out.stdout);
}

#[test]
fn backend_settings_the_local_backend_does_not_take_are_refused_wherever_given() {
    let w = Workdir::fixture("tf_habits");
    let out = w.corral(&["init", "-backend-config=path=prod.tfstate"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(squeezed(&out.stderr).contains("The local backend takes no `path`"), "{}", out.stderr);
    assert!(squeezed(&out.stderr).contains("given with --backend-config"), "{}", out.stderr);

    w.write("prod.tfbackend", "# settings for prod\nworkspace_dir = \"envs\"\n");
    let out = w.corral(&["init", "--backend-config", "prod.tfbackend"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let err = squeezed(&out.stderr);
    assert!(err.contains("takes no `workspace_dir`") && err.contains("prod.tfbackend:2:"), "{}", out.stderr);

    let out = w.corral(&["init", "-backend-config=missing.hcl"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(squeezed(&out.stderr).contains("Failed to read the backend configuration file"), "{}", out.stderr);

    w.write("main.hcl", "terraform {\n  backend \"local\" {\n    path = var.p\n  }\n}\n");
    let out = w.corral(&["init"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(squeezed(&out.stderr).contains("Variables not allowed"), "{}", out.stderr);
}

#[test]
fn a_backend_config_file_beside_the_configuration_is_not_configuration() {
    let w = Workdir::fixture("tf_habits");
    // Terraform's common layout: the settings file in the configuration directory, named
    // `*.hcl` (Terraform loads only `*.tf`; Corral loads `*.hcl` too, except this file).
    w.write("backend.hcl", "# settings for prod\nworkspace_dir = \"envs\"\n");
    let out = w.corral(&["init", "-backend-config=backend.hcl"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let err = squeezed(&out.stderr);
    assert!(err.contains("takes no `workspace_dir`") && err.contains("backend.hcl:2:"), "{}", out.stderr);
    assert!(!err.contains("Unsupported argument"), "read as configuration: {}", out.stderr);

    // A broken settings file is reported once, as a settings file.
    w.write("backend.hcl", "workspace_dir = \n");
    let out = w.corral(&["init", "-backend-config=backend.hcl"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr.matches("× invalid expression").count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("at backend.hcl:1:"), "shown as the configuration's files are: {}", out.stderr);
}

#[test]
fn a_provider_nobody_provides_fails_init_at_its_first_use() {
    let w = Workdir::new();
    w.write("main.hcl", "variable \"x\" {}\n\nresource \"nosuch_thing\" \"a\" {\n  name = \"a\"\n}\n");
    let out = w.corral(&["init"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let err = squeezed(&out.stderr);
    assert!(err.contains("Provider `nosuch` is not available") && err.contains("main.hcl:3:"), "{}", out.stderr);
}

#[test]
fn a_broken_configuration_fails_init_with_its_location() {
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name = \n}\n");
    let out = w.corral(&["init"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:"), "{}", out.stderr);
}
