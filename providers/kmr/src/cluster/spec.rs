//! Between Corral values and KMR's API shapes: the spec part of `LaunchCluster` and
//! `CreateClusterTemplate` bodies from a planned value, and attribute values from a
//! `DescribeCluster` / `DescribeClusterTemplate` answer.

use std::collections::BTreeMap;

use corral_api_kmr::status::{CHARGE_MONTHLY, CHARGE_ON_DEMAND, CHARGE_TRIAL};
use corral_engine::schema::ResourceSchema;
use corral_engine::value::{Type, Value};
use serde_json::json;

/// Services KMR installs on every Hadoop cluster; listing them is optional.
pub use corral_api_kmr::limits::MANDATORY_SERVICES;

/// Every attribute and block of the schema, from `value` (null when absent), marks removed.
pub fn attributes(value: &Value, schema: &ResourceSchema) -> BTreeMap<String, Value> {
    let (bare, _) = value.clone().unmark_deep();
    let mut out = BTreeMap::new();
    for (name, attribute) in &schema.block.attributes {
        out.insert(name.clone(), bare.get_attr(name).cloned().unwrap_or_else(|| Value::Null(attribute.ty.clone())));
    }
    let ty = schema.block.ty();
    for name in schema.block.blocks.keys() {
        let block_ty = match &ty {
            Type::Object(attrs) => attrs.get(name).cloned().unwrap_or(Type::Dynamic),
            _ => Type::Dynamic,
        };
        let value = bare.get_attr(name).cloned().filter(|v| !v.is_null()).unwrap_or_else(|| empty_list(&block_ty));
        out.insert(name.clone(), value);
    }
    out
}

fn empty_list(ty: &Type) -> Value {
    match ty {
        Type::List(elem) => Value::List((**elem).clone(), Vec::new()),
        other => Value::Null(other.clone()),
    }
}

pub fn str_attr(attrs: &BTreeMap<String, Value>, name: &str) -> Option<String> {
    attrs.get(name).and_then(Value::as_str).map(str::to_string)
}

pub fn int_attr(attrs: &BTreeMap<String, Value>, name: &str) -> Option<i64> {
    attrs.get(name).and_then(Value::as_number).and_then(|n| n.to_i64())
}

pub fn bool_attr(attrs: &BTreeMap<String, Value>, name: &str) -> Option<bool> {
    attrs.get(name).and_then(Value::as_bool)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_seq)
        .map(|s| s.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The spec fields of a launch or template request.
pub fn spec_body(attrs: &BTreeMap<String, Value>) -> serde_json::Value {
    let subnet = str_attr(attrs, "subnet_id");
    let mut groups = vec![
        json!({
            "InstanceGroupType": "MASTER",
            "InstanceType": str_attr(attrs, "master_instance_type"),
            "InstanceCount": int_attr(attrs, "master_count").unwrap_or(1),
            "VpcSubnetId": subnet,
        }),
        json!({
            "InstanceGroupType": "CORE",
            "InstanceType": str_attr(attrs, "core_instance_type"),
            "InstanceCount": int_attr(attrs, "core_count"),
            "VpcSubnetId": subnet,
        }),
    ];
    if let Some(task_type) = str_attr(attrs, "task_instance_type") {
        groups.push(json!({
            "InstanceGroupType": "TASK",
            "InstanceType": task_type,
            "InstanceCount": int_attr(attrs, "task_count").unwrap_or(0),
            "VpcSubnetId": subnet,
        }));
    }
    let jobs: Vec<serde_json::Value> = attrs
        .get("job")
        .and_then(Value::as_seq)
        .unwrap_or(&[])
        .iter()
        .map(|job| {
            json!({
                "JobName": job.get_attr("name").and_then(Value::as_str),
                "JobType": job.get_attr("type").and_then(Value::as_str).map(str::to_ascii_uppercase),
                "JobArgs": strings(job.get_attr("args")),
            })
        })
        .collect();
    json!({
        "MainVersion": str_attr(attrs, "version"),
        "Services": strings(attrs.get("services")),
        "VpcDomainId": str_attr(attrs, "vpc_id"),
        "SubnetId": subnet,
        "EnableEip": bool_attr(attrs, "eip").unwrap_or(false),
        "LogUri": str_attr(attrs, "log_uri"),
        "InstanceGroups": groups,
        "Jobs": jobs,
    })
}

pub fn json_string(object: &serde_json::Value, field: &str) -> Value {
    match object.get(field).and_then(serde_json::Value::as_str) {
        Some(s) => Value::string(s),
        None => Value::Null(Type::String),
    }
}

fn group<'a>(object: &'a serde_json::Value, group_type: &str) -> Option<&'a serde_json::Value> {
    object
        .get("InstanceGroups")?
        .as_array()?
        .iter()
        .find(|g| g.get("InstanceGroupType").and_then(|t| t.as_str()) == Some(group_type))
}

