//! The Kyligence service driven as the sandbox drives it (advance, then handle), over
//! in-memory tables and a hand-moved clock.

use chrono::{DateTime, Duration, TimeZone, Utc};
use corral_provider_sdk::emulator::{ApiError, MemoryTables, Quotas, RequestContext, Service};
use serde_json::{Value, json};

use super::*;

struct Sandbox {
    tables: MemoryTables,
    now: DateTime<Utc>,
    quotas: Quotas,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            tables: MemoryTables::default(),
            now: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            quotas: Quotas::sandbox_defaults(),
        }
    }

    fn ctx(&mut self) -> RequestContext<'_> {
        RequestContext {
            now: self.now,
            account: "acct-1".into(),
            request_id: "req-1".into(),
            tables: &mut self.tables,
            quotas: self.quotas.clone(),
        }
    }

    fn call(&mut self, action: &str, body: Value) -> Result<Value, ApiError> {
        let mut ctx = self.ctx();
        KyligenceService.advance(&mut ctx);
        KyligenceService.handle(&mut ctx, action, VERSION, &body)
    }

    fn ok(&mut self, action: &str, body: Value) -> Value {
        self.call(action, body).unwrap_or_else(|e| panic!("{action}: {e}"))
    }

    fn minutes(&mut self, minutes: i64) {
        self.now += Duration::minutes(minutes);
    }

    fn describe(&mut self, id: &str) -> Value {
        self.ok(DESCRIBE_STACK, json!({ "StackId": id }))
    }

    fn label(&mut self, id: &str) -> String {
        let stack: corral_api_kyligence::stack::Stack = serde_json::from_value(self.describe(id)).unwrap();
        stack.status_label()
    }

    /// A running stack with 2 core nodes, KAP 2.5.0.
    fn running_stack(&mut self) -> String {
        let created = self.ok(
            CREATE_STACK,
            json!({
                "StackName": "sales", "VpcId": "vpc-1", "SubnetId": "subnet-1", "KapVersion": "2.5.0",
                "MasterInstanceType": "m4.xlarge", "CoreInstanceType": "m4.2xlarge", "CoreCount": 2,
                "ClientToken": "tok-1"
            }),
        );
        let id = created["StackId"].as_str().unwrap().to_string();
        assert_eq!(self.label(&id), "creating(provisioning)");
        self.minutes(10);
        assert_eq!(self.label(&id), "running");
        id
    }

    fn count_query(&mut self, id: &str) -> Result<Value, ApiError> {
        self.call(QUERY, json!({ "StackId": id, "Sql": "select count(*) from KYLIN_SALES" }))
    }

    fn steps(&mut self, id: &str) -> Vec<String> {
        self.describe(id)["StepLog"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| format!("{}:{}", s["Operation"].as_str().unwrap(), s["Step"].as_str().unwrap()))
            .collect()
    }
}

#[test]
fn a_retried_create_answers_the_first_stack() {
    let mut s = Sandbox::new();
    let id = s.running_stack();
    let again = s.ok(CREATE_STACK, json!({ "ClientToken": "tok-1" }));
    assert_eq!(again["StackId"], id.as_str());
    assert_eq!(s.ok(LIST_STACKS, json!({}))["Stacks"].as_array().unwrap().len(), 1);
}

#[test]
fn kap_answers_while_scaling_and_the_master_count_is_fixed() {
    let mut s = Sandbox::new();
    let id = s.running_stack();
    let fixed = s.call(SCALE_STACK, json!({ "StackId": id, "MasterCount": 3 })).unwrap_err();
    assert_eq!(fixed.code, "MasterCountFixed");
    s.ok(SCALE_STACK, json!({ "StackId": id, "CoreCount": 4, "TaskCount": 2 }));
    s.minutes(2);
    assert_eq!(s.label(&id), "scaling(resizing)");
    assert_eq!(s.count_query(&id).unwrap()["Result"], "10000", "KAP serves during scaling");
    let busy = s.call(STOP_STACK, json!({ "StackId": id })).unwrap_err();
    assert_eq!((busy.status, busy.code.as_str()), (409, "StackBusy"));
    let busy = s.call(UPGRADE_KAP, json!({ "StackId": id, "KapVersion": "2.5.4" })).unwrap_err();
    assert_eq!(busy.code, "StackBusy");
    s.minutes(4);
    let stack = s.describe(&id);
    assert_eq!((stack["CoreCount"].as_u64(), stack["TaskCount"].as_u64()), (Some(4), Some(2)));
    assert_eq!(stack["RunningNodes"], 7);
}

