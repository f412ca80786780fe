//! The cluster-mode rules (research §5), as pure functions of a [`ClusterSpec`]: each
//! [`Problem`] names its rule and the attribute that is wrong, so the provider can put the
//! diagnostic at that attribute's line and the sandbox can refuse the same configuration.
//! Rule 8 (a configuration change takes effect only after a restart) is the restart plan of
//! [`crate::restart`], not a check.

use std::collections::BTreeSet;

use crate::limits::FS_SCHEMES;
use crate::spec::{ClusterSpec, JobEngineHa, Mode};
use crate::version::{Line, RENAMED, owned_keys};

/// One of the rules of research §5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// 1: one metastore for every node.
    SameMetadataUrl = 1,
    /// 2: `cluster-servers` lists every node, self included (so addresses are unique).
    ClusterServers = 2,
    /// 3: valid modes; at least one job-capable and one query-capable node.
    NodeModes = 3,
    /// 4: several job engines need a distributed lock or the Curator scheduler.
    JobEngines = 4,
    /// 5: the load balancer sends queries to query-capable nodes only.
    LoadBalancer = 5,
    /// 6: read/write separation names a valid, distinct file system.
    ReadWriteSeparation = 6,
    /// 7: the property names of the target version.
    VersionKeys = 7,
    /// 8: configuration changes need a (rolling) restart.
    RollingRestart = 8,
}

impl Rule {
    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn title(self) -> &'static str {
        match self {
            Rule::SameMetadataUrl => "same metadata url",
            Rule::ClusterServers => "cluster servers",
            Rule::NodeModes => "node modes",
            Rule::JobEngines => "job engines",
            Rule::LoadBalancer => "load balancer",
            Rule::ReadWriteSeparation => "read/write separation",
            Rule::VersionKeys => "version keys",
            Rule::RollingRestart => "rolling restart",
        }
    }
}

/// One step of an attribute path: `nodes[1].mode` is `[Attr("nodes"), Index(1), Attr("mode")]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Attr(&'static str),
    Index(usize),
    Key(String),
}

/// How bad a problem is: an error refuses the plan, a warning is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A broken rule at an attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub rule: Rule,
    pub severity: Severity,
    pub attribute: Vec<Step>,
    pub message: String,
}

impl Problem {
    fn error(rule: Rule, attribute: Vec<Step>, message: impl Into<String>) -> Problem {
        Problem { rule, severity: Severity::Error, attribute, message: message.into() }
    }

    fn warning(rule: Rule, attribute: Vec<Step>, message: impl Into<String>) -> Problem {
        Problem { rule, severity: Severity::Warning, attribute, message: message.into() }
    }

    /// `Kylin rule 4 (job engines): ...`, how diagnostics and API errors say it.
    pub fn summary(&self) -> String {
        format!("Kylin rule {} ({}): {}", self.rule.number(), self.rule.title(), self.message)
    }

