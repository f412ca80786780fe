//! `mrs_job` and `mrs_scaling_policy` end to end (issue 14): the `corral` binary, the MRS
//! plugin and the sandbox it embeds. A job is a run: it is submitted once, the apply waits
//! for its result and fails unless it succeeded, a changed argument plans as a new run (and
//! says so), and a run still going when Corral was killed is adopted, not submitted again.
//! Fixture: `tests/fixtures/mrs/job/`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{Output, Workdir};

fn command(w: &Workdir, scale: &str, args: &[&str]) -> Command {
    let mut command = w.command(args);
    command.env(corral_sandbox::TIME_SCALE_VAR, scale).env_remove(corral_sandbox::FAULTS_VAR);
    command
}

/// Sandbox seconds per real second: a create (15 min) and a job (3 min) pass in moments.
const FAST: &str = "1200";

fn run(w: &Workdir, args: &[&str]) -> Output {
    Output::from(command(w, FAST, args).output().unwrap())
}

fn ok(w: &Workdir, args: &[&str]) -> Output {
    let out = run(w, args);
    assert_eq!(out.code, 0, "corral {args:?} failed:\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    out
}

fn objects(w: &Workdir, kind: &str) -> Vec<Value> {
    objects_at(w, FAST, kind)
}

/// The sandbox's objects, its clock moving at `scale` (the clock is persisted: real time
/// since the last look passes at the looking process's scale).
fn objects_at(w: &Workdir, scale: &str, kind: &str) -> Vec<Value> {
    let out = Output::from(command(w, scale, &["sandbox", "inspect", "--json"]).output().unwrap());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let all: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    all.into_iter().filter(|o| o["service"] == "mrs" && o["type"] == kind && o["state"] != "terminated").collect()
}

fn calls(w: &Workdir, operation: &str) -> Vec<corral_sandbox::rest::LogEntry> {
    let log = corral_sandbox::rest::request_log(&w.path().join(".corral/sandbox")).unwrap();
    log.into_iter().filter(|e| e.operation == operation).collect()
}

#[test]
fn a_job_runs_once_fails_the_apply_unless_it_succeeded_and_a_changed_argument_is_a_new_run() {
    let w = Workdir::fixture("mrs/job");
    let applied = ok(&w, &["apply", "--auto-approve"]);
    assert!(applied.stdout.contains("3 added, 0 changed, 0 destroyed"), "{}", applied.stdout);
    assert_eq!(ok(&w, &["output", "job_result"]).stdout.trim(), "\"SUCCEEDED\"");
    let jobs = objects(&w, "job");
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["state"], "FINISHED");
    assert_eq!(
        jobs[0]["attributes"]["arguments"],
        serde_json::json!([
            "obs://etl-jobs/hadoop-mapreduce-examples.jar",
            "wordcount",
            "obs://etl-data/input",
            "obs://etl-data/output"
        ])
    );
    // Refreshing a finished run changes nothing: it never runs again on its own.
    let plan = run(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    ok(&w, &["apply", "--auto-approve"]);
    assert_eq!(calls(&w, "SubmitJob").len(), 1);

    // Another argument: a new run, which the plan says in words at the argument's line.
    let args = ["--var", r#"job_args=["wordcount","-Dmapreduce.job.reduces=4"]"#];
    let plan = ok(&w, &["plan", args[0], args[1]]);
    assert!(plan.stdout.contains("mrs_job.wordcount[0] must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains("# forces replacement"), "{}", plan.stdout);
    let all = format!("{}{}", plan.stdout, plan.stderr);
    assert!(
        all.contains("mrs_job `wordcount` already ran (it ended SUCCEEDED): changing `args` submits a new run"),
        "{all}"
    );
    ok(&w, &["apply", "--auto-approve", args[0], args[1]]);
    assert_eq!(calls(&w, "SubmitJob").len(), 2);
    assert_eq!(objects(&w, "job").len(), 1, "the old run's record is removed");
    let plan = run(&w, &["plan", "--detailed-exitcode", args[0], args[1]]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // A run that fails fails the apply, naming its final state and where its logs are.
    let failing = ["--var", "job_outcome=FAILED"];
    let out = run(&w, &["apply", "--auto-approve", failing[0], failing[1]]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("mrs_job `wordcount`: job"), "{}", out.stderr);
    assert!(out.stderr.contains("ended FAILED without success"), "{}", out.stderr);
    assert!(out.stderr.contains("the run's logs: http://"), "{}", out.stderr);
    // Kept as tainted: the next apply runs it again.
    let plan = ok(&w, &["plan", failing[0], failing[1]]);
    assert!(plan.stdout.contains("is tainted, so must be replaced"), "{}", plan.stdout);

    ok(&w, &["destroy", "--auto-approve", failing[0], failing[1]]);
    assert!(objects(&w, "job").is_empty());
    assert!(objects(&w, "cluster").is_empty());
}

#[test]
fn the_scaling_policy_is_kept_by_the_service_and_each_broken_rule_is_a_plan_error_at_its_line() {
    let w = Workdir::fixture("mrs/job");
    ok(&w, &["apply", "--auto-approve"]);
    let cluster = &objects(&w, "cluster")[0];
    let policy = &cluster["attributes"]["scaling_policies"]["task_node_analysis_group"];
    assert_eq!(policy["max_capacity"], 6, "{policy}");
    assert_eq!(policy["rules"][0]["cool_down_minutes"], 20, "the service's default: {policy}");
    assert_eq!(policy["rules"][1]["trigger"]["metric_value"], "80.5", "{policy}");
    assert_eq!(policy["resources_plans"][0]["start_time"], "08:00", "{policy}");
    assert_eq!(policy["exec_scripts"][0]["parameters"], "${mrs_scale_node_hostnames}", "{policy}");

    let out = run(&w, &["plan", "--var", "periods=300"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("evaluation_periods 300 is outside 1–288 five-minute periods"), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:83"), "at the attribute's line: {}", out.stderr);
    let out = run(&w, &["plan", "--var", "max_nodes=501"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("max_capacity 501 is above 500"), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:74"), "{}", out.stderr);
    let out = run(&w, &["plan", "--var", "max_nodes=0"]);
    assert!(out.stderr.contains("min_capacity 1 is above max_capacity 0"), "{}", out.stderr);

    let plan = ok(&w, &["plan", "--var", "max_nodes=8"]);
    assert!(plan.stdout.contains("mrs_scaling_policy.task[0] will be updated in-place"), "{}", plan.stdout);
    ok(&w, &["apply", "--auto-approve", "--var", "max_nodes=8"]);
    let cluster = &objects(&w, "cluster")[0];
    assert_eq!(cluster["attributes"]["scaling_policies"]["task_node_analysis_group"]["max_capacity"], 8);
    let plan = run(&w, &["plan", "--detailed-exitcode", "--var", "max_nodes=8"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // Destroying the policy alone removes it from the group.
    ok(&w, &["apply", "--auto-approve", "--var", "autoscale=false"]);
    let cluster = &objects(&w, "cluster")[0];
    assert_eq!(cluster["attributes"]["scaling_policies"], serde_json::json!({}), "{cluster}");
}

#[test]
fn a_run_going_when_corral_was_killed_is_adopted_not_submitted_again_and_destroy_kills_it() {
    let w = Workdir::fixture("mrs/job");
    ok(&w, &["apply", "--auto-approve", "--target", "mrs_cluster.etl"]);
    // Real time: the job runs three minutes, far longer than this test looks.
    let mut apply = command(&w, "1", &["apply", "--auto-approve", "--target", "mrs_job.wordcount"]);
    let mut child = apply.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains("mrs_job.wordcount[0]: Creating...") {
            break;
        }
    }
    assert!(seen.iter().any(|l| l.contains("Creating...")), "{seen:#?}");
    let submitted = || calls(&w, "SubmitJob").iter().filter(|e| e.status == 200).count();
    for _ in 0..100 {
        if submitted() == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(submitted(), 1);
    child.kill().unwrap();
    child.wait().unwrap();
    let state = objects_at(&w, "1", "job")[0]["state"].clone();
    assert!(state == "ACCEPTED" || state == "RUNNING", "the run goes on: {state}");

    // The next plan finds the run by its token: nothing to create, the result to wait for.
    let plan = Output::from(command(&w, "1", &["plan"]).output().unwrap());
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(!plan.stdout.contains("mrs_job.wordcount[0] will be created"), "{}", plan.stdout);
    assert!(plan.stdout.contains("mrs_job.wordcount[0] will be updated in-place"), "{}", plan.stdout);
    let out = Output::from(command(&w, "1", &["apply", "--auto-approve", "--var", "run_job=false"]).output().unwrap());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(submitted(), 1, "never submitted twice");
    let kills = calls(&w, "KillJob");
    assert_eq!(kills.len(), 1, "{kills:?}");
    assert!(objects_at(&w, "1", "job").is_empty());
    ok(&w, &["destroy", "--auto-approve"]);
}
