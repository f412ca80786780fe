//! What a cluster is made of: the part of `LaunchCluster` that `CreateClusterTemplate` and
//! `ModifyClusterTemplate` share, as a request carries it ([`SpecRequest`], every field
//! optional so the service can name what is missing) and as the service records and answers
//! it ([`ClusterSpec`], checked and normalised).

use serde::{Deserialize, Serialize};

/// The spec fields of a request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SpecRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_version: Option<String>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_domain_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(default)]
    pub enable_eip: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_uri: Option<String>,
    #[serde(default)]
    pub instance_groups: Vec<GroupRequest>,
    #[serde(default)]
    pub jobs: Vec<JobRequest>,
}

/// One node group of a request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupRequest {
    /// `MASTER`, `CORE` or `TASK` ([`crate::status::GROUP_TYPES`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_group_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_subnet_id: Option<String>,
}

/// One job of a transient cluster's request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    /// `SPARK`, `HIVE` or `MAPREDUCE` ([`crate::limits::JOB_TYPES`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_type: Option<String>,
    #[serde(default)]
    pub job_args: Vec<String>,
}

/// A checked spec, as a template answers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterSpec {
    pub main_version: String,
    pub services: Vec<String>,
    pub vpc_domain_id: String,
    pub subnet_id: String,
    pub enable_eip: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_uri: Option<String>,
    pub instance_groups: Vec<GroupSpec>,
    #[serde(default)]
    pub jobs: Vec<JobSpec>,
}

impl ClusterSpec {
    pub fn node_count(&self) -> u32 {
        self.instance_groups.iter().map(|g| g.instance_count).sum()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupSpec {
    /// `MASTER`, `CORE` or `TASK`.
    pub instance_group_type: String,
    pub instance_type: String,
    pub instance_count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobSpec {
    pub job_name: String,
    /// `SPARK`, `HIVE` or `MAPREDUCE`.
    pub job_type: String,
    #[serde(default)]
    pub job_args: Vec<String>,
}
