//! KMR acceptance end to end (issue 4): the real `corral` binary, the KMR provider in a plugin
//! process, and the sandbox it embeds, spoken to over signed HTTP. Each test copies a fixture
//! from `tests/fixtures/kmr/` and sets the sandbox time scale of every run.
//!
//! The sandbox clock moves by the real time elapsed since its last checkpoint times the scale
//! of the process that looks, so a step run at a larger scale after a short sleep jumps days
//! ahead: that is how seven days of a trial pass in about a second.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Output, Workdir, copy_dir, files_containing, fixtures};

/// A copy of `tests/fixtures/kmr/<name>` and the sandbox settings its runs get.
struct Kmr {
    w: Workdir,
    scale: f64,
    faults: Option<&'static str>,
}

impl Kmr {
    fn new(fixture: &str, scale: f64) -> Kmr {
        let w = Workdir::new();
        copy_dir(&fixtures().join("kmr").join(fixture), w.path());
        Kmr { w, scale, faults: None }
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_at(self.scale, args)
    }

    fn command_at(&self, scale: f64, args: &[&str]) -> Command {
        let mut command = self.w.command(args);
        command.env(corral_sandbox::TIME_SCALE_VAR, scale.to_string());
        match self.faults {
            Some(faults) => command.env(corral_sandbox::FAULTS_VAR, faults),
            None => command.env_remove(corral_sandbox::FAULTS_VAR),
        };
        command
    }

