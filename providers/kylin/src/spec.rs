//! Between Corral values and the API crate's [`ClusterSpec`]: a configuration read into a
//! spec (defaults filled: port 7070, mode `all`, `job_engine_ha = "none"`), and a rule's
//! attribute as a Corral path (`nodes[1].mode` is the second `node` block's `mode`).

use std::collections::BTreeMap;

use corral_api_kylin::limits::DEFAULT_PORT;
use corral_api_kylin::rules::{Problem, Severity, Step};
use corral_api_kylin::spec::{ClusterSpec, NodeSpec};
use corral_core::diag::Diagnostic;
use corral_core::value::{Path, Value};

fn text(value: &Value, name: &str) -> Option<String> {
    value.get_attr(name).map(Value::unmarked).and_then(Value::as_str).map(str::to_string)
}

/// The spec of a configuration or planned state; `None` while a value it needs is unknown.
pub(crate) fn cluster_spec(value: &Value) -> Option<ClusterSpec> {
    if !value.is_wholly_known() {
        let needed = ["kylin_version", "metadata_url", "node", "job_engine_ha", "extra_properties", "load_balancer"];
        if needed.iter().any(|n| value.get_attr(n).is_some_and(|v| !v.is_wholly_known())) {
            return None;
        }
    }
    let nodes = value
        .get_attr("node")
        .and_then(Value::as_seq)
        .unwrap_or(&[])
        .iter()
        .map(|n| NodeSpec {
            host: text(n, "host").unwrap_or_default(),
            port: n
                .get_attr("port")
                .and_then(Value::as_number)
                .and_then(|p| p.to_i64())
                .map_or(DEFAULT_PORT, |p| u16::try_from(p).unwrap_or(0)),
            mode: text(n, "mode").unwrap_or_else(|| "all".into()),
            metadata_url: text(n, "metadata_url"),
        })
        .collect();
    let extra_properties: BTreeMap<String, String> = value
        .get_attr("extra_properties")
        .and_then(Value::as_entries)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.unmarked().as_str()?.to_string()))).collect())
        .unwrap_or_default();
    let lb = value.get_attr("load_balancer").and_then(Value::as_seq).and_then(<[Value]>::first);
    let mut spec = ClusterSpec {
        kylin_version: text(value, "kylin_version").unwrap_or_default(),
        metadata_url: text(value, "metadata_url").unwrap_or_default(),
        nodes,
        job_engine_ha: text(value, "job_engine_ha").unwrap_or_else(|| "none".into()),
        zookeeper: text(value, "zookeeper"),
        hdfs_working_dir: text(value, "hdfs_working_dir"),
        hbase_cluster_fs: text(value, "hbase_cluster_fs"),
        hbase_cluster_hdfs_config_file: text(value, "hbase_cluster_hdfs_config_file"),
        build_cluster_fs: text(value, "build_cluster_fs"),
        load_balancer_targets: Vec::new(),
        extra_properties,
    };
    if let Some(lb) = lb {
        spec.load_balancer_targets = match lb.get_attr("targets").and_then(Value::as_seq) {
            Some(targets) => targets.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
            // No targets named: every query-capable node.
            None => default_targets(&spec),
        };
    }
    Some(spec)
}

/// The query-capable nodes, what a load balancer without `targets` sends to.
pub(crate) fn default_targets(spec: &ClusterSpec) -> Vec<String> {
    spec.nodes.iter().filter(|n| n.mode().is_some_and(|m| m.query_capable())).map(NodeSpec::address).collect()
}

/// Whether the configuration names its load balancer's targets itself.
pub(crate) fn explicit_targets(value: &Value) -> bool {
    value
        .get_attr("load_balancer")
        .and_then(Value::as_seq)
        .and_then(<[Value]>::first)
        .and_then(|lb| lb.get_attr("targets"))
        .is_some_and(|t| !t.is_null())
}

/// A rule's attribute as a Corral path.
pub(crate) fn path(steps: &[Step]) -> Path {
    let mut path: Option<Path> = None;
    for step in steps {
        path = Some(match (path, step) {
            (None, Step::Attr("nodes")) => Path::attr("node"),
            (None, Step::Attr("load_balancer")) => Path::attr("load_balancer").index(0),
            (None, Step::Attr(name)) => Path::attr(name),
            (Some(p), Step::Attr(name)) => p.then(name),
            (Some(p), Step::Index(i)) => p.index(*i as i64),
            (Some(p), Step::Key(k)) => p.key(k),
            (None, _) => Path::root(),
        });
    }
    path.unwrap_or_else(Path::root)
}

/// A broken rule as a diagnostic at its attribute.
pub(crate) fn diagnostic(problem: &Problem) -> Diagnostic {
    let base = match problem.severity {
        Severity::Error => Diagnostic::error(problem.summary()),
        Severity::Warning => Diagnostic::warning(problem.summary()),
    };
    base.with_attribute(path(&problem.attribute))
}
