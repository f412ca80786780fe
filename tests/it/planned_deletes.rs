//! Planned deletions reach the providers that ask for them (`ProviderSchema::delete_plans`):
//! destroying a prepaid MRS cluster is an unsubscription, which the *plan* names, whether
//! the deletion comes from `destroy` or from a resource removed from the configuration.
//! (A pay-per-use cluster's delete plan passes: `mrs_provider`'s destroy.)

use crate::support::{Output, Workdir};

fn run(w: &Workdir, args: &[&str]) -> Output {
    let mut command = w.command(args);
    command.env(corral_sandbox::TIME_SCALE_VAR, "1200").env_remove(corral_sandbox::FAULTS_VAR);
    Output::from(command.output().unwrap())
}

fn delete_calls(w: &Workdir) -> usize {
    let log = corral_sandbox::rest::request_log(&w.path().join(".corral/sandbox")).unwrap();
    log.iter().filter(|e| e.operation == "DeleteCluster").count()
}

fn refused_at_plan(out: &Output) {
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("is prepaid: MRS does not delete it"), "{}", out.stderr);
    assert!(out.stderr.contains("Unsubscriptions"), "{}", out.stderr);
    // At the resource's block, before any plan was shown.
    assert!(out.stderr.contains("main.hcl:3:1"), "{}", out.stderr);
    assert!(!out.stdout.contains("Plan:"), "{}", out.stdout);
}

#[test]
fn the_plan_names_the_unsubscription_of_a_prepaid_cluster() {
    let w = Workdir::fixture("mrs/prepaid");
    let out = run(&w, &["apply", "--auto-approve"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);

    refused_at_plan(&run(&w, &["plan", "--destroy"]));
    refused_at_plan(&run(&w, &["destroy", "--auto-approve"]));
    assert_eq!(delete_calls(&w), 0);

    // Removed from the configuration: the orphan's deletion is refused at plan too (no
    // block to point at, so the message stands alone).
    std::fs::write(w.path().join("main.hcl"), "provider \"mrs\" {}\n").unwrap();
    let out = run(&w, &["plan"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("is prepaid: MRS does not delete it"), "{}", out.stderr);
    assert_eq!(delete_calls(&w), 0);
}
