//! The PostgreSQL backend through the `corral` binary, against a real server: `init` chooses
//! and records it, two runners never apply one workspace at once, a runner killed with
//! SIGKILL loses its lock when its lease lapses, a runner that lost its lock starts nothing
//! more, `init -migrate-state` moves a workspace to Postgres and back keeping lineage, serial
//! and intents, and a bad `conn_str` is reported at its line.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::pg_support::TestDatabase;
use crate::support::Workdir;

const SLOW: &str = "resource \"testing_thing\" \"slow\" {\n  name     = \"slow\"\n  delay_ms = 20000\n}\n";

/// Starts `corral apply -auto-approve` in the background.
fn spawn_apply(w: &Workdir, lease_secs: &str) -> Child {
    w.command(&["apply", "-auto-approve"])
        .env("CORRAL_PG_LEASE_SECS", lease_secs)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The locks `corral lock list --json` shows, once there is one (waits up to 30 s).
fn wait_for_lock(w: &Workdir) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = w.ok(&["lock", "list", "--json"]);
        let locks: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        if locks.as_array().is_some_and(|l| !l.is_empty()) {
            return locks[0].clone();
        }
        assert!(Instant::now() < deadline, "the apply never took the lock");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the state (pulled through the configured backend) records an intent: the
/// runner is inside its provider call.
fn wait_for_intent(w: &Workdir) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pulled: serde_json::Value = serde_json::from_str(&w.ok(&["state", "pull"]).stdout).unwrap();
        if pulled["intents"].as_array().is_some_and(|i| !i.is_empty()) {
            return;
        }
        assert!(Instant::now() < deadline, "the apply never started its create");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn pull(w: &Workdir) -> serde_json::Value {
    serde_json::from_str(&w.ok(&["state", "pull"]).stdout).unwrap()
}

#[test]
fn pg_init_records_the_backend_and_plan_refuses_an_uninitialised_or_changed_one() {
    let Some(db) = TestDatabase::create() else { return };
    let w = db.workdir("resource \"testing_thing\" \"a\" {\n  name = \"a\"\n}\n");
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("Backend initialization required, please run \"corral init\""), "{}", out.stderr);
    assert!(out.stderr.contains("Initial configuration of the requested backend \"pg\""), "{}", out.stderr);
    assert!(out.stderr.contains("backend.hcl:2"), "{}", out.stderr);

    let out = w.ok(&["init", "-input=false"]);
    assert!(out.stdout.contains("Successfully configured the backend \"pg\""), "{}", out.stdout);
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(w.ok(&["state", "list"]).stdout.trim(), "testing_thing.a");
    assert!(!w.path().join(".corral/state/default.redb").exists(), "nothing is kept locally");
    let rows = db.sql("SELECT serial FROM corral.workspaces WHERE name = 'default'");
    let serial: i64 = rows[0].get(0);
    assert_eq!(u64::try_from(serial).unwrap(), pull(&w)["serial"].as_u64().unwrap(), "the state is in Postgres");
    assert_eq!(w.ok(&["lock", "list"]).stdout.trim(), "No workspace is locked.");

    // An edited block needs `corral init` again.
    w.write("backend.hcl", &db.backend_block().replace("\"corral\"", "\"other\""));
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("Backend configuration changed for \"pg\""), "{}", out.stderr);
    assert!(out.stderr.contains("-migrate-state") && out.stderr.contains("-reconfigure"), "{}", out.stderr);
}

#[test]
fn two_runners_never_apply_one_pg_workspace_at_once() {
    let Some(db) = TestDatabase::create() else { return };
    let w = db.workdir(&SLOW.replace("20000", "3000"));
    w.ok(&["init"]);
    let mut first = spawn_apply(&w, "30");
    let lock = wait_for_lock(&w);
    assert_eq!(lock["operation"], "apply");
    assert_eq!(lock["workspace"], "default");
    assert_eq!(lock["pid"], first.id());

    let second = w.corral(&["apply", "-auto-approve"]);
    assert_eq!(second.code, 1, "{}", second.stdout);
    assert!(second.stderr.contains("Error acquiring the state lock"), "{}", second.stderr);
    assert!(second.stderr.contains(&format!("pid {}", first.id())), "the holder is named: {}", second.stderr);
    assert!(second.stderr.contains(lock["id"].as_str().unwrap()), "{}", second.stderr);

    let waited = w.corral(&["apply", "-auto-approve", "-lock-timeout=60s"]);
    assert_eq!(waited.code, 0, "{}\n{}", waited.stdout, waited.stderr);
    assert!(
        waited.stdout.contains("No changes"),
        "it ran after the first one, with nothing left to do: {}",
        waited.stdout
    );
    assert!(first.wait().unwrap().success());
    assert_eq!(w.objects().len(), 1);
}

