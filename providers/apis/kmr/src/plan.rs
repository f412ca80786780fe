//! Execution plan actions' bodies (run a template once or on a cron schedule):
//! `CreateExecutionPlan`, `DescribeExecutionPlan`, `ListExecutionPlans`,
//! `ModifyExecutionPlan`, `DeleteExecutionPlan`, `ListExecutionPlanRuns`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every execution plan action's request: the create and modify fields, and the id the
/// others name the plan by. A modify changes what it gives.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExecutionPlanRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_plan_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_plan_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// `once` or `schedule` (the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// An empty expression clears it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cron_expression: Option<String>,
    /// IANA time zone the cron expression is read in (default `UTC`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// The answer of the actions that make, change or delete a plan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecutionPlanIdAnswer {
    pub execution_plan_id: String,
}

/// A plan as `DescribeExecutionPlan` and `ListExecutionPlans` answer it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecutionPlan {
    pub execution_plan_id: String,
    pub execution_plan_name: String,
    pub template_id: String,
    /// `once` or `schedule`.
    pub strategy: String,
    #[serde(default)]
    pub cron_expression: Option<String>,
    /// IANA time zone the cron expression is read in.
    pub time_zone: String,
    /// `once`: when to run (absent: at creation); `schedule`: no fire before it.
    #[serde(default)]
    pub start_time: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub run_count: u64,
    #[serde(default)]
    pub client_token: Option<String>,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    /// When the plan fires next, if it will.
    #[serde(default)]
    pub next_run_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_run: Option<Run>,
}

/// One run of a plan: a transient cluster launched from the template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Run {
    pub run_id: String,
    pub execution_plan_id: String,
    pub scheduled_time: DateTime<Utc>,
    #[serde(default)]
    pub cluster_id: Option<String>,
    /// `RUNNING`, `SUCCEEDED` or `FAILED` ([`crate::status::RUN_RUNNING`], ...).
    pub run_status: String,
    pub start_time: DateTime<Utc>,
    #[serde(default)]
    pub finish_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListExecutionPlansAnswer {
    #[serde(default)]
    pub total: usize,
    #[serde(default)]
    pub execution_plans: Vec<ExecutionPlan>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListExecutionPlanRunsAnswer {
    #[serde(default)]
    pub total: usize,
    #[serde(default)]
    pub runs: Vec<Run>,
}
