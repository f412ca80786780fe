//! `corral reconcile`, the GitOps loop, driven one pass at a time (`--once`) over a git
//! repository made in the test: each new commit is applied in dependency order, a
//! `plan-only` unit is only planned, a `manual` one waits for `reconcile approve`, and drift
//! made behind Corral's back is reported, or corrected with `drift = "correct"`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::Workdir;

fn git(repo: &Path, args: &[&str]) {
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
}

/// A repository under `repo/` of the work directory, with `files` in its first commit.
fn repo(w: &Workdir, files: &[(&str, &str)]) -> PathBuf {
    let repo = w.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "--quiet", "--initial-branch=main"]);
    commit(w, files, "first");
    repo
}

fn commit(w: &Workdir, files: &[(&str, &str)], message: &str) {
    for (path, text) in files {
        w.write(&format!("repo/{path}"), text);
    }
    let repo = w.path().join("repo");
    git(&repo, &["add", "--all"]);
    git(&repo, &["commit", "--quiet", "--message", message]);
}

/// A repository of two units: `app` applies, `broken` fails (an empty name).
fn app_and_broken_repo(w: &Workdir) {
    repo(
        w,
        &[
            ("app/main.hcl", &thing("app", "v1")),
            ("app/corral.unit", ""),
            ("broken/main.hcl", "resource \"testing_thing\" \"b\" {\n  name = \"\"\n}\n"),
            ("broken/corral.unit", ""),
        ],
    );
}

fn thing(name: &str, payload: &str) -> String {
    format!("resource \"testing_thing\" \"{name}\" {{\n  name    = \"{name}\"\n  payload = \"{payload}\"\n}}\n")
}

/// The testing provider's objects of one unit, as `(name, payload)`.
fn objects(w: &Workdir, unit: &str) -> Vec<(String, String)> {
    let dir = w.path().join(".corral/reconcile/checkout").join(unit).join(".corral/testing");
    let mut found = Vec::new();
    for object in crate::support::testing_objects(&dir) {
        let field = |name: &str| object["attributes"][name].as_str().unwrap_or_default().to_string();
        found.push((field("name"), field("payload")));
    }
    found.sort();
    found
}

fn delete_objects(w: &Workdir, unit: &str) {
    let dir = w.path().join(".corral/reconcile/checkout").join(unit).join(".corral/testing");
    crate::support::edit_testing_objects(&dir, |_| false);
}

fn status(w: &Workdir) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(w.path().join(".corral/reconcile/status.json")).unwrap()).unwrap()
}

fn once(w: &Workdir) -> crate::support::Output {
    w.corral(&["reconcile", "--repo", "repo", "--branch", "main", "--once"])
}

#[test]
fn each_new_commit_is_applied_in_dependency_order() {
    let w = Workdir::new();
    repo(
        &w,
        &[
            ("network/main.hcl", &thing("net", "v1")),
            ("network/corral.unit", "approval = \"auto\"\n"),
            ("apps/main.hcl", &thing("app", "v1")),
            ("apps/corral.unit", "depends_on = [\"network\"]\n"),
            // A module directory with no unit file is not reconciled on its own.
            ("modules/x/main.hcl", &thing("module", "v1")),
        ],
    );
    let out = once(&w);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("network: applied (1 to add, 0 to change, 0 to destroy)"), "{}", out.stdout);
    assert_eq!(objects(&w, "network"), [("net".to_string(), "v1".to_string())]);
    assert_eq!(objects(&w, "apps"), [("app".to_string(), "v1".to_string())]);
    assert!(objects(&w, "modules/x").is_empty());
    let history = std::fs::read_to_string(w.path().join(".corral/reconcile/history.jsonl")).unwrap();
    let order: Vec<String> = history
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["unit"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, ["network", "apps"], "a unit runs after the units it depends on");

    // Nothing new: planned again, nothing to do.
    let out = once(&w);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(status(&w)["units"]["apps"]["outcome"], "up-to-date");

    commit(&w, &[("apps/main.hcl", &thing("app", "v2"))], "second");
    let out = once(&w);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("apps: applied (0 to add, 1 to change, 0 to destroy)"), "{}", out.stdout);
    assert!(out.stdout.contains("network: up to date"), "{}", out.stdout);
    assert_eq!(objects(&w, "apps"), [("app".to_string(), "v2".to_string())]);
    let status = status(&w);
    assert_eq!(
        status["units"]["apps"]["plan"]["changes"],
        serde_json::json!([{"address": "testing_thing.app", "action": "update"}])
    );
    let head = status["commit"].as_str().unwrap();
    assert_eq!(status["units"]["apps"]["applied_commit"], head);
}