#[test]
fn a_runner_killed_mid_apply_loses_the_lock_when_its_lease_lapses() {
    let Some(db) = TestDatabase::create() else { return };
    let w = db.workdir(SLOW);
    w.ok(&["init"]);
    let mut runner = spawn_apply(&w, "4");
    let lock = wait_for_lock(&w);
    wait_for_intent(&w);
    runner.kill().unwrap();
    runner.wait().unwrap();
    let killed_at = Instant::now();

    // Within the lease the dead runner's lock still stands (and is named)...
    let early = w.command(&["plan"]).env("CORRAL_PG_LEASE_SECS", "4").output().unwrap();
    if killed_at.elapsed() < Duration::from_secs(2) {
        assert_eq!(early.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&early.stderr).contains(lock["id"].as_str().unwrap()));
    }
    // ...then lapses: the next runner takes the workspace over without a force-unlock, adopts
    // what the killed create made, and nothing is made twice.
    let out =
        w.command(&["apply", "-auto-approve", "-lock-timeout=30s"]).env("CORRAL_PG_LEASE_SECS", "4").output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(killed_at.elapsed() >= Duration::from_secs(2), "the lock was taken over only once its lease lapsed");
    assert_eq!(w.objects().len(), 1, "no duplicate: {:?}", w.objects());
    let state = pull(&w);
    assert_eq!(state["intents"].as_array().map(Vec::len), Some(0), "{state}");
    assert_eq!(state["instances"].as_array().map(Vec::len), Some(1), "{state}");
}

