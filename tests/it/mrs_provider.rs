//! `mrs_cluster` end to end (issue 14): the `corral` binary, the MRS provider in a plugin
//! process, and the sandbox it embeds, which verifies every request's SDK-HMAC-SHA256
//! signature. Fixtures under `tests/fixtures/mrs/`.

use std::process::Command;

use serde_json::Value;

use crate::support::{Output, Workdir};

/// Sandbox seconds per real second: a create (15 min) and a scale (5 min) pass in moments.
const SCALE: &str = "1200";

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

/// The sandbox's MRS clusters (live ones: terminated clusters are kept as history).
fn clusters(w: &Workdir) -> Vec<Value> {
    let out = ok(w, &["sandbox", "inspect", "--json"]);
    let all: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    all.into_iter().filter(|o| o["service"] == "mrs" && o["type"] == "cluster" && o["state"] != "terminated").collect()
}

fn group(cluster: &Value, name: &str) -> Value {
    cluster["attributes"]["nodeGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["groupName"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn applies_scales_upgrades_masters_in_place_and_destroys() {
    let w = Workdir::fixture("mrs/cluster");
    let applied = ok(&w, &["apply", "--auto-approve"]);
    assert!(applied.stdout.contains("1 added, 0 changed, 0 destroyed"), "{}", applied.stdout);
    assert_eq!(ok(&w, &["output", "status"]).stdout.trim(), "\"running\"");
    let plan = run(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "a second plan is empty:\n{}\n{}", plan.stdout, plan.stderr);
    let cluster = &clusters(&w)[0];
    assert_eq!(cluster["state"], "running", "{cluster}");
    assert_eq!(group(cluster, "core_node_analysis_group")["nodeNum"], 3, "{cluster}");
    assert_eq!(group(cluster, "task_node_analysis_group")["nodeNum"], 1, "{cluster}");

    // Below the core floor: a plan error at the attribute, nothing called.
    let out = run(&w, &["plan", "--var", "core_count=2"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("at least 3 core nodes"), "{}", out.stderr);

    // Scaling out core and task nodes is an in-place update.
    let plan = ok(&w, &["plan", "--var", "core_count=5", "--var", "task_count=3"]);
    assert!(plan.stdout.contains("will be updated in-place"), "{}", plan.stdout);
    ok(&w, &["apply", "--auto-approve", "--var", "core_count=5", "--var", "task_count=3"]);
    let cluster = &clusters(&w)[0];
    assert_eq!(group(cluster, "core_node_analysis_group")["nodeNum"], 5, "{cluster}");
    assert_eq!(group(cluster, "task_node_analysis_group")["nodeNum"], 3, "{cluster}");
    let plan = run(&w, &["plan", "--detailed-exitcode", "--var", "core_count=5", "--var", "task_count=3"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // Shrinking the core group needs `allow_core_shrink`.
    let out = run(&w, &["plan", "--var", "core_count=4", "--var", "task_count=3"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("shrinking the core group from 5 to 4 nodes is refused"), "{}", out.stderr);
    assert!(out.stderr.contains("allow_core_shrink = true"), "{}", out.stderr);
    ok(
        &w,
        &[
            "apply",
            "--auto-approve",
            "--var",
            "core_count=4",
            "--var",
            "task_count=0",
            "--var",
            "allow_core_shrink=true",
        ],
    );
    let cluster = &clusters(&w)[0];
    assert_eq!(group(cluster, "core_node_analysis_group")["nodeNum"], 4, "{cluster}");
    assert_eq!(group(cluster, "task_node_analysis_group")["nodeNum"], 0, "{cluster}");

    // A master flavor change: an in-place update (the masters are upgraded one at a time).
    let vars = ["--var", "core_count=4", "--var", "task_count=0", "--var", "allow_core_shrink=true"];
    let bigger = ["--var", "master_flavor=c6.4xlarge.4.linux.bigdata"];
    let args: Vec<&str> = ["plan"].iter().chain(&vars).chain(&bigger).copied().collect();
    let plan = ok(&w, &args);
    assert!(plan.stdout.contains("will be updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("0 to add, 1 to change, 0 to destroy"), "{}", plan.stdout);
    let args: Vec<&str> = ["apply", "--auto-approve"].iter().chain(&vars).chain(&bigger).copied().collect();
    ok(&w, &args);
    let cluster = &clusters(&w)[0];
    assert_eq!(group(cluster, "master_node_default_group")["nodeSize"], "c6.4xlarge.4.linux.bigdata", "{cluster}");
    assert_eq!(cluster["state"], "running");

    // Another version is not an upgrade MRS does: a plan error that says why.
    let args: Vec<&str> =
        ["plan"].iter().chain(&vars).chain(&bigger).chain(&["--var", "mrs_version=MRS 3.2.0"]).copied().collect();
    let out = run(&w, &args);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("Cannot change `version`"), "{}", out.stderr);
    assert!(out.stderr.contains("MRS does not upgrade a cluster's version in place"), "{}", out.stderr);

    let args: Vec<&str> = ["destroy", "--auto-approve"].iter().chain(&vars).chain(&bigger).copied().collect();
    ok(&w, &args);
    assert!(clusters(&w).is_empty(), "{:?}", clusters(&w));
}

#[test]
fn destroying_a_prepaid_cluster_names_the_unsubscription_and_calls_nothing() {
    let w = Workdir::fixture("mrs/prepaid");
    ok(&w, &["apply", "--auto-approve"]);
    let plan = run(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let out = run(&w, &["destroy", "--auto-approve"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("is prepaid: MRS does not delete it"), "{}", out.stderr);
    assert!(out.stderr.contains("Unsubscriptions"), "{}", out.stderr);
    // Refused before any call: the cluster runs and no delete reached the service.
    assert_eq!(clusters(&w).len(), 1);
    let log = corral_sandbox::rest::request_log(&w.path().join(".corral/sandbox")).unwrap();
    assert!(!log.iter().any(|e| e.operation == "DeleteCluster"), "{log:?}");
    // The state still holds it, unchanged.
    let plan = run(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

#[test]
fn the_example_applies_and_plans_empty() {
    let w = Workdir::new();
    crate::support::copy_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mrs"), w.path());
    ok(&w, &["apply", "--auto-approve"]);
    let plan = run(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let cluster = &clusters(&w)[0];
    assert_eq!(group(cluster, "task_node_analysis_group")["nodeNum"], 2, "{cluster}");
    assert_eq!(cluster["attributes"]["securityGroupsId"], "sg-lake", "{cluster}");
    let policy = &cluster["attributes"]["scaling_policies"]["task_node_analysis_group"];
    assert_eq!(policy["rules"].as_array().map(Vec::len), Some(2), "{policy}");
    assert_eq!(ok(&w, &["output", "wordcount_result"]).stdout.trim(), "\"SUCCEEDED\"");
    // The second apply changes nothing and runs nothing again.
    ok(&w, &["apply", "--auto-approve"]);
    let log = corral_sandbox::rest::request_log(&w.path().join(".corral/sandbox")).unwrap();
    assert_eq!(log.iter().filter(|e| e.operation == "SubmitJob").count(), 1);
}

/// Signs one request as the gateway wants and sends it over plain HTTP/1.1.
fn signed_call(host: &str, method: &str, path: &str, body: &Value) -> (u16, Value) {
    use corral_api_mrs::sign;
    use std::io::{Read, Write};
    let date = sign::sdk_date(chrono::Utc::now().timestamp());
    let text = body.to_string();
    let request = sign::Request {
        method,
        path,
        query: "",
        headers: vec![("host", host), ("x-sdk-date", &date)],
        body: text.as_bytes(),
    };
    let auth = sign::sign(
        &request,
        &["host", "x-sdk-date"],
        corral_sandbox::DEFAULT_ACCESS_KEY,
        corral_sandbox::DEFAULT_SECRET_KEY,
    )
    .unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nx-sdk-date: {date}\r\nauthorization: {}\r\ncontent-type: \
         application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        auth.header_value(),
        text.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// A scale while another runs: MRS answers `12000018`, the provider waits and retries, and
/// the apply succeeds once the first scale is done.
#[test]
fn a_scale_while_another_runs_is_retried_until_the_cluster_is_free() {
    use std::io::BufRead;
    let w = Workdir::fixture("mrs/cluster");
    // Slow enough that the outside scale (5 sandbox minutes) still runs when corral asks.
    let mut child = w
        .command(&["sandbox", "serve", "--addr", "127.0.0.1:0"])
        .env(corral_sandbox::TIME_SCALE_VAR, "150")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut output = std::io::BufReader::new(child.stdout.take().unwrap());
    output.read_line(&mut first).unwrap();
    let endpoint = first.split_whitespace().find(|w| w.starts_with("http://")).unwrap().trim_end_matches('/');
    let host = endpoint.trim_start_matches("http://").to_string();
    let var = format!("endpoint={endpoint}");
    let with_keys = |args: &[&str]| {
        let mut c = w.command(args);
        c.env("HW_ACCESS_KEY", corral_sandbox::DEFAULT_ACCESS_KEY)
            .env("HW_SECRET_KEY", corral_sandbox::DEFAULT_SECRET_KEY);
        let out = Output::from(c.output().unwrap());
        assert_eq!(out.code, 0, "corral {args:?}:\n{}\n{}", out.stdout, out.stderr);
        out
    };
    with_keys(&["apply", "--auto-approve", "--var", &var]);
    let id = clusters(&w)[0]["id"].as_str().unwrap().to_string();
    let (_, projects) = signed_call(&host, "GET", "/v3/projects", &Value::Null);
    let project = projects["projects"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = signed_call(
        &host,
        "POST",
        &format!("/v2/{project}/clusters/{id}/expand"),
        &serde_json::json!({"node_group_name": "core_node_analysis_group", "count": 1}),
    );
    assert_eq!(status, 200, "{body}");

    with_keys(&["apply", "--auto-approve", "--var", &var, "--var", "core_count=4", "--var", "task_count=2"]);
    let log = corral_sandbox::rest::request_log(&w.path().join(".corral/sandbox")).unwrap();
    let expands: Vec<_> = log.iter().filter(|e| e.operation == "ExpandCluster").collect();
    assert!(expands.iter().any(|e| e.code == "12000018"), "the provider met the busy error: {expands:?}");
    assert_eq!(expands.last().unwrap().status, 200, "{expands:?}");
    let cluster = &clusters(&w)[0];
    // The core count depends on whether the refresh saw the outside scale finished; the task
    // group, scaled after the busy answer, has what the configuration says.
    assert_eq!(group(cluster, "task_node_analysis_group")["nodeNum"], 2, "{cluster}");
    child.kill().unwrap();
    child.wait().unwrap();
    drop(output);
}

#[test]
fn a_cluster_created_before_corral_was_killed_is_adopted_not_created_again() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::Duration;

    let w = Workdir::fixture("mrs/cluster");
    let calls = |operation: &str| {
        let log = corral_sandbox::rest::request_log(&w.path().join(".corral/sandbox")).unwrap_or_default();
        log.into_iter().filter(|e| e.operation == operation && e.status == 200).count()
    };
    // Real time: the cluster takes fifteen minutes to come up, the apply waits for it.
    let mut apply = w.command(&["apply", "--auto-approve"]);
    apply.env(corral_sandbox::TIME_SCALE_VAR, "1").env_remove(corral_sandbox::FAULTS_VAR);
    let mut child = apply.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("mrs_cluster.analytics: Creating...") {
            break;
        }
    }
    for _ in 0..200 {
        if calls("CreateCluster") == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(calls("CreateCluster"), 1);
    // Killed between the create call and the commit of its result: state has only the intent.
    child.kill().unwrap();
    child.wait().unwrap();
    let state = w.state();
    assert!(state.instances.is_empty(), "{:?}", state.instances.keys().collect::<Vec<_>>());
    assert_eq!(state.intents.len(), 1);
    let first = clusters(&w);
    assert_eq!(first.len(), 1, "{first:?}");

    let applied = ok(&w, &["apply", "--auto-approve"]);
    assert!(!applied.stdout.contains("will be created"), "the cluster is adopted: {}", applied.stdout);
    assert_eq!(calls("CreateCluster"), 1, "never created twice");
    let live = clusters(&w);
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0]["id"], first[0]["id"]);
    let state = w.state();
    assert!(state.intents.is_empty());
    let adopted = state.instances.values().next().unwrap();
    assert_eq!(adopted.attributes["id"], first[0]["id"], "{:?}", adopted.attributes);
    let plan = run(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}
