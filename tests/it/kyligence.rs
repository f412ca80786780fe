//! Kyligence Cloud stacks end to end (issue 13): the real `corral` binary, the Kyligence
//! provider in a plugin process and the sandbox it embeds. Each test copies
//! `tests/fixtures/kyligence/stack` and sets the sandbox time scale of every run: at 3600 a
//! sandbox hour passes per real second, so every operation is over before the first poll
//! settles; the kill tests slow the clock down so that a stop is still under way.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Output, Workdir, copy_dir, fixtures};

struct Stack {
    w: Workdir,
    /// The scale of every run, `inspect` included: a look at another scale would move the
    /// clock by the time since the last look at that scale.
    scale: std::cell::Cell<f64>,
}

impl Stack {
    fn new(scale: f64) -> Stack {
        let w = Workdir::new();
        copy_dir(&fixtures().join("kyligence").join("stack"), w.path());
        Stack { w, scale: std::cell::Cell::new(scale) }
    }

    fn command_at(&self, scale: f64, args: &[&str]) -> Command {
        let mut command = self.w.command(args);
        command.env(corral_sandbox::TIME_SCALE_VAR, scale.to_string()).env_remove(corral_sandbox::FAULTS_VAR);
        command
    }

    fn run_at(&self, scale: f64, args: &[&str]) -> Output {
        let out = self.command_at(scale, args).output().unwrap();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_at(self.scale.get(), args)
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(out.code, 0, "corral {args:?} failed:\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
        out
    }

    fn objects(&self, kind: &str) -> Vec<serde_json::Value> {
        let out = self.run(&["sandbox", "inspect", "--json"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let all: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
        all.into_iter().filter(|o| o["type"] == kind).collect()
    }

    /// The one stack of the sandbox, as `inspect` shows it.
    fn stack(&self) -> serde_json::Value {
        let stacks = self.objects("stack");
        assert_eq!(stacks.len(), 1, "one stack, never a second: {stacks:#?}");
        stacks[0].clone()
    }

    /// `Operation:step` of every step the service ran on the stack, in order.
    fn steps(&self) -> Vec<String> {
        self.stack()["attributes"]["StepLog"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| format!("{}:{}", s["Operation"].as_str().unwrap(), s["Step"].as_str().unwrap()))
            .collect()
    }

    fn output(&self, name: &str) -> String {
        self.ok(&["output", "-json", name]).stdout
    }

    /// The 1-based line of the fixture's first line containing `text`.
    fn line_of(&self, text: &str) -> usize {
        let source = std::fs::read_to_string(self.w.path().join("main.hcl")).unwrap();
        source.lines().position(|l| l.contains(text)).unwrap() + 1
    }

    fn refused(&self, args: &[&str], says: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(out.code, 1, "corral {args:?} should fail:\n{}\n{}", out.stdout, out.stderr);
        for text in says {
            assert!(out.stderr.contains(text), "expected `{text}`:\n{}", out.stderr);
        }
        out
    }

    /// Starts `corral ARGS` at `scale` and returns once it printed a line containing `line`.
    fn start_until(&self, scale: f64, args: &[&str], line: &str) -> Child {
        let mut child = self.command_at(scale, args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = Vec::new();
        for next in lines.by_ref() {
            let next = next.unwrap();
            seen.push(next.clone());
            if next.contains(line) {
                // Keep reading so corral never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return child;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("corral never printed `{line}`:\n{}", seen.join("\n"));
    }
}

fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    check()
}

#[test]
fn a_stack_scales_in_place_with_a_fixed_master_count_and_the_core_shrink_guard() {
    let s = Stack::new(3600.0);
    s.ok(&["apply", "--auto-approve"]);
    assert_eq!(s.stack()["attributes"]["RunningNodes"], 3);
    let settled = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);

    let plan = s.ok(&["plan", "--var", "core_count=4", "--var", "task_count=2"]);
    assert!(plan.stdout.contains("kyligence_stack.analytics will be updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ core_count") && plan.stdout.contains("2 -> 4"), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve", "--var", "core_count=4", "--var", "task_count=2"]);
    let stack = s.stack();
    assert_eq!(
        (stack["attributes"]["CoreCount"].as_u64(), stack["attributes"]["RunningNodes"].as_u64()),
        (Some(4), Some(7))
    );
    assert_eq!(s.steps().last().unwrap(), "Scale:resizing");

    // The master count is fixed: a plan error naming it, at its line.
    let location = format!("main.hcl:{}:3", s.line_of("master_count "));
    s.refused(
        &["plan", "--var", "core_count=4", "--var", "task_count=2", "--var", "master_count=3"],
        &[
            "Cannot change `master_count` of kyligence_stack.analytics",
            "Kyligence Cloud fixes the number of master",
            &location,
        ],
    );
    // Shrinking the core group is refused unless allowed: the same guard as KMR.
    let location = format!("main.hcl:{}:3, attribute `core_count`", s.line_of("core_count "));
    s.refused(
        &["plan", "--var", "core_count=2", "--var", "task_count=2"],
        &["shrinking the core group from 4 to 2 nodes is refused", "HDFS", "allow_core_shrink", &location],
    );
    let shrink = ["--var", "core_count=2", "--var", "task_count=2", "--var", "allow_core_shrink=true"];
    s.ok(&[&["apply", "--auto-approve"][..], &shrink].concat());
    assert_eq!(s.stack()["attributes"]["CoreCount"], 2);
}

#[test]
fn kap_answers_while_the_stack_scales_and_a_stop_during_scaling_is_a_plan_error() {
    let s = Stack::new(3600.0);
    s.ok(&["apply", "--auto-approve"]);
    // A slow clock: scaling takes 25 real seconds, time for three plans on a busy machine.
    // The apply that started it is killed while it waits.
    let slow = 12.0;
    s.scale.set(slow);
    let mut child = s.start_until(slow, &["apply", "--auto-approve", "--var", "core_count=4"], "Modifying...");
    assert!(eventually(Duration::from_secs(5), || s.stack()["state"] == "scaling"), "{:#?}", s.stack());
    child.kill().unwrap();
    child.wait().unwrap();
    // The plan reads KAP through `data.kyligence_kap` (a refused query would fail it) and
    // refuses to stop a scaling stack.
    let out =
        s.run_at(slow, &["plan", "--lock-timeout", "10s", "--var", "core_count=4", "--var", "desired_state=stopped"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("is scaling: it cannot stop until the scaling finishes"), "{}", out.stderr);
    assert!(!out.stderr.contains("KapUnavailable"), "KAP serves while scaling:\n{}", out.stderr);
    let out = s.run_at(slow, &["plan", "--lock-timeout", "10s", "--var", "core_count=4", "--var", "kap_version=2.5.4"]);
    assert!(out.stderr.contains("cannot upgrade KAP until the scaling finishes"), "{}", out.stderr);
    let plan = s.run_at(slow, &["plan", "--lock-timeout", "10s", "--var", "core_count=4"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert_eq!(s.stack()["state"], "scaling", "all of this happened during the scaling");
    assert!(plan.stdout.contains("\"scaling\" -> \"running\""), "the plan finishes the scaling:\n{}", plan.stdout);
    // Finishing it waits for the scaling the killed apply started: one scale operation.
    s.ok(&["apply", "--auto-approve", "--lock-timeout", "10s", "--var", "core_count=4"]);
    assert_eq!(s.steps().iter().filter(|s| *s == "Scale:resizing").count(), 1, "{:?}", s.steps());
    assert_eq!(s.stack()["attributes"]["CoreCount"], 4);
}

#[test]
fn stop_backs_up_and_terminates_every_node_and_start_restores_the_same_cubes_and_answers() {
    let s = Stack::new(3600.0);
    s.ok(&["apply", "--auto-approve"]);
    let before = s.output("kap");
    assert!(before.contains("kylin_sales_cube") && before.contains("\"10000\""), "{before}");

    let plan = s.ok(&["plan", "--var", "desired_state=stopped"]);
    assert!(plan.stdout.contains("\"running\" -> \"stopped\""), "{}", plan.stdout);
    assert!(plan.stderr.contains("KAP unavailable while stack"), "{}", plan.stderr);
    s.ok(&["apply", "--auto-approve", "--var", "desired_state=stopped"]);
    let stack = s.stack();
    assert_eq!(stack["state"], "stopped");
    assert_eq!(stack["attributes"]["RunningNodes"], 0, "every node, master included");
    assert_eq!(stack["attributes"]["KapLocal"], serde_json::Value::Null, "the local disks are gone");
    assert_eq!(s.steps()[2..], ["Stop:stopping_kap", "Stop:backing_up", "Stop:terminating"]);
    // S3 keeps the cube data and the backup, RDS the metadata.
    let bucket = &s.objects("s3_bucket")[0]["attributes"]["Objects"];
    assert!(
        bucket.get("backups/kap-data-0001").is_some() && bucket.get("cubes/kylin_sales_cube").is_some(),
        "{bucket:#}"
    );
    assert_eq!(s.objects("rds_instance")[0]["attributes"]["Cubes"].as_array().unwrap().len(), 2);
    assert_eq!(s.output("kap").trim(), "[]");
    let settled = s.run(&["plan", "--detailed-exitcode", "--var", "desired_state=stopped"]);
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);

    // Nothing scales or upgrades while stopped: plan errors.
    let location = format!("main.hcl:{}:3, attribute `task_count`", s.line_of("task_count "));
    s.refused(
        &["plan", "--var", "desired_state=stopped", "--var", "task_count=2"],
        &["cannot scale while it is stopped", &location],
    );
    s.refused(&["plan", "--var", "desired_state=stopped", "--var", "kap_version=2.5.4"], &["not while it is stopped"]);

    s.ok(&["apply", "--auto-approve"]);
    assert_eq!(s.stack()["state"], "running");
    assert_eq!(s.steps()[5..], ["Start:provisioning", "Start:restoring"]);
    assert_eq!(s.output("kap"), before, "the same models, cubes and answer");
    let settled = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);
}

#[test]
fn a_kap_upgrade_warns_runs_each_step_once_in_order_and_never_downgrades() {
    let s = Stack::new(3600.0);
    s.ok(&["apply", "--auto-approve"]);
    let plan = s.ok(&["plan", "--var", "kap_version=2.5.4"]);
    assert!(plan.stdout.contains("\"2.5.0\" -> \"2.5.4\""), "{}", plan.stdout);
    assert!(plan.stderr.contains("KAP unavailable during upgrade"), "{}", plan.stderr);
    s.ok(&["apply", "--auto-approve", "--var", "kap_version=2.5.4"]);
    let upgrade: Vec<String> = s.steps().into_iter().filter(|s| s.starts_with("Upgrade:")).collect();
    assert_eq!(
        upgrade,
        [
            "Upgrade:backing_up_config",
            "Upgrade:stopping_kap",
            "Upgrade:installing",
            "Upgrade:restoring_config",
            "Upgrade:starting_kap"
        ]
    );
    assert_eq!(s.stack()["attributes"]["KapVersion"], "2.5.4");
    assert!(s.output("kap").contains("\"10000\""));
    let location = format!("main.hcl:{}:3, attribute `kap_version`", s.line_of("kap_version "));
    s.refused(&["plan", "--var", "kap_version=2.4.5"], &["KAP 2.5.4 cannot be downgraded to 2.4.5", &location]);
}

#[test]
fn destroy_keeps_s3_and_rds_by_default_and_deletes_rds_when_asked() {
    let s = Stack::new(3600.0);
    s.ok(&["apply", "--auto-approve"]);
    let plan = s.ok(&["plan", "--destroy"]);
    assert!(plan.stdout.contains("\"s3://kyligence-") && plan.stdout.contains("\"rds://rds-"), "{}", plan.stdout);
    s.ok(&["destroy", "--auto-approve"]);
    assert_eq!(s.stack()["state"], "deleted");
    assert_eq!(s.objects("s3_bucket").len(), 1);
    assert_eq!(s.objects("rds_instance").len(), 1, "RDS is kept by default");

    let rds = ["--var", "delete_rds_on_destroy=true"];
    s.ok(&[&["apply", "--auto-approve"][..], &rds].concat());
    let plan = s.ok(&[&["plan", "--destroy"][..], &rds].concat());
    assert!(plan.stdout.contains("\"s3://kyligence-") && !plan.stdout.contains("\"rds://"), "{}", plan.stdout);
    s.ok(&[&["destroy", "--auto-approve"][..], &rds].concat());
    assert_eq!(s.objects("s3_bucket").len(), 2, "S3 always stays");
    let databases = s.objects("rds_instance");
    assert_eq!(databases.len(), 1, "the second stack's RDS went with it: {databases:#?}");
}

#[test]
fn a_warned_rds_deletion_shows_in_the_plan() {
    let s = Stack::new(3600.0);
    s.ok(&["apply", "--auto-approve"]);
    let plan = s.ok(&["plan", "--var", "delete_rds_on_destroy=true"]);
    assert!(plan.stderr.contains("will delete its RDS database rds-"), "{}", plan.stderr);
    assert!(plan.stderr.contains("S3 bucket (cube data, backups) is kept"), "{}", plan.stderr);
}

#[test]
fn an_apply_killed_mid_stop_resumes_at_its_step_and_backs_up_once() {
    let s = Stack::new(3600.0);
    s.ok(&["apply", "--auto-approve"]);
    // At 20× a stop takes 21 real seconds: 3 s stopping KAP, 12 s backing up, 6 s terminating.
    let slow = 20.0;
    s.scale.set(slow);
    let stop = ["apply", "--auto-approve", "--lock-timeout", "10s", "--var", "desired_state=stopped"];
    let mut child = s.start_until(slow, &stop, "Modifying...");
    assert!(
        eventually(Duration::from_secs(8), || s.stack()["attributes"]["Operation"]["Step"] == "backing_up"),
        "{:#?}",
        s.stack()
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(s.stack()["state"], "stopping", "the service carries on without corral");

    let mut again = s.command_at(slow, &stop);
    again.env("CORRAL_LOG", "info");
    let out = again.output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("at step `backing_up`"), "the plan says it waits for the earlier stop:\n{stderr}");
    assert!(stderr.contains("stopping(terminating)"), "each step is logged:\n{stderr}");
    assert!(
        stdout.contains("Still modifying... [10s elapsed, status: stopping("),
        "each step is shown while waiting:\n{stdout}"
    );
    assert_eq!(s.stack()["state"], "stopped");
    let stop_steps: Vec<String> = s.steps().into_iter().filter(|s| s.starts_with("Stop:")).collect();
    assert_eq!(stop_steps, ["Stop:stopping_kap", "Stop:backing_up", "Stop:terminating"], "each step once");
    let bucket = &s.objects("s3_bucket")[0]["attributes"]["Objects"];
    let backups: Vec<&String> = bucket.as_object().unwrap().keys().filter(|k| k.starts_with("backups/")).collect();
    assert_eq!(backups, ["backups/kap-data-0001"], "one backup, never a second over it");
    let settled = s.run(&["plan", "--detailed-exitcode", "--var", "desired_state=stopped"]);
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);
}

#[test]
fn a_step_that_fails_fails_the_apply_naming_it_and_the_failed_stack_is_refused() {
    let s = Stack::new(3600.0);
    s.ok(&["apply", "--auto-approve"]);
    let id = s.stack()["id"].as_str().unwrap().to_string();
    corral_sandbox::testing::fail_kyligence_step(&s.w.path().join(".corral/sandbox"), &id, "installing").unwrap();
    let failed = s.run(&["apply", "--auto-approve", "--var", "kap_version=2.5.4"]);
    assert_eq!(failed.code, 1, "{}\n{}", failed.stdout, failed.stderr);
    assert!(failed.stderr.contains("failed in its upgrade at step `installing`"), "{}", failed.stderr);
    assert!(failed.stderr.contains("KAP 2.5.0 is installed"), "never half upgraded silently:\n{}", failed.stderr);
    s.refused(&["plan", "--var", "kap_version=2.5.4"], &["is failed", "installing"]);
    // The way out: destroy (S3 and RDS are kept). KAP does not answer a failed stack, so
    // the configuration does not ask it.
    s.ok(&["destroy", "--auto-approve", "--var", "kap_version=2.5.4", "--var", "desired_state=stopped"]);
    assert_eq!(s.objects("rds_instance").len(), 1);
}

#[test]
fn an_apply_killed_mid_upgrade_resumes_at_its_step_and_runs_each_step_once() {
    let s = Stack::new(3600.0);
    s.ok(&["apply", "--auto-approve"]);
    // At 20× an upgrade takes 30 real seconds; `installing` runs from the 6th to the 24th.
    let slow = 20.0;
    s.scale.set(slow);
    let upgrade = ["apply", "--auto-approve", "--lock-timeout", "10s", "--var", "kap_version=2.5.4"];
    let mut child = s.start_until(slow, &upgrade, "Modifying...");
    assert!(
        eventually(Duration::from_secs(12), || s.stack()["attributes"]["Operation"]["Step"] == "installing"),
        "{:#?}",
        s.stack()
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(s.stack()["state"], "upgrading", "the service carries on without corral");

    // The plan made mid-upgrade says where the upgrade is and that it only finishes it.
    let plan = s.run_at(slow, &["plan", "--lock-timeout", "10s", "--var", "kap_version=2.5.4"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("\"upgrading\" -> \"running\""), "{}", plan.stdout);
    assert!(plan.stderr.contains("is upgrading at step `installing`"), "{}", plan.stderr);

    let mut again = s.command_at(slow, &upgrade);
    again.env("CORRAL_LOG", "info");
    let out = again.output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("upgrading(restoring_config)"), "each step is logged:\n{stderr}");
    let steps: Vec<String> = s.steps().into_iter().filter(|s| s.starts_with("Upgrade:")).collect();
    assert_eq!(
        steps,
        [
            "Upgrade:backing_up_config",
            "Upgrade:stopping_kap",
            "Upgrade:installing",
            "Upgrade:restoring_config",
            "Upgrade:starting_kap"
        ],
        "each step once, in order"
    );
    let bucket = &s.objects("s3_bucket")[0]["attributes"]["Objects"];
    let backups: Vec<&String> = bucket.as_object().unwrap().keys().filter(|k| k.starts_with("backups/")).collect();
    assert_eq!(backups, ["backups/kap-config-0001"], "one configuration backup");
    let stack = s.stack();
    assert_eq!((stack["state"].as_str(), stack["attributes"]["KapVersion"].as_str()), (Some("running"), Some("2.5.4")));
    assert!(s.output("kap").contains("\"10000\""), "KAP answers after the upgrade");
    let settled = s.run(&["plan", "--detailed-exitcode", "--var", "kap_version=2.5.4"]);
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);
}

/// `examples/kyligence`, as the README runs it: applies, then plans empty; stopping it
/// through its variable and starting it again answers the same.
#[test]
fn the_kyligence_example_applies_settles_and_survives_a_stop() {
    let w = Workdir::new();
    copy_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kyligence"), w.path());
    let _ = std::fs::remove_dir_all(w.path().join(".corral"));
    let s = Stack { w, scale: std::cell::Cell::new(3600.0) };
    s.ok(&["apply", "--auto-approve"]);
    let settled = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);
    let rows = s.output("sales_rows");
    assert_eq!(rows.trim(), "\"10000\"");
    s.ok(&["apply", "--auto-approve", "--var", "running=false"]);
    assert_eq!(s.stack()["attributes"]["RunningNodes"], 0);
    s.ok(&["apply", "--auto-approve"]);
    assert_eq!(s.output("sales_rows"), rows);
    let fmt = s.run(&["fmt", "--check"]);
    assert_eq!(fmt.code, 0, "the example is formatted:\n{}{}", fmt.stdout, fmt.stderr);
}