#[test]
fn a_runner_that_lost_its_lock_starts_no_further_provider_call() {
    let Some(db) = TestDatabase::create() else { return };
    let w = db.workdir(
        "resource \"testing_thing\" \"first\" {\n  name     = \"first\"\n  delay_ms = 4000\n}\n\
         resource \"testing_thing\" \"second\" {\n  name       = \"second\"\n  depends_on = [testing_thing.first]\n}\n",
    );
    w.ok(&["init"]);
    let runner = spawn_apply(&w, "2");
    let lock = wait_for_lock(&w);
    wait_for_intent(&w);
    let id = lock["id"].as_str().unwrap();
    let out = w.ok(&["force-unlock", "-force", id]);
    assert!(out.stdout.contains("successfully unlocked"), "{}", out.stdout);

    let out = runner.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("was lost"), "the runner says it lost its lock: {stderr}");
    let names: Vec<String> =
        w.objects().iter().map(|o| o["attributes"]["name"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(names, ["first"], "`second` was never started");
    let state = pull(&w);
    let recorded: Vec<&str> =
        state["instances"].as_array().unwrap().iter().filter_map(|i| i["addr"].as_str()).collect();
    assert!(!recorded.contains(&"testing_thing.second"), "{state}");
    assert_eq!(state["intents"].as_array().map(Vec::len), Some(1), "the unfinished create stays journalled: {state}");
}

#[test]
fn force_unlock_asks_first_and_refuses_an_unknown_id() {
    let Some(db) = TestDatabase::create() else { return };
    let w = db.workdir("");
    w.ok(&["init"]);
    let out = w.corral(&["force-unlock", "some-id"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("force-unlock cancelled"), "without a terminal nothing is confirmed: {}", out.stderr);
    let out = w.corral(&["force-unlock", "-force", "some-id"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("is not locked by lock ID some-id"), "{}", out.stderr);
}

#[test]
fn migrate_state_moves_a_workspace_to_postgres_and_back_keeping_lineage_serial_and_intents() {
    let Some(db) = TestDatabase::create() else { return };
    let w = Workdir::new();
    w.write("main.hcl", SLOW);
    // A local state with an unfinished create: the runner is killed inside it.
    let mut runner =
        w.command(&["apply", "-auto-approve"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    wait_for_intent(&w);
    runner.kill().unwrap();
    runner.wait().unwrap();
    w.ok(&["workspace", "new", "staging"]);
    w.ok(&["workspace", "select", "default"]);
    let local = pull(&w);
    assert_eq!(local["intents"].as_array().map(Vec::len), Some(1));

    db.write_backend(&w);
    let out = w.corral(&["init"]);
    assert_eq!(out.code, 1, "a backend change with state behind needs a choice");
    assert!(out.stderr.contains("Backend configuration changed"), "{}", out.stderr);
    let out = w.ok(&["init", "-migrate-state"]);
    assert!(out.stdout.contains("workspace \"default\": copied"), "{}", out.stdout);
    assert_eq!(pull(&w), local, "lineage, serial, instances and intents arrive unchanged");
    assert_eq!(w.ok(&["workspace", "list"]).stdout, "* default\n  staging\n");

    // Work goes on in Postgres: the intent is settled, the serial moves on.
    w.write("main.hcl", &SLOW.replace("20000", "0"));
    w.ok(&["apply", "-auto-approve"]);
    let in_pg = pull(&w);
    assert!(in_pg["serial"].as_u64() > local["serial"].as_u64());
    assert_eq!(in_pg["lineage"], local["lineage"]);
    assert_eq!(in_pg["intents"].as_array().map(Vec::len), Some(0));

    // And back to the local backend, which still holds the older serial of this lineage.
    std::fs::remove_file(w.path().join("backend.hcl")).unwrap();
    let out = w.ok(&["init", "-migrate-state"]);
    assert!(out.stdout.contains("workspace \"default\": copied"), "{}", out.stdout);
    assert_eq!(pull(&w), in_pg, "the state comes back with its lineage and serial");
    assert_eq!(w.state().serial, in_pg["serial"].as_u64().unwrap(), "read from .corral/state");
    let plan = w.ok(&["plan", "-detailed-exitcode"]);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
    assert_eq!(w.objects().len(), 1);
}

#[test]
fn a_wrong_conn_str_is_reported_at_the_line_that_sets_it() {
    let Some(db) = TestDatabase::create() else { return };
    let w = Workdir::new();
    w.write("main.hcl", "");
    w.write(
        "backend.hcl",
        "terraform {\n  backend \"pg\" {\n    conn_str = \"postgres://corral:hunter2@127.0.0.1:1/nowhere\"\n  }\n}\n",
    );
    let out = w.corral(&["init"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("Cannot use the pg backend"), "{}", out.stderr);
    assert!(out.stderr.contains("backend.hcl:3"), "the conn_str line is named: {}", out.stderr);
    assert!(out.stderr.contains("postgres://corral@127.0.0.1:1/nowhere"), "{}", out.stderr);
    assert!(out.stderr.contains("Connection refused"), "{}", out.stderr);
    // The password shows only where the user wrote it: in the quoted source line.
    assert_eq!(out.stderr.matches("hunter2").count(), 1, "{}", out.stderr);

    // Initialised against a server that then goes away: every command names the line.
    db.write_backend(&w);
    w.ok(&["init", "-reconfigure"]);
    db.drop_now();
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("backend \"pg\" (backend.hcl:3)"), "{}", out.stderr);
}

#[test]
fn pg_settings_come_from_backend_config_and_the_environment() {
    let Some(db) = TestDatabase::create() else { return };
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name = \"a\"\n}\n");
    w.write("backend.hcl", "terraform {\n  backend \"pg\" {}\n}\n");
    // From Terraform's environment variables, read by every command.
    let with_env = |args: &[&str]| {
        let out = w.command(args).env("PG_CONN_STR", &db.conn_str).env("PG_SCHEMA_NAME", "from_env").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    with_env(&["init"]);
    with_env(&["apply", "-auto-approve"]);
    let rows = db.sql("SELECT count(*) FROM from_env.instances");
    assert_eq!(rows[0].get::<_, i64>(0), 1, "the schema PG_SCHEMA_NAME names holds the state");
    // Corral's own names for the same settings.
    let out = w
        .command(&["plan", "-detailed-exitcode"])
        .env("CORRAL_BACKEND_CONN_STR", &db.conn_str)
        .env("CORRAL_BACKEND_SCHEMA_NAME", "from_env")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "the same state: {}", String::from_utf8_lossy(&out.stderr));
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1, "without PG_CONN_STR there is nothing to connect to");
    assert!(out.stderr.contains("the pg backend needs `conn_str`"), "{}", out.stderr);

    // From `-backend-config`, recorded by `init`; settings the pg backend does not take are refused.
    let out = w.corral(&["init", "-backend-config=skip_schema_creation=true"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("The pg backend takes no `skip_schema_creation`"), "{}", out.stderr);
    let conn = format!("-backend-config=conn_str={}", db.conn_str);
    w.ok(&["init", "-reconfigure", &conn, "-backend-config=schema_name=from_flag"]);
    w.ok(&["apply", "-auto-approve"]);
    let rows = db.sql("SELECT count(*) FROM from_flag.instances");
    assert_eq!(rows[0].get::<_, i64>(0), 1);

    // From a settings file, as Terraform names them (`*.tfbackend`).
    w.write("pg.tfbackend", &format!("conn_str    = \"{}\"\nschema_name = \"from_file\"\n", db.conn_str));
    w.ok(&["init", "-reconfigure", "-backend-config=pg.tfbackend"]);
    w.ok(&["apply", "-auto-approve"]);
    let rows = db.sql("SELECT count(*) FROM from_file.instances");
    assert_eq!(rows[0].get::<_, i64>(0), 1);
}

#[test]
fn a_backend_config_file_in_the_configuration_directory_is_never_loaded_as_configuration() {
    let Some(db) = TestDatabase::create() else { return };
    let w = Workdir::new();
    w.write(
        "main.hcl",
        "terraform {\n  backend \"pg\" {}\n}\n\nresource \"testing_thing\" \"a\" {\n  name = \"a\"\n}\n",
    );
    // Terraform's layout: `terraform init -backend-config=prod.backend.hcl`, the file beside
    // the `*.tf` files (which Terraform alone loads).
    w.write("prod.backend.hcl", &format!("conn_str    = \"{}\"\nschema_name = \"from_hcl\"\n", db.conn_str));
    let out = w.ok(&["init", "-backend-config=prod.backend.hcl"]);
    assert!(out.stdout.contains("successfully initialized"), "{}", out.stdout);
    // Later commands do not read it as configuration either.
    w.ok(&["apply", "-auto-approve"]);
    let rows = db.sql("SELECT count(*) FROM from_hcl.instances");
    assert_eq!(rows[0].get::<_, i64>(0), 1);
    let out = w.corral(&["plan", "-detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    w.ok(&["validate"]);
}
