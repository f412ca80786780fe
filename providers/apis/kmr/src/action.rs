//! KMR's action names (`?Action=...`).

pub const LAUNCH_CLUSTER: &str = "LaunchCluster";
pub const DESCRIBE_CLUSTER: &str = "DescribeCluster";
pub const LIST_CLUSTERS: &str = "ListClusters";
pub const SCALE_OUT_INSTANCE_GROUPS: &str = "ScaleOutInstanceGroups";
pub const SCALE_IN_INSTANCE_GROUPS: &str = "ScaleInInstanceGroups";
pub const TERMINATE_CLUSTER: &str = "TerminateCluster";
pub const CONVERT_TRIAL_CLUSTER: &str = "ConvertTrialCluster";
pub const MODIFY_CLUSTER_NAME: &str = "ModifyClusterName";
pub const LIST_CLUSTER_VERSIONS: &str = "ListClusterVersions";

pub const CREATE_CLUSTER_TEMPLATE: &str = "CreateClusterTemplate";
pub const DESCRIBE_CLUSTER_TEMPLATE: &str = "DescribeClusterTemplate";
pub const LIST_CLUSTER_TEMPLATES: &str = "ListClusterTemplates";
pub const MODIFY_CLUSTER_TEMPLATE: &str = "ModifyClusterTemplate";
pub const DELETE_CLUSTER_TEMPLATE: &str = "DeleteClusterTemplate";

pub const CREATE_EXECUTION_PLAN: &str = "CreateExecutionPlan";
pub const DESCRIBE_EXECUTION_PLAN: &str = "DescribeExecutionPlan";
pub const LIST_EXECUTION_PLANS: &str = "ListExecutionPlans";
pub const MODIFY_EXECUTION_PLAN: &str = "ModifyExecutionPlan";
pub const DELETE_EXECUTION_PLAN: &str = "DeleteExecutionPlan";
pub const LIST_EXECUTION_PLAN_RUNS: &str = "ListExecutionPlanRuns";

pub const SUBMIT_JOB: &str = "SubmitJob";
pub const DESCRIBE_JOB: &str = "DescribeJob";
pub const CANCEL_JOB: &str = "CancelJob";
pub const LIST_JOBS: &str = "ListJobs";