    /// The attribute as text, `nodes[1].mode`, `extra_properties["k"]`.
    pub fn attribute_text(&self) -> String {
        let mut out = String::new();
        for step in &self.attribute {
            match step {
                Step::Attr(name) if out.is_empty() => out.push_str(name),
                Step::Attr(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
                Step::Key(k) => out.push_str(&format!("[{k:?}]")),
            }
        }
        out
    }
}

fn node_attr(index: usize, name: &'static str) -> Vec<Step> {
    vec![Step::Attr("nodes"), Step::Index(index), Step::Attr(name)]
}

/// Every rule, in rule order.
pub fn check(spec: &ClusterSpec) -> Vec<Problem> {
    let mut out = Vec::new();
    out.extend(same_metadata_url(spec));
    out.extend(cluster_servers(spec));
    out.extend(node_modes(spec));
    out.extend(job_engines(spec));
    out.extend(load_balancer(spec));
    out.extend(read_write_separation(spec));
    out.extend(version_keys(spec));
    out
}

/// Rule 1: a metastore, and no node told about another one.
pub fn same_metadata_url(spec: &ClusterSpec) -> Vec<Problem> {
    let mut out = Vec::new();
    if spec.metadata_url.trim().is_empty() {
        out.push(Problem::error(Rule::SameMetadataUrl, vec![Step::Attr("metadata_url")], "metadata_url is empty"));
    } else if Line::of(&spec.kylin_version) == Some(Line::V4) && !spec.metadata_url.contains("@jdbc") {
        out.push(Problem::error(
            Rule::SameMetadataUrl,
            vec![Step::Attr("metadata_url")],
            format!("Kylin 4 keeps metadata in a JDBC store (`name@jdbc,url=...`), not `{}`", spec.metadata_url),
        ));
    }
    for (i, node) in spec.nodes.iter().enumerate() {
        if let Some(url) = &node.metadata_url
            && url != &spec.metadata_url
        {
            out.push(Problem::error(
                Rule::SameMetadataUrl,
                node_attr(i, "metadata_url"),
                format!(
                    "node {} names metastore `{url}`, the cluster's is `{}`: every node must share one",
                    node.address(),
                    spec.metadata_url
                ),
            ));
        }
    }
    out
}

/// Rule 2: `cluster-servers` is the set of node addresses, so each address is a real,
/// unique `host:port`.
pub fn cluster_servers(spec: &ClusterSpec) -> Vec<Problem> {
    let mut out = Vec::new();
    if spec.nodes.is_empty() {
        out.push(Problem::error(Rule::ClusterServers, vec![Step::Attr("nodes")], "a cluster needs at least one node"));
    }
    let mut seen = BTreeSet::new();
    for (i, node) in spec.nodes.iter().enumerate() {
        if node.host.trim().is_empty() || node.host.contains([',', ':', ' ']) {
            out.push(Problem::error(
                Rule::ClusterServers,
                node_attr(i, "host"),
                format!("`{}` is not a host name cluster-servers can list", node.host),
            ));
        }
        if node.port == 0 {
            out.push(Problem::error(Rule::ClusterServers, node_attr(i, "port"), "port 0 is not a port"));
        }
        if !seen.insert(node.address()) {
            out.push(Problem::error(
                Rule::ClusterServers,
                node_attr(i, "host"),
                format!("{} is declared twice: cluster-servers lists each node once", node.address()),
            ));
        }
    }
    out
}

/// Rule 3: modes are `all|job|query`; someone schedules builds and someone answers queries.
pub fn node_modes(spec: &ClusterSpec) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, node) in spec.nodes.iter().enumerate() {
        if node.mode().is_none() {
            out.push(Problem::error(
                Rule::NodeModes,
                node_attr(i, "mode"),
                format!("mode `{}` is not one of {}", node.mode, Mode::NAMES.join(", ")),
            ));
        }
    }
    if !out.is_empty() || spec.nodes.is_empty() {
        return out;
    }
    let modes: Vec<Mode> = spec.nodes.iter().filter_map(|n| n.mode()).collect();
    if !modes.iter().any(|m| m.job_capable()) {
        out.push(Problem::error(
            Rule::NodeModes,
            vec![Step::Attr("nodes")],
            "no node can schedule builds: at least one node must be `job` or `all`",
        ));
    }
    if !modes.iter().any(|m| m.query_capable()) {
        out.push(Problem::error(
            Rule::NodeModes,
            vec![Step::Attr("nodes")],
            "no node answers queries: at least one node must be `query` or `all`",
        ));
    }
    out
}

