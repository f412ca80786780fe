//! Plan-time authorization through the `corral` binary (issue 14): IAM identities made with
//! the `iam` provider (`tests/fixtures/authz/admin`), then an MRS cluster planned and applied
//! with each identity's keys (`tests/fixtures/authz/cluster`), against one `corral sandbox
//! serve` whose request log shows which calls reached the cloud.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::process::Child;

use serde_json::Value;

use crate::support::{Output, Workdir};

/// Sandbox seconds per real second: a create (15 min) passes in moments.
const SCALE: &str = "1200";

/// A served sandbox, the admin configuration applied, and each identity's keys.
struct Cloud {
    w: Workdir,
    child: Child,
    /// The server's stdout, kept open: a closed pipe would end it at its next line.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    endpoint: String,
    keys: BTreeMap<String, (String, String)>,
}

impl Drop for Cloud {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Cloud {
    fn start() -> Cloud {
        let w = Workdir::new();
        crate::support::copy_dir(&crate::support::fixtures().join("authz"), w.path());
        let mut child = w
            .command(&["sandbox", "serve", "--addr", "127.0.0.1:0"])
            .env(corral_sandbox::TIME_SCALE_VAR, SCALE)
            .env_remove(corral_sandbox::FAULTS_VAR)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut first).unwrap();
        let endpoint =
            first.split_whitespace().find(|w| w.starts_with("http://")).unwrap().trim_end_matches('/').to_string();
        let mut cloud = Cloud { w, child, _stdout: stdout, endpoint, keys: BTreeMap::new() };
        cloud.admin(&["apply", "--auto-approve"]).ok();
        let out = cloud.admin(&["output", "--json"]).ok();
        let outputs: Value = serde_json::from_str(&out.stdout).unwrap();
        for (name, key) in outputs["keys"]["value"].as_object().unwrap() {
            let text = |k: &str| key[k].as_str().unwrap().to_string();
            cloud.keys.insert(name.clone(), (text("access_key"), text("secret_key")));
        }
        assert_eq!(cloud.keys.len(), 3, "{outputs}");
        cloud
    }

    /// `corral -C admin ARGS` with the account's own keys.
    fn admin(&self, args: &[&str]) -> Run {
        let var = format!("endpoint={}", self.endpoint);
        let mut all = vec!["-C", "admin"];
        all.extend_from_slice(args);
        if !matches!(args.first(), Some(&"output")) {
            all.extend(["--var", &var]);
        }
        let out = self
            .w
            .command(&all)
            .env("HW_ACCESS_KEY", corral_sandbox::DEFAULT_ACCESS_KEY)
            .env("HW_SECRET_KEY", corral_sandbox::DEFAULT_SECRET_KEY)
            .output()
            .unwrap();
        Run { args: all.iter().map(|s| s.to_string()).collect(), out: Output::from(out) }
    }

    /// `corral -C cluster ARGS` as `identity`.
    fn as_identity(&self, identity: &str, args: &[&str]) -> Run {
        let (access, secret) = &self.keys[identity];
        let vars =
            [format!("endpoint={}", self.endpoint), format!("access_key={access}"), format!("secret_key={secret}")];
        let mut all: Vec<&str> = vec!["-C", "cluster"];
        all.extend_from_slice(args);
        for var in &vars {
            all.extend(["--var", var]);
        }
        let out = self.w.command(&all).output().unwrap();
        Run { args: all.iter().map(|s| s.to_string()).collect(), out: Output::from(out) }
    }

    fn log(&self) -> Vec<corral_sandbox::rest::LogEntry> {
        corral_sandbox::rest::request_log(&self.w.path().join(".corral/sandbox")).unwrap()
    }

    fn live_clusters(&self) -> usize {
        let out = self.w.ok(&["sandbox", "inspect", "--json"]);
        let all: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
        all.iter().filter(|o| o["service"] == "mrs" && o["type"] == "cluster" && o["state"] != "terminated").count()
    }
}

/// Diagnostics as one line: miette wraps them at the terminal width.
fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Run {
    args: Vec<String>,
    out: Output,
}

impl Run {
    fn ok(self) -> Output {
        assert_eq!(self.out.code, 0, "corral {:?}:\n{}\n{}", self.args, self.out.stdout, self.out.stderr);
        self.out
    }

    fn fails(self) -> Output {
        assert_eq!(self.out.code, 1, "corral {:?}:\n{}\n{}", self.args, self.out.stdout, self.out.stderr);
        self.out
    }
}

