//! Plans of `kyligence_stack` without a service: defaults, what is refused and what warned.

use corral_core::diag::Severity;
use corral_core::provider::{PlanRequest, PlanResponse};
use corral_core::value::{Path, Value};

use super::*;

fn request(prior: Option<Value>, config: Value) -> PlanRequest {
    PlanRequest::new(&schema::stack_schema().block, TYPE_NAME.into(), prior, config, None)
}

fn config(overrides: &[(&str, Value)]) -> Value {
    let mut attrs: BTreeMap<String, Value> = attributes(&Value::empty_object(), &schema::stack_schema().block);
    for (name, value) in [
        ("name", Value::string("sales")),
        ("vpc_id", Value::string("vpc-1")),
        ("subnet_id", Value::string("subnet-1")),
        ("master_instance_type", Value::string("m4.xlarge")),
        ("core_instance_type", Value::string("m4.2xlarge")),
        ("core_count", Value::int(2)),
        ("kap_version", Value::string("2.5.0")),
    ] {
        attrs.insert(name.into(), value);
    }
    for (name, value) in overrides {
        attrs.insert(name.to_string(), value.clone());
    }
    Value::Object(attrs)
}

/// The state of a settled stack planned from `config(overrides)`.
fn prior(status: &str, step: Option<&str>, overrides: &[(&str, Value)]) -> Value {
    let planned = plan(request(None, config(overrides))).planned_state.unwrap();
    let mut attrs = attributes(&planned, &schema::stack_schema().block);
    for (name, value) in [("id", "stk-1"), ("s3_bucket", "kyligence-1"), ("rds_id", "rds-1"), ("status", status)] {
        attrs.insert(name.into(), Value::string(value));
    }
    attrs.insert("step".into(), step.map_or(Value::Null(Type::String), Value::string));
    for name in ["rds_endpoint", "load_balancer_dns", "kap_url", "last_backup"] {
        attrs.insert(name.into(), Value::string("x"));
    }
    attrs.insert("retained_on_destroy".into(), retained("kyligence-1", "rds-1", false));
    Value::Object(attrs)
}

fn replan(prior: Value, overrides: &[(&str, Value)]) -> PlanResponse {
    plan(request(Some(prior), config(overrides)))
}

fn errors(response: &PlanResponse) -> Vec<String> {
    response.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(|d| d.summary.clone()).collect()
}

fn warnings(response: &PlanResponse) -> Vec<String> {
    response.diagnostics.iter().filter(|d| d.severity == Severity::Warning).map(|d| d.summary.clone()).collect()
}

fn planned(response: &PlanResponse, name: &str) -> Value {
    response.planned_state.as_ref().unwrap().get_attr(name).cloned().unwrap()
}

#[test]
fn a_new_stack_runs_with_defaults_and_one_master() {
    let response = plan(request(None, config(&[])));
    assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
    assert_eq!(planned(&response, "status"), Value::string("running"));
    assert_eq!(planned(&response, "running_nodes"), Value::int(3));
    assert_eq!(planned(&response, "task_instance_type"), Value::string("m4.2xlarge"));
    assert!(!planned(&response, "s3_bucket").is_known());
}

#[test]
fn the_master_count_forces_replacement_and_the_core_count_scales_in_place() {
    let master = replan(prior("running", None, &[]), &[("master_count", Value::int(3))]);
    assert_eq!(master.requires_replace, [Path::attr("master_count")]);
    let core = replan(prior("running", None, &[]), &[("core_count", Value::int(4))]);
    assert!(core.requires_replace.is_empty() && errors(&core).is_empty(), "{:?}", core.diagnostics);
    assert_eq!(planned(&core, "running_nodes"), Value::int(5));
}

#[test]
fn a_core_shrink_needs_allow_core_shrink() {
    let refused = replan(prior("running", None, &[]), &[("core_count", Value::int(1))]);
    assert_eq!(errors(&refused), ["shrinking the core group from 2 to 1 nodes is refused"]);
    let allowed =
        replan(prior("running", None, &[]), &[("core_count", Value::int(1)), ("allow_core_shrink", Value::Bool(true))]);
    assert!(errors(&allowed).is_empty(), "{:?}", allowed.diagnostics);
}

#[test]
fn no_scaling_while_stopped_and_no_stop_or_upgrade_while_scaling() {
    let stopped = [("desired_state", Value::string("stopped"))];
    let scale_stopped = replan(prior("stopped", None, &stopped), &[stopped[0].clone(), ("task_count", Value::int(2))]);
    assert_eq!(errors(&scale_stopped), ["stack stk-1 cannot scale while it is stopped"]);
    let scale_and_stop = replan(prior("running", None, &[]), &[stopped[0].clone(), ("core_count", Value::int(3))]);
    assert_eq!(errors(&scale_and_stop), ["stack stk-1 cannot scale while it is stopped"]);
    let stop_scaling = replan(prior("scaling", Some("resizing"), &[]), &stopped);
    assert!(errors(&stop_scaling)[0].contains("is scaling: it cannot stop"), "{:?}", stop_scaling.diagnostics);
    let upgrade_scaling = replan(prior("scaling", Some("resizing"), &[]), &[("kap_version", Value::string("2.5.4"))]);
    assert!(errors(&upgrade_scaling)[0].contains("cannot upgrade KAP"), "{:?}", upgrade_scaling.diagnostics);
}

#[test]
fn an_upgrade_warns_that_kap_is_unavailable_and_never_downgrades() {
    let upgrade = replan(prior("running", None, &[]), &[("kap_version", Value::string("2.5.4"))]);
    assert!(errors(&upgrade).is_empty());
    assert!(warnings(&upgrade)[0].starts_with("KAP unavailable during upgrade"), "{:?}", upgrade.diagnostics);
    let down = replan(prior("running", None, &[]), &[("kap_version", Value::string("2.4.0"))]);
    assert_eq!(errors(&down), ["KAP 2.5.0 cannot be downgraded to 2.4.0"]);
}

#[test]
fn an_operation_left_by_an_earlier_apply_plans_an_update_that_waits_for_it() {
    let stopped = [("desired_state", Value::string("stopped"))];
    let response = replan(prior("stopping", Some("backing_up"), &stopped), &stopped);
    assert!(errors(&response).is_empty(), "{:?}", response.diagnostics);
    assert_eq!(planned(&response, "status"), Value::string("stopped"));
    assert!(warnings(&response)[0].contains("at step `backing_up`"), "{:?}", response.diagnostics);
}

#[test]
fn rds_is_retained_unless_deleted_on_destroy() {
    let response = replan(prior("running", None, &[]), &[("delete_rds_on_destroy", Value::Bool(true))]);
    assert_eq!(planned(&response, "retained_on_destroy"), retained("kyligence-1", "rds-1", true));
    assert!(warnings(&response)[0].contains("will delete its RDS database rds-1"), "{:?}", response.diagnostics);
}

#[test]
fn a_failed_stack_is_refused() {
    let response = replan(prior("failed", Some("installing"), &[]), &[]);
    assert!(errors(&response)[0].contains("is failed"), "{:?}", response.diagnostics);
}

#[test]
fn validation_names_the_attribute() {
    let bad = validate(&config(&[("master_count", Value::int(2)), ("kap_version", Value::string("9.9"))]));
    let attributes: Vec<_> = bad.iter().filter_map(|d| d.attribute.clone()).collect();
    assert!(
        attributes.contains(&Path::attr("master_count")) && attributes.contains(&Path::attr("kap_version")),
        "{bad:?}"
    );
}
