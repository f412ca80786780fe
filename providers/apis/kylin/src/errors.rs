//! The service's error codes. Parameter errors use the common `MissingParameter` and
//! `InvalidParameterValue`.

pub const CLUSTER_NOT_FOUND: &str = "ClusterNotFound";
pub const NODE_NOT_FOUND: &str = "NodeNotFound";
/// A node's `kylin.properties` breaks a cluster-mode rule (the message says which).
pub const INVALID_CONFIGURATION: &str = "InvalidConfiguration";
/// No query-capable node behind the load balancer is running.
pub const NO_QUERY_NODE: &str = "NoQueryNodeAvailable";
/// The node is not running (it is starting or restarting).
pub const NODE_BUSY: &str = "NodeBusy";
pub const QUOTA_CLUSTER: &str = "QuotaExceeded.KylinCluster";
