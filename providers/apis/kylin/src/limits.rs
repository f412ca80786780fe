//! What the service allows, and how long its nodes take (sandbox seconds).

/// Nodes per cluster.
pub const MAX_NODES: usize = 64;
/// Default REST port of a Kylin node.
pub const DEFAULT_PORT: u16 = 7070;
/// A new node's start, from `starting` to `running`.
pub const START_SECONDS: i64 = 60;
/// A restart, from `restarting` to `running`.
pub const RESTART_SECONDS: i64 = 30;
/// File system schemes a `kylin.storage.hbase.cluster-fs` may name.
pub const FS_SCHEMES: &[&str] = &["hdfs", "viewfs", "s3", "s3a", "wasb", "wasbs", "abfs", "abfss"];
