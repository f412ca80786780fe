//! What the emulated KMR offers and how long things take: versions with their services,
//! instance types, node-group limits, and the sandbox durations of each lifecycle step.
//! One place, so the service's rules and `ListClusterVersions` cannot disagree.

use chrono::Duration;

/// Versions of the Hadoop distribution (`MainVersion`), newest last.
pub const MAIN_VERSIONS: &[&str] = &["5.0.0", "5.1.0", "5.2.0", "5.3.0"];

/// Services every Hadoop cluster has, whether asked for or not.
pub const MANDATORY_SERVICES: &[&str] = &["hdfs", "mapreduce", "tez", "yarn", "zookeeper"];

/// Services a cluster may add.
pub const OPTIONAL_SERVICES: &[&str] =
    &["flink", "hbase", "hive", "hue", "kafka", "kyuubi", "presto", "ranger", "spark", "sqoop", "trino"];

/// Instance types (vCPU × memory) a node group may use.
pub const INSTANCE_TYPES: &[&str] = &["S6.XLARGE8", "S6.2XLARGE16", "S6.4XLARGE32", "S6.8XLARGE64", "I4.4XLARGE32"];

/// Job types a transient cluster runs.
pub const JOB_TYPES: &[&str] = &["SPARK", "HIVE", "MAPREDUCE"];

/// How many nodes a group may have (`InstanceGroupRequirements`). The master count is
/// fixed at launch; core nodes hold HDFS blocks, so at least one must stay.
pub fn group_limits(group_type: &str) -> Option<(u32, u32)> {
    match group_type {
        "MASTER" => Some((1, 2)),
        "CORE" => Some((1, 500)),
        "TASK" => Some((0, 500)),
        _ => None,
    }
}

/// Sandbox time from `LaunchCluster` to `running`.
pub fn create_duration() -> Duration {
    Duration::minutes(8)
}

/// Sandbox time a scale operation takes; graceful scale-in waits its timeout on top.
pub fn scale_duration() -> Duration {
    Duration::minutes(5)
}

/// Sandbox time from `TerminateCluster` to `terminated`.
pub fn terminate_duration() -> Duration {
    Duration::minutes(2)
}

/// How long a free trial lasts before the service deletes an unconverted trial cluster.
pub fn trial_period() -> Duration {
    Duration::days(7)
}

/// Sandbox time one job of a type runs.
pub fn job_duration(job_type: &str) -> Duration {
    match job_type {
        "SPARK" => Duration::minutes(10),
        "HIVE" => Duration::minutes(12),
        _ => Duration::minutes(15),
    }
}

/// A job argument that makes the emulated job fail, so failure handling can be exercised.
pub const SIMULATE_FAILURE_ARG: &str = "--simulate-failure";

/// At most this many execution-plan runs are started in one advance; a cron firing every
/// minute over years of sandbox time must not stall a request.
pub const MAX_RUNS_PER_ADVANCE: usize = 200;
