//! KMR's error codes (`Error.Code` of a failed action), one definition each: the service
//! answers with them and a client tells failures apart by them. Parameter errors use the
//! common `MissingParameter` and `InvalidParameterValue`.

pub const CLUSTER_NOT_FOUND: &str = "ClusterNotFound";
pub const INSTANCE_GROUP_NOT_FOUND: &str = "InstanceGroupNotFound";
pub const TEMPLATE_NOT_FOUND: &str = "TemplateNotFound";
pub const JOB_NOT_FOUND: &str = "JobNotFound";
/// `SubmitJob` to a transient cluster: it runs the jobs it was launched with, no others.
pub const INVALID_CLUSTER_TYPE: &str = "InvalidClusterType";
pub const EXECUTION_PLAN_NOT_FOUND: &str = "ExecutionPlanNotFound";
/// The subnet a launch names does not exist.
pub const SUBNET_NOT_FOUND: &str = "SubnetNotFound";

/// A scale operation is under way: one at a time per cluster. Wait and try again.
pub const CLUSTER_BUSY: &str = "ClusterBusy";
/// The cluster's status does not allow the action (it must be `running`, or not gone).
pub const INVALID_CLUSTER_STATUS: &str = "InvalidClusterStatus";
/// `ConvertTrialCluster` on a cluster that is already paid for otherwise.
pub const NOT_TRIAL_CLUSTER: &str = "NotTrialCluster";
/// `DeleteClusterTemplate` of a template an execution plan uses.
pub const TEMPLATE_IN_USE: &str = "TemplateInUse";

/// Quotas, per account.
pub const QUOTA_CLUSTER: &str = "QuotaExceeded.Cluster";
pub const QUOTA_NODE: &str = "QuotaExceeded.Node";
pub const QUOTA_TRIAL_CLUSTER: &str = "QuotaExceeded.TrialCluster";
pub const QUOTA_TRIAL_NODE: &str = "QuotaExceeded.TrialNode";
pub const QUOTA_CLUSTER_TEMPLATE: &str = "QuotaExceeded.ClusterTemplate";
pub const QUOTA_EXECUTION_PLAN: &str = "QuotaExceeded.ExecutionPlan";
