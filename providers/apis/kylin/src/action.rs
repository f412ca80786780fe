//! The service's action names (`?Action=X`).

pub const CREATE_CLUSTER: &str = "CreateCluster";
pub const DESCRIBE_CLUSTER: &str = "DescribeCluster";
pub const LIST_CLUSTERS: &str = "ListClusters";
/// Pushes new node configurations (and adds or removes nodes); running nodes keep their
/// old configuration until restarted.
pub const UPDATE_CLUSTER: &str = "UpdateCluster";
pub const RESTART_NODE: &str = "RestartNode";
/// Sends one query through the cluster's load balancer.
pub const QUERY: &str = "Query";
pub const DELETE_CLUSTER: &str = "DeleteCluster";
/// Stops a node (it leaves the metastore's server list; a job engine hands over).
pub const STOP_NODE: &str = "StopNode";
pub const START_NODE: &str = "StartNode";
