//! Status names of clusters and nodes.

/// Cluster: nodes are starting.
pub const CLUSTER_CREATING: &str = "creating";
/// Cluster: every node runs its pushed configuration.
pub const CLUSTER_RUNNING: &str = "running";
/// Cluster: some node runs an older configuration than the one pushed, or is restarting.
pub const CLUSTER_RESTART_PENDING: &str = "restart_pending";
pub const CLUSTER_DELETING: &str = "deleting";

pub const NODE_STARTING: &str = "starting";
pub const NODE_RUNNING: &str = "running";
pub const NODE_RESTARTING: &str = "restarting";
pub const NODE_STOPPED: &str = "stopped";
