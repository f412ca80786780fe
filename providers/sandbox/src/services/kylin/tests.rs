//! The Kylin service driven as the sandbox drives it (advance, then handle), over in-memory
//! tables and a hand-moved clock.

use chrono::{DateTime, Duration, TimeZone, Utc};
use corral_api_kylin::render::render_all;
use corral_api_kylin::spec::{ClusterSpec, NodeSpec};
use corral_provider_sdk::emulator::{ApiError, MemoryTables, Quotas, RequestContext, Service};
use serde_json::{Value, json};

use super::*;

struct Sandbox {
    tables: MemoryTables,
    now: DateTime<Utc>,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox { tables: MemoryTables::default(), now: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() }
    }

    fn call(&mut self, action: &str, body: Value) -> Result<Value, ApiError> {
        let mut ctx = RequestContext {
            now: self.now,
            account: "acct-1".into(),
            request_id: "req-1".into(),
            tables: &mut self.tables,
            quotas: Quotas::sandbox_defaults(),
        };
        KylinService.advance(&mut ctx);
        KylinService.handle(&mut ctx, action, corral_api_kylin::VERSION, &body)
    }

    fn wait(&mut self, seconds: i64) {
        self.now += Duration::seconds(seconds);
    }
}

fn spec(ha: &str, modes: &[&str]) -> ClusterSpec {
    ClusterSpec {
        kylin_version: "3.1.3".into(),
        metadata_url: "kylin_metadata@hbase".into(),
        nodes: modes
            .iter()
            .enumerate()
            .map(|(i, m)| NodeSpec { host: format!("n{i}"), port: 7070, mode: (*m).into(), metadata_url: None })
            .collect(),
        job_engine_ha: ha.into(),
        zookeeper: Some("zk:2181".into()),
        ..ClusterSpec::default()
    }
}

fn nodes(spec: &ClusterSpec) -> Value {
    let rendered = render_all(spec).unwrap();
    Value::Array(
        spec.nodes
            .iter()
            .zip(rendered)
            .map(|(n, (_, text))| json!({ "Host": n.host, "Port": n.port, "Properties": text }))
            .collect(),
    )
}

fn create(s: &mut Sandbox, spec: &ClusterSpec, targets: &[&str]) -> String {
    let body = json!({ "ClusterName": "k", "KylinVersion": spec.kylin_version, "Nodes": nodes(spec), "LoadBalancerTargets": targets });
    let answer = s.call("CreateCluster", body).unwrap();
    assert_eq!(answer["Status"], "creating");
    answer["ClusterId"].as_str().unwrap().to_string()
}

#[test]
fn nodes_start_register_and_the_lb_spreads_queries() {
    let mut s = Sandbox::new();
    let id = create(&mut s, &spec("none", &["job", "query", "query"]), &["n1:7070", "n2:7070"]);
    let err = s.call("Query", json!({ "ClusterId": id, "Sql": "select 1" })).unwrap_err();
    assert_eq!(err.code, "NoQueryNodeAvailable");
    s.wait(60);
    let c = s.call("DescribeCluster", json!({ "ClusterId": id })).unwrap();
    assert_eq!(c["Status"], "running");
    assert!(c["Nodes"].as_array().unwrap().iter().all(|n| n["Registered"] == true));
    assert_eq!(c["ActiveJobNodes"], json!(["n0:7070"]));
    let served: Vec<String> = (0..4)
        .map(|_| {
            s.call("Query", json!({ "ClusterId": id, "Sql": "select 1" })).unwrap()["ServedBy"].as_str().unwrap().into()
        })
        .collect();
    assert_eq!(served, ["n1:7070", "n2:7070", "n1:7070", "n2:7070"]);
}

