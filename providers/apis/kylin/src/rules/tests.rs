//! One failing case per rule, each naming its attribute, and a clean cluster per line.

use super::*;
use crate::spec::NodeSpec;

fn node(host: &str, mode: &str) -> NodeSpec {
    NodeSpec { host: host.into(), port: 7070, mode: mode.into(), metadata_url: None }
}

fn cluster(version: &str) -> ClusterSpec {
    ClusterSpec {
        kylin_version: version.into(),
        metadata_url: if version.starts_with('4') {
            "kylin_metadata@jdbc,url=jdbc:mysql://db:3306/kylin".into()
        } else {
            "kylin_metadata@hbase".into()
        },
        nodes: vec![node("job1", "job"), node("q1", "query"), node("q2", "query")],
        job_engine_ha: "none".into(),
        load_balancer_targets: vec!["q1:7070".into(), "q2:7070".into()],
        ..ClusterSpec::default()
    }
}

fn only(problems: Vec<Problem>) -> (Rule, String) {
    assert_eq!(problems.len(), 1, "{problems:#?}");
    (problems[0].rule, problems[0].attribute_text())
}

#[test]
fn clean_clusters_pass() {
    for v in ["1.6.0", "2.6.6", "3.1.3", "4.0.3"] {
        assert_eq!(check(&cluster(v)), Vec::new(), "{v}");
    }
}

#[test]
fn rule1_one_metastore() {
    let mut c = cluster("3.1.3");
    c.nodes[1].metadata_url = Some("other@hbase".into());
    assert_eq!(only(check(&c)), (Rule::SameMetadataUrl, "nodes[1].metadata_url".into()));
    let mut c = cluster("4.0.3");
    c.metadata_url = "kylin_metadata@hbase".into();
    assert_eq!(only(check(&c)), (Rule::SameMetadataUrl, "metadata_url".into()));
}

#[test]
fn rule2_unique_addresses() {
    let mut c = cluster("3.1.3");
    c.nodes[2].host = "q1".into();
    c.load_balancer_targets.pop();
    assert_eq!(only(check(&c)), (Rule::ClusterServers, "nodes[2].host".into()));
}

#[test]
fn rule3_modes() {
    let mut c = cluster("3.1.3");
    c.nodes[0].mode = "jobs".into();
    assert_eq!(only(node_modes(&c)), (Rule::NodeModes, "nodes[0].mode".into()));
    let mut c = cluster("3.1.3");
    c.nodes[0].mode = "query".into();
    assert_eq!(only(check(&c)), (Rule::NodeModes, "nodes".into()));
    let mut c = cluster("3.1.3");
    c.nodes = vec![node("j", "job")];
    c.load_balancer_targets.clear();
    assert!(only(check(&c)).1 == "nodes");
}

#[test]
fn rule4_job_engines() {
    let mut c = cluster("3.1.3");
    c.nodes[1].mode = "all".into();
    assert_eq!(only(check(&c)), (Rule::JobEngines, "job_engine_ha".into()));
    c.job_engine_ha = "distributed".into();
    assert_eq!(check(&c), Vec::new());
    c.job_engine_ha = "curator".into();
    assert_eq!(only(check(&c)), (Rule::JobEngines, "job_engine_ha".into()));
    c.zookeeper = Some("zk1:2181".into());
    assert_eq!(check(&c), Vec::new());
    c.kylin_version = "2.6.6".into();
    assert_eq!(only(check(&c)), (Rule::JobEngines, "job_engine_ha".into()));
    c.kylin_version = "1.6.0".into();
    c.job_engine_ha = "distributed".into();
    assert_eq!(only(check(&c)), (Rule::JobEngines, "job_engine_ha".into()));
    c.job_engine_ha = "sometimes".into();
    assert_eq!(only(check(&c)), (Rule::JobEngines, "job_engine_ha".into()));
}

#[test]
fn rule5_load_balancer_targets_query_nodes() {
    let mut c = cluster("3.1.3");
    c.load_balancer_targets.push("job1:7070".into());
    assert_eq!(only(check(&c)), (Rule::LoadBalancer, "load_balancer.targets[2]".into()));
    c.load_balancer_targets[2] = "nowhere:7070".into();
    assert_eq!(only(check(&c)), (Rule::LoadBalancer, "load_balancer.targets[2]".into()));
}

#[test]
fn rule6_read_write_separation() {
    let mut c = cluster("3.1.3");
    c.build_cluster_fs = Some("hdfs://main-nn:8020".into());
    c.hbase_cluster_fs = Some("hbase-nn:8020".into());
    assert_eq!(only(check(&c)), (Rule::ReadWriteSeparation, "hbase_cluster_fs".into()));
    c.hbase_cluster_fs = Some("ftp://hbase-nn:8020".into());
    assert_eq!(only(check(&c)), (Rule::ReadWriteSeparation, "hbase_cluster_fs".into()));
    c.hbase_cluster_fs = Some("HDFS://main-nn:8020/".into());
    assert_eq!(only(check(&c)), (Rule::ReadWriteSeparation, "hbase_cluster_fs".into()));
    c.hbase_cluster_fs = Some("hdfs://hbase-ns".into());
    assert_eq!(only(check(&c)), (Rule::ReadWriteSeparation, "hbase_cluster_fs".into()));
    c.hbase_cluster_hdfs_config_file = Some("/etc/hbase-cluster/hdfs-site.xml".into());
    assert_eq!(check(&c), Vec::new());
    c.hbase_cluster_fs = None;
    assert_eq!(only(check(&c)), (Rule::ReadWriteSeparation, "hbase_cluster_hdfs_config_file".into()));
    let mut c = cluster("4.0.3");
    c.hbase_cluster_fs = Some("hdfs://hbase-nn:8020".into());
    assert_eq!(only(check(&c)), (Rule::ReadWriteSeparation, "hbase_cluster_fs".into()));
}

#[test]
fn rule7_version_keys() {
    let mut c = cluster("3.x");
    assert_eq!(only(check(&c)), (Rule::VersionKeys, "kylin_version".into()));
    c.kylin_version = "3.1.3".into();
    c.extra_properties.insert("kylin.server.mode".into(), "all".into());
    assert_eq!(only(check(&c)), (Rule::VersionKeys, "extra_properties[\"kylin.server.mode\"]".into()));
    c.extra_properties.clear();
    c.extra_properties.insert("kylin.rest.timezone".into(), "GMT+8".into());
    assert_eq!(only(check(&c)), (Rule::VersionKeys, "extra_properties[\"kylin.rest.timezone\"]".into()));
    c.kylin_version = "1.6.0".into();
    assert_eq!(check(&c), Vec::new());
    c.extra_properties.clear();
    c.extra_properties.insert("kylin.web.timezone".into(), "GMT+8".into());
    assert_eq!(only(check(&c)), (Rule::VersionKeys, "extra_properties[\"kylin.web.timezone\"]".into()));
    let mut c = cluster("4.0.3");
    c.extra_properties.insert("kylin.storage.hbase.compression-codec".into(), "snappy".into());
    assert_eq!(
        only(check(&c)),
        (Rule::VersionKeys, "extra_properties[\"kylin.storage.hbase.compression-codec\"]".into())
    );
}

#[test]
fn rule8_warns_on_single_query_node() {
    let mut c = cluster("3.1.3");
    assert!(warnings(&c).is_empty());
    c.nodes.pop();
    c.load_balancer_targets.pop();
    assert_eq!(only(warnings(&c)), (Rule::RollingRestart, "nodes".into()));
    assert!(warnings(&c)[0].summary().starts_with("Kylin rule 8 (rolling restart): "));
}
