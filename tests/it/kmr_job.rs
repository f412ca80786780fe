//! `kmr_job` end to end (issue 14): jobs submitted to a persistent KMR cluster through the
//! SDK's job semantics (the same as `mrs_job`), refused at plan time on a transient cluster.
//! Fixture: `tests/fixtures/kmr/job/`.

use crate::support::{Output, Workdir};

/// Sandbox seconds per real second: a launch (8 min) and a spark job (10 min) pass quickly.
const SCALE: &str = "3600";

fn run(w: &Workdir, args: &[&str]) -> Output {
    let mut command = w.command(args);
    command.env(corral_sandbox::TIME_SCALE_VAR, SCALE).env_remove(corral_sandbox::FAULTS_VAR);
    Output::from(command.output().unwrap())
}

fn ok(w: &Workdir, args: &[&str]) -> Output {
    let out = run(w, args);
    assert_eq!(out.code, 0, "corral {args:?} failed:\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    out
}

fn jobs(w: &Workdir) -> Vec<serde_json::Value> {
    let out = ok(w, &["sandbox", "inspect", "--json"]);
    let all: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
    all.into_iter().filter(|o| o["service"] == "kmr" && o["type"] == "job").collect()
}

#[test]
fn a_job_runs_once_on_a_persistent_cluster_and_is_refused_on_a_transient_one() {
    let w = Workdir::fixture("kmr/job");
    ok(&w, &["apply", "--auto-approve"]);
    assert_eq!(ok(&w, &["output", "job_status"]).stdout.trim(), "\"SUCCEEDED\"");
    assert_eq!(jobs(&w).len(), 1);
    let plan = run(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // A changed argument is a new run, and the plan says so.
    let args = ["--var", r#"job_args=["ks3://jobs/etl.jar","--day","2026-12-02"]"#];
    let plan = ok(&w, &["plan", args[0], args[1]]);
    assert!(plan.stdout.contains("kmr_job.etl must be replaced"), "{}", plan.stdout);
    let all = format!("{}{}", plan.stdout, plan.stderr);
    assert!(all.contains("kmr_job `etl` already ran (it ended SUCCEEDED): changing `args` submits a new run"), "{all}");
    ok(&w, &["apply", "--auto-approve", args[0], args[1]]);
    assert_eq!(jobs(&w).len(), 2, "a second run; the first stays in the service's history");

    // A failing run fails the apply with the service's message.
    let failing = ["--var", r#"job_args=["ks3://jobs/etl.jar","--simulate-failure"]"#];
    let out = run(&w, &["apply", "--auto-approve", failing[0], failing[1]]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("ended FAILED without success"), "{}", out.stderr);
    assert!(out.stderr.contains("the job exited with status 1"), "{}", out.stderr);

    // The transient cluster (known since the first apply) takes no jobs: refused at plan.
    let out = run(&w, &["plan", "--var", "on_transient=true"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("cluster `batch` is transient"), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:55"), "at `cluster_id`: {}", out.stderr);
    ok(&w, &["destroy", "--auto-approve", failing[0], failing[1]]);
}

#[test]
fn a_run_going_when_corral_was_killed_is_found_by_its_client_token_and_waited_for() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let w = Workdir::fixture("kmr/job");
    ok(&w, &["apply", "--auto-approve", "--target", "kmr_cluster.warehouse", "--target", "kmr_cluster.batch"]);
    // Real time: a spark job runs ten minutes, far longer than this test looks.
    let mut apply = w.command(&["apply", "--auto-approve"]);
    apply.env(corral_sandbox::TIME_SCALE_VAR, "1").env_remove(corral_sandbox::FAULTS_VAR);
    let mut child = apply.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains("kmr_job.etl: Creating...") {
            break;
        }
    }
    assert!(seen.iter().any(|l| l.contains("kmr_job.etl: Creating...")), "{seen:#?}");
    let submitted = |w: &Workdir| {
        let mut c = w.command(&["sandbox", "inspect", "--json"]);
        c.env(corral_sandbox::TIME_SCALE_VAR, "1");
        let out = Output::from(c.output().unwrap());
        let all: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
        all.into_iter().filter(|o| o["service"] == "kmr" && o["type"] == "job").collect::<Vec<_>>()
    };
    for _ in 0..100 {
        if !submitted(&w).is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let running = submitted(&w);
    assert_eq!(running.len(), 1, "{running:?}");
    assert_ne!(running[0]["state"], "SUCCEEDED", "the run goes on");

    // Adopted by its token: not submitted again, its result waited for.
    let mut plan = w.command(&["plan"]);
    plan.env(corral_sandbox::TIME_SCALE_VAR, "1").env_remove(corral_sandbox::FAULTS_VAR);
    let plan = Output::from(plan.output().unwrap());
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(!plan.stdout.contains("kmr_job.etl will be created"), "{}", plan.stdout);
    assert!(plan.stdout.contains("kmr_job.etl will be updated in-place"), "{}", plan.stdout);
    ok(&w, &["apply", "--auto-approve"]);
    assert_eq!(ok(&w, &["output", "job_status"]).stdout.trim(), "\"SUCCEEDED\"");
    assert_eq!(jobs(&w).len(), 1, "never submitted twice");
}