#[test]
fn a_read_only_identity_is_refused_at_plan_before_any_call_but_reading_iam() {
    let cloud = Cloud::start();
    let before = cloud.log().len();
    let out = cloud.as_identity("reader", &["plan"]).fails();
    assert!(out.stderr.contains("`mrs_cluster.analytics` may not call `mrs:cluster:create`"), "{}", out.stderr);
    let message = flat(&out.stderr);
    assert!(message.contains("denied by statement 2 of policy `MRS ReadOnlyAccess`"), "{message}");
    assert!(message.contains("identity `reader`"), "{message}");
    // The plan points at the resource's block.
    assert!(out.stderr.contains("main.hcl:"), "{}", out.stderr);
    let (reader_key, _) = &cloud.keys["reader"];
    let calls: Vec<_> = cloud.log().into_iter().skip(before).collect();
    assert!(!calls.is_empty());
    assert!(calls.iter().all(|e| &e.access_key == reader_key), "{calls:?}");
    assert!(calls.iter().all(|e| e.service == "iam" && e.method == "GET" && !e.mutating), "{calls:?}");
    assert!(calls.iter().any(|e| e.path == corral_api_iam::wire::EFFECTIVE_POLICIES), "{calls:?}");
    assert_eq!(cloud.live_clusters(), 0);

    // `apply` without a saved plan is refused the same way.
    let out = cloud.as_identity("reader", &["apply", "--auto-approve"]).fails();
    assert!(out.stderr.contains("`mrs:cluster:create`"), "{}", out.stderr);
    let calls: Vec<_> = cloud.log().into_iter().skip(before).collect();
    assert!(calls.iter().all(|e| e.service == "iam" && !e.mutating), "{calls:?}");

    // Skipping the check lets the plan through; the service's own check still refuses the
    // create at apply, naming the action.
    let out = cloud.as_identity("reader", &["plan", "--skip-authz-check"]).ok();
    assert!(out.stdout.contains("1 to add"), "{}", out.stdout);
    let out = cloud.as_identity("reader", &["apply", "--auto-approve", "--skip-authz-check"]).fails();
    assert!(out.stderr.contains("mrs:cluster:create"), "{}", out.stderr);
    assert!(out.stderr.contains("APIGW.0302"), "{}", out.stderr);
    let refused: Vec<_> = cloud.log().into_iter().filter(|e| e.operation == "CreateCluster").collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].status, 403);
    assert_eq!(cloud.live_clusters(), 0);
}

#[test]
fn permissions_that_cannot_be_read_fail_the_plan_unless_the_check_is_skipped() {
    let cloud = Cloud::start();
    // A project IAM does not know: the identity's policies there cannot be read.
    let out = cloud.as_identity("admin", &["plan", "--var", "project_id=0123456789abcdef"]).fails();
    let message = flat(&out.stderr);
    assert!(message.contains("reading the identity's IAM policies"), "{message}");
    assert!(message.contains("does not exist"), "{message}");
    assert!(message.contains("--skip-authz-check"), "{message}");
    let out = cloud.as_identity("admin", &["plan", "--skip-authz-check", "--var", "project_id=0123456789abcdef"]).ok();
    assert!(out.stdout.contains("1 to add"), "{}", out.stdout);
}

