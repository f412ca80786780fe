//! The MRS service driven as the sandbox drives it (advance, then handle), over in-memory
//! tables and a hand-moved clock.

use chrono::{DateTime, Duration, TimeZone, Utc};
use corral_api_mrs::errors;
use corral_api_mrs::operation::Operation;
use corral_provider_sdk::emulator::{ApiError, MemoryTables, Quotas, RequestContext, Service};
use serde_json::{Value, json};

use super::*;
use crate::services::iam;

struct Sandbox {
    tables: MemoryTables,
    now: DateTime<Utc>,
    account: String,
    project: String,
}

impl Sandbox {
    fn new() -> Sandbox {
        let account = "acct-1".to_string();
        let project = iam::default_project_id(&account);
        Sandbox {
            tables: MemoryTables::default(),
            now: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            account,
            project,
        }
    }

    fn call(&mut self, operation: Operation, id: &str, job: &str, body: Value) -> Result<(u16, Value), ApiError> {
        let path = operation.path(&[("pid", &self.project), ("id", id), ("job", job), ("key", "env")]);
        let routed = Operation::route(operation.method(), &path).unwrap();
        let mut ctx = RequestContext {
            now: self.now,
            account: self.account.clone(),
            request_id: "req".into(),
            tables: &mut self.tables,
            quotas: Quotas::sandbox_defaults(),
        };
        MrsService.advance(&mut ctx);
        handle(&mut ctx, &routed, operation.method(), "", &body)
    }

    fn wait(&mut self, minutes: i64) {
        self.now += Duration::minutes(minutes);
    }

    fn cluster(&mut self, id: &str) -> Value {
        self.call(Operation::GetCluster, id, "", json!({})).unwrap().1["cluster"].clone()
    }

    fn create(&mut self, masters: u32, charge: &str) -> String {
        let body = json!({
            "cluster_version": "MRS 3.1.0", "cluster_name": format!("c{}", self.tables.tables.get(model::CLUSTERS).map_or(0, |t| t.len())), "cluster_type": "ANALYSIS",
            "region": "cn-north-4", "availability_zone": "cn-north-4a", "vpc_name": "vpc-1", "subnet_id": "subnet-1",
            "components": "Hadoop,Spark2x,Hive", "safe_mode": "KERBEROS", "manager_admin_password": "Admin@12345",
            "login_mode": "PASSWORD", "node_root_password": "Root@12345",
            "charge_info": {"charge_mode": charge},
            "node_groups": [
                {"group_name": "master_node_default_group", "node_num": masters, "node_size": "c6.2xlarge.4.linux.bigdata"},
                {"group_name": "core_node_analysis_group", "node_num": 3, "node_size": "c6.2xlarge.4.linux.bigdata"},
                {"group_name": "task_node_analysis_group", "node_num": 1, "node_size": "c6.2xlarge.4.linux.bigdata"}
            ]
        });
        let (_, answer) = self.call(Operation::CreateCluster, "", "", body).unwrap();
        answer["cluster_id"].as_str().unwrap().to_string()
    }
}

fn code(result: Result<(u16, Value), ApiError>) -> String {
    result.unwrap_err().code
}

#[test]
fn a_cluster_starts_on_the_sandbox_clock_then_runs() {
    let mut s = Sandbox::new();
    let id = s.create(2, "postPaid");
    assert_eq!(s.cluster(&id)["clusterState"], "starting");
    assert_eq!(
        code(s.call(
            Operation::ExpandCluster,
            &id,
            "",
            json!({"node_group_name": "core_node_analysis_group", "count": 1})
        )),
        errors::CLUSTER_NOT_RUNNING
    );
    s.wait(14);
    assert_eq!(s.cluster(&id)["clusterState"], "starting");
    s.wait(1);
    let cluster = s.cluster(&id);
    assert_eq!(cluster["clusterState"], "running");
    assert_eq!(cluster["totalNodeNum"], 6);
    let hosts = s.call(Operation::ListHosts, &id, "", json!({})).unwrap().1;
    assert_eq!(hosts["total"], 6);
}

