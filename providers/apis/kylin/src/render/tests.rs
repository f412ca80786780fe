//! Golden `kylin.properties` per version line: the same cluster (one job node, two query
//! nodes, HA, read/write separation where the line has it, an extra property).

use std::collections::BTreeMap;

use super::*;
use crate::properties::parse;
use crate::spec::NodeSpec;

fn cluster(version: &str, ha: &str) -> ClusterSpec {
    let v4 = version.starts_with('4');
    let node =
        |host: &str, mode: &str| NodeSpec { host: host.into(), port: 7070, mode: mode.into(), metadata_url: None };
    ClusterSpec {
        kylin_version: version.into(),
        metadata_url: if v4 {
            "kylin_metadata@jdbc,url=jdbc:mysql://db:3306/kylin,username=kylin".into()
        } else {
            "kylin_metadata@hbase".into()
        },
        nodes: vec![node("job1.internal", "job"), node("query1.internal", "query"), node("query2.internal", "query")],
        job_engine_ha: ha.into(),
        zookeeper: Some("zk1:2181,zk2:2181".into()),
        hdfs_working_dir: Some("/kylin".into()),
        hbase_cluster_fs: (!v4).then(|| "hdfs://hbase-nn.internal:8020".into()),
        hbase_cluster_hdfs_config_file: None,
        build_cluster_fs: Some("hdfs://main-nn.internal:8020".into()),
        load_balancer_targets: vec!["query1.internal:7070".into(), "query2.internal:7070".into()],
        extra_properties: BTreeMap::from([("kylin.query.max-return-rows".into(), "50000".into())]),
    }
}

fn golden(version: &str, ha: &str) -> String {
    let spec = cluster(version, ha);
    let rendered = render_all(&spec).unwrap_or_default();
    assert_eq!(rendered.len(), 3);
    rendered.into_iter().map(|(address, text)| format!("### {address}\n{text}")).collect::<Vec<_>>().join("\n")
}

#[test]
fn legacy_1x() {
    insta::assert_snapshot!(golden("1.6.0", "none"));
}

#[test]
fn v2x_distributed() {
    insta::assert_snapshot!(golden("2.6.6", "distributed"));
}

#[test]
fn v3x_curator() {
    insta::assert_snapshot!(golden("3.1.3", "curator"));
}

#[test]
fn v4x_distributed() {
    insta::assert_snapshot!(golden("4.0.3", "distributed"));
}

#[test]
fn rendered_text_reads_back() {
    let spec = cluster("3.1.3", "curator");
    let text = render_node(&spec, 1).unwrap_or_default();
    let props = parse(&text);
    assert_eq!(props["kylin.server.mode"], "query");
    assert_eq!(props["kylin.server.cluster-servers"], "job1.internal:7070,query1.internal:7070,query2.internal:7070");
    assert_eq!(props["kylin.server.host-address"], "query1.internal:7070");
    assert_eq!(props["kylin.metadata.url"], spec.metadata_url);
    assert_eq!(render_node(&spec, 3), None);
    let mut bad = spec;
    bad.kylin_version = "9".into();
    assert_eq!(render_all(&bad), None);
}