#[test]
fn a_push_takes_effect_after_a_restart_and_queries_keep_flowing() {
    let mut s = Sandbox::new();
    let mut sp = spec("none", &["job", "query", "query"]);
    let id = create(&mut s, &sp, &["n1:7070", "n2:7070"]);
    s.wait(60);
    sp.extra_properties.insert("kylin.query.max-return-rows".into(), "10".into());
    let body = json!({ "ClusterId": id, "Nodes": nodes(&sp), "LoadBalancerTargets": ["n1:7070", "n2:7070"] });
    let c = s.call("UpdateCluster", body).unwrap();
    assert_eq!(c["Status"], "restart_pending");
    assert!(!c["Nodes"][1]["RunningProperties"].as_str().unwrap().contains("max-return-rows"));
    s.call("RestartNode", json!({ "ClusterId": id, "Node": "n1:7070" })).unwrap();
    for _ in 0..3 {
        let a = s.call("Query", json!({ "ClusterId": id, "Sql": "select 1" })).unwrap();
        assert_eq!(a["ServedBy"], "n2:7070");
    }
    s.wait(30);
    let c = s.call("DescribeCluster", json!({ "ClusterId": id })).unwrap();
    assert!(c["Nodes"][1]["RunningProperties"].as_str().unwrap().contains("max-return-rows=10"));
    assert_eq!(c["Status"], "restart_pending");
}

#[test]
fn one_job_engine_under_the_lock_and_hand_over_on_stop() {
    let mut s = Sandbox::new();
    let id = create(&mut s, &spec("distributed", &["job", "job", "query"]), &["n2:7070"]);
    s.wait(60);
    let c = s.call("DescribeCluster", json!({ "ClusterId": id })).unwrap();
    assert_eq!(c["ActiveJobNodes"], json!(["n0:7070"]));
    let c = s.call("StopNode", json!({ "ClusterId": id, "Node": "n0:7070" })).unwrap();
    assert_eq!(c["ActiveJobNodes"], json!(["n1:7070"]));
    assert_eq!(c["DuplicatedBuilds"], false);
    s.call("StartNode", json!({ "ClusterId": id, "Node": "n0:7070" })).unwrap();
    s.wait(60);
    let c = s.call("DescribeCluster", json!({ "ClusterId": id })).unwrap();
    assert_eq!(c["ActiveJobNodes"], json!(["n1:7070"]));
    assert_eq!(c["Status"], "running");
    s.call("StopNode", json!({ "ClusterId": id, "Node": "n2:7070" })).unwrap();
    let c = s.call("StartNode", json!({ "ClusterId": id, "Node": "n2:7070" })).unwrap();
    assert_eq!(c["Status"], "restart_pending", "a node still starting is no running cluster");
}

#[test]
fn without_the_lock_two_job_nodes_duplicate_builds() {
    let mut s = Sandbox::new();
    let id = create(&mut s, &spec("none", &["job", "all"]), &[]);
    s.wait(60);
    let c = s.call("DescribeCluster", json!({ "ClusterId": id })).unwrap();
    assert_eq!(c["ActiveJobNodes"], json!(["n0:7070", "n1:7070"]));
    assert_eq!(c["DuplicatedBuilds"], true);
}

#[test]
fn broken_configurations_are_refused() {
    let mut s = Sandbox::new();
    let sp = spec("none", &["job", "query"]);
    let mut n = nodes(&sp);
    n[1]["Properties"] = json!(n[1]["Properties"].as_str().unwrap().replace("kylin_metadata@hbase", "other@hbase"));
    let body = json!({ "ClusterName": "k", "KylinVersion": "3.1.3", "Nodes": n });
    let err = s.call("CreateCluster", body).unwrap_err();
    assert_eq!(err.code, "InvalidConfiguration");
    assert!(err.message.contains("rule 1"), "{}", err.message);
    let body =
        json!({ "ClusterName": "k", "KylinVersion": "3.1.3", "Nodes": nodes(&sp), "LoadBalancerTargets": ["n0:7070"] });
    let err = s.call("CreateCluster", body).unwrap_err();
    assert!(err.message.contains("rule 5"), "{}", err.message);
    let id = create(&mut s, &sp, &[]);
    let mut other = sp.clone();
    other.metadata_url = "moved@hbase".into();
    let err = s.call("UpdateCluster", json!({ "ClusterId": id, "Nodes": nodes(&other) })).unwrap_err();
    assert_eq!(err.code, "InvalidConfiguration");
    s.call("DeleteCluster", json!({ "ClusterId": id })).unwrap();
    let err = s.call("DescribeCluster", json!({ "ClusterId": id })).unwrap_err();
    assert_eq!(err.code, "ClusterNotFound");
}
