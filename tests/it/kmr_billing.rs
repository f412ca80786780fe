//! KMR billing (issue 14): yearly beside monthly with the term bought at launch, the service's
//! expiry reminder as a plan warning when a trial ends within two days, and the expiry date
//! in `corral show`. Fixture: `tests/fixtures/kmr/billing/`.

use crate::support::{Output, Workdir};

fn run_at(w: &Workdir, scale: f64, args: &[&str]) -> Output {
    let mut command = w.command(args);
    command.env(corral_sandbox::TIME_SCALE_VAR, scale.to_string()).env_remove(corral_sandbox::FAULTS_VAR);
    Output::from(command.output().unwrap())
}

fn ok_at(w: &Workdir, scale: f64, args: &[&str]) -> Output {
    let out = run_at(w, scale, args);
    assert_eq!(out.code, 0, "corral {args:?} failed:\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    out
}

fn cluster(w: &Workdir, name: &str) -> serde_json::Value {
    let out = ok_at(w, 1.0, &["sandbox", "inspect", "--json"]);
    let all: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
    all.into_iter().find(|o| o["type"] == "cluster" && o["attributes"]["ClusterName"] == name).unwrap()
}

#[test]
fn a_yearly_term_is_bought_at_launch_and_a_trial_ending_within_two_days_is_a_plan_warning() {
    let w = Workdir::fixture("kmr/billing");
    let out = run_at(&w, 3600.0, &["plan", "--var", "years=4"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("a Yearly term is 1–3 years, not 4"), "{}", out.stderr);

    ok_at(&w, 3600.0, &["apply", "--auto-approve"]);
    let reserved = cluster(&w, "reserved");
    assert_eq!(reserved["attributes"]["ChargeType"], "Yearly");
    assert_eq!(reserved["attributes"]["PurchaseTime"], 1);
    let plan = ok_at(&w, 1.0, &["plan", "--detailed-exitcode"]);
    assert!(!plan.stdout.contains("expires at") && !plan.stderr.contains("expires at"), "a week left: no warning");
    // `show` tells when each subscription ends.
    let show = ok_at(&w, 1.0, &["show"]);
    let expiries: Vec<&str> = show.stdout.lines().filter(|l| l.trim_start().starts_with("expires_at")).collect();
    assert_eq!(expiries.len(), 2, "{}", show.stdout);
    let created = reserved["attributes"]["CreateTime"].as_str().unwrap()[..4].parse::<i32>().unwrap();
    assert!(expiries.iter().any(|l| l.contains(&format!("\"{}-", created + 1))), "a year on: {expiries:?}");

    // A term is bought once: changing it later is refused at its line.
    let out = run_at(&w, 1.0, &["plan", "--var", "years=2"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("`billing_period` cannot change from 1 to 2"), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:32"), "{}", out.stderr);

    // Five and a half days on: under two days left.
    corral_sandbox::testing::advance_clock(&w.path().join(".corral/sandbox"), chrono::Duration::hours(132)).unwrap();
    let trial = cluster(&w, "trial");
    assert_eq!(trial["state"], "running", "{trial}");
    let left = trial["attributes"]["ExpiresInMinutes"].as_i64().unwrap();
    assert!((1..2880).contains(&left), "{left}");
    let plan = ok_at(&w, 1.0, &["plan"]);
    let all = format!("{}{}", plan.stdout, plan.stderr);
    assert!(all.contains("trial cluster `trial` expires at"), "{all}");
    assert!(all.contains("(in 1 day") && all.contains("the service then deletes"), "{all}");
    assert!(all.contains("convert it: set `billing` to"), "{all}");
    assert!(all.contains("main.hcl:20"), "at `billing`: {all}");
    assert!(!all.contains("term of cluster `reserved`"), "a year left: {all}");
}