    fn run_command(mut command: Command) -> Output {
        let out = command.output().unwrap();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Kmr::run_command(self.command(args))
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(out.code, 0, "corral {args:?} failed:\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
        out
    }

    /// `corral sandbox inspect --json` at `scale`.
    fn inspect_at(&self, scale: f64) -> Vec<serde_json::Value> {
        let out = Kmr::run_command(self.command_at(scale, &["sandbox", "inspect", "--json"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        serde_json::from_str(&out.stdout).unwrap()
    }

    fn objects(&self, kind: &str) -> Vec<serde_json::Value> {
        self.inspect_at(self.scale).into_iter().filter(|o| o["type"] == kind).collect()
    }

    /// The addresses `corral state list` prints.
    fn state_list(&self) -> BTreeSet<String> {
        self.ok(&["state", "list"])
            .stdout
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// The 1-based line of the first line of the fixture's `main.hcl` that contains `text`.
    fn line_of(&self, text: &str) -> usize {
        let source = std::fs::read_to_string(self.w.path().join("main.hcl")).unwrap();
        source.lines().position(|l| l.contains(text)).unwrap() + 1
    }
}

/// Polls `check` until it holds or `timeout` passes.
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

/// The core nodes of the one cluster in the sandbox.
fn core_nodes(k: &Kmr) -> usize {
    let clusters = k.objects("cluster");
    assert_eq!(clusters.len(), 1, "one cluster, never a second: {clusters:#?}");
    let groups = clusters[0]["attributes"]["InstanceGroups"].as_array().unwrap();
    let core = groups.iter().find(|g| g["InstanceGroupType"] == "CORE").unwrap();
    core["InstanceIds"].as_array().unwrap().len()
}

#[test]
fn core_scales_in_place_and_shrinks_only_when_allowed() {
    let k = Kmr::new("scale", 3600.0);
    k.ok(&["apply", "--auto-approve"]);
    // The data source reads the cluster back by name.
    assert_eq!(k.ok(&["output", "core_nodes"]).stdout.trim(), "3");
    assert_eq!(k.ok(&["output", "status"]).stdout.trim(), "\"running\"");

    let plan = k.ok(&["plan", "--var", "core_nodes=5"]);
    assert!(plan.stdout.contains("kmr_cluster.warehouse will be updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ core_count") && plan.stdout.contains("3 -> 5"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains("0 to add, 1 to change, 0 to destroy"), "{}", plan.stdout);
    let applied = k.ok(&["apply", "--auto-approve", "--var", "core_nodes=5"]);
    assert!(applied.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", applied.stdout);
    assert_eq!(core_nodes(&k), 5);
    assert_eq!(k.ok(&["output", "core_nodes"]).stdout.trim(), "5");

    // Back to 3 without `allow_core_shrink`: refused at plan time, at the `core_count` line.
    let refused = k.run(&["plan", "--var", "core_nodes=3"]);
    assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
    let location = format!("main.hcl:{}:3, attribute `core_count`", k.line_of("core_count "));
    assert!(refused.stderr.contains(&location), "expected {location}:\n{}", refused.stderr);
    assert!(refused.stderr.contains("shrinking the core group from 5 to 3"), "{}", refused.stderr);
    assert!(refused.stderr.contains("HDFS") && refused.stderr.contains("allow_core_shrink"), "{}", refused.stderr);
    assert_eq!(core_nodes(&k), 5, "a refused plan changes nothing");

    let shrink = ["--var", "core_nodes=3", "--var", "allow_core_shrink=true"];
    k.ok(&[&["apply", "--auto-approve"][..], &shrink].concat());
    assert_eq!(core_nodes(&k), 3);
    let settled = k.run(&[&["plan", "--detailed-exitcode"][..], &shrink].concat());
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);
}

#[test]
fn a_transient_cluster_runs_its_jobs_releases_itself_and_the_next_plan_is_empty() {
    // Eight sandbox minutes of creation and two jobs take about half a real second.
    let k = Kmr::new("transient", 3600.0);
    k.ok(&["apply", "--auto-approve"]);
    assert!(
        eventually(Duration::from_secs(15), || k.objects("cluster").iter().any(|c| c["state"] == "released")),
        "{:#?}",
        k.objects("cluster")
    );
    let cluster = &k.objects("cluster")[0];
    let jobs = cluster["attributes"]["Jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2);
    assert!(jobs.iter().all(|j| j["JobStatus"] == "SUCCEEDED"), "{jobs:#?}");
    let plan = k.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "finished, not drifted:\n{}\n{}", plan.stdout, plan.stderr);
    assert_eq!(k.objects("cluster").len(), 1);
}

#[test]
fn an_execution_plan_fires_on_schedule_and_each_run_leaves_a_released_cluster() {
    let k = Kmr::new("schedule", 3600.0);
    k.ok(&["apply", "--auto-approve"]);
    // A second of real time at four sandbox hours per second: about four hourly runs.
    std::thread::sleep(Duration::from_millis(1100));
    let views = k.inspect_at(4.0 * 3600.0);
    let plan_id = views.iter().find(|o| o["type"] == "execution_plan").unwrap()["id"].clone();
    let runs = views.iter().filter(|o| o["type"] == "execution_plan_run").count();
    assert!(runs >= 3, "{views:#?}");
    let clusters: Vec<&serde_json::Value> = views.iter().filter(|o| o["type"] == "cluster").collect();
    assert!(clusters.iter().all(|c| c["attributes"]["ClusterType"] == "transient"), "{clusters:#?}");
    assert!(clusters.iter().all(|c| c["attributes"]["ExecutionPlanId"] == plan_id), "{clusters:#?}");
    // A run lasts about half an hour: all but perhaps the last one are over.
    let released = clusters.iter().filter(|c| c["state"] == "released").count();
    assert!(released >= runs - 1 && released >= 2, "each finished run released its cluster: {clusters:#?}");
    // Runs are the service's doing, not drift.
    let plan = k.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

#[test]
fn a_trial_converts_in_place_and_an_unconverted_one_is_gone_after_seven_days() {
    let k = Kmr::new("trial", 3600.0);
    k.ok(&["apply", "--auto-approve"]);
    let plan = k.ok(&["plan", "--var", "kept_billing=on_demand"]);
    assert!(plan.stdout.contains("kmr_cluster.kept will be updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("\"trial\" -> \"on_demand\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("0 to add, 1 to change, 0 to destroy"), "{}", plan.stdout);
    k.ok(&["apply", "--auto-approve", "--var", "kept_billing=on_demand"]);
    let kept = k.objects("cluster").into_iter().find(|c| c["attributes"]["ClusterName"] == "kept").unwrap();
    assert_eq!(kept["attributes"]["ChargeType"], "HourlyInstantSettlement");

    // A little over a real second at a week per second: the service deletes the trial.
    std::thread::sleep(Duration::from_millis(1100));
    let week = 7.0 * 86400.0;
    let plan = Kmr::run_command(k.command_at(week, &["plan", "--var", "kept_billing=on_demand"]));
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("kmr_cluster.lapsed has been deleted"), "the drift is shown:\n{}", plan.stdout);
    assert!(plan.stdout.contains("kmr_cluster.lapsed will be created"), "{}", plan.stdout);
    assert!(plan.stdout.contains("1 to add, 0 to change, 0 to destroy"), "{}", plan.stdout);
    let clusters = k.inspect_at(week);
    let lapsed = clusters.iter().find(|c| c["attributes"]["ClusterName"] == "lapsed").unwrap();
    assert_eq!(lapsed["state"], "terminated");
    assert_eq!(lapsed["attributes"]["StateChangeReason"]["Code"], "TrialExpired");
    let kept = clusters.iter().find(|c| c["attributes"]["ClusterName"] == "kept").unwrap();
    assert_eq!(kept["state"], "running", "the converted one stays");
}

#[test]
fn fifty_resources_converge_under_injected_faults_with_one_object_each() {
    let mut k = Kmr::new("faults", 3600.0);
    k.faults = Some("error_rate=0.2,throttle_rate=0.1");
    // Retries absorb most faults; what still fails is finished by a second apply, as a user
    // would run it.
    let mut apply = k.command(&["apply", "--auto-approve"]);
    apply.env("CORRAL_LOG", "debug");
    let first = Kmr::run_command(apply);
    assert!(first.stderr.contains("injected fault"), "the faults were injected and retried:\n{}", first.stderr);
    if first.code != 0 {
        assert!(first.stderr.contains("InternalError") || first.stderr.contains("Throttling"), "{}", first.stderr);
        k.ok(&["apply", "--auto-approve"]);
    }
    let views = k.inspect_at(k.scale);
    let count = |kind: &str| views.iter().filter(|o| o["type"] == kind).count();
    assert_eq!(count("vpc"), 25);
    assert_eq!(count("security_group"), 1);
    assert_eq!(count("security_group_entry"), 48);
    let ids: BTreeSet<&str> = views.iter().filter_map(|o| o["id"].as_str()).collect();
    assert_eq!(ids.len(), views.len(), "no object twice");
    assert_eq!(k.state_list().len(), 50);
    let plan = k.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

#[test]
fn a_killed_kmr_plugin_fails_the_apply_and_the_next_apply_adopts_the_cluster() {
    // Default sandbox time: the cluster takes eight real seconds to come up.
    let mut k = Kmr::new("scale", 60.0);
    let mut apply = k.command(&["apply", "--auto-approve"]);
    let mut child = apply.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let corral = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains("kmr_cluster.warehouse: Creating...") {
            break;
        }
    }
    assert!(seen.iter().any(|l| l.contains("kmr_cluster.warehouse: Creating...")), "{seen:#?}");
    // Launched and waiting for `running`.
    std::thread::sleep(Duration::from_millis(1500));
    let plugins = crate::plugins::children(corral);
    assert_eq!(plugins.len(), 1, "one plugin process (kmr): {plugins:?}");
    assert!(Command::new("kill").arg("-9").arg(plugins[0].to_string()).status().unwrap().success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let all = format!("{}\n{}\n{stderr}", seen.join("\n"), rest.join("\n"));
    assert_eq!(status.code(), Some(1), "{all}");
    assert!(all.contains("provider `kmr` exited unexpectedly (signal 9)"), "{all}");

    // Finished work is in state; the cluster's create waits as an intent.
    let listed = k.state_list();
    assert!(listed.contains("kmr_vpc.main") && listed.contains("kmr_subnet.a"), "{listed:?}");
    assert!(!listed.contains("kmr_cluster.warehouse"), "{listed:?}");

    k.scale = 3600.0;
    k.ok(&["apply", "--auto-approve"]);
    assert_eq!(core_nodes(&k), 3, "the launched cluster is adopted, not launched again");
    assert_eq!(k.objects("vpc").len(), 1);
    assert!(k.state_list().contains("kmr_cluster.warehouse"));
    let plan = k.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

#[test]
fn over_quota_fails_with_a_diagnostic_naming_the_quota() {
    let k = Kmr::new("scale", 3600.0);
    let sandbox = k.w.path().join(".corral/sandbox");
    std::fs::create_dir_all(&sandbox).unwrap();
    corral_sandbox::set_quota(&sandbox, corral_sandbox::DEFAULT_ACCOUNT, "nodes", 3).unwrap();
    let failed = k.run(&["apply", "--auto-approve"]);
    assert_eq!(failed.code, 1, "{}\n{}", failed.stdout, failed.stderr);
    let all = format!("{}\n{}", failed.stdout, failed.stderr);
    assert!(all.contains("QuotaExceeded.Node") && all.contains("quota `nodes`"), "{all}");
    assert!(k.objects("cluster").is_empty());
    assert!(k.state_list().contains("kmr_vpc.main"), "the network was made and kept");
}

/// `corral ARGS` with the cluster's admin password in `CORRAL_VAR_admin_password`.
fn with_password(k: &Kmr, password: &str, args: &[&str]) -> Output {
    let mut command = k.command(args);
    command.env("CORRAL_VAR_admin_password", password);
    Kmr::run_command(command)
}

#[test]
fn the_admin_password_reaches_the_sandbox_as_a_hash_and_is_never_written_down() {
    const FIRST: &str = "Warehouse-Key-4417";
    const SECOND: &str = "Warehouse-Key-9083";
    let k = Kmr::new("password", 3600.0);

    // A password against the policy is a plan error at its line, without the password.
    let weak = with_password(&k, "weakpassword", &["plan"]);
    assert_eq!(weak.code, 1, "{}\n{}", weak.stdout, weak.stderr);
    let location = format!("main.hcl:{}:3, attribute `admin_password`", k.line_of("admin_password "));
    assert!(weak.stderr.contains(&location), "expected {location}:\n{}", weak.stderr);
    assert!(weak.stderr.contains("at least 3 of"), "{}", weak.stderr);
    assert!(!weak.stderr.contains("weakpassword"), "{}", weak.stderr);

    let applied = with_password(&k, FIRST, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert!(!applied.stdout.contains(FIRST) && !applied.stderr.contains(FIRST), "{}", applied.stdout);
    let corral_dir = k.w.path().join(".corral");
    let sandbox_dir = corral_dir.join("sandbox");
    assert_eq!(files_containing(&corral_dir, FIRST, &sandbox_dir), Vec::<String>::new());
    let digest = k.w.state().instances.iter().find_map(|(addr, instance)| {
        (addr.to_string() == "kmr_cluster.warehouse").then(|| instance.attributes["admin_password"].clone())
    });
    let digest = digest.expect("the cluster is in state");
    assert!(digest.as_str().is_some_and(|d| d.starts_with("hmac-sha256:")), "state holds a digest: {digest:?}");

    // The sandbox keeps a salted hash: not in its file, not in what `inspect` shows.
    assert_eq!(files_containing(&sandbox_dir, FIRST, &corral_dir.join("none")), Vec::<String>::new());
    let clusters = k.objects("cluster");
    assert_eq!(clusters.len(), 1);
    let record = clusters[0].to_string();
    assert!(!record.contains(FIRST), "{record}");
    let hash = clusters[0]["attributes"]["AdminPasswordHash"].as_str().unwrap_or_default();
    assert!(corral_sandbox::services::kmr::password::verify(hash, FIRST), "the sandbox got the password: {hash}");

    // The same password: nothing to do.
    let same = with_password(&k, FIRST, &["plan", "--detailed-exitcode"]);
    assert_eq!(same.code, 0, "{}\n{}", same.stdout, same.stderr);

    // A new one cannot be set on a running cluster: a plan error that says why.
    let changed = with_password(&k, SECOND, &["plan"]);
    assert_eq!(changed.code, 1, "{}\n{}", changed.stdout, changed.stderr);
    assert!(changed.stderr.contains("admin_password") && changed.stderr.contains("HDFS"), "{}", changed.stderr);
    assert!(!changed.stderr.contains(SECOND) && !changed.stdout.contains(SECOND), "{}", changed.stderr);

    // Unless the cluster is replaced on purpose.
    let replaced = with_password(&k, SECOND, &["plan", "--replace", "kmr_cluster.warehouse"]);
    assert_eq!(replaced.code, 0, "{}\n{}", replaced.stdout, replaced.stderr);
    assert!(replaced.stdout.contains("1 to add, 0 to change, 1 to destroy"), "{}", replaced.stdout);
    assert!(!replaced.stdout.contains(SECOND), "{}", replaced.stdout);
}

/// The ids of the sandbox's security group entries, by CIDR.
fn entry_ids(k: &Kmr) -> std::collections::BTreeMap<String, String> {
    k.objects("security_group_entry")
        .iter()
        .map(|e| (e["attributes"]["CidrBlock"].as_str().unwrap().to_string(), e["id"].as_str().unwrap().to_string()))
        .collect()
}

/// The core nodes of the quickstart's warehouse cluster (its nightly pipeline may have started
/// a transient cluster beside it: at this scale, a day passes in 24 s).
fn warehouse_core_nodes(k: &Kmr) -> usize {
    let clusters = k.objects("cluster");
    let warehouse = clusters
        .iter()
        .find(|c| c["attributes"]["ClusterName"].as_str().is_some_and(|n| n.ends_with("-warehouse")))
        .unwrap_or_else(|| panic!("no warehouse cluster: {clusters:#?}"));
    let groups = warehouse["attributes"]["InstanceGroups"].as_array().unwrap();
    let core = groups.iter().find(|g| g["InstanceGroupType"] == "CORE").unwrap();
    core["InstanceIds"].as_array().unwrap().len()
}

/// Issue 12: scaling the quickstart cluster plans exactly one change. `KSCKMR` waits for the
/// cluster through `depends_on` only, so it is read while planning (and again during apply,
/// to confirm) and the SSH rule keeps its entries instead of being replaced.
#[test]
fn scaling_the_quickstart_changes_the_cluster_and_nothing_else() {
    let k = Kmr { w: Workdir::new(), scale: 3600.0, faults: None };
    copy_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart"), k.w.path());
    let _ = std::fs::remove_dir_all(k.w.path().join(".corral"));
    k.ok(&["apply", "--auto-approve"]);
    let before = entry_ids(&k);
    assert_eq!(before.len(), 3, "two office CIDRs and KMR's own entry: {before:?}");

    let plan = k.ok(&["plan", "--var", "core_nodes=5"]);
    assert!(plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(plan.stdout.contains("kmr_cluster.warehouse will be updated in-place"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("data.kmr_security_group.ksckmr will be read during apply, to confirm"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("kmr_security_group_rule.ssh"), "the rule does not change:\n{}", plan.stdout);
    let blocks = plan.stdout.lines().filter(|l| l.starts_with("  # ") && l.contains(" will be ")).count();
    assert_eq!(blocks, 2, "one update and one read:\n{}", plan.stdout);

    let applied = k.ok(&["apply", "--auto-approve", "--var", "core_nodes=5"]);
    assert!(applied.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", applied.stdout);
    assert_eq!(warehouse_core_nodes(&k), 5);
    assert_eq!(entry_ids(&k), before, "the SSH rule's entries are untouched");
    let settled = k.run(&["plan", "--var", "core_nodes=5", "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{}\n{}", settled.stdout, settled.stderr);
}
