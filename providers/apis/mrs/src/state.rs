//! Cluster and job states (research.md §1.4), which transitions are legal, and the
//! durations the sandbox gives each step on its clock (the real service publishes no SLA;
//! these follow the provider's waits: create polls after 8 minutes and a lifecycle takes 20–40
//! minutes).

/// `clusterState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClusterState {
    Starting,
    Running,
    ScalingOut,
    ScalingIn,
    Abnormal,
    Frozen,
    Failed,
    Terminating,
    Terminated,
}

impl ClusterState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterState::Starting => "starting",
            ClusterState::Running => "running",
            ClusterState::ScalingOut => "scaling-out",
            ClusterState::ScalingIn => "scaling-in",
            ClusterState::Abnormal => "abnormal",
            ClusterState::Frozen => "frozen",
            ClusterState::Failed => "failed",
            ClusterState::Terminating => "terminating",
            ClusterState::Terminated => "terminated",
        }
    }

    /// Only a running cluster may be resized or have its masters upgraded.
    pub fn can_scale(self) -> bool {
        self == ClusterState::Running
    }

    /// Delete is refused while scaling, starting, terminating, or once gone or failed.
    pub fn can_delete(self) -> bool {
        matches!(self, ClusterState::Running | ClusterState::Abnormal | ClusterState::Frozen)
    }

    /// Jobs are accepted by running clusters only (`0056` otherwise).
    pub fn accepts_jobs(self) -> bool {
        self == ClusterState::Running
    }

    /// Whether the cluster answers queries (reads, jobs' status) in this state: everything but
    /// gone. During a master upgrade the cluster is `scaling-out` and still answers.
    pub fn answers(self) -> bool {
        !matches!(self, ClusterState::Terminated | ClusterState::Failed)
    }

    /// Legal transitions (inferred from the API's rules, research.md §1.4).
    pub fn may_become(self, next: ClusterState) -> bool {
        use ClusterState::*;
        matches!(
            (self, next),
            (Starting, Running | Failed)
                | (Running, ScalingOut | ScalingIn | Terminating | Abnormal | Frozen)
                | (ScalingOut | ScalingIn, Running | Abnormal)
                | (Abnormal, Running | Terminating | Frozen)
                | (Frozen, Running | Terminating)
                | (Terminating, Terminated)
        )
    }
}

/// Sandbox durations, in seconds of sandbox time.
pub mod durations {
    /// `starting` → `running`.
    pub const CREATE_SECS: i64 = 15 * 60;
    /// One expand or shrink.
    pub const SCALE_SECS: i64 = 5 * 60;
    /// One master's spec upgrade; masters go one at a time behind master HA.
    pub const MASTER_UPGRADE_PER_MASTER_SECS: i64 = 10 * 60;
    /// `terminating` → `terminated`.
    pub const TERMINATE_SECS: i64 = 2 * 60;
    /// A job from submission to its end.
    pub const JOB_SECS: i64 = 3 * 60;
}

/// v2 `job_state`.
pub const JOB_STATES: &[&str] =
    &["NEW", "NEW_SAVING", "SUBMITTED", "ACCEPTED", "RUNNING", "FINISHED", "FAILED", "KILLED"];
pub const JOB_RUNNING: &str = "RUNNING";
pub const JOB_ACCEPTED: &str = "ACCEPTED";
pub const JOB_FINISHED: &str = "FINISHED";
pub const JOB_FAILED: &str = "FAILED";
pub const JOB_KILLED: &str = "KILLED";
/// v2 `job_result`: `FINISHED` is not success, the result says.
pub const RESULT_UNDEFINED: &str = "UNDEFINED";
pub const RESULT_SUCCEEDED: &str = "SUCCEEDED";
pub const RESULT_FAILED: &str = "FAILED";
pub const RESULT_KILLED: &str = "KILLED";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_and_write_as_the_api_spells_them() {
        for state in [ClusterState::Starting, ClusterState::ScalingOut, ClusterState::Terminated] {
            let json = serde_json::to_value(state).unwrap();
            assert_eq!(json, state.as_str());
            assert_eq!(serde_json::from_value::<ClusterState>(json).unwrap(), state);
        }
    }

    #[test]
    fn only_running_clusters_scale_and_deletes_wait_for_quiet_states() {
        assert!(ClusterState::Running.can_scale());
        assert!(!ClusterState::ScalingOut.can_scale());
        for refused in [
            ClusterState::ScalingOut,
            ClusterState::ScalingIn,
            ClusterState::Starting,
            ClusterState::Terminating,
            ClusterState::Terminated,
            ClusterState::Failed,
        ] {
            assert!(!refused.can_delete(), "{refused:?}");
        }
        assert!(ClusterState::Starting.may_become(ClusterState::Running));
        assert!(!ClusterState::Terminated.may_become(ClusterState::Running));
        assert!(ClusterState::ScalingOut.answers());
    }
}
