//! A stack's state from the API's answer. While an operation runs, the state says where the
//! stack is heading (the counts a scale reaches, the KAP version an upgrade installs, the
//! desired state a stop or start reaches) with `status` and `step` saying where it is, so a
//! plan made mid-operation shows only that the operation is to be finished.

use std::collections::BTreeMap;

use corral_api_kyligence::stack::Stack;
use corral_api_kyligence::status::{OP_SCALE, OP_UPGRADE, STATUS_FAILED};
use corral_core::value::{Type, Value};

use super::{bool_attr, retained};

fn opt_string(text: Option<&str>) -> Value {
    text.map_or(Value::Null(Type::String), Value::string)
}

pub(super) fn from_api(stack: &Stack, base: BTreeMap<String, Value>) -> Value {
    let mut attrs = base;
    let op = stack.operation.as_ref().filter(|_| stack.stack_status != STATUS_FAILED);
    let scale = op.filter(|o| o.operation == OP_SCALE);
    let upgrade = op.filter(|o| o.operation == OP_UPGRADE);
    let text = |attrs: &mut BTreeMap<String, Value>, name: &str, value: &str| {
        attrs.insert(name.to_string(), Value::string(value));
    };
    text(&mut attrs, "id", &stack.stack_id);
    text(&mut attrs, "name", &stack.stack_name);
    text(&mut attrs, "vpc_id", &stack.vpc_id);
    text(&mut attrs, "subnet_id", &stack.subnet_id);
    text(&mut attrs, "master_instance_type", &stack.master_instance_type);
    text(&mut attrs, "core_instance_type", &stack.core_instance_type);
    text(&mut attrs, "task_instance_type", &stack.task_instance_type);
    let version = upgrade.and_then(|o| o.target_kap_version.as_deref()).unwrap_or(&stack.kap_version);
    text(&mut attrs, "kap_version", version);
    text(&mut attrs, "desired_state", &stack.desired_state);
    text(&mut attrs, "status", &stack.stack_status);
    text(&mut attrs, "s3_bucket", &stack.s3_bucket);
    text(&mut attrs, "rds_id", &stack.rds_id);
    text(&mut attrs, "rds_endpoint", &stack.rds_endpoint);
    text(&mut attrs, "load_balancer_dns", &stack.load_balancer_dns);
    text(&mut attrs, "kap_url", &stack.kap_url);
    attrs.insert("step".into(), opt_string(stack.operation.as_ref().map(|o| o.step.as_str())));
    attrs.insert("last_backup".into(), opt_string(stack.last_backup.as_deref()));
    attrs.insert("master_count".into(), Value::int(i64::from(stack.master_count)));
    let core = scale.and_then(|o| o.target_core_count).unwrap_or(stack.core_count);
    let task = scale.and_then(|o| o.target_task_count).unwrap_or(stack.task_count);
    attrs.insert("core_count".into(), Value::int(i64::from(core)));
    attrs.insert("task_count".into(), Value::int(i64::from(task)));
    attrs.insert("running_nodes".into(), Value::int(i64::from(stack.running_nodes)));
    for flag in ["allow_core_shrink", "delete_rds_on_destroy"] {
        if attrs.get(flag).is_none_or(|v| !v.is_known() || v.is_null()) {
            attrs.insert(flag.into(), Value::Bool(false));
        }
    }
    let delete_rds = bool_attr(&attrs, "delete_rds_on_destroy") == Some(true);
    attrs.insert("retained_on_destroy".into(), retained(&stack.s3_bucket, &stack.rds_id, delete_rds));
    Value::Object(attrs)
}

/// What is certainly known of a stack whose description failed after an operation: the
/// planned values with the id, unknowns turned to nulls.
pub(super) fn known_part(planned: BTreeMap<String, Value>, id: &str) -> Value {
    let mut attrs: BTreeMap<String, Value> = planned
        .into_iter()
        .map(|(name, value)| {
            let value = if value.is_wholly_known() { value } else { Value::Null(value.ty()) };
            (name, value)
        })
        .collect();
    attrs.insert("id".into(), Value::string(id));
    Value::Object(attrs)
}
