//! `kmr_vpc_peering` (issue 14): hosts in another VPC reach a cluster only once the VPCs are
//! connected, so a rule whose CIDR lies in an unconnected VPC is a plan warning at that CIDR.
//! Fixture: `tests/fixtures/kmr/peering/`.

use crate::support::{Output, Workdir};

fn run(w: &Workdir, args: &[&str]) -> Output {
    let mut command = w.command(args);
    command.env(corral_sandbox::TIME_SCALE_VAR, "3600").env_remove(corral_sandbox::FAULTS_VAR);
    Output::from(command.output().unwrap())
}

fn ok(w: &Workdir, args: &[&str]) -> Output {
    let out = run(w, args);
    assert_eq!(out.code, 0, "corral {args:?} failed:\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    out
}

const WARNING: &str = "`10.8.1.0/24` lies in VPC office";

#[test]
fn a_rule_for_hosts_in_an_unconnected_vpc_warns_until_the_vpcs_are_peered() {
    let w = Workdir::fixture("kmr/peering");
    ok(&w, &["apply", "--auto-approve"]);
    let plan = ok(&w, &["plan"]);
    let all = format!("{}{}", plan.stdout, plan.stderr);
    assert!(all.contains(WARNING) && all.contains("is not connected to the group's VPC"), "{all}");
    assert!(all.contains("main.hcl:40"), "at the CIDR's line: {all}");
    assert!(!all.contains("`172.16.1.0/24` lies"), "the cluster's own VPC needs no peering: {all}");

    ok(&w, &["apply", "--auto-approve", "--var", "connect=true"]);
    let out = ok(&w, &["sandbox", "inspect", "--json"]);
    let objects: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
    let peerings: Vec<_> = objects.iter().filter(|o| o["type"] == "vpc_peering_connection").collect();
    assert_eq!(peerings.len(), 1, "{peerings:?}");
    assert_eq!(peerings[0]["state"], "active");
    let plan = run(&w, &["plan", "--detailed-exitcode", "--var", "connect=true"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(!format!("{}{}", plan.stdout, plan.stderr).contains(WARNING), "connected: no warning");
    ok(&w, &["destroy", "--auto-approve", "--var", "connect=true"]);
}
