//! Secrets in plan files, state and digests (issue 10, items 3, 5 and 6) through the binary:
//! a password from a sensitive variable that feeds a write-only attribute is in no output, no
//! plan file, no state and no log; write-only digests are keyed with a per-workspace key that
//! lives outside the state; a saved plan is sealed and MACed, so an edited one is refused; and
//! everything Corral writes under `.corral/` is private to its owner whatever the umask.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use corral_engine::state::{InstanceState, StateChange, StateStore};

use crate::support::{Output, Workdir, files_containing};

/// The admin password: a sensitive variable (`terraform.tfvars`) feeding a write-only
/// attribute through a local and a module argument.
const PASSWORD: &str = "Adm1n-Pa55-6d8f1c";
/// A sensitive variable that feeds nothing write-only.
const TOKEN: &str = "tok-5e3a9b27c1";

fn run(w: &Workdir, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = w.command(args);
    command.envs(env.iter().copied());
    let out = command.output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `corral ARGS` under `umask 000`, so that anything not created with an explicit mode would
/// come out world-writable.
fn run_umask_000(w: &Workdir, args: &[&str]) -> Output {
    let out = Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_corral"))
        .args(args)
        .current_dir(w.path())
        .env("CORRAL_TESTING_PROVIDER", "1")
        .env("NO_COLOR", "1")
        .env_remove("CORRAL_LOG")
        .env_remove("CORRAL_WORKSPACE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(out.code, 0, "corral {args:?}:\n{}\n{}", out.stdout, out.stderr);
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

fn password_digest(w: &Workdir) -> String {
    let state = w.state();
    let db = state.instances.values().next().unwrap();
    db.attributes["password"].as_str().unwrap().to_string()
}

/// Where a secret may legitimately be: the variables file the user wrote and the testing
/// provider's "remote" objects (the service keeps the password).
fn leaks(w: &Workdir, secret: &str) -> Vec<String> {
    files_containing(w.path(), secret, &w.path().join(".corral/testing"))
        .into_iter()
        .filter(|f| !f.ends_with("terraform.tfvars"))
        .collect()
}

#[test]
fn a_write_only_password_from_a_sensitive_variable_is_in_no_output_plan_file_state_or_log() {
    let w = Workdir::fixture("secrets");
    let debug = [("CORRAL_LOG", "debug")];
    let mut outputs = vec![
        run(&w, &["plan", "--out", "plan.bin"], &debug),
        run(&w, &["plan", "--json"], &debug),
        run(&w, &["show", "plan.bin"], &debug),
        run(&w, &["show", "--json", "plan.bin"], &debug),
    ];
    let plan_bytes = std::fs::read(w.path().join("plan.bin")).unwrap();
    assert!(
        !plan_bytes.windows(TOKEN.len()).any(|b| b == TOKEN.as_bytes()),
        "a sensitive value is sealed in the plan file"
    );
    // The write-only variable is listed by name only (apply takes its value again).
    let plan_file: serde_json::Value = serde_json::from_slice(&plan_bytes).unwrap();
    let listed = &plan_file["plan"]["write_only_variables"];
    assert!(listed["admin_pw"].as_str().unwrap().starts_with("hmac-sha256:"), "{listed}");
    assert!(plan_file["plan"]["variables"].get("admin_pw").is_none());
    // `show --json` prints a sensitive variable as Terraform does (marked), but never one that
    // feeds a write-only attribute.
    let json: serde_json::Value = serde_json::from_str(&outputs[3].stdout).unwrap();
    assert_eq!(json["variables"]["api_token"], serde_json::json!({"value": TOKEN, "sensitive": true}));
    assert!(json["variables"].get("admin_pw").is_none(), "{}", json["variables"]);

    outputs.push(run(&w, &["apply", "plan.bin"], &debug));
    assert_eq!(outputs[4].code, 0, "{}{}", outputs[4].stdout, outputs[4].stderr);
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"],
        &["show"],
        &["show", "--json"],
        &["state", "list"],
        &["state", "show", "module.db.testing_thing.db"],
        &["output"],
        &["output", "--json"],
    ] {
        let out = run(&w, args, &debug);
        assert_eq!(out.code, 0, "corral {args:?}: {}{}", out.stdout, out.stderr);
        outputs.push(out);
    }
    assert!(outputs[4].stderr.contains("DEBUG"), "logs were on: {}", outputs[4].stderr);
    for out in &outputs {
        assert!(!out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD), "{out:?}");
    }
    // The service got the password; nothing Corral wrote holds it.
    assert_eq!(w.objects()[0]["attributes"]["password"], PASSWORD);
    assert_eq!(leaks(&w, PASSWORD), Vec::<String>::new());
    assert_eq!(leaks(&w, TOKEN), Vec::<String>::new(), "the sensitive token is in no file either");
}

#[test]
fn the_write_only_digest_is_keyed_per_workspace_and_unchanged_values_plan_as_no_change() {
    let w = Workdir::fixture("secrets");
    w.ok(&["apply", "--auto-approve"]);
    let digest = password_digest(&w);
    assert!(digest.starts_with("hmac-sha256:"), "{digest}");
    let unkeyed = corral_engine::provider::write_only::legacy_digest("testing_thing", "password", PASSWORD);
    assert_ne!(digest.trim_start_matches("hmac-"), unkeyed, "not the unkeyed hash a dictionary finds");
    // The key is beside the state, not in it, and private.
    let key = w.path().join(".corral/state/default.key");
    let text = std::fs::read_to_string(&key).unwrap();
    assert_eq!(text.trim().len(), 64, "{text}");
    assert_eq!(mode(&key), 0o600);
    let state_bytes = std::fs::read(w.path().join(".corral/state/default.redb")).unwrap();
    assert!(!state_bytes.windows(64).any(|b| b == text.trim().as_bytes()), "the key is not in the state");
    // Deterministic: nothing to do.
    let plan = w.corral(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);

    // Another directory (another workspace key), same password: another digest.
    let other = Workdir::fixture("secrets");
    other.ok(&["apply", "--auto-approve"]);
    assert_ne!(password_digest(&other), digest);
    // So is another workspace.
    w.ok(&["workspace", "new", "staging"]);
    w.ok(&["plan"]);
    assert_ne!(std::fs::read_to_string(w.path().join(".corral/state/staging.key")).unwrap(), text);
}

#[test]
fn an_unkeyed_digest_from_an_older_state_is_no_change_and_is_replaced_when_the_object_is_next_applied() {
    let w = Workdir::fixture("secrets");
    w.ok(&["apply", "--auto-approve"]);
    // Make the state look as an older Corral left it: the unkeyed digest.
    let unkeyed = corral_engine::provider::write_only::legacy_digest("testing_thing", "password", PASSWORD);
    let store = corral_engine::state::RedbStore::open(w.path().join(".corral/state")).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let state = store.read("default").await.unwrap();
        let mut db: InstanceState = state.instances.values().next().unwrap().clone();
        db.attributes["password"] = unkeyed.clone().into();
        store.commit("default", state.serial, vec![StateChange::PutInstance(db)]).await.unwrap();
    });
    assert_eq!(password_digest(&w), unkeyed);
    let plan = w.corral(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "an old digest of the same password is no change:\n{}{}", plan.stdout, plan.stderr);
    // The next apply of the object (here a payload change) records the keyed digest.
    w.ok(&["apply", "--auto-approve", "--var", "payload=changed"]);
    assert!(password_digest(&w).starts_with("hmac-sha256:"), "{}", password_digest(&w));
    let plan = w.corral(&["plan", "--detailed-exitcode", "--var", "payload=changed"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}

#[test]
fn an_edited_plan_file_or_one_from_another_workspace_is_refused() {
    let w = Workdir::fixture("secrets");
    w.ok(&["apply", "--auto-approve"]);
    w.ok(&["plan", "--out", "noop.plan"]);
    let text = std::fs::read_to_string(w.path().join("noop.plan")).unwrap();
    assert!(text.contains("\"action\": \"no-op\""), "{text}");

    // A no-op turned into a delete.
    w.write("evil.plan", &text.replacen("\"action\": \"no-op\"", "\"action\": \"delete\"", 1));
    let apply = w.corral(&["apply", "evil.plan"]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(apply.stderr.contains("modified after it was made"), "{}", apply.stderr);
    assert_eq!(w.objects().len(), 1, "nothing was deleted");
    let show = w.corral(&["show", "--json", "evil.plan"]);
    assert_eq!(show.code, 1, "{}{}", show.stdout, show.stderr);

    // One flipped byte inside a sealed value.
    let at = text.find("\"sealed\": \"").unwrap() + "\"sealed\": \"".len() + 3;
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(w.path().join("flipped.plan"), &bytes).unwrap();
    let apply = w.corral(&["apply", "flipped.plan"]);
    assert!(apply.code == 1 && apply.stderr.contains("modified after it was made"), "{}", apply.stderr);

    // A plan made in another directory (another key) is refused too.
    let other = Workdir::fixture("secrets");
    other.ok(&["plan", "--out", "theirs.plan"]);
    std::fs::copy(other.path().join("theirs.plan"), w.path().join("theirs.plan")).unwrap();
    let apply = w.corral(&["apply", "theirs.plan"]);
    assert!(apply.code == 1 && apply.stderr.contains("MAC does not match"), "{}", apply.stderr);

    // The untouched plan applies.
    w.ok(&["apply", "noop.plan"]);
}

#[test]
fn apply_of_a_saved_plan_takes_write_only_variables_again_and_refuses_without_them() {
    let w = Workdir::fixture("secrets");
    w.ok(&["plan", "--out", "plan.bin"]);
    std::fs::remove_file(w.path().join("terraform.tfvars")).unwrap();
    let apply = w.corral(&["apply", "plan.bin"]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(apply.stderr.contains("No value for write-only variable \"admin_pw\""), "{}", apply.stderr);
    assert!(apply.stderr.contains("CORRAL_VAR_admin_pw"), "{}", apply.stderr);
    assert!(w.objects().is_empty(), "nothing was created");
    // Another value than the plan was made with: refused before anything is done.
    let apply = run(&w, &["apply", "plan.bin"], &[("CORRAL_VAR_admin_pw", "not-the-planned-one")]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(apply.stderr.contains("Write-only variable \"admin_pw\" differs from the plan"), "{}", apply.stderr);
    assert!(w.objects().is_empty(), "nothing was created");
    let apply = run(&w, &["apply", "plan.bin"], &[("CORRAL_VAR_admin_pw", PASSWORD)]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(w.objects()[0]["attributes"]["password"], PASSWORD);
}

#[test]
fn state_plan_and_key_files_are_private_whatever_the_umask() {
    let w = Workdir::fixture("secrets");
    run_umask_000(&w, &["apply", "--auto-approve"]);
    // An old plan file left world-readable is replaced by a private one.
    w.write("plan.bin", "old");
    std::fs::set_permissions(w.path().join("plan.bin"), std::fs::Permissions::from_mode(0o666)).unwrap();
    run_umask_000(&w, &["plan", "--out", "plan.bin"]);
    run_umask_000(&w, &["workspace", "new", "staging"]);
    run_umask_000(&w, &["plan", "--out", "staging.plan"]);
    let corral = w.path().join(".corral");
    let expected = [
        (corral.clone(), 0o700),
        (corral.join("state"), 0o700),
        (corral.join("state/default.redb"), 0o600),
        (corral.join("state/default.lock"), 0o600),
        (corral.join("state/default.key"), 0o600),
        (corral.join("state/staging.redb"), 0o600),
        (corral.join("state/staging.key"), 0o600),
        (w.path().join("plan.bin"), 0o600),
        (w.path().join("staging.plan"), 0o600),
    ];
    // A `.corral/` left wider (by an older Corral, or a tool) is narrowed by the next run.
    std::fs::set_permissions(&corral, std::fs::Permissions::from_mode(0o755)).unwrap();
    run_umask_000(&w, &["plan"]);
    let found: Vec<(String, u32)> = expected.iter().map(|(p, _)| (p.display().to_string(), mode(p))).collect();
    let wanted: Vec<(String, u32)> = expected.iter().map(|(p, m)| (p.display().to_string(), *m)).collect();
    assert_eq!(found, wanted);
}

#[test]
fn a_password_passed_up_through_a_module_output_is_left_out_of_the_plan_file_too() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        r#"
variable "admin_pw" {
  type      = string
  sensitive = true
}

module "vault" {
  source = "./vault"
  secret = var.admin_pw
}

resource "testing_thing" "db" {
  name     = "analytics-db"
  password = module.vault.secret
}
"#,
    );
    w.write(
        "vault/main.hcl",
        r#"
variable "secret" {
  type      = string
  sensitive = true
}

output "secret" {
  value     = var.secret
  sensitive = true
}
"#,
    );
    let out = run(&w, &["plan", "--out", "plan.bin"], &[("CORRAL_VAR_admin_pw", PASSWORD)]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(leaks(&w, PASSWORD), Vec::<String>::new());
    // Not sealed but absent: the variable is known to feed the write-only `password`.
    let plan_file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path().join("plan.bin")).unwrap()).unwrap();
    assert!(plan_file["plan"]["write_only_variables"].get("admin_pw").is_some(), "{}", plan_file["plan"]);
    assert!(plan_file["plan"]["variables"].get("admin_pw").is_none(), "{}", plan_file["plan"]);
    let apply = run(&w, &["apply", "plan.bin"], &[("CORRAL_VAR_admin_pw", PASSWORD)]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(w.objects()[0]["attributes"]["password"], PASSWORD);
    assert_eq!(leaks(&w, PASSWORD), Vec::<String>::new());
}