/// Rule 4: one job engine, or several under a distributed lock (2.0+) or the Curator
/// scheduler (3.0+, with ZooKeeper).
pub fn job_engines(spec: &ClusterSpec) -> Vec<Problem> {
    let at = || vec![Step::Attr("job_engine_ha")];
    let Some(ha) = spec.ha() else {
        return vec![Problem::error(
            Rule::JobEngines,
            at(),
            format!("`{}` is not one of {}", spec.job_engine_ha, JobEngineHa::NAMES.join(", ")),
        )];
    };
    let mut out = Vec::new();
    let line = Line::of(&spec.kylin_version);
    let job_nodes: Vec<String> =
        spec.nodes.iter().filter(|n| n.mode().is_some_and(Mode::job_capable)).map(|n| n.address()).collect();
    match ha {
        JobEngineHa::None if job_nodes.len() > 1 => out.push(Problem::error(
            Rule::JobEngines,
            at(),
            format!(
                "{} job-capable nodes ({}) with the default scheduler would each schedule every build: set job_engine_ha = \"distributed\" or \"curator\", or keep one job node",
                job_nodes.len(),
                job_nodes.join(", ")
            ),
        )),
        JobEngineHa::Distributed if line.is_some_and(|l| !l.has_distributed_scheduler()) => out.push(Problem::error(
            Rule::JobEngines,
            at(),
            format!("Kylin {} has no distributed scheduler (2.0+)", spec.kylin_version),
        )),
        JobEngineHa::Curator if line.is_some_and(|l| !l.has_curator_scheduler()) => out.push(Problem::error(
            Rule::JobEngines,
            at(),
            format!("Kylin {} has no Curator scheduler (3.0+)", spec.kylin_version),
        )),
        _ => {}
    }
    // The lock and the leader election live in ZooKeeper; before 4.x Kylin finds it through
    // HBase, 4.x has no HBase, and Curator always needs it named.
    let needs_zk = match ha {
        JobEngineHa::None => false,
        JobEngineHa::Distributed => line == Some(Line::V4),
        JobEngineHa::Curator => true,
    };
    if needs_zk && spec.zookeeper.as_deref().is_none_or(|z| z.trim().is_empty()) {
        out.push(Problem::error(
            Rule::JobEngines,
            at(),
            format!("job_engine_ha = \"{}\" coordinates through ZooKeeper here: set zookeeper", spec.job_engine_ha),
        ));
    }
    out
}

/// Rule 5: every load-balancer target is a declared, query-capable node.
pub fn load_balancer(spec: &ClusterSpec) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, target) in spec.load_balancer_targets.iter().enumerate() {
        let at = vec![Step::Attr("load_balancer"), Step::Attr("targets"), Step::Index(i)];
        match spec.nodes.iter().find(|n| &n.address() == target) {
            None => out.push(Problem::error(
                Rule::LoadBalancer,
                at,
                format!("target {target} is not a node of the cluster"),
            )),
            Some(node) if node.mode().is_some_and(|m| !m.query_capable()) => out.push(Problem::error(
                Rule::LoadBalancer,
                at,
                format!("target {target} is a `{}` node and answers no queries", node.mode),
            )),
            Some(_) => {}
        }
    }
    out
}

/// The scheme and authority of a file system URI, `None` when it is not one.
fn fs_parts(uri: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split('/').next().unwrap_or("");
    let scheme_ok = !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '+');
    (scheme_ok && !authority.is_empty()).then_some((scheme, authority))
}

fn same_fs(a: &str, b: &str) -> bool {
    match (fs_parts(a), fs_parts(b)) {
        (Some((sa, aa)), Some((sb, ab))) => sa.eq_ignore_ascii_case(sb) && aa.eq_ignore_ascii_case(ab),
        _ => a.trim_end_matches('/') == b.trim_end_matches('/'),
    }
}

