use super::*;

fn rule(pairs: &[(&str, Value)]) -> Value {
    let mut map = BTreeMap::from([
        ("name".to_string(), Value::string("up")),
        ("adjustment_type".to_string(), Value::string("scale_out")),
        ("scaling_adjustment".to_string(), Value::int(1)),
        ("cool_down_minutes".to_string(), Value::Null(Type::Number)),
        ("metric_name".to_string(), Value::string("YARNAppRunning")),
        ("metric_value".to_string(), Value::int(75)),
        ("comparison_operator".to_string(), Value::string("GT")),
        ("evaluation_periods".to_string(), Value::int(1)),
    ]);
    for (k, v) in pairs {
        map.insert(k.to_string(), v.clone());
    }
    Value::Object(map)
}

fn policy(rules: Vec<Value>) -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("cluster_id".to_string(), Value::string("c-1")),
        ("node_group".to_string(), Value::string("task_node_analysis_group")),
        ("min_capacity".to_string(), Value::int(0)),
        ("max_capacity".to_string(), Value::int(10)),
        ("rule".to_string(), Value::Tuple(rules)),
    ])
}

fn located(d: &Diagnostics) -> Vec<String> {
    d.iter().map(|d| d.attribute.as_ref().map(ToString::to_string).unwrap_or_default()).collect()
}

#[test]
fn each_broken_rule_is_an_error_at_its_attribute() {
    assert!(!check(&policy(vec![rule(&[])])).has_errors());
    let broken = policy(vec![
        rule(&[]),
        rule(&[
            ("name", Value::string("up")),
            ("comparison_operator", Value::string("EQ")),
            ("evaluation_periods", Value::int(300)),
            ("cool_down_minutes", Value::int(20_000)),
        ]),
    ]);
    let d = check(&broken);
    assert_eq!(
        located(&d),
        ["rule[1].name", "rule[1].cool_down_minutes", "rule[1].comparison_operator", "rule[1].evaluation_periods"]
    );
    let mut inverted = policy(vec![]);
    inverted.insert("min_capacity".into(), Value::int(11));
    assert_eq!(located(&check(&inverted)), ["min_capacity"]);
    let mut core = policy(vec![]);
    core.insert("node_group".into(), Value::string("core_node_analysis_group"));
    assert_eq!(located(&check(&core)), ["node_group"]);
}

#[test]
fn api_paths_become_configuration_paths() {
    assert_eq!(corral_path("rules[2].trigger.metric_value").to_string(), "rule[2].metric_value");
    assert_eq!(corral_path("resources_plans[0].end_time").to_string(), "resource_plan[0].end_time");
    assert_eq!(corral_path("max_capacity").to_string(), "max_capacity");
}

#[test]
fn the_default_cool_down_the_service_fills_in_is_no_drift() {
    let prior = policy(vec![rule(&[])]);
    let answered = to_api(&prior);
    assert_eq!(answered.rules[0].cool_down_minutes, 20);
    assert_eq!(state_from_api(prior.clone(), &answered), Value::Object(prior.clone()));
    let mut changed = answered.clone();
    changed.max_capacity = 4;
    let state = state_from_api(prior, &changed);
    assert_eq!(state.get_attr("max_capacity").and_then(Value::as_number).and_then(|n| n.to_i64()), Some(4));
}
