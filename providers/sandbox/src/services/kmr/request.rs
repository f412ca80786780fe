//! Decoding and checking request bodies (the API's shapes, `corral_api_kmr`): the cluster
//! spec shared by `LaunchCluster` and `CreateClusterTemplate`, and small field readers.
//! Every rule the service enforces on a spec lives here.

use corral_api_kmr::limits;
use corral_api_kmr::spec::SpecRequest;
use corral_provider_sdk::emulator::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::catalog;
use super::model::{ClusterSpec, GROUP_CORE, GROUP_MASTER, GROUP_TYPES, GroupSpec, JobSpec};

/// Decodes a body into a request struct; a body that does not fit is `InvalidParameter`.
pub fn decode<T: DeserializeOwned>(body: &serde_json::Value) -> Result<T, ApiError> {
    let body = if body.is_null() { serde_json::Value::Object(Default::default()) } else { body.clone() };
    serde_json::from_value(body).map_err(|e| ApiError::bad_request("InvalidParameterValue", e.to_string()))
}

/// An answer as the JSON the server sends; the API's shapes always serialise.
pub fn answer<T: Serialize>(answer: &T) -> serde_json::Value {
    serde_json::to_value(answer).unwrap_or(serde_json::Value::Null)
}

/// A name of at most [`limits::NAME_MAX_CHARS`] characters.
pub fn check_name(name: &str, field: &str) -> Result<(), ApiError> {
    if name.chars().count() > limits::NAME_MAX_CHARS {
        return Err(invalid(field, format!("at most {} characters", limits::NAME_MAX_CHARS)));
    }
    Ok(())
}

pub fn missing(name: &str) -> ApiError {
    ApiError::missing(name)
}

pub fn invalid(name: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(name, message)
}

/// A non-empty string field.
pub fn required(value: &Option<String>, name: &str) -> Result<String, ApiError> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_string()),
        _ => Err(missing(name)),
    }
}

/// Checks every rule on a request's spec and normalises names (upper-case group and job
/// types, sorted services with the mandatory ones added).
pub fn into_spec(request: SpecRequest, transient: bool) -> Result<ClusterSpec, ApiError> {
    let main_version = required(&request.main_version, "MainVersion")?;
    if !catalog::MAIN_VERSIONS.contains(&main_version.as_str()) {
        return Err(invalid(
            "MainVersion",
            format!("`{main_version}` is not offered; choose one of {}", catalog::MAIN_VERSIONS.join(", ")),
        ));
    }
    let mut services: Vec<String> = catalog::MANDATORY_SERVICES.iter().map(|s| s.to_string()).collect();
    for service in &request.services {
        let service = service.trim().to_ascii_lowercase();
        if !catalog::MANDATORY_SERVICES.contains(&service.as_str())
            && !catalog::OPTIONAL_SERVICES.contains(&service.as_str())
        {
            return Err(invalid("Services", format!("unknown service `{service}`")));
        }
        services.push(service);
    }
    services.sort();
    services.dedup();
    let vpc_domain_id = required(&request.vpc_domain_id, "VpcDomainId")?;
    let mut subnet_id = request.subnet_id.clone().filter(|s| !s.is_empty());
    let mut groups: Vec<GroupSpec> = Vec::new();
    for group in &request.instance_groups {
        let group_type =
            required(&group.instance_group_type, "InstanceGroups[].InstanceGroupType")?.to_ascii_uppercase();
        let Some((min, max)) = catalog::group_limits(&group_type) else {
            return Err(invalid("InstanceGroupType", format!("`{group_type}` is not MASTER, CORE or TASK")));
        };
        if groups.iter().any(|g| g.instance_group_type == group_type) {
            return Err(invalid("InstanceGroups", format!("more than one {group_type} group")));
        }
        let instance_type = required(&group.instance_type, "InstanceGroups[].InstanceType")?;
        if !catalog::INSTANCE_TYPES.contains(&instance_type.as_str()) {
            return Err(invalid(
                "InstanceType",
                format!("`{instance_type}` is not offered; choose one of {}", catalog::INSTANCE_TYPES.join(", ")),
            ));
        }
        let count = group.instance_count.ok_or_else(|| missing("InstanceGroups[].InstanceCount"))?;
        if count < min || count > max {
            return Err(invalid(
                "InstanceCount",
                format!("a {group_type} group has {min} to {max} nodes, not {count}"),
            ));
        }
        if let Some(group_subnet) = group.vpc_subnet_id.as_ref().filter(|s| !s.is_empty()) {
            match &subnet_id {
                Some(s) if s != group_subnet => {
                    return Err(invalid("VpcSubnetId", "every instance group must be in the same subnet"));
                }
                _ => subnet_id = Some(group_subnet.clone()),
            }
        }
        groups.push(GroupSpec { instance_group_type: group_type, instance_type, instance_count: count });
    }
    for essential in [GROUP_MASTER, GROUP_CORE] {
        if !groups.iter().any(|g| g.instance_group_type == essential) {
            return Err(invalid("InstanceGroups", format!("a cluster needs a {essential} group")));
        }
    }
    // Master first, then core, then task: the order Describe answers in.
    groups.sort_by_key(|g| GROUP_TYPES.iter().position(|t| *t == g.instance_group_type));
    let subnet_id = subnet_id.ok_or_else(|| missing("InstanceGroups[].VpcSubnetId"))?;
    let log_uri = request.log_uri.clone().filter(|s| !s.is_empty());
    if let Some(uri) = &log_uri {
        check_ks3_uri(uri)?;
    }
    let mut jobs = Vec::new();
    for job in &request.jobs {
        let job_name = required(&job.job_name, "Jobs[].JobName")?;
        let job_type = required(&job.job_type, "Jobs[].JobType")?.to_ascii_uppercase();
        if !catalog::JOB_TYPES.contains(&job_type.as_str()) {
            return Err(invalid("JobType", format!("`{job_type}` is not SPARK, HIVE or MAPREDUCE")));
        }
        jobs.push(JobSpec { job_name, job_type, job_args: job.job_args.clone() });
    }
    if transient {
        if log_uri.is_none() {
            // Logs and results of a transient cluster must outlive it.
            return Err(ApiError::bad_request(
                "MissingParameter",
                "the parameter `LogUri` is required for a transient cluster",
            ));
        }
    } else if !jobs.is_empty() {
        return Err(invalid("Jobs", "only a transient cluster runs jobs at launch"));
    }
    Ok(ClusterSpec {
        main_version,
        services,
        vpc_domain_id,
        subnet_id,
        enable_eip: request.enable_eip,
        log_uri,
        instance_groups: groups,
        jobs,
    })
}

/// `ks3://bucket/path`: logs and results go to KS3.
pub fn check_ks3_uri(uri: &str) -> Result<(), ApiError> {
    if limits::is_ks3_uri(uri) {
        Ok(())
    } else {
        Err(invalid("LogUri", format!("`{uri}` is not a KS3 location (ks3://bucket/path)")))
    }
}