/// Rule 6: `hbase_cluster_fs` names the HBase cluster's file system: a URI of a known
/// scheme, not the build cluster's, with the HA config when it is a nameservice; none of it
/// on 4.x (no HBase).
pub fn read_write_separation(spec: &ClusterSpec) -> Vec<Problem> {
    let mut out = Vec::new();
    let at = || vec![Step::Attr("hbase_cluster_fs")];
    let line = Line::of(&spec.kylin_version);
    if spec.hbase_cluster_hdfs_config_file.is_some() && spec.hbase_cluster_fs.is_none() {
        out.push(Problem::error(
            Rule::ReadWriteSeparation,
            vec![Step::Attr("hbase_cluster_hdfs_config_file")],
            "an HBase cluster hdfs config without hbase_cluster_fs configures nothing",
        ));
    }
    let Some(fs) = &spec.hbase_cluster_fs else { return out };
    if line == Some(Line::V4) {
        out.push(Problem::error(
            Rule::ReadWriteSeparation,
            at(),
            "Kylin 4 stores cubes as Parquet, not in HBase: read/write separation through cluster-fs does not apply",
        ));
        return out;
    }
    let Some((scheme, authority)) = fs_parts(fs) else {
        out.push(Problem::error(
            Rule::ReadWriteSeparation,
            at(),
            format!("`{fs}` is not a file system URI (`hdfs://namenode:8020` or `hdfs://nameservice`)"),
        ));
        return out;
    };
    if !FS_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
        out.push(Problem::error(
            Rule::ReadWriteSeparation,
            at(),
            format!("scheme `{scheme}` is not a file system HBase can live on ({})", FS_SCHEMES.join(", ")),
        ));
    }
    if let Some(build) = &spec.build_cluster_fs
        && same_fs(fs, build)
    {
        out.push(Problem::error(
            Rule::ReadWriteSeparation,
            at(),
            format!("`{fs}` is the build cluster's own file system: read/write separation needs the HBase cluster's"),
        ));
    }
    // An hdfs authority without a port is a nameservice (NameNode HA): Kylin resolves it only
    // with that cluster's hdfs-site.
    if scheme.eq_ignore_ascii_case("hdfs") && !authority.contains(':') && spec.hbase_cluster_hdfs_config_file.is_none()
    {
        out.push(Problem::error(
            Rule::ReadWriteSeparation,
            at(),
            format!("`{authority}` is a nameservice: set hbase_cluster_hdfs_config_file to the HBase cluster's hdfs-site.xml"),
        ));
    }
    out
}

/// Rule 7: a version Kylin has, and extra properties that neither overwrite what Corral
/// writes nor use another version's names.
pub fn version_keys(spec: &ClusterSpec) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(line) = Line::of(&spec.kylin_version) else {
        out.push(Problem::error(
            Rule::VersionKeys,
            vec![Step::Attr("kylin_version")],
            format!("`{}` is not a Kylin version of a known line (1.x, 2.x, 3.x, 4.x)", spec.kylin_version),
        ));
        return out;
    };
    let owned = owned_keys();
    for key in spec.extra_properties.keys() {
        let at = vec![Step::Attr("extra_properties"), Step::Key(key.clone())];
        if owned.contains(&key.as_str()) {
            out.push(Problem::error(
                Rule::VersionKeys,
                at,
                format!("`{key}` is written by Corral from the cluster's attributes; set the attribute instead"),
            ));
            continue;
        }
        for (legacy, current) in RENAMED {
            if line >= Line::V2 && key == legacy {
                out.push(Problem::error(
                    Rule::VersionKeys,
                    at.clone(),
                    format!("Kylin {} ignores the legacy name `{key}`: use `{current}`", spec.kylin_version),
                ));
            } else if line == Line::Legacy1 && key == current {
                out.push(Problem::error(
                    Rule::VersionKeys,
                    at.clone(),
                    format!("Kylin {} does not know `{key}` yet: use `{legacy}`", spec.kylin_version),
                ));
            }
        }
        if line == Line::V4 && key.starts_with("kylin.storage.hbase.") {
            out.push(Problem::error(
                Rule::VersionKeys,
                at,
                format!("Kylin {} has no HBase storage: `{key}` does nothing", spec.kylin_version),
            ));
        }
    }
    out
}

/// Warnings that do not refuse a plan: a single query-capable node means a restart takes
/// queries offline.
pub fn warnings(spec: &ClusterSpec) -> Vec<Problem> {
    let query_nodes = spec.nodes.iter().filter(|n| n.mode().is_some_and(Mode::query_capable)).count();
    if query_nodes == 1 {
        return vec![Problem::warning(
            Rule::RollingRestart,
            vec![Step::Attr("nodes")],
            "one query-capable node: a configuration change takes queries offline while it restarts",
        )];
    }
    Vec::new()
}

#[cfg(test)]
mod tests;
