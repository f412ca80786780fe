//! What the emulated KMR offers (the API's [`limits`](corral_api_kmr::limits), re-exported)
//! and how long things take in sandbox time: the durations of each lifecycle step.

use chrono::Duration;

pub use corral_api_kmr::limits::{
    INSTANCE_TYPES, JOB_TYPES, MAIN_VERSIONS, MANDATORY_SERVICES, OPTIONAL_SERVICES, group_limits,
};

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
