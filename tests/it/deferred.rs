//! Deferred `count`/`for_each` (issue 12): what depends on values known only after apply is
//! planned in a later round, and `corral apply` converges by itself. Fixtures:
//! `tests/fixtures/deferred/*` (testing provider) and `tests/fixtures/deferred_kmr` (KMR
//! sandbox).

use crate::support::{Output, Workdir};

fn run(w: &Workdir, args: &[&str]) -> Output {
    w.corral(args)
}

fn all(out: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr)
}

fn state_list(w: &Workdir) -> Vec<String> {
    w.ok(&["state", "list"]).stdout.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// Issue 12's acceptance: a `for_each` over the ids of KMR clusters created in the same
/// configuration converges in two rounds; the second plan is empty.
#[test]
fn a_for_each_over_new_cluster_ids_converges_in_two_rounds() {
    let w = Workdir::fixture("deferred_kmr");
    let kmr = |args: &[&str]| {
        let mut command = w.command(args);
        command.env(corral_sandbox::TIME_SCALE_VAR, "3600").env_remove(corral_sandbox::FAULTS_VAR);
        Output::from(command.output().unwrap())
    };
    let plan = kmr(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", all(&plan));
    assert!(plan.stdout.contains("# kmr_cluster.c[0] will be created"), "{}", plan.stdout);
    assert!(plan.stdout.contains("# kmr_cluster.c[1] will be created"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("# kmr_job"), "the jobs are not planned yet: {}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 4 to add, 0 to change, 0 to destroy, 1 deferred."), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("kmr_job.per_cluster: for_each depends on kmr_cluster.c, known after apply"),
        "{}",
        plan.stdout
    );

    let apply = kmr(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", all(&apply));
    assert!(apply.stdout.contains("Round 1: Apply complete! Resources: 4 added"), "{}", apply.stdout);
    assert!(apply.stdout.contains("Round 2: planning what round 1 deferred"), "{}", apply.stdout);
    assert!(apply.stdout.contains("# kmr_job.per_cluster["), "round 2 is shown as a plan: {}", apply.stdout);
    assert!(apply.stdout.contains("Round 2: Apply complete! Resources: 2 added"), "{}", apply.stdout);
    assert!(apply.stdout.contains("Converged in 2 rounds"), "{}", apply.stdout);
    assert!(!apply.stdout.contains("Round 3"), "{}", apply.stdout);
    let jobs: Vec<String> = state_list(&w).into_iter().filter(|a| a.starts_with("kmr_job.per_cluster[")).collect();
    assert_eq!(jobs.len(), 2, "one job per cluster: {jobs:?}");

    let again = kmr(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "the second plan is empty: {}", all(&again));
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    let destroy = kmr(&["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", all(&destroy));
}

#[test]
fn the_plan_shows_what_is_deferred_and_why() {
    let w = Workdir::fixture("deferred/clusters");
    let plan = run(&w, &["plan"]);
    assert_eq!(plan.code, 0, "{}", all(&plan));
    insta::assert_snapshot!("deferred_plan", plan.stdout);
    let markdown = w.ok(&["plan", "--markdown"]);
    assert!(
        markdown.stdout.starts_with("### Corral plan: 2 to add, 0 to change, 0 to destroy, 2 deferred\n"),
        "{}",
        markdown.stdout
    );
    assert!(markdown.stdout.contains(":hourglass: 2 objects are deferred to a later round"), "{}", markdown.stdout);
    let json = w.ok(&["plan", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["complete"], false);
    assert_eq!(
        json["deferred_changes"],
        serde_json::json!([{
            "reason": "instance_count_unknown",
            "resource_change": {
                "address": "testing_thing.per_cluster",
                "mode": "managed",
                "type": "testing_thing",
                "name": "per_cluster",
                "change": {
                    "actions": ["create"],
                    "before": null,
                    "after": null,
                    "after_unknown": true,
                    "before_sensitive": false,
                    "after_sensitive": false,
                },
            },
        }])
    );
}

#[test]
fn a_count_known_only_after_apply_is_deferred_and_the_rest_is_applied() {
    let w = Workdir::fixture("deferred/count");
    let plan = run(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", all(&plan));
    assert!(plan.stdout.contains("testing_thing.copies: count depends on testing_thing.src, known after apply"));
    assert!(plan.stdout.contains("# testing_thing.independent will be created"), "{}", plan.stdout);
    let apply = w.ok(&["apply", "--auto-approve"]);
    assert!(apply.stdout.contains("Converged in 2 rounds"), "{}", apply.stdout);
    assert_eq!(state_list(&w), ["testing_thing.copies[0]", "testing_thing.independent", "testing_thing.src"]);
    assert_eq!(run(&w, &["plan", "--detailed-exitcode"]).code, 0);
}

#[test]
fn a_chain_of_two_deferrals_converges_in_three_rounds() {
    let w = Workdir::fixture("deferred/chain");
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("testing_thing.b: for_each depends on testing_thing.a, known after apply"));
    assert!(plan.stdout.contains("testing_thing.c: depends on deferred testing_thing.b"), "{}", plan.stdout);
    let apply = w.ok(&["apply", "--auto-approve"]);
    assert!(apply.stdout.contains("Round 3: planning what round 2 deferred"), "{}", apply.stdout);
    assert!(apply.stdout.contains("Converged in 3 rounds"), "{}", apply.stdout);
    let list = state_list(&w);
    assert_eq!(list.len(), 3, "{list:?}");
    assert_eq!(run(&w, &["plan", "--detailed-exitcode"]).code, 0);
}

#[test]
fn the_round_cap_stops_with_the_work_left_and_detailed_exitcode_says_so() {
    let w = Workdir::fixture("deferred/chain");
    let out = run(&w, &["apply", "--auto-approve", "--max-rounds", "2"]);
    assert_eq!(out.code, 1, "{}", all(&out));
    assert!(out.stderr.contains("Still deferred after 2 round(s)"), "{}", out.stderr);
    assert!(out.stderr.contains("testing_thing.c: for_each depends on testing_thing.b"), "{}", out.stderr);
    // The next apply simply continues.
    let out = run(&w, &["apply", "--auto-approve", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert_eq!(state_list(&w).len(), 3);
}

#[test]
fn a_saved_plan_applies_one_round_and_says_what_remains() {
    let w = Workdir::fixture("deferred/clusters");
    w.ok(&["plan", "--out", "round1.plan"]);
    let out = run(&w, &["apply", "round1.plan", "--detailed-exitcode"]);
    assert_eq!(out.code, 2, "{}", all(&out));
    assert!(out.stdout.contains("2 object(s) remain deferred to a later round; run `corral apply`"), "{}", out.stdout);
    assert_eq!(state_list(&w), ["testing_thing.c[0]", "testing_thing.c[1]"]);
    // The next plan is the second round; without the flag, apply of a plan file exits 0.
    w.ok(&["plan", "--out", "round2.plan"]);
    let out = run(&w, &["apply", "round2.plan", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert_eq!(state_list(&w).len(), 4);
    let output = w.ok(&["output", "--json", "per_cluster_ids"]);
    let ids: Vec<String> = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(ids.len(), 2);
}

#[test]
fn existing_instances_of_a_deferred_resource_are_left_alone() {
    let w = Workdir::fixture("deferred/clusters");
    w.ok(&["apply", "--auto-approve"]);
    let before = state_list(&w);
    // Replacing a cluster makes its id unknown again: the for_each is deferred, and the
    // instances per_cluster already has are neither updated nor destroyed this round.
    let plan = w.ok(&["plan", "--replace", "testing_thing.c[0]", "--out", "replace.plan"]);
    assert!(plan.stdout.contains("# testing_thing.c[0] will be replaced"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("# testing_thing.per_cluster"), "{}", plan.stdout);
    assert!(plan.stdout.contains("(its 2 existing instances are left as they are)"), "{}", plan.stdout);
    assert!(plan.stdout.contains("output.per_cluster_ids: depends on deferred testing_thing.per_cluster"));
    let out = run(&w, &["apply", "replace.plan"]);
    assert_eq!(out.code, 0, "{}", all(&out));
    let per_cluster = |list: &[String]| -> Vec<String> {
        list.iter().filter(|a| a.starts_with("testing_thing.per_cluster")).cloned().collect()
    };
    assert_eq!(per_cluster(&state_list(&w)), per_cluster(&before), "untouched in the round that deferred them");
    // The deferred output kept its value in state.
    let output = w.ok(&["output", "--json", "per_cluster_ids"]);
    assert_eq!(serde_json::from_str::<Vec<String>>(&output.stdout).unwrap().len(), 2);
    // The next round moves the instance of the replaced cluster.
    let out = w.ok(&["apply", "--auto-approve"]);
    assert!(out.stdout.contains("1 added, 0 changed, 1 destroyed"), "{}", out.stdout);
    assert_eq!(run(&w, &["plan", "--detailed-exitcode"]).code, 0);
}

#[test]
fn a_deferred_module_call_defers_everything_inside_it() {
    let w = Workdir::fixture("deferred/module");
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("module.net: for_each depends on testing_thing.c, known after apply"));
    assert!(plan.stdout.contains("module.net.testing_thing.t: depends on deferred module.net"), "{}", plan.stdout);
    assert!(plan.stdout.contains("output.net_count: depends on deferred module.net"), "{}", plan.stdout);
    let apply = w.ok(&["apply", "--auto-approve"]);
    assert!(apply.stdout.contains("Converged in 2 rounds"), "{}", apply.stdout);
    assert_eq!(w.ok(&["output", "net_count"]).stdout.trim(), "2");
    assert_eq!(run(&w, &["plan", "--detailed-exitcode"]).code, 0);
}

#[test]
fn a_deferred_configuration_still_destroys() {
    let w = Workdir::fixture("deferred/clusters");
    w.ok(&["plan", "--out", "round1.plan"]);
    w.ok(&["apply", "round1.plan"]);
    let destroy = w.ok(&["destroy", "--auto-approve"]);
    assert!(destroy.stdout.contains("Destroy complete! Resources: 2 destroyed."), "{}", destroy.stdout);
    assert!(state_list(&w).is_empty());
}

#[test]
fn without_input_or_approval_the_first_round_is_refused_as_before() {
    let w = Workdir::fixture("deferred/clusters");
    let out = run(&w, &["apply", "--input=false"]);
    assert_eq!(out.code, 1, "{}", all(&out));
    assert!(out.stderr.contains("No confirmation with `--input=false`"), "{}", out.stderr);
    assert!(state_list(&w).is_empty());
}

#[test]
fn a_deferred_data_source_defers_what_reads_it() {
    let w = Workdir::fixture("deferred/data");
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("data.testing_thing.d: for_each depends on testing_thing.c, known after apply"));
    assert!(plan.stdout.contains("testing_thing.copy: depends on deferred data.testing_thing.d"), "{}", plan.stdout);
    let json = w.ok(&["plan", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let reasons: Vec<(&str, &str)> = json["deferred_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["resource_change"]["address"].as_str().unwrap(), d["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        [("data.testing_thing.d", "instance_count_unknown"), ("testing_thing.copy", "deferred_prereq")]
    );
    let apply = w.ok(&["apply", "--auto-approve"]);
    assert!(apply.stdout.contains("Converged in 2 rounds"), "{}", apply.stdout);
    let copies = state_list(&w).into_iter().filter(|a| a.starts_with("testing_thing.copy[")).count();
    assert_eq!(copies, 2);
    assert_eq!(run(&w, &["plan", "--detailed-exitcode"]).code, 0);
}

/// `-replace` is one replacement, made in the first round: the later rounds plan what that
/// round deferred without replacing again, and the apply converges.
#[test]
fn a_replace_is_made_once_and_the_rounds_after_it_converge() {
    let w = Workdir::fixture("deferred/chain");
    w.ok(&["apply", "--auto-approve"]);
    let apply = w.ok(&["apply", "--auto-approve", "-replace=testing_thing.a"]);
    assert_eq!(apply.stdout.matches("testing_thing.a will be replaced").count(), 1, "{}", all(&apply));
    assert!(apply.stdout.contains("Converged in 3 rounds"), "{}", all(&apply));
    assert_eq!(state_list(&w).len(), 3);
    assert_eq!(run(&w, &["plan", "--detailed-exitcode"]).code, 0);
}

/// A `for_each` over `uuid()` is unknown at every plan (impure functions are): round 1
/// applies the rest, round 2 has nothing to apply and the same object deferred, and the
/// apply stops instead of looping until `--max-rounds`.
#[test]
fn deferred_work_that_cannot_become_known_stops_the_apply() {
    let w = Workdir::fixture("deferred/impure_keys");
    let apply = run(&w, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}", all(&apply));
    assert!(apply.stdout.contains("Round 1: Apply complete! Resources: 1 added"), "{}", all(&apply));
    assert!(apply.stdout.contains("Round 2: planning what round 1 deferred"), "{}", all(&apply));
    assert!(!apply.stdout.contains("Round 3"), "{}", all(&apply));
    assert!(apply.stderr.contains("Deferred work cannot make progress"), "{}", all(&apply));
    assert!(apply.stderr.contains("Round 2 has nothing to apply, yet 1 object(s) stay deferred"), "{}", all(&apply));
    assert!(apply.stderr.contains("testing_thing.stamp: for_each is known only after apply"), "{}", all(&apply));
    assert_eq!(state_list(&w), vec!["testing_thing.x"]);
}

/// A round that would change only an output (here one that calls `timestamp()`) is no
/// progress either: the apply stops at round 2, not at `--max-rounds`.
#[test]
fn a_round_that_changes_only_outputs_is_no_progress() {
    let w = Workdir::fixture("deferred/impure_output");
    let apply = run(&w, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}", all(&apply));
    assert!(apply.stdout.contains("Round 2: planning what round 1 deferred"), "{}", all(&apply));
    assert!(!apply.stdout.contains("Round 3"), "{}", all(&apply));
    assert!(apply.stderr.contains("Deferred work cannot make progress"), "{}", all(&apply));
}