#[test]
fn one_scale_at_a_time_and_the_core_floor_of_three() {
    let mut s = Sandbox::new();
    let id = s.create(2, "postPaid");
    s.wait(15);
    let expand = json!({"node_group_name": "core_node_analysis_group", "count": 2});
    s.call(Operation::ExpandCluster, &id, "", expand.clone()).unwrap();
    assert_eq!(s.cluster(&id)["clusterState"], "scaling-out");
    let busy = s.call(Operation::ExpandCluster, &id, "", expand).unwrap_err();
    assert_eq!((busy.status, busy.code.as_str()), (409, errors::SCALING_IN_PROGRESS));
    assert!(errors::is_retryable(&busy.code));
    s.wait(5);
    assert_eq!(s.cluster(&id)["coreNodeNum"], 5);
    let shrink = |count: u32| json!({"node_group_name": "core_node_analysis_group", "count": count});
    let below = s.call(Operation::ShrinkCluster, &id, "", shrink(3)).unwrap_err();
    assert_eq!(below.code, errors::SCALE_IN_FAILED);
    assert!(below.message.contains("at least 3"), "{}", below.message);
    s.call(Operation::ShrinkCluster, &id, "", shrink(2)).unwrap();
    s.wait(5);
    assert_eq!(s.cluster(&id)["coreNodeNum"], 3);
    // The legacy resize names the group and a count as a string.
    let resize = json!({"parameters": {"scale_type": "scale_in", "node_id": "node_orderadd", "node_group": "task_node_analysis_group", "instances": "1"}});
    s.call(Operation::ResizeCluster, &id, "", resize).unwrap();
    s.wait(5);
    assert_eq!(s.cluster(&id)["totalNodeNum"], 5);
}

#[test]
fn masters_upgrade_one_at_a_time_while_the_cluster_keeps_answering() {
    let mut s = Sandbox::new();
    let id = s.create(2, "postPaid");
    s.wait(15);
    s.call(Operation::UpgradeMasterSpec, &id, "", json!({"node_size": "c6.4xlarge.4.linux.bigdata"})).unwrap();
    let during = s.cluster(&id);
    assert_eq!(during["clusterState"], "scaling-out");
    assert!(during["stageDesc"].as_str().unwrap().contains("master 1 of 2"), "{during}");
    // Master HA: reads and jobs still go through; other operations wait.
    s.call(Operation::ListHosts, &id, "", json!({})).unwrap();
    let job = json!({"job_type": "SparkSubmit", "job_name": "during_upgrade", "arguments": ["--class", "Main", "obs://b/app.jar"]});
    s.call(Operation::SubmitJob, &id, "", job).unwrap();
    assert_eq!(
        code(s.call(
            Operation::ExpandCluster,
            &id,
            "",
            json!({"node_group_name": "task_node_analysis_group", "count": 1})
        )),
        errors::SCALING_IN_PROGRESS
    );
    s.wait(10);
    assert!(s.cluster(&id)["stageDesc"].as_str().unwrap().contains("master 2 of 2"));
    assert_eq!(s.cluster(&id)["masterNodeSize"], "c6.2xlarge.4.linux.bigdata");
    s.wait(10);
    let after = s.cluster(&id);
    assert_eq!(after["clusterState"], "running");
    assert_eq!(after["masterNodeSize"], "c6.4xlarge.4.linux.bigdata");
    // A single master has no HA to upgrade behind.
    let single = s.create(1, "postPaid");
    s.wait(15);
    let refused = s
        .call(Operation::UpgradeMasterSpec, &single, "", json!({"node_size": "c6.4xlarge.4.linux.bigdata"}))
        .unwrap_err();
    assert!(refused.message.contains("at least 2"), "{}", refused.message);
}

