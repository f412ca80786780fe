//! `corral promote` over `examples/promotion` (shared modules, `envs/dev|staging|prod`, the
//! KMR provider and each environment's own embedded sandbox) in a git repository made in the
//! test: promoting dev → staging shows and applies exactly what changed in dev, prod's gates
//! refuse a core shrink and a promotion outside the change window, and `promote status`
//! shows which revision each environment runs. The error paths use the testing provider.

use std::path::Path;
use std::process::Command;

use crate::support::{Output, Workdir, copy_dir};

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(repo)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit_all(w: &Workdir, message: &str) -> String {
    git(w.path(), &["add", "--all"]);
    git(w.path(), &["commit", "--quiet", "--message", message]);
    git(w.path(), &["rev-parse", "HEAD"])
}

/// A git repository holding `examples/promotion`, first commit made.
fn example() -> (Workdir, String) {
    let w = Workdir::new();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/promotion"), w.path());
    let _ = std::fs::remove_dir_all(w.path().join("envs/dev/.corral"));
    w.write(".gitignore", ".corral/\n");
    git(w.path(), &["init", "--quiet", "--initial-branch=main"]);
    let head = commit_all(&w, "the promotion example");
    (w, head)
}

/// `corral ARGS` with the sandbox clock fast (a cluster's eight minutes in a fraction of a
/// second).
fn run(w: &Workdir, args: &[&str]) -> Output {
    let mut command = w.command(args);
    command.env(corral_sandbox::TIME_SCALE_VAR, "3600");
    Output::from(command.output().unwrap())
}