/// The spec attributes as the API reports them, reconciled with `base` (the prior state)
/// where the API's form differs from what the user wrote but means the same: mandatory
/// services the user did not list, and jobs' omitted arguments.
pub fn spec_from_api(object: &serde_json::Value, base: &BTreeMap<String, Value>, attrs: &mut BTreeMap<String, Value>) {
    attrs.insert("version".into(), json_string(object, "MainVersion"));
    attrs.insert("vpc_id".into(), json_string(object, "VpcDomainId"));
    attrs.insert("subnet_id".into(), json_string(object, "SubnetId"));
    attrs.insert("log_uri".into(), json_string(object, "LogUri"));
    attrs.insert("eip".into(), Value::Bool(object.get("EnableEip").and_then(|e| e.as_bool()).unwrap_or(false)));
    for (prefix, group_type) in [("master", "MASTER"), ("core", "CORE"), ("task", "TASK")] {
        let g = group(object, group_type);
        let count = g.and_then(|g| g.get("InstanceCount")).and_then(|c| c.as_i64()).unwrap_or(0);
        attrs.insert(format!("{prefix}_count"), Value::int(count));
        attrs.insert(
            format!("{prefix}_instance_type"),
            g.map_or(Value::Null(Type::String), |g| json_string(g, "InstanceType")),
        );
    }
    let listed: Vec<String> = strings(base.get("services"));
    let services: Vec<Value> = object
        .get("Services")
        .and_then(|s| s.as_array())
        .map(|a| a.iter().filter_map(|s| s.as_str()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|s| !MANDATORY_SERVICES.contains(s) || listed.iter().any(|l| l == s))
        .map(Value::string)
        .collect();
    attrs.insert("services".into(), Value::new_set(Type::String, services));

    let job_ty = match base.get("job").map(Value::ty) {
        Some(Type::List(elem)) => *elem,
        _ => Type::Object(
            [
                ("name".to_string(), Type::String),
                ("type".to_string(), Type::String),
                ("args".to_string(), Type::list(Type::String)),
            ]
            .into_iter()
            .collect(),
        ),
    };
    let api_jobs: Vec<(String, String, Vec<String>)> = object
        .get("Jobs")
        .and_then(|j| j.as_array())
        .unwrap_or(&Vec::new())
        .iter()
        .map(|j| {
            let s = |f: &str| j.get(f).and_then(|v| v.as_str()).unwrap_or("").to_string();
            let args = j
                .get("JobArgs")
                .and_then(|a| a.as_array())
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            (s("JobName"), s("JobType").to_ascii_lowercase(), args)
        })
        .collect();
    let base_jobs: Vec<(String, String, Vec<String>)> = base
        .get("job")
        .and_then(Value::as_seq)
        .unwrap_or(&[])
        .iter()
        .map(|j| {
            let s = |f: &str| j.get_attr(f).and_then(Value::as_str).unwrap_or("").to_string();
            (s("name"), s("type").to_ascii_lowercase(), strings(j.get_attr("args")))
        })
        .collect();
    let jobs = if base_jobs == api_jobs {
        base.get("job").cloned().unwrap_or(Value::List(job_ty, Vec::new()))
    } else {
        let items = api_jobs
            .into_iter()
            .map(|(name, ty, args)| {
                Value::object([
                    ("name".to_string(), Value::string(name)),
                    ("type".to_string(), Value::string(ty)),
                    ("args".to_string(), Value::List(Type::String, args.into_iter().map(Value::string).collect())),
                ])
            })
            .collect();
        Value::List(job_ty, items)
    };
    attrs.insert("job".into(), jobs);
}

pub fn billing_to_api(billing: &str) -> &'static str {
    match billing {
        "monthly" => CHARGE_MONTHLY,
        "trial" => CHARGE_TRIAL,
        _ => CHARGE_ON_DEMAND,
    }
}

pub fn billing_from_api(charge_type: &str) -> &'static str {
    match charge_type {
        CHARGE_MONTHLY => "monthly",
        CHARGE_TRIAL => "trial",
        _ => "on_demand",
    }
}