#[test]
fn a_plan_only_unit_is_planned_and_a_manual_one_waits_for_approval() {
    let w = Workdir::new();
    repo(
        &w,
        &[
            ("look/main.hcl", &thing("look", "v1")),
            ("look/corral.unit", "approval = \"plan-only\"\n"),
            ("gate/main.hcl", &thing("gate", "v1")),
            ("gate/corral.unit", "approval = \"manual\"\n"),
        ],
    );
    let out = once(&w);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("look: planned (plan-only) (1 to add, 0 to change, 0 to destroy)"), "{}", out.stdout);
    assert!(out.stdout.contains("gate: awaiting approval (1 to add"), "{}", out.stdout);
    assert!(objects(&w, "look").is_empty());
    assert!(objects(&w, "gate").is_empty());

    // The next pass keeps the waiting plan (its ID stays approvable) and still applies nothing.
    let plan_id = status(&w)["units"]["gate"]["plan_id"].as_str().unwrap().to_string();
    assert_eq!(once(&w).code, 0);
    assert_eq!(status(&w)["units"]["gate"]["plan_id"], plan_id.as_str());
    assert!(objects(&w, "look").is_empty());

    let out = w.corral(&["reconcile", "approve", "no-such-plan"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no unit waits with plan `no-such-plan`"), "{}", out.stderr);

    let out = w.corral(&["reconcile", "approve", &plan_id]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("gate: applied"), "{}", out.stdout);
    assert_eq!(objects(&w, "gate"), [("gate".to_string(), "v1".to_string())]);
    assert_eq!(status(&w)["units"]["gate"]["outcome"], "applied");
    // Approved once: the plan is gone.
    assert_eq!(w.corral(&["reconcile", "approve", &plan_id]).code, 1);
    assert!(objects(&w, "look").is_empty());
}

#[test]
fn drift_is_reported_or_corrected_as_the_unit_says() {
    let w = Workdir::new();
    repo(
        &w,
        &[
            ("watched/main.hcl", &thing("watched", "v1")),
            ("watched/corral.unit", "drift = \"report\"\n"),
            ("healed/main.hcl", &thing("healed", "v1")),
            ("healed/corral.unit", "drift = \"correct\"\n"),
        ],
    );
    assert_eq!(once(&w).code, 0);
    assert_eq!(objects(&w, "watched").len(), 1);
    assert_eq!(objects(&w, "healed").len(), 1);

    // Someone deletes both objects behind Corral's back; no new commit.
    delete_objects(&w, "watched");
    delete_objects(&w, "healed");
    let out = once(&w);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("watched: drift reported (1 to add, 0 to change, 0 to destroy, 1 changed outside Corral)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("healed: drift corrected"), "{}", out.stdout);
    assert!(objects(&w, "watched").is_empty(), "a reported drift is left alone");
    assert_eq!(objects(&w, "healed"), [("healed".to_string(), "v1".to_string())]);
    let status = status(&w);
    assert_eq!(status["units"]["watched"]["plan"]["drifted"], 1);
    // Reported again on the next pass, until someone acts.
    let out = once(&w);
    assert!(out.stdout.contains("watched: drift reported"), "{}", out.stdout);
    assert!(out.stdout.contains("healed: up to date"), "{}", out.stdout);
}

#[test]
fn a_failing_unit_fails_the_pass_and_blocks_its_dependents() {
    let w = Workdir::new();
    repo(
        &w,
        &[
            ("base/main.hcl", "resource \"testing_thing\" \"b\" {\n  name = \"\"\n}\n"),
            ("base/corral.unit", ""),
            ("top/main.hcl", &thing("top", "v1")),
            ("top/corral.unit", "depends_on = [\"base\"]\n"),
            ("alone/main.hcl", &thing("alone", "v1")),
            ("alone/corral.unit", ""),
        ],
    );
    let out = once(&w);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("base: FAILED"), "{}", out.stdout);
    assert!(out.stderr.contains("must not be empty"), "the unit's error is shown: {}", out.stderr);
    assert!(out.stdout.contains("top: blocked"), "{}", out.stdout);
    assert!(out.stdout.contains("alone: applied"), "an independent unit still runs: {}", out.stdout);
    assert!(objects(&w, "top").is_empty());

    // A repository whose units cannot be ordered fails before anything runs.
    commit(
        &w,
        &[("alone/corral.unit", "depends_on = [\"top\"]\n"), ("base/corral.unit", "depends_on = [\"alone\"]\n")],
        "cycle",
    );
    let out = once(&w);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("cycle among: alone, base, top"), "{}", out.stderr);

    // Under `-C`, the repository path and the work directory are read from there.
    std::fs::create_dir_all(w.path().join("elsewhere")).unwrap();
    let out = w.corral(&["-C", "elsewhere", "reconcile", "--repo", "../repo", "--once"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("cycle among: alone, base, top"), "{}", out.stderr);
    assert!(w.path().join("elsewhere/.corral/reconcile/status.json").is_file());
}

/// `GET path` over HTTP/1.0 (the server closes the connection after the answer): status code
/// and body.
fn get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let code = head.split(' ').nth(1).unwrap().parse().unwrap();
    (code, body.to_string())
}

