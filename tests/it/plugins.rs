//! Providers out of process: the `testing` provider served by `corral __provider testing`
//! (the multicall path) over the plugin protocol, end to end; a plugin killed mid-apply;
//! `providers schema`; and the checked-in `schemas/` kept fresh.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::Workdir;

fn out_of_process(w: &Workdir, args: &[&str]) -> std::process::Command {
    let mut command = w.command(args);
    command.env("CORRAL_OUT_OF_PROCESS", "testing");
    command
}

fn run(mut command: std::process::Command) -> (i32, String, String) {
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const CONFIG: &str = r#"
provider "testing" {
  fsync = false
}

resource "testing_thing" "base" {
  name    = "base"
  payload = "hello"
  secret  = "s3cret"
  tags    = { env = "prod", team = "data" }
}

resource "testing_thing" "copies" {
  count   = 5
  name    = "copy-${count.index}"
  payload = testing_thing.base.id
}

data "testing_thing" "again" {
  name       = "base"
  depends_on = [testing_thing.base]
}

output "found" {
  value = data.testing_thing.again.payload
}
"#;

#[test]
fn apply_then_an_empty_plan_through_the_plugin_protocol() {
    let w = Workdir::new();
    w.write("main.hcl", CONFIG);
    let mut apply = out_of_process(&w, &["apply", "--auto-approve"]);
    apply.env("CORRAL_LOG", "debug");
    let (code, stdout, stderr) = run(apply);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("6 added"), "{stdout}");
    // The provider really ran in another process.
    assert!(stderr.contains("plugin started"), "{stderr}");
    assert_eq!(w.objects().len(), 6);

    let (code, stdout, stderr) = run(out_of_process(&w, &["plan", "--detailed-exitcode"]));
    assert_eq!(code, 0, "a second plan through the plugin must be empty:\n{stdout}\n{stderr}");
    let (code, stdout, _) = run(out_of_process(&w, &["output", "found"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("hello"), "{stdout}");

    // In process and out of process agree.
    let out = w.ok(&["plan", "--detailed-exitcode"]);
    assert!(out.stdout.contains("no changes") || out.stdout.contains("No changes"), "{}", out.stdout);

    // Updates and destroys go through the plugin too.
    w.write("main.hcl", &CONFIG.replace("payload = \"hello\"", "payload = \"bye\""));
    let (code, stdout, stderr) = run(out_of_process(&w, &["apply", "--auto-approve"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("1 changed"), "{stdout}");
    let (code, stdout, stderr) = run(out_of_process(&w, &["destroy", "--auto-approve"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(w.objects().is_empty());
}

#[test]
fn provider_diagnostics_cross_the_protocol() {
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"x\" {\n  name     = \"x\"\n  delay_ms = -5\n}\n");
    let (code, stdout, stderr) = run(out_of_process(&w, &["plan"]));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("`delay_ms` must be a whole number of milliseconds"), "{stderr}");
    // The provider names the attribute; the planner points at it in the resource block.
    assert!(stderr.contains("main.hcl:3:3, attribute `delay_ms`"), "{stderr}");
}

/// The pids of `parent`'s child processes.
pub(crate) fn children(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // `pid (comm) state ppid ...`; comm may hold spaces, so split after the last `)`.
        let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else { continue };
        let ppid = rest.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) {
            out.push(pid);
        }
    }
    out
}

#[test]
fn a_plugin_killed_mid_apply_fails_its_instances_and_the_next_apply_finishes_without_duplicates() {
    let w = Workdir::new();
    let config = r#"
provider "testing" {
  fsync = false
}

resource "testing_thing" "quick" {
  count = 4
  name  = "quick-${count.index}"
}

resource "testing_thing" "slow" {
  count    = 3
  name     = "slow-${count.index}"
  delay_ms = 20000
}

resource "testing_thing" "slower" {
  name     = "slower"
  delay_ms = 20000
}

resource "testing_thing" "after" {
  name    = "after"
  payload = testing_thing.slow[0].id
}
"#;
    w.write("main.hcl", config);
    let mut apply = out_of_process(&w, &["apply", "--auto-approve"]);
    let child = apply.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let corral = child.id();

    // Wait until the quick ones are on disk and the slow one has started, then kill the
    // plugin (not corral).
    let started = Instant::now();
    let plugin = loop {
        assert!(started.elapsed() < Duration::from_secs(60), "the apply never got going");
        let names: BTreeSet<String> =
            w.objects().iter().filter_map(|o| o["attributes"]["name"].as_str().map(str::to_string)).collect();
        let plugins = children(corral);
        let slow = ["slow-0", "slow-1", "slow-2", "slower"].iter().all(|n| names.contains(*n));
        if names.len() >= 8 && slow && !plugins.is_empty() {
            break plugins[0];
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(200));
    assert!(std::process::Command::new("kill").arg("-9").arg(plugin.to_string()).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let all = format!("{stdout}\n{stderr}");
    assert!(all.contains("provider `testing` exited unexpectedly (signal 9)"), "{all}");
    assert!(all.contains("state keeps everything completed"), "{all}");
    // Four operations were in flight on the dead plugin: each instance's line says it
    // failed, and the error itself is one diagnostic pointing at both resources.
    for failed in ["testing_thing.slow[0]", "testing_thing.slow[1]", "testing_thing.slow[2]", "testing_thing.slower"] {
        assert!(
            all.contains(&format!("✗ {failed}: provider `testing` exited")),
            "{failed} is not reported as failed:\n{all}"
        );
    }
    assert_eq!(all.matches("× provider `testing` exited unexpectedly").count(), 1, "{all}");
    assert!(all.contains("also here"), "the diagnostic points at one resource only:\n{all}");
    assert!(elapsed_ok(started), "corral waited for the dead plugin's full delay");

    // Everything finished before the kill is in state.
    let state = w.state();
    let in_state: BTreeSet<String> = state.instances.keys().map(ToString::to_string).collect();
    for i in 0..4 {
        assert!(in_state.contains(&format!("testing_thing.quick[{i}]")), "{in_state:?}");
    }
    assert!(!in_state.contains("testing_thing.after"));

    // The next apply adopts the slow object (its create intent) and finishes the rest.
    w.write("main.hcl", &config.replace("delay_ms = 20000", "delay_ms = 0"));
    let (code, stdout, stderr) = run(out_of_process(&w, &["apply", "--auto-approve"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let names: Vec<String> =
        w.objects().iter().filter_map(|o| o["attributes"]["name"].as_str().map(str::to_string)).collect();
    let unique: BTreeSet<&String> = names.iter().collect();
    assert_eq!(names.len(), unique.len(), "duplicated objects: {names:?}");
    assert_eq!(unique.len(), 9, "{names:?}");
    let (code, stdout, _) = run(out_of_process(&w, &["plan", "--detailed-exitcode"]));
    assert_eq!(code, 0, "{stdout}");
}

fn elapsed_ok(started: Instant) -> bool {
    started.elapsed() < Duration::from_secs(19)
}

#[test]
fn providers_schema_prints_every_schema_as_json() {
    let w = Workdir::new();
    let out = w.ok(&["providers", "schema", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["format_version"], "1");
    let thing = &json["provider_schemas"]["testing"]["resources"]["testing_thing"]["block"]["attributes"];
    assert_eq!(thing["name"]["change"]["kind"], "forces_replacement");
    assert_eq!(thing["secret"]["sensitive"], true);
    assert!(json["provider_schemas"]["corral"]["resources"]["corral_data"].is_object());

    // Through a plugin the schema is the same.
    let (code, stdout, _) = run(out_of_process(&w, &["providers", "schema", "--json"]));
    assert_eq!(code, 0);
    let through_plugin: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(through_plugin["provider_schemas"]["testing"], json["provider_schemas"]["testing"]);
}

fn json_files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out
}

#[test]
fn checked_in_json_schemas_are_fresh() {
    let w = Workdir::new();
    let out = w.path().join("schemas");
    w.ok(&["providers", "schema", "--json-schema", "--out", out.to_str().unwrap()]);
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let (fresh, old) = (json_files(&out), json_files(&checked_in));
    let regenerate =
        "regenerate with `CORRAL_TESTING_PROVIDER=1 cargo run -q -- providers schema --json-schema --out schemas`";
    assert_eq!(fresh, old, "schemas/ holds other files than the providers make; {regenerate}");
    for file in &fresh {
        let a = std::fs::read_to_string(out.join(file)).unwrap();
        let b = std::fs::read_to_string(checked_in.join(file)).unwrap();
        assert!(a == b, "schemas/{} is stale; {regenerate}", file.display());
    }
    assert!(fresh.contains(Path::new("testing/resource/testing_thing.json")));
    // Every file is a draft 2020-12 schema.
    for file in &fresh {
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join(file)).unwrap()).unwrap();
        assert_eq!(json["$schema"], "https://json-schema.org/draft/2020-12/schema");
    }
}
