//! Kylin cluster mode end to end (issue 13): the `corral` binary, the Kylin provider in a
//! plugin process and the sandbox it embeds. Fixtures under `tests/fixtures/kylin/`.

use std::process::Command;

use crate::support::{Output, Workdir};

/// Sandbox seconds per real second: node starts (60 s) and restarts (30 s) pass in moments.
const SCALE: &str = "600";

fn command(w: &Workdir, args: &[&str]) -> Command {
    let mut command = w.command(args);
    command.env(corral_sandbox::TIME_SCALE_VAR, SCALE).env_remove(corral_sandbox::FAULTS_VAR);
    command
}

fn run(w: &Workdir, args: &[&str]) -> Output {
    Output::from(command(w, args).output().unwrap())
}

fn ok(w: &Workdir, args: &[&str]) -> Output {
    let out = run(w, args);
    assert_eq!(out.code, 0, "corral {args:?} failed:\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    out
}

fn clusters(w: &Workdir) -> Vec<serde_json::Value> {
    let out = ok(w, &["sandbox", "inspect", "--json"]);
    let all: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
    all.into_iter().filter(|o| o["type"] == "kylin_cluster").collect()
}

#[test]
fn each_rule_fails_at_its_line() {
    // (fixture, rule, the line of the attribute that is wrong)
    let cases = [
        ("rule1", 1, 13),
        ("rule2", 2, 15),
        ("rule3", 3, 12),
        ("rule4", 4, 5),
        ("rule5", 5, 16),
        ("rule6", 6, 6),
        ("rule7", 7, 6),
    ];
    for (fixture, rule, line) in cases {
        let w = Workdir::fixture(&format!("kylin/{fixture}"));
        let out = run(&w, &["plan"]);
        assert_eq!(out.code, 1, "{fixture}: plan must fail:\n{}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(&format!("Kylin rule {rule} (")), "{fixture}:\n{}", out.stderr);
        assert!(out.stderr.contains(&format!("main.hcl:{line}")), "{fixture} at line {line}:\n{}", out.stderr);
    }
}

#[test]
fn applies_shows_properties_restarts_rolling_and_replaces_on_a_new_metastore() {
    let w = Workdir::fixture("kylin/cluster");
    let applied = ok(&w, &["apply", "--auto-approve"]);
    assert!(applied.stdout.contains("1 added, 0 changed, 0 destroyed"), "{}", applied.stdout);
    let plan = run(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "a second plan is empty:\n{}\n{}", plan.stdout, plan.stderr);

    let shown = ok(&w, &["show"]);
    assert!(
        shown.stdout.contains("kylin.server.cluster-servers=kylin-job-1:7070,kylin-query-1:7070,kylin-query-2:7070"),
        "{}",
        shown.stdout
    );
    assert!(shown.stdout.contains("kylin.job.scheduler.default=100"), "{}", shown.stdout);
    assert!(shown.stdout.contains("kylin.storage.hbase.cluster-fs=hdfs://hbase-nn:8020"), "{}", shown.stdout);
    assert_eq!(ok(&w, &["output", "active_job_node"]).stdout.trim(), "\"kylin-job-1:7070\"");

    let cluster = &clusters(&w)[0];
    assert_eq!(cluster["state"], "running");
    assert_eq!(
        cluster["attributes"]["LoadBalancerTargets"],
        serde_json::json!(["kylin-query-1:7070", "kylin-query-2:7070"])
    );
    assert!(cluster["attributes"]["Nodes"].as_array().unwrap().iter().all(|n| n["Registered"] == true));

    // A property change: a rolling restart, query nodes one at a time, the job node last.
    let plan = ok(&w, &["plan", "--var", "max_rows=10"]);
    assert!(plan.stdout.contains("will be updated in-place"), "{}", plan.stdout);
    let q1 = plan.stdout.find("restart kylin-query-1:7070 (query)").expect(&plan.stdout);
    let q2 = plan.stdout.find("restart kylin-query-2:7070 (query)").expect(&plan.stdout);
    let j1 = plan.stdout.find("restart kylin-job-1:7070 (job, active job engine)").expect(&plan.stdout);
    assert!(q1 < q2 && q2 < j1, "{}", plan.stdout);
    ok(&w, &["apply", "--auto-approve", "--var", "max_rows=10"]);
    let cluster = &clusters(&w)[0];
    assert_eq!(cluster["state"], "running");
    for node in cluster["attributes"]["Nodes"].as_array().unwrap() {
        assert!(node["RunningProperties"].as_str().unwrap().contains("max-return-rows=10"), "{node}");
    }
    let plan = run(&w, &["plan", "--detailed-exitcode", "--var", "max_rows=10"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // A new metastore is a new cluster.
    let plan = ok(&w, &["plan", "--var", "max_rows=10", "--var", "metadata_url=kylin_v2@hbase"]);
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains("1 to add, 0 to change, 1 to destroy"), "{}", plan.stdout);

    ok(&w, &["destroy", "--auto-approve", "--var", "max_rows=10"]);
    assert!(clusters(&w).is_empty());
}

#[test]
fn the_example_applies_and_plans_empty() {
    let w = Workdir::new();
    crate::support::copy_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kylin"), w.path());
    ok(&w, &["apply", "--auto-approve"]);
    let plan = run(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

/// `examples/analytics` (issue 13's acceptance): a Kyligence stack and a three-node Kylin
/// cluster placed on it (one job node, two query nodes behind the load balancer, read/write
/// separation) apply, then plan empty.
#[test]
fn the_analytics_example_places_kylin_on_a_stack_and_plans_empty() {
    let w = Workdir::new();
    crate::support::copy_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/analytics"), w.path());
    let _ = std::fs::remove_dir_all(w.path().join(".corral"));
    ok(&w, &["apply", "--auto-approve"]);
    let plan = run(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    let show = ok(&w, &["state", "pull"]);
    let state: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    let instances = state["instances"].as_array().cloned().unwrap_or_default();
    let attrs = |addr: &str| {
        let found = instances.iter().find(|i| i["addr"] == addr).map(|i| i["attributes"].clone());
        found.unwrap_or_else(|| panic!("no {addr} in {state}"))
    };
    let (stack, kylin) = (attrs("kyligence_stack.analytics"), attrs("kylin_cluster.analytics"));
    assert_eq!(kylin["placement_id"], stack["id"], "the Kylin nodes run on the stack");
    let modes: Vec<&str> = kylin["node"].as_array().unwrap().iter().filter_map(|n| n["mode"].as_str()).collect();
    assert_eq!(modes, ["job", "query", "query"]);
    assert_eq!(ok(&w, &["output", "-json", "sales_rows"]).stdout.trim(), "\"10000\"", "KAP answers");
    assert_eq!(clusters(&w).len(), 1);
    let fmt = run(&w, &["fmt", "--check"]);
    assert_eq!(fmt.code, 0, "the example is formatted:\n{}{}", fmt.stdout, fmt.stderr);
}

/// A rolling restart killed (SIGKILL) after its first node: the next plan restarts only the
/// nodes left, in order, and the next apply finishes it.
#[test]
fn a_rolling_restart_killed_half_way_plans_only_the_nodes_left() {
    let w = Workdir::fixture("kylin/cluster");
    ok(&w, &["apply", "--auto-approve"]);
    // Ten sandbox seconds per real second: each restart (30 s) takes about three seconds.
    let slow = |args: &[&str]| {
        let mut command = w.command(args);
        command.env(corral_sandbox::TIME_SCALE_VAR, "10").env_remove(corral_sandbox::FAULTS_VAR);
        command
    };
    let restarted =
        |node: &serde_json::Value| node["RunningProperties"].as_str().is_some_and(|p| p.contains("max-return-rows=10"));
    let nodes = || {
        let out = slow(&["sandbox", "inspect", "--json"]).output().unwrap();
        let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let cluster = all.into_iter().find(|o| o["type"] == "kylin_cluster").expect("the cluster");
        cluster["attributes"]["Nodes"].as_array().cloned().unwrap_or_default()
    };
    let mut child = slow(&["apply", "--auto-approve", "--var", "max_rows=10"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let now = nodes();
        if now.iter().filter(|n| restarted(n)).count() == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no node restarted: {now:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    let done: Vec<String> =
        nodes().iter().filter(|n| restarted(n)).filter_map(|n| n["Address"].as_str().map(str::to_string)).collect();
    assert_eq!(done, ["kylin-query-1:7070"], "query nodes go first");

    let plan = ok(&w, &["plan", "--var", "max_rows=10"]);
    assert!(
        !plan.stdout.contains("restart kylin-query-1:7070"),
        "the restarted node is not restarted again:\n{}",
        plan.stdout
    );
    let q2 = plan.stdout.find("restart kylin-query-2:7070 (query)").expect(&plan.stdout);
    let j1 = plan.stdout.find("restart kylin-job-1:7070 (job").expect(&plan.stdout);
    assert!(q2 < j1, "{}", plan.stdout);
    ok(&w, &["apply", "--auto-approve", "--var", "max_rows=10"]);
    assert!(nodes().iter().all(restarted), "every node runs the new properties");
    let settled = run(&w, &["plan", "--detailed-exitcode", "--var", "max_rows=10"]);
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);
}
