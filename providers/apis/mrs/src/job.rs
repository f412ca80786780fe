//! v2 job bodies: submit (`job_execution` shape), the submit answer, a job's detail and the
//! list, batch delete. `job_state` and `job_result` names are in [`crate::state`].

use std::collections::BTreeMap;

/// Job types the v2 API accepts.
pub const JOB_TYPES: &[&str] =
    &["MapReduce", "SparkSubmit", "SparkSql", "SparkScript", "HiveSql", "HiveScript", "Flink", "DistCp"];

/// `POST /v2/{pid}/clusters/{id}/job-executions`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SubmitJobRequest {
    pub job_type: String,
    pub job_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SubmitResult {
    pub job_id: String,
    /// `COMPLETE` | `JOBSTAT_SUBMIT_FAILED`.
    pub state: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SubmitJobResponse {
    pub job_submit_result: SubmitResult,
}

pub const SUBMIT_COMPLETE: &str = "COMPLETE";

/// A job's detail.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JobDetail {
    pub job_id: String,
    pub job_name: String,
    pub job_type: String,
    pub job_state: String,
    pub job_result: String,
    #[serde(default)]
    pub job_progress: f64,
    #[serde(default)]
    pub arguments: Vec<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Epoch milliseconds.
    pub submitted_time: i64,
    #[serde(default)]
    pub started_time: i64,
    #[serde(default)]
    pub finished_time: i64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JobDetailBody {
    pub job_detail: JobDetail,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JobList {
    pub total_record: u32,
    pub job_list: Vec<JobDetail>,
}

/// `POST .../job-executions/batch-delete`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchDeleteRequest {
    pub job_id_list: Vec<String>,
}