/// Kills the loop however the test ends.
struct Loop(std::process::Child);

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `/status` until `done` holds for it (or fails after 60 s).
fn wait_for(addr: &str, what: &str, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (code, body) = get(addr, "/status");
        if code == 200 {
            let status: serde_json::Value = serde_json::from_str(&body).unwrap();
            if done(&status) {
                return status;
            }
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}; last /status: {code} {body}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn the_loop_follows_new_commits_and_serves_its_status() {
    let w = Workdir::new();
    app_and_broken_repo(&w);
    let (mut child, addr) = start_loop(&w, &["reconcile", "--repo", "repo", "--interval", "300ms"], &[]);
    assert_eq!(get(&addr, "/healthz"), (200, "ok\n".to_string()));

    wait_for(&addr, "the first commit applied", |s| s["units"]["app"]["outcome"] == "applied");
    assert_eq!(objects(&w, "app"), [("app".to_string(), "v1".to_string())]);

    // A second loop on the same work directory refuses, naming the first.
    let out = once(&w);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!("another `corral reconcile` (pid {}) runs with the work directory", child.0.id())),
        "{}",
        out.stderr
    );

    // A new commit is picked up by a later pass, with no restart.
    commit(&w, &[("app/main.hcl", &thing("app", "v2"))], "second");
    let status = wait_for(&addr, "the second commit applied", |s| {
        s["units"]["app"]["applied_commit"] == s["commit"] && s["units"]["app"]["plan"]["change"] == 1
    });
    assert_eq!(status["branch"], "main");
    assert_eq!(objects(&w, "app"), [("app".to_string(), "v2".to_string())]);

    // Drift made behind Corral's back shows in the metrics within a pass.
    delete_objects(&w, "app");
    wait_for(&addr, "the drift reported", |s| s["units"]["app"]["outcome"] == "drift-reported");
    let (code, metrics) = get(&addr, "/metrics");
    assert_eq!(code, 200);
    assert!(metrics.contains("corral_reconcile_unit_drifted{unit=\"app\"} 1\n"), "{metrics}");
    assert!(metrics.contains("corral_reconcile_unit_failed{unit=\"app\"} 0\n"), "{metrics}");
    assert!(metrics.contains("corral_reconcile_unit_failed{unit=\"broken\"} 1\n"), "{metrics}");
    assert!(metrics.contains("corral_reconcile_passes_total "), "{metrics}");
    assert!(metrics.contains("corral_reconcile_applies_total{unit=\"app\"} 2\n"), "{metrics}");
    assert!(metrics.contains("corral_reconcile_drifts_total{unit=\"app\"} "), "{metrics}");
    assert!(metrics.contains("corral_reconcile_unit_duration_seconds{unit=\"app\"} "), "{metrics}");

    // The status page: the failing unit's row is red, with its error; the drift is shown.
    let (code, page) = get(&addr, "/");
    assert_eq!(code, 200);
    assert!(page.contains("tr.failed{background:#fdd;color:#a00}"), "{page}");
    assert!(page.contains("<tr class=\"failed\" data-unit=\"broken\"><td>broken</td><td>failed</td>"), "{page}");
    assert!(page.contains("must not be empty"), "{page}");
    assert!(page.contains("<tr class=\"drift\" data-unit=\"app\"><td>app</td><td>drift-reported</td>"), "{page}");
    assert!(page.contains("1 changed outside Corral"), "{page}");
    assert!(page.contains("<li>create <code>testing_thing.app</code></li>"), "{page}");

    // SIGTERM (how a container is stopped) ends the loop after its pass, with exit 0.
    let pid = child.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let code = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status.code();
        }
        assert!(std::time::Instant::now() < deadline, "the loop did not stop on SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(code, Some(0));
}