#[test]
fn stop_backs_up_once_terminates_every_node_and_start_restores_the_same_cubes() {
    let mut s = Sandbox::new();
    let id = s.running_stack();
    let before = s.ok(LIST_CUBES, json!({ "StackId": id }));
    s.ok(STOP_STACK, json!({ "StackId": id }));
    assert_eq!(s.count_query(&id).unwrap_err().code, "KapUnavailable", "KAP stops first");
    s.minutes(2);
    assert_eq!(s.label(&id), "stopping(backing_up)");
    // A client that lost track asks again: nothing new starts.
    s.ok(STOP_STACK, json!({ "StackId": id }));
    s.minutes(10);
    let stopped = s.describe(&id);
    assert_eq!(stopped["StackStatus"], "stopped");
    assert_eq!(stopped["RunningNodes"], 0, "master included");
    assert_eq!(stopped["LastBackup"], "backups/kap-data-0001");
    let scaled = s.call(SCALE_STACK, json!({ "StackId": id, "CoreCount": 3 })).unwrap_err();
    assert_eq!(scaled.code, "InvalidStackStatus");
    s.ok(STOP_STACK, json!({ "StackId": id }));
    assert_eq!(
        s.steps(&id),
        ["Create:provisioning", "Create:installing_kap", "Stop:stopping_kap", "Stop:backing_up", "Stop:terminating"]
    );
    // The storage stays while the stack is stopped.
    let storage = s.ok(LIST_STORAGE, json!({}));
    assert_eq!(storage["Databases"][0]["Cubes"].as_array().unwrap().len(), 2);

    s.ok(START_STACK, json!({ "StackId": id }));
    s.minutes(9);
    assert_eq!(s.label(&id), "starting(restoring)");
    s.minutes(4);
    assert_eq!(s.label(&id), "running");
    assert_eq!(s.ok(LIST_CUBES, json!({ "StackId": id })), before);
    assert_eq!(s.count_query(&id).unwrap()["Result"], "10000");
    let log = s.describe(&id)["StepLog"].clone();
    assert_eq!(log.as_array().unwrap().last().unwrap()["Detail"], "backups/kap-data-0001", "restored that backup");
}

#[test]
fn an_upgrade_runs_its_five_steps_once_keeps_the_configuration_and_refuses_downgrades() {
    let mut s = Sandbox::new();
    let id = s.running_stack();
    s.ok(UPGRADE_KAP, json!({ "StackId": id, "KapVersion": "2.5.4" }));
    s.minutes(3);
    assert_eq!(s.label(&id), "upgrading(installing)");
    assert_eq!(s.count_query(&id).unwrap_err().code, "KapUnavailable", "KAP is unavailable during upgrade");
    s.ok(UPGRADE_KAP, json!({ "StackId": id, "KapVersion": "2.5.4" }));
    s.minutes(10);
    let stack = s.describe(&id);
    assert_eq!((stack["StackStatus"].as_str(), stack["KapVersion"].as_str()), (Some("running"), Some("2.5.4")));
    let upgrade: Vec<String> = s.steps(&id).into_iter().filter(|s| s.starts_with("Upgrade:")).collect();
    assert_eq!(
        upgrade,
        [
            "Upgrade:backing_up_config",
            "Upgrade:stopping_kap",
            "Upgrade:installing",
            "Upgrade:restoring_config",
            "Upgrade:starting_kap"
        ]
    );
    assert_eq!(s.count_query(&id).unwrap()["Result"], "10000");
    let down = s.call(UPGRADE_KAP, json!({ "StackId": id, "KapVersion": "2.4.0" })).unwrap_err();
    assert_eq!(down.code, "KapDowngradeNotSupported");
}

#[test]
fn delete_keeps_s3_and_by_default_rds() {
    let mut s = Sandbox::new();
    let kept = s.running_stack();
    s.ok(DELETE_STACK, json!({ "StackId": kept }));
    s.minutes(3);
    assert_eq!(s.describe(&kept)["StackStatus"], "deleted");
    let created = s.ok(
        CREATE_STACK,
        json!({
            "StackName": "scratch", "VpcId": "vpc-1", "SubnetId": "subnet-1", "KapVersion": "2.5.0",
            "MasterInstanceType": "m4.xlarge", "CoreInstanceType": "m4.xlarge", "CoreCount": 1
        }),
    );
    let gone = created["StackId"].as_str().unwrap().to_string();
    s.minutes(10);
    s.ok(DELETE_STACK, json!({ "StackId": gone, "DeleteRds": true }));
    s.minutes(3);
    let storage = s.ok(LIST_STORAGE, json!({}));
    assert_eq!(storage["Buckets"].as_array().unwrap().len(), 2, "S3 always stays");
    let databases = storage["Databases"].as_array().unwrap();
    assert_eq!(databases.len(), 1);
    assert_eq!(databases[0]["StackId"], kept.as_str());
    assert!(s.ok(LIST_STACKS, json!({}))["Stacks"].as_array().unwrap().is_empty());
}

#[test]
fn a_failing_step_fails_the_stack_and_names_the_step() {
    let mut s = Sandbox::new();
    let id = s.running_stack();
    fail_at_step(&mut s.tables, &id, "installing").unwrap();
    s.ok(UPGRADE_KAP, json!({ "StackId": id, "KapVersion": "2.5.4" }));
    s.minutes(20);
    let stack = s.describe(&id);
    assert_eq!(stack["StackStatus"], "failed");
    assert_eq!(stack["Operation"]["Step"], "installing");
    assert!(stack["FailureReason"].as_str().unwrap().contains("installing"));
    assert_eq!(stack["KapVersion"], "2.5.0", "not installed");
    assert_eq!(s.call(STOP_STACK, json!({ "StackId": id })).unwrap_err().code, "InvalidStackStatus");
    s.ok(DELETE_STACK, json!({ "StackId": id }));
}

#[test]
fn nodes_are_counted_against_the_quota_and_a_stopped_stack_holds_none() {
    let mut s = Sandbox::new();
    s.quotas.0.insert("kyligence_nodes".into(), 4);
    let id = s.running_stack();
    let refused = s.call(SCALE_STACK, json!({ "StackId": id, "CoreCount": 4 })).unwrap_err();
    assert_eq!(refused.code, "QuotaExceeded.StackNode");
    assert!(refused.message.contains("quota `kyligence_nodes`"), "{}", refused.message);
    s.ok(STOP_STACK, json!({ "StackId": id }));
    s.minutes(10);
    s.ok(START_STACK, json!({ "StackId": id }));
}
