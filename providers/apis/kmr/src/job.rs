//! Jobs submitted to a **persistent** cluster (kmr-faq.md: "为集群提交计算作业"): `SubmitJob`,
//! `DescribeJob`, `CancelJob`, `ListJobs`. A transient cluster runs the jobs it was launched
//! with and releases itself; it takes no submissions (`InvalidClusterType`). Job statuses are
//! [`crate::status`]'s `JOB_*`: `PENDING` → `RUNNING` → `SUCCEEDED` | `FAILED` | `CANCELLED`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `SubmitJob`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubmitJobRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    /// `SPARK`, `HIVE` or `MAPREDUCE` ([`crate::limits::JOB_TYPES`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_type: Option<String>,
    #[serde(default)]
    pub job_args: Vec<String>,
    /// A retried submission with the same token answers the first job, runs nothing new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// `DescribeJob`, `CancelJob`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobIdRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
}

/// `ListJobs`: a cluster's jobs, or the one a client token made.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListJobsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListJobsAnswer {
    #[serde(default)]
    pub jobs: Vec<ClusterJob>,
}

/// A job as `SubmitJob`, `DescribeJob` and `ListJobs` answer it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterJob {
    pub job_id: String,
    pub cluster_id: String,
    pub job_name: String,
    pub job_type: String,
    pub job_args: Vec<String>,
    pub job_status: String,
    pub submit_time: DateTime<Utc>,
    #[serde(default)]
    pub start_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end_time: Option<DateTime<Utc>>,
    /// Why the job ended as it did (empty while it runs).
    #[serde(default)]
    pub message: String,
    /// Where the job's output and logs went (under the cluster's `LogUri`).
    #[serde(default)]
    pub log_path: Option<String>,
    #[serde(default)]
    pub client_token: Option<String>,
}