/// Sets `payload` of every object of a unit, as someone editing it in a console would.
fn tamper_payloads(w: &Workdir, unit: &str, payload: &str) {
    let dir = w.path().join(".corral/reconcile/checkout").join(unit).join(".corral/testing");
    crate::support::edit_testing_objects(&dir, |object| {
        object["attributes"]["payload"] = payload.into();
        true
    });
}

#[test]
fn attributes_named_in_drift_ignore_are_not_drift() {
    let w = Workdir::new();
    repo(
        &w,
        &[
            ("lenient/main.hcl", &thing("lenient", "v1")),
            ("lenient/corral.unit", "drift = \"correct\"\ndrift_ignore = [\"testing_thing.*.payload\"]\n"),
            ("strict/main.hcl", &thing("strict", "v1")),
            ("strict/corral.unit", "drift = \"correct\"\n"),
        ],
    );
    assert_eq!(once(&w).code, 0);
    tamper_payloads(&w, "lenient", "tampered");
    tamper_payloads(&w, "strict", "tampered");
    let out = once(&w);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("lenient: up to date"), "{}", out.stdout);
    assert!(out.stdout.contains("strict: drift corrected (0 to add, 1 to change"), "{}", out.stdout);
    assert_eq!(objects(&w, "lenient"), [("lenient".to_string(), "tampered".to_string())]);
    assert_eq!(objects(&w, "strict"), [("strict".to_string(), "v1".to_string())]);
    assert_eq!(status(&w)["units"]["lenient"]["plan"]["drifted"], 0);

    // A new commit that sets the ignored attribute is a change, not drift: it is applied.
    commit(&w, &[("lenient/main.hcl", &thing("lenient", "v2"))], "second");
    let out = once(&w);
    assert!(out.stdout.contains("lenient: applied (0 to add, 1 to change"), "{}", out.stdout);
    assert_eq!(objects(&w, "lenient"), [("lenient".to_string(), "v2".to_string())]);
}

#[test]
fn replicas_share_units_through_pg_leases_and_a_dead_owners_unit_moves() {
    use corral_engine::state::{LockInfo, PgSettings, PgStore, StateStore};
    let Some(db) = crate::pg_support::TestDatabase::create() else { return };
    let w = Workdir::new();
    repo(&w, &[("app/main.hcl", &thing("app", "v1")), ("app/corral.unit", "")]);
    let replica = |w: &Workdir| {
        let mut command = w.command(&["reconcile", "--repo", "repo", "--once", "--leases-pg", &db.conn_str]);
        command.env("CORRAL_PG_LEASE_SECS", "1");
        crate::support::Output::from(command.output().unwrap())
    };

    // Another replica holds the unit: this one leaves it alone.
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let settings = PgSettings {
        conn_str: db.conn_str.clone(),
        schema_name: "corral_reconcile".to_string(),
        lease: std::time::Duration::from_secs(1),
        origin: None,
    };
    let other = PgStore::open(&settings).unwrap();
    let held = LockInfo::for_current_process("reconcile");
    rt.block_on(async {
        other.create_workspace("reconcile.app").await.unwrap();
        other.lock("reconcile.app", held).await.unwrap();
    });
    let out = replica(&w);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("app: run by another replica (held by"), "{}", out.stdout);
    assert!(objects(&w, "app").is_empty());
    assert_eq!(status(&w)["units"]["app"]["outcome"], "elsewhere");

    // That replica dies (its lease is no longer renewed): the unit moves here within a lease.
    drop(other);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let out = replica(&w);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("app: applied"), "{}", out.stdout);
    assert_eq!(objects(&w, "app"), [("app".to_string(), "v1".to_string())]);
    // Released after the run: the next pass takes it again.
    let out = replica(&w);
    assert!(out.stdout.contains("app: up to date"), "{}", out.stdout);
}

