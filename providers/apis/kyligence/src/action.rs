//! Kyligence Cloud's action names (`?Action=...`).

pub const CREATE_STACK: &str = "CreateStack";
pub const DESCRIBE_STACK: &str = "DescribeStack";
pub const LIST_STACKS: &str = "ListStacks";
/// Changes the core and task counts; KAP keeps serving.
pub const SCALE_STACK: &str = "ScaleStack";
/// Stop KAP → back up KAP data to S3 → terminate every node.
pub const STOP_STACK: &str = "StopStack";
/// Provision → restore from the last backup → running.
pub const START_STACK: &str = "StartStack";
/// Back up configuration → stop KAP → install → restore configuration → start KAP.
pub const UPGRADE_KAP: &str = "UpgradeKap";
/// Removes every node; S3 is kept, RDS too unless `DeleteRds`.
pub const DELETE_STACK: &str = "DeleteStack";

/// KAP's side, answered while KAP serves: the project's models and cubes, and queries.
pub const LIST_CUBES: &str = "ListCubes";
pub const QUERY: &str = "Query";

/// The storage a stack leaves behind: S3 buckets and RDS databases of the account.
pub const LIST_STORAGE: &str = "ListStorage";
