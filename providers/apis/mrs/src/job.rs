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
    /// Where YARN shows the run and its logs (empty until it starts).
    #[serde(default)]
    pub tracking_url: String,
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

/// Job types whose first argument is the program (a jar, a script): research.md §2.2.
pub const PROGRAM_TYPES: &[&str] = &["MapReduce", "SparkSubmit", "Flink", "DistCp", "HiveScript", "SparkScript"];
/// Job types that run a SQL text.
pub const SQL_TYPES: &[&str] = &["SparkSql", "HiveSql"];
/// Job types that need a program.
pub const NEEDS_PROGRAM: &[&str] = &["MapReduce", "SparkSubmit", "HiveScript", "SparkScript"];

/// The longest program path, in characters.
pub const PROGRAM_PATH_MAX: usize = 1023;
/// Characters the service refuses in a program path (shell metacharacters).
pub const PROGRAM_PATH_FORBIDDEN: &[char] = &[';', '|', '&', '>', '<', '\'', '$'];

/// A job name: 1–64 of letters, digits, `_`, `-`.
pub fn check_job_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.chars().count())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok { Ok(()) } else { Err(format!("job name `{name}` must be 1–64 of letters, digits, `_`, `-`")) }
}

/// A job type the v2 API accepts.
pub fn check_job_type(job_type: &str) -> Result<(), String> {
    if JOB_TYPES.contains(&job_type) {
        Ok(())
    } else {
        Err(format!("job type `{job_type}` is not one of {}", JOB_TYPES.join(", ")))
    }
}

/// A program path: on OBS (`obs://`) or HDFS (`/user/...`, `hdfs://`), at most 1023
/// characters, no shell metacharacters.
pub fn check_program_path(path: &str) -> Result<(), String> {
    if path.chars().count() > PROGRAM_PATH_MAX {
        return Err(format!("the program path is longer than {PROGRAM_PATH_MAX} characters"));
    }
    if let Some(c) = path.chars().find(|c| PROGRAM_PATH_FORBIDDEN.contains(c)) {
        return Err(format!("the program path `{path}` contains `{c}`, which MRS refuses"));
    }
    if !(path.starts_with("obs://") || path.starts_with("/user/") || path.starts_with("hdfs://")) {
        return Err(format!("the program path `{path}` must be on OBS (`obs://`) or HDFS (`/user/...`, `hdfs://`)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_types_and_program_paths_are_checked_as_the_service_does() {
        assert!(check_job_name("word_count-1").is_ok());
        assert!(check_job_name("").is_err());
        assert!(check_job_name("a b").is_err());
        assert!(check_job_name(&"x".repeat(65)).is_err());
        assert!(check_job_type("SparkSubmit").is_ok());
        assert!(check_job_type("Pig").unwrap_err().contains("MapReduce"));
        assert!(check_program_path("obs://bucket/wc.jar").is_ok());
        assert!(check_program_path("/user/etl/wc.jar").is_ok());
        assert!(check_program_path("obs://b/x.jar; rm -rf /").unwrap_err().contains("`;`"));
        assert!(check_program_path("s3://b/x.jar").unwrap_err().contains("OBS"));
        assert!(check_program_path(&format!("obs://{}", "a".repeat(1020))).is_err());
    }
}
