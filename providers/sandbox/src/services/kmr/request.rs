//! Decoding and checking request bodies: the cluster spec shared by `LaunchCluster` and
//! `CreateClusterTemplate`, and small field readers. Every rule the service enforces on a
//! spec lives here.

use corral_provider_sdk::emulator::ApiError;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::catalog;
use super::model::{ClusterSpec, GroupSpec, JobSpec};

/// Decodes a body into a request struct; a body that does not fit is `InvalidParameter`.
pub fn decode<T: DeserializeOwned>(body: &serde_json::Value) -> Result<T, ApiError> {
    let body = if body.is_null() { serde_json::Value::Object(Default::default()) } else { body.clone() };
    serde_json::from_value(body).map_err(|e| ApiError::bad_request("InvalidParameterValue", e.to_string()))
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

/// The spec fields as a request carries them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SpecRequest {
    pub main_version: Option<String>,
    #[serde(default)]
    pub services: Vec<String>,
    pub vpc_domain_id: Option<String>,
    pub subnet_id: Option<String>,
    #[serde(default)]
    pub enable_eip: bool,
    pub log_uri: Option<String>,
    #[serde(default)]
    pub instance_groups: Vec<GroupRequest>,
    #[serde(default)]
    pub jobs: Vec<JobRequest>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupRequest {
    pub instance_group_type: Option<String>,
    pub instance_type: Option<String>,
    pub instance_count: Option<u32>,
    pub vpc_subnet_id: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobRequest {
    pub job_name: Option<String>,
    pub job_type: Option<String>,
    #[serde(default)]
    pub job_args: Vec<String>,
}

impl SpecRequest {
    /// Checks every rule and normalises names (upper-case group and job types, sorted
    /// services with the mandatory ones added).
    pub fn into_spec(self, transient: bool) -> Result<ClusterSpec, ApiError> {
        let main_version = required(&self.main_version, "MainVersion")?;
        if !catalog::MAIN_VERSIONS.contains(&main_version.as_str()) {
            return Err(invalid(
                "MainVersion",
                format!("`{main_version}` is not offered; choose one of {}", catalog::MAIN_VERSIONS.join(", ")),
            ));
        }
        let mut services: Vec<String> = catalog::MANDATORY_SERVICES.iter().map(|s| s.to_string()).collect();
        for service in &self.services {
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
        let vpc_domain_id = required(&self.vpc_domain_id, "VpcDomainId")?;
        let mut subnet_id = self.subnet_id.clone().filter(|s| !s.is_empty());
        let mut groups: Vec<GroupSpec> = Vec::new();
        for group in &self.instance_groups {
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
        for essential in ["MASTER", "CORE"] {
            if !groups.iter().any(|g| g.instance_group_type == essential) {
                return Err(invalid("InstanceGroups", format!("a cluster needs a {essential} group")));
            }
        }
        // Master first, then core, then task: the order Describe answers in.
        groups.sort_by_key(|g| ["MASTER", "CORE", "TASK"].iter().position(|t| *t == g.instance_group_type));
        let subnet_id = subnet_id.ok_or_else(|| missing("InstanceGroups[].VpcSubnetId"))?;
        let log_uri = self.log_uri.clone().filter(|s| !s.is_empty());
        if let Some(uri) = &log_uri {
            check_ks3_uri(uri)?;
        }
        let mut jobs = Vec::new();
        for job in &self.jobs {
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
            enable_eip: self.enable_eip,
            log_uri,
            instance_groups: groups,
            jobs,
        })
    }
}

/// `ks3://bucket/path`: logs and results go to KS3.
pub fn check_ks3_uri(uri: &str) -> Result<(), ApiError> {
    let bucket = uri.strip_prefix("ks3://").map(|rest| rest.split('/').next().unwrap_or(""));
    match bucket {
        Some(b) if !b.is_empty() => Ok(()),
        _ => Err(invalid("LogUri", format!("`{uri}` is not a KS3 location (ks3://bucket/path)"))),
    }
}