/// Chromium and chromedriver for the status page test: `CORRAL_CHROMIUM` and
/// `CORRAL_CHROMEDRIVER`, else Debian's `/usr/bin/chromium` and `/usr/bin/chromedriver`
/// (`.ci/run` installs them). Missing: fails under `CI=true`, else skips saying why.
fn browser() -> Option<(String, String)> {
    let chromium = std::env::var("CORRAL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    let driver = std::env::var("CORRAL_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_string());
    let missing: Vec<&str> =
        [&chromium, &driver].into_iter().filter(|p| !Path::new(p).is_file()).map(String::as_str).collect();
    if missing.is_empty() {
        return Some((chromium, driver));
    }
    let message = format!(
        "no headless browser for the status page test: {} missing (apt-get install chromium chromium-driver; .ci/run does)",
        missing.join(" and ")
    );
    assert!(std::env::var("CI").map_or(true, |v| v != "true"), "{message} (CI=true: this test must run)");
    eprintln!("SKIPPED: {message}");
    None
}

/// Kills chromedriver (and so its chromium) however the test ends.
struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_status_page_shows_a_failing_unit_in_red_in_a_real_browser() {
    let Some((chromium, chromedriver)) = browser() else { return };
    let w = Workdir::new();
    app_and_broken_repo(&w);
    let (_child, addr) = start_loop(&w, &["reconcile", "--repo", "repo", "--interval", "1h"], &[]);
    wait_for(&addr, "the first pass", |s| {
        s["units"]["broken"]["outcome"] == "failed" && s["units"]["app"]["outcome"] == "applied"
    });

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let driver = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e}"));
    let _driver = Driver(driver);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let styles = rt.block_on(async {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_string(),
            serde_json::json!({
                "binary": chromium,
                // Root in a container: no sandbox; /dev/shm may be tiny.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            }),
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            let connected = fantoccini::ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await;
            match connected {
                Ok(client) => break client,
                Err(e) => {
                    assert!(std::time::Instant::now() < deadline, "chromedriver did not start a session: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
        };
        client.goto(&format!("http://{addr}/")).await.unwrap();
        let title = client.title().await.unwrap();
        // What the browser computed for each row, after every style sheet applied.
        let styles = client
            .execute(
                "return Array.from(document.querySelectorAll('tr[data-unit]')).map(row => {
                    const style = getComputedStyle(row);
                    return [row.dataset.unit, style.color, style.backgroundColor, row.innerText];
                });",
                vec![],
            )
            .await
            .unwrap();
        client.close().await.unwrap();
        (title, styles)
    });
    let (title, rows) = styles;
    assert_eq!(title, "corral reconcile");
    let rows: Vec<Vec<String>> = serde_json::from_value(rows).unwrap();
    let row = |unit: &str| {
        rows.iter().find(|r| r[0] == unit).unwrap_or_else(|| panic!("no row for {unit}: {rows:?}")).clone()
    };
    /// `rgb(r, g, b)` as numbers.
    fn rgb(text: &str) -> (u32, u32, u32) {
        let inner = text.trim_start_matches("rgba(").trim_start_matches("rgb(").trim_end_matches(')');
        let parts: Vec<u32> = inner.split(',').take(3).map(|p| p.trim().parse().unwrap()).collect();
        (parts[0], parts[1], parts[2])
    }
    // Red: the red channel well above the others (#a00 text, #fdd background).
    let red = |(r, g, b): (u32, u32, u32)| r >= g + 30 && r >= b + 30;
    let broken = row("broken");
    assert!(red(rgb(&broken[1])), "the failing unit's text is red: {broken:?}");
    assert!(red(rgb(&broken[2])), "the failing unit's row is red: {broken:?}");
    assert!(broken[3].contains("must not be empty"), "its error is shown: {broken:?}");
    let app = row("app");
    assert!(!red(rgb(&app[1])) && !red(rgb(&app[2])), "a passing unit is not red: {app:?}");
    assert!(app[3].contains("applied"), "{app:?}");
}

/// Starts a loop with `--listen 127.0.0.1:0` and returns it with the address it serves on.
fn start_loop(w: &Workdir, args: &[&str], envs: &[(&str, &str)]) -> (Loop, String) {
    use std::io::BufRead;
    let mut all = args.to_vec();
    all.extend(["--listen", "127.0.0.1:0"]);
    let mut command = w.command(&all);
    for (k, v) in envs {
        command.env(k, v);
    }
    let child = command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let mut child = Loop(child);
    let mut stdout = std::io::BufReader::new(child.0.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // Keep reading: a closed stdout would end the loop (as SIGPIPE would).
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let addr = first.trim().rsplit("http://").next().unwrap().to_string();
    (child, addr)
}

/// Every line of a replica's history, as JSON.
fn history(w: &Workdir, work_dir: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(w.path().join(work_dir).join("history.jsonl")).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// How many times `unit` was applied at `commit`, over every replica's history.
fn applies(w: &Workdir, work_dirs: &[&str], unit: &str, commit: &str) -> usize {
    work_dirs
        .iter()
        .flat_map(|d| history(w, d))
        .filter(|h| h["unit"] == unit && h["commit"] == commit && h["outcome"] == "applied")
        .count()
}

/// The payload of each unit's one object in the shared "cloud" (the testing provider's
/// `dir`), by unit.
fn cloud(w: &Workdir, units: &[String]) -> Vec<String> {
    units
        .iter()
        .map(|u| {
            let dir = w.path().join("cloud").join(u);
            let objects = crate::support::testing_objects(&dir);
            let payloads: Vec<&str> =
                objects.iter().map(|o| o["attributes"]["payload"].as_str().unwrap_or_default()).collect();
            payloads.join(",")
        })
        .collect()
}

fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn status_of(w: &Workdir, work_dir: &str) -> serde_json::Value {
    std::fs::read_to_string(w.path().join(work_dir).join("status.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Every unit of a replica's last pass at `commit` is settled there: applied (or found up to
/// date) at that commit, or run by the other replica.
fn settled(status: &serde_json::Value, units: &[String], commit: &str) -> bool {
    status["commit"] == commit
        && units.iter().all(|u| {
            let unit = &status["units"][u];
            unit["applied_commit"] == commit || unit["outcome"] == "elsewhere"
        })
}

#[test]
fn two_live_replicas_apply_each_unit_once_per_commit_and_take_over_from_a_dead_one() {
    use corral_engine::state::{PgSettings, PgStore, StateStore};
    let Some(db) = crate::pg_support::TestDatabase::create() else { return };
    let w = Workdir::new();
    let units: Vec<String> = (1..=6).map(|i| format!("u{i}")).collect();
    let unit_files = |payload: &str| -> Vec<(String, String)> {
        let mut files = Vec::new();
        for unit in &units {
            // One state in PostgreSQL and one "cloud" for both replicas.
            let config = format!(
                "terraform {{\n  backend \"pg\" {{\n    conn_str    = \"{conn}\"\n    schema_name = \"state_{unit}\"\n  }}\n}}\n\nprovider \"testing\" {{\n  dir = \"{cloud}\"\n}}\n\n{thing}",
                conn = db.conn_str,
                cloud = w.path().join("cloud").join(unit).display(),
                thing = thing(unit, payload),
            );
            files.push((format!("{unit}/main.hcl"), config));
            files.push((format!("{unit}/corral.unit"), String::new()));
        }
        files
    };
    let as_refs = |files: &[(String, String)]| -> Vec<(String, String)> { files.to_vec() };
    let first_files = as_refs(&unit_files("v1"));
    let refs: Vec<(&str, &str)> = first_files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    repo(&w, &refs);
    let head = || git_head(&w);
    let c1 = head();

    let replica = |work_dir: &str| {
        start_loop(
            &w,
            &[
                "reconcile",
                "--repo",
                "repo",
                "--interval",
                "200ms",
                "--work-dir",
                work_dir,
                "--leases-pg",
                &db.conn_str,
            ],
            &[("CORRAL_PG_LEASE_SECS", "2")],
        )
    };
    let (mut a, a_addr) = replica("ra");
    let (_b, b_addr) = replica("rb");
    let dirs = ["ra", "rb"];

    until("every unit at v1", || cloud(&w, &units).iter().all(|p| p == "v1"));
    until("both replicas settled at the first commit", || {
        settled(&status_of(&w, "ra"), &units, &c1) && settled(&status_of(&w, "rb"), &units, &c1)
    });
    for unit in &units {
        assert_eq!(applies(&w, &dirs, unit, &c1), 1, "{unit} applied once at the first commit");
    }
    // Both replicas did work, and each says who holds what.
    let (_, metrics) = get(&a_addr, "/metrics");
    assert!(metrics.contains("corral_reconcile_unit_lease_holder{unit=\"u1\",holder=\""), "{metrics}");

    let second = unit_files("v2");
    let refs: Vec<(&str, &str)> = second.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    commit(&w, &refs, "second");
    let c2 = head();
    until("every unit at v2", || cloud(&w, &units).iter().all(|p| p == "v2"));
    until("both replicas settled at the second commit", || {
        settled(&status_of(&w, "ra"), &units, &c2) && settled(&status_of(&w, "rb"), &units, &c2)
    });
    for unit in &units {
        assert_eq!(applies(&w, &dirs, unit, &c2), 1, "{unit} applied once at the second commit");
    }

    // Replica A dies (kill -9) while it holds a unit's lease: that unit, and every other, is
    // run by B from then on, once A's lease has lapsed.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let leases = PgStore::open(&PgSettings {
        conn_str: db.conn_str.clone(),
        schema_name: "corral_reconcile".to_string(),
        lease: std::time::Duration::from_secs(2),
        origin: None,
    })
    .unwrap();
    let a_pid = a.0.id();
    let mut held = String::new();
    until("replica A holding a lease", || {
        let locks = rt.block_on(leases.locks()).unwrap();
        match locks.iter().find(|l| l.info.pid == a_pid) {
            Some(lock) => {
                held = lock.workspace.trim_start_matches("reconcile.").to_string();
                true
            }
            None => false,
        }
    });
    a.0.kill().unwrap();
    a.0.wait().unwrap();
    let killed = std::time::Instant::now();

    let third = unit_files("v3");
    let refs: Vec<(&str, &str)> = third.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    commit(&w, &refs, "third");
    let c3 = head();
    until("every unit at v3", || cloud(&w, &units).iter().all(|p| p == "v3"));
    until("B running every unit", || {
        let status = status_of(&w, "rb");
        status["commit"] == c3.as_str()
            && units.iter().all(|u| {
                status["units"][u]["applied_commit"] == c3.as_str() && status["units"][u]["outcome"] != "elsewhere"
            })
    });
    eprintln!(
        "replica B ran every unit (A held {held}) {:.1}s after A was killed (lease 2s)",
        killed.elapsed().as_secs_f64()
    );
    for unit in &units {
        assert_eq!(applies(&w, &dirs, unit, &c3), 1, "{unit} applied once at the third commit");
    }
    let (_, metrics) = get(&b_addr, "/metrics");
    for unit in &units {
        let line = format!("corral_reconcile_unit_lease_holder{{unit=\"{unit}\",holder=\"");
        let found = metrics.lines().find(|l| l.starts_with(&line)).unwrap_or_else(|| panic!("{metrics}"));
        assert!(found.ends_with(",here=\"true\"} 1"), "B holds {unit}: {found}");
    }
}

fn git_head(w: &Workdir) -> String {
    let out = Command::new("git").args(["rev-parse", "HEAD"]).current_dir(w.path().join("repo")).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A VPC, a security group and an SSH rule in the sandbox cloud (KMR provider).
fn network(name: &str) -> String {
    format!(
        r#"resource "kmr_vpc" "net" {{
  name       = "{name}"
  cidr_block = "172.16.0.0/16"
}}

resource "kmr_security_group" "app" {{
  vpc_id = kmr_vpc.net.id
  name   = "app"
}}

resource "kmr_security_group_rule" "ssh" {{
  security_group_id = kmr_security_group.app.id
  direction         = "ingress"
  protocol          = "tcp"
  port_from         = 22
  port_to           = 22
  cidrs             = ["10.8.1.0/24"]
}}
"#
    )
}

/// The ids of the security group entries allowing `cidr` in a unit's sandbox.
fn entries(w: &Workdir, unit: &str, cidr: &str) -> Vec<String> {
    let checkout = w.path().join(".corral/reconcile/checkout").join(unit);
    let out = w.corral(&["-C", checkout.to_str().unwrap(), "sandbox", "inspect", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let objects: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
    objects
        .iter()
        .filter(|o| o["type"] == "security_group_entry" && o["attributes"]["CidrBlock"] == cidr)
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

/// Issue 15's acceptance: a rule revoked behind Corral's back in the sandbox cloud is reported
/// by a `drift = "report"` unit and put back within the pass by a `drift = "correct"` one.
#[test]
fn a_rule_revoked_in_the_sandbox_is_reported_or_put_back_as_the_unit_says() {
    let w = Workdir::new();
    repo(
        &w,
        &[
            ("watched/main.hcl", &network("watched")),
            ("watched/corral.unit", "drift = \"report\"\n"),
            ("healed/main.hcl", &network("healed")),
            ("healed/corral.unit", "drift = \"correct\"\n"),
        ],
    );
    let out = once(&w);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for unit in ["watched", "healed"] {
        let ids = entries(&w, unit, "10.8.1.0/24");
        assert_eq!(ids.len(), 1, "{unit}: {ids:?}");
        let sandbox = w.path().join(".corral/reconcile/checkout").join(unit).join(".corral/sandbox");
        corral_sandbox::testing::revoke_security_group_entry(&sandbox, &ids[0]).unwrap();
        assert!(entries(&w, unit, "10.8.1.0/24").is_empty());
    }

    // No new commit: the interval's pass plans each unit again and finds the drift.
    let out = once(&w);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("watched: drift reported"), "{}", out.stdout);
    assert!(out.stdout.contains("healed: drift corrected"), "{}", out.stdout);
    assert!(entries(&w, "watched", "10.8.1.0/24").is_empty(), "a reported drift is left alone");
    assert_eq!(entries(&w, "healed", "10.8.1.0/24").len(), 1, "the revoked rule is back");
    assert!(status(&w)["units"]["watched"]["plan"]["drifted"].as_u64().unwrap_or(0) >= 1, "{}", status(&w));

    let out = once(&w);
    assert!(out.stdout.contains("watched: drift reported"), "{}", out.stdout);
    assert!(out.stdout.contains("healed: up to date"), "{}", out.stdout);
}

#[test]
fn promotion_gates_of_a_unit_block_its_auto_apply() {
    let w = Workdir::new();
    let both = format!("{}{}", thing("a", "v1"), thing("b", "v1"));
    repo(
        &w,
        &[
            ("prod/main.hcl", &both),
            ("prod/corral.unit", ""),
            ("prod/corral.promotion", "gate \"no_destroy\" {}\n"),
            ("dev/main.hcl", &both),
            ("dev/corral.unit", ""),
        ],
    );
    let out = once(&w);
    assert_eq!(out.code, 0, "creates pass the gates:\n{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("prod: applied"), "{}", out.stdout);

    // A destroy: the unit without gates applies it, the gated one is blocked and keeps b.
    commit(&w, &[("prod/main.hcl", &thing("a", "v1")), ("dev/main.hcl", &thing("a", "v1"))], "drop b");
    let out = once(&w);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("dev: applied"), "{}", out.stdout);
    assert_eq!(objects(&w, "dev").len(), 1);
    assert!(out.stdout.contains("prod: blocked (0 to add, 0 to change, 1 to destroy)"), "{}", out.stdout);
    assert!(
        out.stderr.contains("gate \"no_destroy\" (")
            && out.stderr.contains("corral.promotion:1:1) refuses the apply: testing_thing.b: would be destroyed"),
        "{}",
        out.stderr
    );
    assert_eq!(objects(&w, "prod").len(), 2, "nothing applied");
    let prod = &status(&w)["units"]["prod"];
    assert_eq!(prod["outcome"], "blocked", "{prod}");

    // Settings that do not load refuse too.
    commit(&w, &[("prod/corral.promotion", "gate \"no_such_gate\" {}\n")], "typo");
    let out = once(&w);
    assert!(out.stdout.contains("prod: blocked"), "{}", out.stdout);
    assert!(out.stderr.contains("corral.promotion does not load"), "{}", out.stderr);
    assert_eq!(objects(&w, "prod").len(), 2);

    // Without the gate, the next pass applies.
    commit(&w, &[("prod/corral.promotion", "")], "no gates");
    let out = once(&w);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("prod: applied"), "{}", out.stdout);
    assert_eq!(objects(&w, "prod").len(), 1);
}

/// A unit whose `for_each` is known only after its first round is applied in full within one
/// pass (round after round), so the next pass finds it up to date, not drifted.
#[test]
fn a_unit_with_deferred_work_converges_within_one_pass() {
    let w = Workdir::new();
    let config = "resource \"testing_thing\" \"c\" {\n  count = 2\n  name  = \"cluster-${count.index}\"\n}\n\nresource \"testing_thing\" \"per_cluster\" {\n  for_each = toset(testing_thing.c[*].id)\n  name     = \"for-${each.key}\"\n}\n";
    repo(&w, &[("clusters/main.hcl", config), ("clusters/corral.unit", "approval = \"auto\"\ndrift = \"report\"\n")]);
    let out = once(&w);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let names: Vec<String> = objects(&w, "clusters").into_iter().map(|(name, _)| name).collect();
    assert_eq!(names.len(), 4, "two clusters and one thing per cluster: {names:?}");
    assert_eq!(names.iter().filter(|n| n.starts_with("for-")).count(), 2, "{names:?}");
    assert_eq!(status(&w)["units"]["clusters"]["outcome"], "applied");

    let out = once(&w);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(status(&w)["units"]["clusters"]["outcome"], "up-to-date", "{}", out.stdout);
    assert_eq!(objects(&w, "clusters").len(), 4);
}
