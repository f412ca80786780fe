//! Request and answer bodies (PascalCase JSON). A node is sent as its address and its whole
//! `kylin.properties` text: the service reads mode, metastore and the job engine settings
//! out of the properties, as Kylin does, rather than trusting separate fields.

use serde::{Deserialize, Serialize};

/// A node's configuration as pushed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NodeConfig {
    pub host: String,
    pub port: u16,
    pub properties: String,
}

/// `CreateCluster`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateClusterRequest {
    pub cluster_name: String,
    pub kylin_version: String,
    pub nodes: Vec<NodeConfig>,
    /// `host:port` of the nodes behind the load balancer; empty = no load balancer.
    #[serde(default)]
    pub load_balancer_targets: Vec<String>,
    /// The `kyligence_stack` or `kmr_cluster` the nodes run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// `UpdateCluster`: the whole new node list; nodes keep running their old configuration
/// until `RestartNode`, new nodes start with theirs, missing nodes are stopped and removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateClusterRequest {
    pub cluster_id: String,
    pub nodes: Vec<NodeConfig>,
    #[serde(default)]
    pub load_balancer_targets: Vec<String>,
}

/// `DescribeCluster`, `DeleteCluster`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterIdRequest {
    pub cluster_id: String,
}

/// `RestartNode`, `StopNode`, `StartNode`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NodeRequest {
    pub cluster_id: String,
    /// `host:port`.
    pub node: String,
}

/// `Query`: one SQL statement through the load balancer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryRequest {
    pub cluster_id: String,
    pub sql: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryAnswer {
    /// The node that answered.
    pub served_by: String,
}

/// `ListClusters`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterList {
    pub clusters: Vec<Cluster>,
}

/// A node as the service reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Node {
    /// `host:port`.
    pub address: String,
    pub mode: String,
    /// [`crate::status`] `NODE_*`.
    pub status: String,
    /// The properties the node started with.
    pub running_properties: String,
    /// The properties pushed to it (differ from the running ones until a restart).
    pub properties: String,
    /// Whether the node is registered with the metastore.
    pub registered: bool,
}

/// A cluster as `DescribeCluster`, `CreateCluster` and `UpdateCluster` answer it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cluster {
    pub cluster_id: String,
    pub cluster_name: String,
    pub kylin_version: String,
    pub metadata_url: String,
    /// [`crate::status`] `CLUSTER_*`.
    pub status: String,
    pub nodes: Vec<Node>,
    pub load_balancer_targets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_dns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_id: Option<String>,
    /// Nodes that schedule builds now: one under a lock; more means duplicated builds.
    pub active_job_nodes: Vec<String>,
    /// Set once two job engines scheduled the same build.
    pub duplicated_builds: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}
