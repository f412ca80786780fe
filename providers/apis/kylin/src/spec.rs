//! What a Kylin cluster is, as the user declares it: the input of [`render`](crate::render)
//! and [`rules`](crate::rules). Enumerated fields stay text so the rules can name a wrong
//! value at its attribute.

use std::collections::BTreeMap;

/// A node's run mode (`kylin.server.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Query and job engine.
    All,
    /// Job scheduling only.
    Job,
    /// Queries only.
    Query,
}

impl Mode {
    pub const NAMES: &[&str] = &["all", "job", "query"];

    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "all" => Some(Mode::All),
            "job" => Some(Mode::Job),
            "query" => Some(Mode::Query),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::All => "all",
            Mode::Job => "job",
            Mode::Query => "query",
        }
    }

    /// Whether the node may run the job engine.
    pub fn job_capable(self) -> bool {
        matches!(self, Mode::All | Mode::Job)
    }

    /// Whether the node answers queries.
    pub fn query_capable(self) -> bool {
        matches!(self, Mode::All | Mode::Query)
    }
}

/// How several job engines share the work (`job_engine_ha`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobEngineHa {
    /// DefaultScheduler: one job engine only.
    None,
    /// DistributedScheduler under a ZooKeeper job lock (2.0+).
    Distributed,
    /// CuratorScheduler with service self-discovery (3.0+).
    Curator,
}

impl JobEngineHa {
    pub const NAMES: &[&str] = &["none", "distributed", "curator"];

    pub fn parse(text: &str) -> Option<JobEngineHa> {
        match text {
            "none" => Some(JobEngineHa::None),
            "distributed" => Some(JobEngineHa::Distributed),
            "curator" => Some(JobEngineHa::Curator),
            _ => None,
        }
    }
}

/// One node as declared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeSpec {
    pub host: String,
    pub port: u16,
    pub mode: String,
    /// A metastore this node was told about on its own; must be the cluster's.
    pub metadata_url: Option<String>,
}

impl NodeSpec {
    /// `host:port`, how Kylin lists servers.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    pub fn mode(&self) -> Option<Mode> {
        Mode::parse(&self.mode)
    }
}

/// A whole cluster as declared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterSpec {
    pub kylin_version: String,
    pub metadata_url: String,
    pub nodes: Vec<NodeSpec>,
    pub job_engine_ha: String,
    pub zookeeper: Option<String>,
    pub hdfs_working_dir: Option<String>,
    /// The HBase (query) cluster's file system, for read/write separation.
    pub hbase_cluster_fs: Option<String>,
    pub hbase_cluster_hdfs_config_file: Option<String>,
    /// The build (Hadoop) cluster's `fs.defaultFS`, to tell the two apart.
    pub build_cluster_fs: Option<String>,
    /// `host:port` of the nodes behind the load balancer.
    pub load_balancer_targets: Vec<String>,
    pub extra_properties: BTreeMap<String, String>,
}

impl ClusterSpec {
    pub fn ha(&self) -> Option<JobEngineHa> {
        JobEngineHa::parse(&self.job_engine_ha)
    }

    /// Every node's `host:port`, in declaration order.
    pub fn addresses(&self) -> Vec<String> {
        self.nodes.iter().map(NodeSpec::address).collect()
    }
}
