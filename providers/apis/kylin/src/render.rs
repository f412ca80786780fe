//! One `kylin.properties` per node, with the property names of the cluster's version line.
//! The text is deterministic (fixed key order, extra properties sorted) so an unchanged
//! configuration renders byte for byte the same and plans no restart.

use std::fmt::Write as _;

use crate::spec::{ClusterSpec, JobEngineHa};
use crate::version::{Line, SCHEDULER_CURATOR, SCHEDULER_DISTRIBUTED};

/// The `kylin.properties` of node `index`; `None` when the version is not one Kylin has or
/// the node does not exist (the rules report both).
pub fn render_node(spec: &ClusterSpec, index: usize) -> Option<String> {
    let line = Line::of(&spec.kylin_version)?;
    let node = spec.nodes.get(index)?;
    let keys = line.keys();
    let mut out = String::new();
    let mut put = |key: &str, value: &str| {
        let _ = writeln!(out, "{key}={}", escape(value));
    };
    put(keys.metadata_url, &spec.metadata_url);
    put(keys.server_mode, &node.mode);
    put(keys.cluster_servers, &spec.addresses().join(","));
    if let Some(key) = keys.host_address {
        put(key, &node.address());
    }
    match spec.ha() {
        Some(JobEngineHa::Distributed) => {
            if let Some(key) = keys.scheduler {
                put(key, &SCHEDULER_DISTRIBUTED.to_string());
            }
            if let (Some(key), Some(class)) = (keys.job_lock, keys.job_lock_class) {
                put(key, class);
            }
        }
        Some(JobEngineHa::Curator) => {
            if let Some(key) = keys.scheduler {
                put(key, &SCHEDULER_CURATOR.to_string());
            }
            if let Some(key) = keys.self_discovery {
                put(key, "true");
            }
        }
        Some(JobEngineHa::None) | None => {}
    }
    if let (Some(key), Some(zk)) = (keys.zookeeper, &spec.zookeeper) {
        put(key, zk);
    }
    if let Some(dir) = &spec.hdfs_working_dir {
        put(keys.hdfs_working_dir, dir);
    }
    if let (Some(key), Some(fs)) = (keys.hbase_cluster_fs, &spec.hbase_cluster_fs) {
        put(key, fs);
    }
    if let (Some(key), Some(file)) = (keys.hbase_cluster_hdfs_config_file, &spec.hbase_cluster_hdfs_config_file) {
        put(key, file);
    }
    for (key, value) in &spec.extra_properties {
        put(key, value);
    }
    let header = format!(
        "# kylin.properties of {} (Kylin {}, {} names), written by Corral\n",
        node.address(),
        spec.kylin_version,
        line.label()
    );
    Some(header + &out)
}

/// Every node's `kylin.properties`, by `host:port`.
pub fn render_all(spec: &ClusterSpec) -> Option<Vec<(String, String)>> {
    (0..spec.nodes.len()).map(|i| Some((spec.nodes[i].address(), render_node(spec, i)?))).collect()
}

/// A value as a Java properties file reads it back: backslashes, line breaks and leading
/// blanks escaped.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            ' ' if i == 0 => out.push_str("\\ "),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
