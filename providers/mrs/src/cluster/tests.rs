//! Plan-time rules of `mrs_cluster`, without a service.

use super::*;

fn config(overrides: &[(&str, Value)]) -> Value {
    let mut attrs: BTreeMap<String, Value> = [
        ("name", Value::string("lake")),
        ("version", Value::string("MRS 3.1.0")),
        ("components", Value::List(Type::String, vec![Value::string("Hadoop")])),
        ("vpc_name", Value::string("vpc-1")),
        ("subnet_id", Value::string("subnet-1")),
        ("admin_password", Value::string("Admin@12345")),
        ("node_root_password", Value::string("Root@12345")),
        ("master_flavor", Value::string("c6.2xlarge")),
        ("core_flavor", Value::string("c6.2xlarge")),
        ("core_count", Value::int(3)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in overrides {
        attrs.insert(k.to_string(), v.clone());
    }
    Value::Object(attrs)
}

fn plan_of(prior: Option<Value>, config: Value) -> PlanResponse {
    plan(PlanRequest {
        type_name: TYPE_NAME.into(),
        prior_state: prior,
        proposed_new_state: config.clone(),
        config,
        prior_private: None,
    })
}

/// The state a create of `config` leaves (what the service would answer, simplified).
fn applied(config: Value) -> Value {
    let mut state = attrs(&plan_of(None, config).planned_state.unwrap());
    for name in ["id", "status", "master_ip", "order_id", "availability_zone", "security_group_id"] {
        state.insert(name.into(), Value::string(format!("{name}-1")));
    }
    Value::Object(state)
}

fn errors(response: &PlanResponse) -> String {
    response.diagnostics.iter().map(|d| d.summary.clone()).collect::<Vec<_>>().join("\n")
}

#[test]
fn a_create_fills_the_defaults_and_leaves_the_service_values_unknown() {
    let response = plan_of(None, config(&[]));
    assert!(!response.diagnostics.has_errors(), "{}", errors(&response));
    let planned = attrs(&response.planned_state.unwrap());
    assert_eq!(planned["type"], Value::string("analysis"));
    assert_eq!(planned["master_count"], Value::int(2));
    assert_eq!(planned["charging_mode"], Value::string(POST_PAID));
    assert!(!planned["id"].is_known());
}

#[test]
fn the_core_floor_and_the_login_are_plan_errors() {
    let response = plan_of(None, config(&[("core_count", Value::int(2))]));
    assert!(errors(&response).contains("at least 3 core nodes"), "{}", errors(&response));
    let response = plan_of(None, config(&[("node_keypair_name", Value::string("k"))]));
    assert!(errors(&response).contains("exactly one of"), "{}", errors(&response));
    let response = plan_of(None, config(&[("task_count", Value::int(2))]));
    assert!(errors(&response).contains("task nodes need `task_flavor`"), "{}", errors(&response));
}

#[test]
fn a_master_flavor_change_is_in_place_but_needs_two_masters() {
    let prior = applied(config(&[]));
    let response = plan_of(Some(prior), config(&[("master_flavor", Value::string("c6.4xlarge"))]));
    assert!(!response.diagnostics.has_errors(), "{}", errors(&response));
    assert!(response.requires_replace.is_empty(), "{:?}", response.requires_replace);

    let one = config(&[("master_count", Value::int(1))]);
    let prior = applied(one);
    let response = plan_of(
        Some(prior),
        config(&[("master_count", Value::int(1)), ("master_flavor", Value::string("c6.4xlarge"))]),
    );
    assert!(errors(&response).contains("with 1 master is refused"), "{}", errors(&response));
}

#[test]
fn fields_fixed_at_creation_require_replacement_and_shrinks_need_the_guard() {
    let prior = applied(config(&[("core_count", Value::int(5))]));
    let response =
        plan_of(Some(prior.clone()), config(&[("core_count", Value::int(5)), ("version", Value::string("MRS 3.2.0"))]));
    assert_eq!(response.requires_replace, vec![Path::attr("version")]);
    // Left unset, a value the service chose is kept, not replaced.
    assert!(!response.requires_replace.contains(&Path::attr("availability_zone")));

    let response = plan_of(Some(prior.clone()), config(&[("core_count", Value::int(4))]));
    assert!(errors(&response).contains("from 5 to 4 nodes is refused"), "{}", errors(&response));
    let response =
        plan_of(Some(prior), config(&[("core_count", Value::int(4)), ("allow_core_shrink", Value::Bool(true))]));
    assert!(!response.diagnostics.has_errors(), "{}", errors(&response));
}