fn ok(w: &Workdir, args: &[&str]) -> Output {
    let out = run(w, args);
    assert_eq!(out.code, 0, "corral {args:?} failed:\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    out
}

/// The (address, action) pairs of a human plan's `# ADDR will be ACTION` lines.
fn planned(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# "))
        .filter_map(|l| l.split_once(" will be "))
        .map(|(a, what)| (a.to_string(), what.to_string()))
        .collect();
    out.sort();
    out
}

fn record(w: &Workdir, env: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(w.path().join("envs").join(env).join("corral.revision.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn status_line(w: &Workdir, env: &str) -> String {
    let out = ok(w, &["promote", "status"]);
    out.stdout.lines().find(|l| l.split_whitespace().next() == Some(env)).unwrap_or_default().to_string()
}

/// A new module version (a copy of v1 with one more rule), called from dev.
fn make_v2(w: &Workdir) {
    let modules = w.path().join("modules/platform");
    copy_dir(&modules.join("v1"), &modules.join("v2"));
    let main = modules.join("v2/main.hcl");
    let mut text = std::fs::read_to_string(&main).unwrap();
    text.push_str(
        "\nresource \"kmr_security_group_rule\" \"hiveserver\" {\n  security_group_id = data.kmr_security_group.ksckmr.id\n  direction         = \"ingress\"\n  protocol          = \"tcp\"\n  port_from         = 10000\n  port_to           = 10000\n  cidrs             = var.office_cidrs\n  description       = \"HiveServer2 from the offices\"\n}\n",
    );
    std::fs::write(main, text).unwrap();
    call_version(w, "dev", "v1", "v2");
}

fn call_version(w: &Workdir, env: &str, from: &str, to: &str) {
    let main = w.path().join("envs").join(env).join("main.hcl");
    let text = std::fs::read_to_string(&main).unwrap();
    let (old, new) = (format!("modules/platform/{from}\""), format!("modules/platform/{to}\""));
    assert!(text.contains(&old), "{text}");
    std::fs::write(main, text.replace(&old, &new)).unwrap();
}

fn read(w: &Workdir, rel: &str) -> String {
    std::fs::read_to_string(w.path().join(rel)).unwrap()
}

#[test]
fn promoting_dev_to_staging_shows_and_applies_exactly_the_changes_made_in_dev() {
    let (w, first) = example();
    // A source that does not run its files is refused: nothing was applied in dev yet.
    let out = run(&w, &["promote", "dev", "staging", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("dev does not run its files yet"), "{}", out.stderr);
    assert!(out.stderr.contains("Plan: 4 to add"), "{}", out.stderr);

    ok(&w, &["-C", "envs/dev", "apply", "--auto-approve"]);
    let out = ok(&w, &["promote", "dev", "staging", "-auto-approve"]);
    assert!(out.stdout.contains("Plan: 4 to add, 0 to change, 0 to destroy."), "{}", out.stdout);
    assert!(out.stdout.contains("(staging has no recorded revision: module code is not compared)"), "{}", out.stdout);
    assert!(out.stdout.contains("Apply complete! Resources: 4 added"), "{}", out.stdout);
    assert!(out.stdout.contains("staging runs"), "{}", out.stdout);
    // staging's own values stayed: its names and its core count are staging's.
    assert!(out.stdout.contains("\"corral-staging-warehouse\""), "{}", out.stdout);
    assert!(out.stdout.contains("core_count           = 4"), "{}", out.stdout);
    assert_eq!(record(&w, "staging")["revision"]["git_commit"], first.as_str());
    assert_eq!(record(&w, "staging")["revision"]["git_clean"], true);
    assert_eq!(record(&w, "staging")["revision"]["hash"], record(&w, "dev")["revision"]["hash"]);
    assert!(status_line(&w, "staging").ends_with("up to date with dev"), "{}", status_line(&w, "staging"));

    // A new module version in dev, committed and applied there.
    make_v2(&w);
    let second = commit_all(&w, "platform v2: HiveServer2 from the offices");
    assert!(status_line(&w, "staging").ends_with("behind dev"), "{}", status_line(&w, "staging"));
    assert!(status_line(&w, "dev").contains("files changed since recorded"), "{}", status_line(&w, "dev"));
    let in_dev = ok(&w, &["-C", "envs/dev", "apply", "--auto-approve"]);
    let dev_changes = planned(&in_dev.stdout);
    assert_eq!(dev_changes.len(), 1, "{}", in_dev.stdout);

    let out = ok(&w, &["promote", "dev", "staging", "-auto-approve"]);
    assert!(
        out.stdout.contains("module.platform: source ../../modules/platform/v1 -> ../../modules/platform/v2"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("modules/platform/v2/main.hcl: now called since staging's recorded revision"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("-  source = \"../../modules/platform/v1\"\n+  source = \"../../modules/platform/v2\""),
        "{}",
        out.stdout
    );
    let plan = out.stdout.split("Plan in staging:").nth(1).unwrap();
    assert_eq!(planned(plan), dev_changes, "staging plans exactly what dev changed:\n{}", out.stdout);
    assert!(plan.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{plan}");
    assert!(out.stdout.contains("Gates of staging: no_replace_persistent pass."), "{}", out.stdout);
    assert!(read(&w, "envs/staging/main.hcl").contains("modules/platform/v2"));
    assert!(read(&w, "envs/staging/terraform.tfvars").contains("environment  = \"staging\""), "variables stay");
    assert_eq!(read(&w, "envs/staging/main.hcl"), read(&w, "envs/dev/main.hcl"));
    assert_eq!(record(&w, "staging")["revision"]["git_commit"], second.as_str());
    assert_eq!(record(&w, "staging")["promoted_from"], "dev");
    let line = status_line(&w, "staging");
    assert!(line.ends_with("up to date with dev") && line.contains(&second[..12]), "{line}");

    // Nothing left to promote: no changes, nothing applied, the revision recorded again.
    let out = ok(&w, &["promote", "dev", "staging"]);
    assert!(out.stdout.contains("(none: staging already has these files)"), "{}", out.stdout);
    assert!(!out.stdout.contains("Apply complete"), "{}", out.stdout);

    let json: serde_json::Value = serde_json::from_str(&ok(&w, &["promote", "status", "--json"]).stdout).unwrap();
    let names: Vec<&str> = json.as_array().unwrap().iter().map(|e| e["environment"].as_str().unwrap()).collect();
    assert_eq!(names, ["dev", "staging", "prod"], "in promotion order");
    assert_eq!(json[1]["behind"], false);
    assert_eq!(json[2]["behind"], true);
    assert!(json[2]["record"].is_null());
}

/// Rewrites prod's change window (the example's is Monday to Thursday, 10:00-16:00 in
/// Shanghai) to the hours given, every day, in UTC.
fn prod_window(w: &Workdir, hours: &str) {
    let path = "envs/prod/corral.promotion";
    let text = read(w, path);
    let start = text.find("gate \"change_window\"").unwrap();
    let window = format!(
        "gate \"change_window\" {{\n  weekdays  = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n  hours     = \"{hours}\"\n  time_zone = \"UTC\"\n}}\n"
    );
    w.write(path, &format!("{}{window}", &text[..start]));
}

#[test]
fn prods_gates_refuse_a_core_shrink_and_changes_outside_the_window() {
    use chrono::Timelike;
    let (w, _) = example();
    ok(&w, &["-C", "envs/dev", "apply", "--auto-approve"]);
    ok(&w, &["promote", "dev", "staging", "-auto-approve"]);

    // Twelve hours away from now: certainly closed.
    let hour = chrono::Utc::now().hour();
    prod_window(&w, &format!("{:02}:00-{:02}:00", (hour + 12) % 24, (hour + 13) % 24));
    let before = read(&w, "envs/prod/main.hcl");
    let out = run(&w, &["promote", "staging", "prod", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("Error: gate \"change_window\" of prod ("), "{}", out.stderr);
    assert!(
        out.stderr.contains("envs/prod/corral.promotion:13:1) refuses the promotion: it is"),
        "the gate's line is named: {}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was applied"), "{}", out.stderr);
    assert_eq!(read(&w, "envs/prod/main.hcl"), before);
    assert!(!w.path().join("envs/prod/corral.revision.json").exists());

    // Open now (for the next two hours): prod is made.
    prod_window(&w, &format!("{:02}:00-{:02}:00", hour, (hour + 2) % 24));
    let out = ok(&w, &["promote", "staging", "prod", "-auto-approve"]);
    assert!(out.stdout.contains("Apply complete! Resources: 4 added"), "{}", out.stdout);
    assert!(out.stdout.contains("core_count           = 5"), "{}", out.stdout);

    // dev moves a node from core to task (allowed in dev), staging takes it (no such gate).
    let modules = w.path().join("modules/platform");
    copy_dir(&modules.join("v1"), &modules.join("v3"));
    let text = std::fs::read_to_string(modules.join("v3/main.hcl")).unwrap();
    let text = text
        .replace(
            "core_count           = var.core_nodes",
            "core_count           = var.core_nodes - 1\n  allow_core_shrink    = true",
        )
        .replace("task_count           = 0", "task_count           = 1");
    std::fs::write(modules.join("v3/main.hcl"), text).unwrap();
    call_version(&w, "dev", "v1", "v3");
    commit_all(&w, "platform v3: one core node becomes a task node");
    ok(&w, &["-C", "envs/dev", "apply", "--auto-approve"]);
    let out = ok(&w, &["promote", "dev", "staging", "-auto-approve"]);
    assert!(out.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{}", out.stdout);
    assert!(status_line(&w, "prod").ends_with("behind staging"), "{}", status_line(&w, "prod"));

    let out = run(&w, &["promote", "staging", "prod", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "envs/prod/corral.promotion:11:1) refuses the promotion: module.platform.kmr_cluster.warehouse: core_count would shrink from 5 to 4"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("gate \"no_destroy\""), "an in-place update destroys nothing: {}", out.stderr);
    assert!(out.stdout.contains("~ core_count"), "the plan is shown: {}", out.stdout);
    assert!(read(&w, "envs/prod/main.hcl").contains("modules/platform/v1"), "prod's files are put back");
    assert!(!w.path().join("envs/prod/.corral/promote/pending.json").exists());
    assert!(!w.path().join("envs/prod/.corral/promote/promote.plan").exists());
    // Nothing changed in prod: its plan is still empty, and it still runs its recorded revision.
    let settled = run(&w, &["-C", "envs/prod", "plan", "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);
    assert!(status_line(&w, "prod").ends_with("behind staging"), "{}", status_line(&w, "prod"));
}

/// A small repository on the testing provider: a shared module and two environments.
fn small() -> Workdir {
    let w = Workdir::new();
    w.write("modules/thing/main.hcl", "variable \"name\" {\n  type = string\n}\nvariable \"payload\" {\n  type = string\n}\nresource \"testing_thing\" \"t\" {\n  name    = var.name\n  payload = var.payload\n}\n");
    for env in ["dev", "staging"] {
        w.write(
            &format!("envs/{env}/main.hcl"),
            "variable \"env\" {\n  type = string\n}\nmodule \"thing\" {\n  source  = \"../../modules/thing\"\n  name    = var.env\n  payload = \"v1\"\n}\n",
        );
        w.write(&format!("envs/{env}/terraform.tfvars"), &format!("env = \"{env}\"\n"));
    }
    w
}

fn staging_objects(w: &Workdir) -> Vec<String> {
    let dir = w.path().join("envs/staging/.corral/testing");
    let mut found = Vec::new();
    for object in crate::support::testing_objects(&dir) {
        found.push(format!(
            "{}={}",
            object["attributes"]["name"].as_str().unwrap(),
            object["attributes"]["payload"].as_str().unwrap()
        ));
    }
    found
}

#[test]
fn a_promotion_that_does_not_go_ahead_leaves_the_target_as_it_was() {
    let w = small();
    w.ok(&["-C", "envs/dev", "apply", "--auto-approve"]);
    w.write("envs/staging/backend.hcl", "# staging's own\n");
    w.write("envs/staging/extra.hcl", "locals {\n  only_in_staging = 1\n}\n");

    // One promotion into an environment at a time: another holds its lock.
    std::fs::create_dir_all(w.path().join("envs/staging/.corral/promote")).unwrap();
    let held = std::fs::File::create(w.path().join("envs/staging/.corral/promote/lock")).unwrap();
    held.try_lock().unwrap();
    let out = w.corral(&["promote", "dev", "staging", "-auto-approve"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("another `corral promote` into `staging` is under way"), "{}", out.stderr);
    drop(held);

    // No terminal to ask on: declined, exit 1, files back.
    let out = w.corral(&["promote", "dev", "staging"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("Promotion cancelled"), "{}", out.stderr);
    // A file the source does not have is removed by a promotion; kept files are not touched.
    assert!(out.stdout.contains("--- staging/extra.hcl"), "{}", out.stdout);
    assert!(!out.stdout.contains("backend.hcl"), "{}", out.stdout);
    assert!(w.path().join("envs/staging/extra.hcl").is_file());
    assert!(staging_objects(&w).is_empty());

    let out = w.corral(&["promote", "dev", "staging", "--input=false"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("`--input=false` forbids asking"), "{}", out.stderr);
    assert!(w.path().join("envs/staging/extra.hcl").is_file());

    let out = w.ok(&["promote", "dev", "staging", "--dry-run"]);
    assert!(out.stdout.contains("Dry run"), "{}", out.stdout);
    assert!(w.path().join("envs/staging/extra.hcl").is_file());
    assert!(!w.path().join("envs/staging/corral.revision.json").exists());

    // A promotion killed before its apply: the next one puts the files back first.
    w.write("envs/staging/.corral/promote/backup/extra.hcl", &read(&w, "envs/staging/extra.hcl"));
    w.write("envs/staging/.corral/promote/pending.json", "{\"files\": {\"extra.hcl\": true, \"new.hcl\": false}}");
    std::fs::remove_file(w.path().join("envs/staging/extra.hcl")).unwrap();
    w.write("envs/staging/new.hcl", "locals {\n  half_promoted = 1\n}\n");
    let out = w.ok(&["promote", "dev", "staging", "-auto-approve"]);
    assert!(
        out.stdout.contains("Put back the files of staging that an interrupted promotion had changed"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("--- staging/extra.hcl"),
        "extra.hcl was back, then removed by this promotion: {}",
        out.stdout
    );
    assert!(!out.stdout.contains("new.hcl"), "{}", out.stdout);
    assert_eq!(staging_objects(&w), ["staging=v1"]);
    assert!(!w.path().join("envs/staging/extra.hcl").exists());
    assert_eq!(read(&w, "envs/staging/backend.hcl"), "# staging's own\n");

    // An input changed in dev is promoted; staging's own value stays.
    let main = read(&w, "envs/dev/main.hcl").replace("payload = \"v1\"", "payload = \"v2\"");
    w.write("envs/dev/main.hcl", &main);
    w.ok(&["-C", "envs/dev", "apply", "--auto-approve"]);
    let out = w.ok(&["promote", "dev", "staging", "-auto-approve"]);
    assert!(out.stdout.contains("module.thing: input payload = \"v1\" -> \"v2\""), "{}", out.stdout);
    assert!(out.stdout.contains("(the modules' code is the same as in staging's recorded revision)"), "{}", out.stdout);
    assert_eq!(staging_objects(&w), ["staging=v2"]);
    // At a terminal, promotion asks, and only `yes` applies (util-linux `script` gives it one).
    let main = read(&w, "envs/dev/main.hcl").replace("payload = \"v2\"", "payload = \"v3\"");
    w.write("envs/dev/main.hcl", &main);
    w.ok(&["-C", "envs/dev", "apply", "--auto-approve"]);
    let at_terminal = |answer: &str| {
        let corral = env!("CARGO_BIN_EXE_corral");
        let mut command = Command::new("script");
        command
            .args(["-qec", &format!("'{corral}' promote dev staging"), "/dev/null"])
            .current_dir(w.path())
            .env("CORRAL_TESTING_PROVIDER", "1")
            .env("NO_COLOR", "1");
        crate::support::run_with_stdin(command, answer)
    };
    let out = at_terminal("no\n");
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Do you want to promote dev into staging?"), "{}", out.stdout);
    assert!(out.stdout.contains("Promotion cancelled"), "{}", out.stdout);
    assert_eq!(staging_objects(&w), ["staging=v2"]);
    assert!(read(&w, "envs/staging/main.hcl").contains("\"v2\""));
    let out = at_terminal("yes\n");
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(staging_objects(&w), ["staging=v3"]);

    // Outside git: the revision is the content hash alone.
    assert!(record(&w, "staging")["revision"]["git_commit"].is_null());
    assert!(status_line(&w, "staging").contains("sha256:"));
}

#[test]
fn settings_and_names_are_checked_before_anything_runs() {
    let w = small();
    w.write("envs/staging/corral.promotion", "from = \"dev\"\n\ngate \"no_deletes\" {}\n");
    let out = w.corral(&["promote", "dev", "staging"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("unknown gate `no_deletes`"), "{}", out.stderr);
    assert!(out.stderr.contains("corral.promotion:3:1"), "{}", out.stderr);
    assert!(!out.stdout.contains("Checking"), "nothing ran: {}", out.stdout);

    w.write("envs/staging/corral.promotion", "from = \"qa\"\n");
    let out = w.corral(&["promote", "dev", "staging"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("`staging` is promoted from `qa`, not from `dev`"), "{}", out.stderr);

    let out = w.corral(&["promote", "dev", "prod"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no environment `prod`"), "{}", out.stderr);
    assert!(out.stderr.contains("environments here: dev, staging"), "{}", out.stderr);
    let out = w.corral(&["promote", "dev", "dev"]);
    assert!(out.stderr.contains("cannot promote `dev` into itself"), "{}", out.stderr);
    let out = w.corral(&["promote", "../x", "dev"]);
    assert!(out.stderr.contains("is not an environment name"), "{}", out.stderr);

    // Another layout: `--envs-dir`, run from elsewhere with -C.
    std::fs::rename(w.path().join("envs"), w.path().join("environments")).unwrap();
    let out = w.corral(&["promote", "status"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("`--envs-dir` names another"), "{}", out.stderr);
    std::fs::create_dir_all(w.path().join("elsewhere")).unwrap();
    let out = w.ok(&["-C", "elsewhere", "promote", "status", "--envs-dir", "../environments"]);
    assert!(out.stdout.contains("staging      qa"), "{}", out.stdout);
}

/// The README's team setup: each environment's state in PostgreSQL (its own schema, from a
/// `backend.hcl` promotion keeps, the server from `PG_CONN_STR`).
#[test]
fn environments_with_their_state_in_postgresql_are_promoted_with_their_backends_kept() {
    let Some(db) = crate::pg_support::TestDatabase::create() else { return };
    let w = small();
    let pg = |args: &[&str]| {
        let mut command = w.command(args);
        command.env("PG_CONN_STR", &db.conn_str);
        let out = Output::from(command.output().unwrap());
        assert_eq!(out.code, 0, "corral {args:?}:\n{}\n{}", out.stdout, out.stderr);
        out
    };
    for env in ["dev", "staging"] {
        w.write(
            &format!("envs/{env}/backend.hcl"),
            &format!("terraform {{\n  backend \"pg\" {{\n    schema_name = \"corral_{env}\"\n  }}\n}}\n"),
        );
        pg(&["-C", &format!("envs/{env}"), "init"]);
    }
    pg(&["-C", "envs/dev", "apply", "--auto-approve"]);
    let out = pg(&["promote", "dev", "staging", "-auto-approve"]);
    assert!(!out.stdout.contains("backend.hcl"), "kept, not promoted: {}", out.stdout);
    assert_eq!(staging_objects(&w), ["staging=v1"]);
    let rows =
        db.sql("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'corral_%' ORDER BY 1");
    let schemas: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(schemas, ["corral_dev", "corral_staging"]);
    let listed = pg(&["-C", "envs/staging", "state", "list"]);
    assert!(
        listed.stdout.contains("module.thing.testing_thing.t"),
        "staging's state is in its schema: {}",
        listed.stdout
    );
}

/// A promotion whose plan in the target defers work (a `for_each` over ids made by the same
/// apply) applies round after round, each judged by the gates, before it records the
/// revision: what is recorded is what the target runs in full.
#[test]
fn a_promotion_applies_the_rounds_its_deferred_work_needs() {
    let w = Workdir::new();
    let config = "resource \"testing_thing\" \"c\" {\n  count = 2\n  name  = \"cluster-${count.index}\"\n  payload = \"p\"\n}\n\nresource \"testing_thing\" \"per_cluster\" {\n  for_each = toset(testing_thing.c[*].id)\n  name     = \"for-${each.key}\"\n  payload  = \"p\"\n}\n";
    w.write("envs/dev/main.hcl", config);
    w.write("envs/staging/main.hcl", "");
    w.write("envs/staging/corral.promotion", "gate \"no_destroy\" {}\n");
    let applied = w.ok(&["-C", "envs/dev", "apply", "--auto-approve"]);
    assert!(applied.stdout.contains("Round 2"), "{}", applied.stdout);

    let out = w.corral(&["promote", "dev", "staging", "-auto-approve"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Round 2: planning what round 1 deferred in staging"), "{}", out.stdout);
    let objects = staging_objects(&w);
    assert_eq!(objects.len(), 4, "{objects:?}");
    assert_eq!(objects.iter().filter(|o| o.starts_with("for-")).count(), 2, "{objects:?}");
    let planned = w.ok(&["-C", "envs/staging", "plan", "--detailed-exitcode"]);
    assert_eq!(planned.code, 0, "{}", planned.stdout);
    assert!(w.path().join("envs/staging/corral.revision.json").exists());
}