#[test]
fn jobs_run_to_their_result_and_can_be_killed() {
    let mut s = Sandbox::new();
    let id = s.create(2, "postPaid");
    let job = |name: &str, result: Option<&str>| {
        let mut body = json!({"job_type": "HiveSql", "job_name": name, "arguments": ["select 1"]});
        if let Some(result) = result {
            body["properties"] = json!({RESULT_PROPERTY: result});
        }
        body
    };
    assert_eq!(code(s.call(Operation::SubmitJob, &id, "", job("early", None))), errors::JOB_SUBMIT_STATE);
    s.wait(15);
    let ok = s.call(Operation::SubmitJob, &id, "", job("ok", None)).unwrap().1["job_submit_result"]["job_id"]
        .as_str()
        .unwrap()
        .to_string();
    let bad =
        s.call(Operation::SubmitJob, &id, "", job("bad", Some("FAILED"))).unwrap().1["job_submit_result"]["job_id"]
            .as_str()
            .unwrap()
            .to_string();
    let long = s.call(Operation::SubmitJob, &id, "", job("long", None)).unwrap().1["job_submit_result"]["job_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.wait(1);
    assert_eq!(s.call(Operation::GetJob, &id, &ok, json!({})).unwrap().1["job_detail"]["job_state"], "RUNNING");
    s.call(Operation::KillJob, &id, &long, json!({})).unwrap();
    s.wait(3);
    let detail =
        |s: &mut Sandbox, job: &str| s.call(Operation::GetJob, &id, job, json!({})).unwrap().1["job_detail"].clone();
    assert_eq!(
        (detail(&mut s, &ok)["job_state"].clone(), detail(&mut s, &ok)["job_result"].clone()),
        (json!("FINISHED"), json!("SUCCEEDED"))
    );
    assert_eq!(detail(&mut s, &bad)["job_result"], "FAILED");
    assert_eq!(detail(&mut s, &long)["job_result"], "KILLED");
    s.call(Operation::BatchDeleteJobs, &id, "", json!({"job_id_list": [ok.clone(), bad]})).unwrap();
    assert_eq!(s.call(Operation::ListJobs, &id, "", json!({})).unwrap().1["total_record"], 1);
    assert_eq!(code(s.call(Operation::GetJob, &id, &ok, json!({}))), errors::JOB_NOT_FOUND);
}

#[test]
fn deletes_wait_for_quiet_states_and_prepaid_clusters_are_unsubscribed() {
    let mut s = Sandbox::new();
    let prepaid = s.create(2, "prePaid");
    let id = s.create(2, "postPaid");
    assert_eq!(code(s.call(Operation::DeleteCluster, &id, "", json!({}))), errors::CANNOT_TERMINATE);
    s.wait(15);
    assert_eq!(code(s.call(Operation::DeleteCluster, &prepaid, "", json!({}))), errors::PREPAID_CANNOT_TERMINATE);
    assert_eq!(s.call(Operation::DeleteCluster, &id, "", json!({})).unwrap().0, 204);
    assert_eq!(s.cluster(&id)["clusterState"], "terminating");
    s.wait(2);
    assert_eq!(code(s.call(Operation::GetCluster, &id, "", json!({}))), errors::CLUSTER_NOT_FOUND);
}

#[test]
fn tags_and_scaling_policies_follow_the_service_rules() {
    let mut s = Sandbox::new();
    let id = s.create(2, "postPaid");
    s.call(
        Operation::BatchTags,
        &id,
        "",
        json!({"action": "create", "tags": [{"key": "env", "value": "dev"}, {"key": "team", "value": "data"}]}),
    )
    .unwrap();
    assert!(
        s.call(Operation::BatchTags, &id, "", json!({"action": "create", "tags": [{"key": "a=b", "value": "x"}]}))
            .is_err()
    );
    s.call(Operation::DeleteTag, &id, "", json!({})).unwrap();
    assert_eq!(s.cluster(&id)["tags"], "team=data");
    let policy = |group: &str, min: u32| json!({"node_group": group, "auto_scaling_policy": {"auto_scaling_enable": true, "min_capacity": min, "max_capacity": 5}});
    s.call(Operation::SetScalingPolicyV1, &id, "", policy("task_node_analysis_group", 1)).unwrap();
    assert!(
        s.call(Operation::SetScalingPolicyV1, &id, "", policy("core_node_analysis_group", 1))
            .unwrap_err()
            .message
            .contains("task node groups only")
    );
    assert!(
        s.call(Operation::SetScalingPolicyV1, &id, "", policy("task_node_analysis_group", 9))
            .unwrap_err()
            .message
            .contains("above max_capacity")
    );
    let read = s.call(Operation::GetScalingPolicy, &id, "", json!({})).unwrap().1;
    assert_eq!(read["auto_scaling_policies"]["task_node_analysis_group"]["min_capacity"], 1);
}

#[test]
fn project_tags_gather_every_clusters_values_and_run_job_flow_says_it_is_not_emulated() {
    let mut s = Sandbox::new();
    let a = s.create(2, "postPaid");
    let b = s.create(2, "postPaid");
    s.call(Operation::CreateTag, &a, "", json!({"tag": {"key": "env", "value": "dev"}})).unwrap();
    s.call(Operation::CreateTag, &b, "", json!({"tag": {"key": "env", "value": "prod"}})).unwrap();
    let tags = s.call(Operation::ListProjectTags, "", "", json!({})).unwrap().1;
    assert_eq!(tags, json!({"tags": [{"key": "env", "values": ["dev", "prod"]}]}));
    let refused = s.call(Operation::RunJobFlow, "", "", json!({})).unwrap_err();
    assert!(refused.message.contains("does not emulate run-job-flow"), "{}", refused.message);
}
