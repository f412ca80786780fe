//! The pure parts of `kmr_cluster`: plan-time rules, replacement paths, and the round trip
//! between a configuration and the API's answer (which must plan as no change).

use std::collections::BTreeMap;

use corral_core::value::{Type, Value};
use serde_json::json;

use super::schema::cluster_schema;
use super::spec::{attributes, spec_body};
use super::*;

/// A cluster as `DescribeCluster` answers it: `fields` over a running cluster's.
fn described(fields: serde_json::Value) -> ApiCluster {
    let mut cluster = json!({
        "ClusterId": "c-1", "ClusterName": "warehouse", "ClusterType": "persistent",
        "ChargeType": "HourlyInstantSettlement", "ClusterStatus": "running",
        "MainVersion": "5.3.0", "Services": [], "VpcDomainId": "vpc-1", "SubnetId": "subnet-1",
        "SecurityGroupId": "sg-1", "EnableEip": false, "MasterPrivateIp": "172.16.1.9",
        "InstanceGroups": [], "Jobs": [], "CreateTime": "2026-01-01T00:00:00Z",
    });
    for (key, value) in fields.as_object().unwrap() {
        cluster[key] = value.clone();
    }
    serde_json::from_value(cluster).unwrap()
}

fn group(id: &str, group_type: &str, instance_ids: &[&str]) -> serde_json::Value {
    json!({
        "InstanceGroupId": id, "InstanceGroupType": group_type, "InstanceType": "S6.4XLARGE32",
        "InstanceCount": instance_ids.len(), "InstanceIds": instance_ids, "VpcSubnetId": "subnet-1",
    })
}

fn config(extra: &[(&str, Value)]) -> BTreeMap<String, Value> {
    let mut value = BTreeMap::from([
        ("name".to_string(), Value::string("warehouse")),
        ("type".to_string(), Value::string("persistent")),
        ("billing".to_string(), Value::string("on_demand")),
        ("version".to_string(), Value::string("5.3.0")),
        ("services".to_string(), Value::new_set(Type::String, vec![Value::string("spark"), Value::string("hive")])),
        ("vpc_id".to_string(), Value::string("vpc-1")),
        ("subnet_id".to_string(), Value::string("subnet-1")),
        ("master_instance_type".to_string(), Value::string("S6.4XLARGE32")),
        ("master_count".to_string(), Value::int(1)),
        ("core_instance_type".to_string(), Value::string("S6.4XLARGE32")),
        ("core_count".to_string(), Value::int(3)),
        ("task_count".to_string(), Value::int(0)),
        ("eip".to_string(), Value::Bool(false)),
        ("allow_core_shrink".to_string(), Value::Bool(false)),
    ]);
    for (k, v) in extra {
        value.insert(k.to_string(), v.clone());
    }
    attributes(&Value::Object(value), &cluster_schema())
}

fn errors(diagnostics: &Diagnostics) -> String {
    diagnostics.errors().map(|d| format!("{d:?}")).collect::<Vec<_>>().join("\n")
}

#[test]
fn transient_clusters_are_on_demand_with_a_log_uri_and_only_they_have_jobs() {
    let transient = config(&[("type", Value::string("transient")), ("billing", Value::string("monthly"))]);
    let found = errors(&check_rules(&transient, None));
    assert!(found.contains("billed on demand only") && found.contains("needs `log_uri`"), "{found}");
    let job = Value::object([
        ("name".to_string(), Value::string("etl")),
        ("type".to_string(), Value::string("spark")),
        ("args".to_string(), Value::Null(Type::list(Type::String))),
    ]);
    let persistent_with_jobs = config(&[("job", Value::List(job.ty(), vec![job]))]);
    assert!(errors(&check_rules(&persistent_with_jobs, None)).contains("only a transient cluster"));
    assert!(!check_rules(&config(&[]), None).has_errors());
}

#[test]
fn only_a_trial_changes_billing() {
    let trial = config(&[("billing", Value::string("trial"))]);
    let monthly = config(&[("billing", Value::string("monthly"))]);
    assert!(!check_rules(&monthly, Some(&trial)).has_errors(), "trial converts to a paid mode");
    assert!(errors(&check_rules(&trial, Some(&monthly))).contains("cannot change from `monthly` to `trial`"));
    assert!(check_rules(&config(&[]), Some(&monthly)).has_errors(), "monthly to on demand");
}

