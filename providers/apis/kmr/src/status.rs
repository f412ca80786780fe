//! The names KMR uses for statuses and other enumerated values, one definition each.

/// Cluster statuses (`ClusterStatus`).
pub const STATUS_CREATING: &str = "creating";
pub const STATUS_RUNNING: &str = "running";
pub const STATUS_SCALING_OUT: &str = "scaling-out";
pub const STATUS_SCALING_IN: &str = "scaling-in";
pub const STATUS_TERMINATING: &str = "terminating";
/// Released by the user (`TerminateCluster`) or deleted by the service (trial expiry).
pub const STATUS_TERMINATED: &str = "terminated";
/// A transient cluster that ran its jobs and released itself.
pub const STATUS_RELEASED: &str = "released";

/// Charge types (`ChargeType`).
pub const CHARGE_ON_DEMAND: &str = "HourlyInstantSettlement";
pub const CHARGE_MONTHLY: &str = "Monthly";
pub const CHARGE_YEARLY: &str = "Yearly";
pub const CHARGE_TRIAL: &str = "Trial";

/// Cluster types (`ClusterType`).
pub const TYPE_PERSISTENT: &str = "persistent";
pub const TYPE_TRANSIENT: &str = "transient";

/// Instance group types (`InstanceGroupType`), in the order the service lists them.
pub const GROUP_MASTER: &str = "MASTER";
pub const GROUP_CORE: &str = "CORE";
pub const GROUP_TASK: &str = "TASK";
pub const GROUP_TYPES: &[&str] = &[GROUP_MASTER, GROUP_CORE, GROUP_TASK];

/// Job statuses (`JobStatus`).
pub const JOB_PENDING: &str = "PENDING";
pub const JOB_RUNNING: &str = "RUNNING";
pub const JOB_SUCCEEDED: &str = "SUCCEEDED";
pub const JOB_FAILED: &str = "FAILED";
pub const JOB_CANCELLED: &str = "CANCELLED";

/// Why a cluster left `running` for good (`StateChangeReason.Code`).
pub const REASON_USER: &str = "UserRequest";
pub const REASON_JOBS_FINISHED: &str = "AllJobsFinished";
pub const REASON_TRIAL_EXPIRED: &str = "TrialExpired";
pub const REASON_SUBSCRIPTION_EXPIRED: &str = "SubscriptionExpired";

/// The operation under way on a cluster (`PendingOperation.Operation`).
pub const OP_SCALE_OUT: &str = "ScaleOut";
pub const OP_SCALE_IN: &str = "ScaleIn";
pub const OP_TERMINATE: &str = "Terminate";

/// Execution plan strategies (`Strategy`).
pub const STRATEGY_ONCE: &str = "once";
pub const STRATEGY_SCHEDULE: &str = "schedule";

/// Execution plan run statuses (`RunStatus`).
pub const RUN_RUNNING: &str = "RUNNING";
pub const RUN_SUCCEEDED: &str = "SUCCEEDED";
pub const RUN_FAILED: &str = "FAILED";
