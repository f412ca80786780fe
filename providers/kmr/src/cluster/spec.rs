//! Between Corral values and KMR's API shapes (`corral_api_kmr`): the spec part of
//! `LaunchCluster` and `CreateClusterTemplate` requests from a planned value, and attribute
//! values from a `DescribeCluster` / `DescribeClusterTemplate` answer.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use corral_api_kmr::cluster::Cluster;
use corral_api_kmr::spec::{ClusterSpec, GroupRequest, JobRequest, SpecRequest};
use corral_api_kmr::status::{
    CHARGE_MONTHLY, CHARGE_ON_DEMAND, CHARGE_TRIAL, CHARGE_YEARLY, GROUP_CORE, GROUP_MASTER, GROUP_TASK,
};
use corral_core::schema::ResourceSchema;
use corral_core::value::{Type, Value};

pub use crate::support::opt_string;

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
pub fn spec_body(attrs: &BTreeMap<String, Value>) -> SpecRequest {
    let subnet = str_attr(attrs, "subnet_id");
    let count = |name: &str| int_attr(attrs, name).and_then(|n| u32::try_from(n).ok());
    let group = |group_type: &str, instance_type: Option<String>, instance_count: Option<u32>| GroupRequest {
        instance_group_type: Some(group_type.to_string()),
        instance_type,
        instance_count,
        vpc_subnet_id: subnet.clone(),
    };
    let mut groups = vec![
        group(GROUP_MASTER, str_attr(attrs, "master_instance_type"), Some(count("master_count").unwrap_or(1))),
        group(GROUP_CORE, str_attr(attrs, "core_instance_type"), count("core_count")),
    ];
    if let Some(task_type) = str_attr(attrs, "task_instance_type") {
        groups.push(group(GROUP_TASK, Some(task_type), Some(count("task_count").unwrap_or(0))));
    }
    let jobs = attrs
        .get("job")
        .and_then(Value::as_seq)
        .unwrap_or(&[])
        .iter()
        .map(|job| JobRequest {
            job_name: job.get_attr("name").and_then(Value::as_str).map(str::to_string),
            job_type: job.get_attr("type").and_then(Value::as_str).map(str::to_ascii_uppercase),
            job_args: strings(job.get_attr("args")),
        })
        .collect();
    SpecRequest {
        main_version: str_attr(attrs, "version"),
        services: strings(attrs.get("services")),
        vpc_domain_id: str_attr(attrs, "vpc_id"),
        subnet_id: subnet.clone(),
        enable_eip: bool_attr(attrs, "eip").unwrap_or(false),
        log_uri: str_attr(attrs, "log_uri"),
        instance_groups: groups,
        jobs,
    }
}

/// A time as the API writes it (chrono's RFC 3339), as a value (null when absent).
pub fn time_string(time: Option<&DateTime<Utc>>) -> Value {
    match time.map(serde_json::to_value) {
        Some(Ok(serde_json::Value::String(text))) => Value::string(text),
        _ => Value::Null(Type::String),
    }
}

/// What a cluster and a template both report of the spec they were made with.
pub struct SpecView<'a> {
    pub main_version: &'a str,
    pub vpc_domain_id: &'a str,
    pub subnet_id: &'a str,
    pub log_uri: Option<&'a str>,
    pub enable_eip: bool,
    pub services: &'a [String],
    /// (type, instance type, count) of each node group.
    pub groups: Vec<(&'a str, &'a str, u32)>,
    /// (name, type, arguments) of each job.
    pub jobs: Vec<(&'a str, &'a str, &'a [String])>,
}

impl<'a> From<&'a Cluster> for SpecView<'a> {
    fn from(cluster: &'a Cluster) -> SpecView<'a> {
        SpecView {
            main_version: &cluster.main_version,
            vpc_domain_id: &cluster.vpc_domain_id,
            subnet_id: &cluster.subnet_id,
            log_uri: cluster.log_uri.as_deref(),
            enable_eip: cluster.enable_eip,
            services: &cluster.services,
            groups: cluster
                .instance_groups
                .iter()
                .map(|g| (g.instance_group_type.as_str(), g.instance_type.as_str(), g.instance_count))
                .collect(),
            jobs: cluster
                .jobs
                .iter()
                .map(|j| (j.job_name.as_str(), j.job_type.as_str(), j.job_args.as_slice()))
                .collect(),
        }
    }
}

impl<'a> From<&'a ClusterSpec> for SpecView<'a> {
    fn from(spec: &'a ClusterSpec) -> SpecView<'a> {
        SpecView {
            main_version: &spec.main_version,
            vpc_domain_id: &spec.vpc_domain_id,
            subnet_id: &spec.subnet_id,
            log_uri: spec.log_uri.as_deref(),
            enable_eip: spec.enable_eip,
            services: &spec.services,
            groups: spec
                .instance_groups
                .iter()
                .map(|g| (g.instance_group_type.as_str(), g.instance_type.as_str(), g.instance_count))
                .collect(),
            jobs: spec.jobs.iter().map(|j| (j.job_name.as_str(), j.job_type.as_str(), j.job_args.as_slice())).collect(),
        }
    }
}

/// The spec attributes as the API reports them, reconciled with `base` (the prior state)
/// where the API's form differs from what the user wrote but means the same: mandatory
/// services the user did not list, and jobs' omitted arguments.
pub fn spec_from_api(spec: SpecView<'_>, base: &BTreeMap<String, Value>, attrs: &mut BTreeMap<String, Value>) {
    attrs.insert("version".into(), Value::string(spec.main_version));
    attrs.insert("vpc_id".into(), Value::string(spec.vpc_domain_id));
    attrs.insert("subnet_id".into(), Value::string(spec.subnet_id));
    attrs.insert("log_uri".into(), opt_string(spec.log_uri));
    attrs.insert("eip".into(), Value::Bool(spec.enable_eip));
    for (prefix, group_type) in [("master", GROUP_MASTER), ("core", GROUP_CORE), ("task", GROUP_TASK)] {
        let g = spec.groups.iter().find(|(t, _, _)| *t == group_type);
        attrs.insert(format!("{prefix}_count"), Value::int(g.map_or(0, |(_, _, count)| i64::from(*count))));
        attrs.insert(format!("{prefix}_instance_type"), opt_string(g.map(|(_, instance_type, _)| *instance_type)));
    }
    let listed: Vec<String> = strings(base.get("services"));
    let services: Vec<Value> = spec
        .services
        .iter()
        .map(String::as_str)
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
    let api_jobs: Vec<(String, String, Vec<String>)> = spec
        .jobs
        .iter()
        .map(|(name, job_type, args)| (name.to_string(), job_type.to_ascii_lowercase(), args.to_vec()))
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
        "yearly" => CHARGE_YEARLY,
        "trial" => CHARGE_TRIAL,
        _ => CHARGE_ON_DEMAND,
    }
}

pub fn billing_from_api(charge_type: &str) -> &'static str {
    match charge_type {
        CHARGE_MONTHLY => "monthly",
        CHARGE_YEARLY => "yearly",
        CHARGE_TRIAL => "trial",
        _ => "on_demand",
    }
}