#[test]
fn shrinking_core_needs_allow_core_shrink() {
    let five = config(&[("core_count", Value::int(5))]);
    let mut diagnostics = Diagnostics::new();
    check_core_shrink(&mut diagnostics, &five, &config(&[]));
    let found = errors(&diagnostics);
    assert!(found.contains("from 5 to 3") && found.contains("HDFS"), "{found}");
    let mut diagnostics = Diagnostics::new();
    check_core_shrink(&mut diagnostics, &five, &config(&[("allow_core_shrink", Value::Bool(true))]));
    assert!(!diagnostics.has_errors());
    let mut diagnostics = Diagnostics::new();
    check_core_shrink(&mut diagnostics, &config(&[]), &five);
    assert!(!diagnostics.has_errors(), "growing is always fine");
}

#[test]
fn counts_change_in_place_and_fixed_attributes_replace() {
    let schema = cluster_schema();
    let prior = config(&[]);
    assert!(replace_paths(&schema, &prior, &config(&[("core_count", Value::int(9))])).is_empty());
    assert!(replace_paths(&schema, &prior, &config(&[("name", Value::string("renamed"))])).is_empty());
    let paths = replace_paths(&schema, &prior, &config(&[("master_count", Value::int(2))]));
    assert_eq!(paths, [Path::attr("master_count")]);
    let attribute = &schema.block.attributes["master_count"];
    assert!(matches!(&attribute.change, ChangeClass::Immutable { reason } if reason.contains("HDFS")));
}

#[test]
fn what_the_api_answers_reads_back_as_the_configuration() {
    let planned = config(&[]);
    let body = serde_json::to_value(spec_body(&planned)).unwrap();
    assert_eq!(
        body["InstanceGroups"][1],
        json!({
        "InstanceGroupType": "CORE", "InstanceType": "S6.4XLARGE32", "InstanceCount": 3, "VpcSubnetId": "subnet-1" })
    );
    assert_eq!(body["Services"], json!(["hive", "spark"]));
    // The service adds mandatory services and upper-cases names: still the same cluster.
    let cluster = described(json!({
        "Services": ["hdfs", "hive", "mapreduce", "spark", "tez", "yarn", "zookeeper"],
        "InstanceGroups": [group("ig-1", "MASTER", &["i-1"]), group("ig-2", "CORE", &["i-2", "i-3", "i-4"])],
    }));
    let state = state_from_api(&cluster, planned.clone());
    for (name, value) in &planned {
        if !cluster_schema().block.attributes.get(name).is_some_and(|a| a.computed && !a.optional) {
            assert_eq!(state.get_attr(name), Some(value), "`{name}` reads back as configured");
        }
    }
    assert_eq!(state.get_attr("status"), Some(&Value::string("running")));
    assert_eq!(state.get_attr("master_ip"), Some(&Value::string("172.16.1.9")));
    assert_eq!(state.get_attr("task_instance_type"), Some(&Value::Null(Type::String)));
}

#[test]
fn scaling_in_removes_the_newest_nodes_of_one_group() {
    let cluster = described(json!({ "InstanceGroups": [
        group("ig-1", "MASTER", &["i-1"]),
        group("ig-2", "CORE", &["i-2", "i-3", "i-4", "i-5"]),
    ] }));
    let (action, request) = scale_request(&cluster, "c-1", "CORE", 2).unwrap().unwrap();
    let body = serde_json::to_value(request).unwrap();
    assert_eq!(action, "ScaleInInstanceGroups");
    assert_eq!(
        body["InstanceGroups"],
        json!([{ "InstanceGroupId": "ig-2", "Instances": [{ "InstanceId": "i-5" }, { "InstanceId": "i-4" }] }])
    );
    let (action, request) = scale_request(&cluster, "c-1", "CORE", 7).unwrap().unwrap();
    let body = serde_json::to_value(request).unwrap();
    assert_eq!(action, "ScaleOutInstanceGroups");
    assert_eq!(body["InstanceGroups"][0]["InstanceCount"], 3);
    assert!(scale_request(&cluster, "c-1", "CORE", 4).unwrap().is_none());
    assert!(errors(&scale_request(&cluster, "c-1", "TASK", 1).unwrap_err()).contains("no TASK group"));
}
