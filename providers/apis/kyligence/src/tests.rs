use serde_json::json;

use crate::stack::{CreateStackRequest, DeleteStackRequest, Stack, status_label};
use crate::status::{OP_STOP, OP_UPGRADE, STATUS_RUNNING, STATUS_STOPPING, steps_of};

#[test]
fn absent_optional_fields_stay_out_of_requests() {
    let request = CreateStackRequest { stack_name: Some("a".into()), core_count: Some(2), ..Default::default() };
    assert_eq!(serde_json::to_value(request).unwrap(), json!({"StackName": "a", "CoreCount": 2}));
    let delete: DeleteStackRequest = serde_json::from_value(json!({"StackId": "stk-1"})).unwrap();
    assert!(!delete.delete_rds, "RDS is kept unless asked");
}

#[test]
fn operations_run_the_documented_steps_in_order() {
    assert_eq!(steps_of(OP_STOP), ["stopping_kap", "backing_up", "terminating"]);
    assert_eq!(
        steps_of(OP_UPGRADE),
        ["backing_up_config", "stopping_kap", "installing", "restoring_config", "starting_kap"]
    );
    assert!(steps_of("Nonsense").is_empty());
}

#[test]
fn a_busy_status_shows_its_step() {
    assert_eq!(status_label(STATUS_STOPPING, Some("backing_up")), "stopping(backing_up)");
    assert_eq!(status_label(STATUS_RUNNING, Some("backing_up")), "running");
    assert_eq!(status_label(STATUS_STOPPING, None), "stopping");
}

#[test]
fn a_stack_reads_without_its_optional_fields() {
    let stack: Stack = serde_json::from_value(json!({
        "StackId": "stk-1", "StackName": "a", "StackStatus": "running", "DesiredState": "running",
        "VpcId": "vpc-1", "SubnetId": "subnet-1", "KapVersion": "2.5.4",
        "MasterInstanceType": "m4.xlarge", "MasterCount": 1, "CoreInstanceType": "m4.xlarge", "CoreCount": 2,
        "TaskInstanceType": "m4.xlarge", "TaskCount": 0, "RunningNodes": 3,
        "S3Bucket": "b", "RdsId": "rds-1", "RdsEndpoint": "e", "LoadBalancerDns": "lb", "KapUrl": "u",
        "CreateTime": "2026-01-01T00:00:00Z"
    }))
    .unwrap();
    assert!(stack.operation.is_none() && stack.step_log.is_empty());
    assert_eq!(stack.status_label(), "running");
}

#[test]
fn names_are_letters_digits_and_dashes() {
    use crate::limits::name_is_valid;
    assert!(name_is_valid("sales-2"));
    assert!(!name_is_valid("2sales") && !name_is_valid("") && !name_is_valid("a_b"));
    assert!(!name_is_valid(&"a".repeat(41)));
}