#[test]
fn operations_may_not_resize_and_a_custom_deny_keeps_the_cluster_from_destroy() {
    let cloud = Cloud::start();
    // FullAccess creates the cluster.
    cloud.as_identity("admin", &["apply", "--auto-approve"]).ok();
    assert_eq!(cloud.live_clusters(), 1);

    // CommonOperations may read (an empty plan), but not resize: refused at plan, at the
    // attribute whose change needs the action.
    let plan = cloud.as_identity("operator", &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.out.code, 0, "{}\n{}", plan.out.stdout, plan.out.stderr);
    let before = cloud.log().len();
    let out = cloud.as_identity("operator", &["plan", "--var", "core_count=4"]).fails();
    assert!(out.stderr.contains("`mrs_cluster.analytics` may not call `mrs:cluster:resize`"), "{}", out.stderr);
    // At the line that changes `core_count`.
    let source = std::fs::read_to_string(cloud.w.path().join("cluster/main.hcl")).unwrap();
    let line = source.lines().position(|l| l.trim_start().starts_with("core_count ")).unwrap() + 1;
    // `-C cluster` moves the process, so paths are the directory's own (as Terraform's -chdir).
    assert!(out.stderr.contains(&format!("main.hcl:{line}:")), "line {line}:\n{}", out.stderr);
    assert!(cloud.log().iter().skip(before).all(|e| !e.mutating));

    // Bypassed, the service refuses the resize at apply, naming the action.
    let out =
        cloud.as_identity("operator", &["apply", "--auto-approve", "--skip-authz-check", "--var", "core_count=4"]);
    let out = out.fails();
    assert!(out.stderr.contains("mrs:cluster:resize"), "{}", out.stderr);
    assert!(cloud.log().iter().any(|e| e.action == "mrs:cluster:resize" && e.status == 403));

    // CommonOperations may submit a job: it plans (the check asks for `mrs:job:submit`) and
    // applies, and the run reaches the service.
    let before = cloud.log().len();
    // The refused resize left the cluster as it was, not tainted: only the job is new.
    let plan = cloud.as_identity("operator", &["plan", "--var", "run_report=true"]).ok();
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    let out = cloud.as_identity("operator", &["apply", "--auto-approve", "--var", "run_report=true"]).ok();
    assert!(out.stdout.contains("mrs_job.report[0]: Creation complete"), "{}", out.stdout);
    let calls = cloud.log().into_iter().skip(before).collect::<Vec<_>>();
    assert!(calls.iter().any(|e| e.action == "mrs:job:submit" && e.status < 300), "{calls:?}");
    assert!(calls.iter().all(|e| e.status != 403), "{calls:?}");

    // FullAccess, but a custom policy denies `mrs:cluster:delete`: destroy is refused at
    // plan, naming the Deny statement, and the cluster lives on.
    let out = cloud.as_identity("admin", &["destroy", "--auto-approve"]).fails();
    assert!(out.stderr.contains("`mrs_cluster.analytics` may not call `mrs:cluster:delete`"), "{}", out.stderr);
    let message = flat(&out.stderr);
    assert!(
        message.contains("denied by statement 1 of policy `no-cluster-delete` (Deny `mrs:cluster:delete`)"),
        "{message}"
    );
    assert!(!cloud.log().iter().any(|e| e.operation == "DeleteCluster"));
    assert_eq!(cloud.live_clusters(), 1);
    let out = cloud.as_identity("admin", &["plan", "--destroy"]).fails();
    assert!(out.stderr.contains("`mrs:cluster:delete`"), "{}", out.stderr);
}

#[test]
fn iam_groups_policies_and_attachments_apply_and_plan_empty_and_a_reformatted_policy_is_no_change() {
    let cloud = Cloud::start();
    let plan = cloud.admin(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.out.code, 0, "a second plan is empty:\n{}\n{}", plan.out.stdout, plan.out.stderr);

    // The same statements in another layout and key order: no change.
    let path = cloud.w.path().join("admin/main.hcl");
    let text = std::fs::read_to_string(&path).unwrap();
    let compact = r#"{"Version": "1.1", "Statement": [{"Effect": "Deny", "Action": ["mrs:cluster:delete"]}]}"#;
    let reformatted = "{\n      \"Statement\": [\n        { \"Action\": [ \"mrs:cluster:delete\" ],\n          \"Effect\": \"Deny\" }\n      ],\n      \"Version\": \"1.1\"\n    }";
    assert!(text.contains(compact));
    std::fs::write(&path, text.replace(compact, reformatted)).unwrap();
    let plan = cloud.admin(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.out.code, 0, "{}\n{}", plan.out.stdout, plan.out.stderr);

    // Another action is a change, in place.
    std::fs::write(&path, text.replace("mrs:cluster:delete", "mrs:cluster:*")).unwrap();
    let plan = cloud.admin(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.out.code, 2, "{}\n{}", plan.out.stdout, plan.out.stderr);
    assert!(plan.out.stdout.contains("iam_policy.no_cluster_delete will be updated in-place"), "{}", plan.out.stdout);

    // An invalid document is a plan error at its line, before any call.
    std::fs::write(&path, text.replace("\"Deny\"", "\"Refuse\"")).unwrap();
    let out = cloud.admin(&["plan"]).fails();
    assert!(out.stderr.contains("invalid policy document"), "{}", out.stderr);
    assert!(out.stderr.contains("Refuse"), "{}", out.stderr);
    let line = text.lines().position(|l| l.contains("document")).unwrap() + 1;
    assert!(out.stderr.contains(&format!("main.hcl:{line}:")), "line {line}:\n{}", out.stderr);
}
