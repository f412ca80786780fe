//! Stacks move forward in sandbox time, lazily: [`advance_stack`] finishes every step due
//! between the last look and `now`, each at the instant it was due, and starts the next one
//! then. An operation is a server-side state machine: its current step is recorded on the
//! stack, every step runs exactly once, and a client that lost track of it (a killed apply)
//! finds it where it is. A step's effects happen when it finishes: `backing_up` writes a new
//! numbered backup to S3, `terminating` removes the nodes and wipes their disks, `restoring`
//! loads the newest data backup, `installing` replaces KAP (and its configuration) with the
//! target version, `restoring_config` puts the configuration backup back.

use chrono::{DateTime, Utc};
use corral_api_kyligence::stack::{Operation, StepRecord};
use corral_api_kyligence::status::*;
use corral_provider_sdk::emulator::{ApiError, Tables};

use super::catalog;
use super::model::*;
use super::store;

/// Starts `operation` on the stack at `at`: its first step begins.
pub(super) fn start_operation(stack: &mut Stack, operation: Operation, at: DateTime<Utc>) {
    stack.stack_status = status_during(&operation.operation).to_string();
    stack.failure_reason = None;
    stack.step_log.push(StepRecord {
        operation: operation.operation.clone(),
        step: operation.step.clone(),
        start_time: at,
        finish_time: None,
        detail: None,
    });
    stack.operation = Some(operation);
}

/// A new operation record, in its first step.
pub(super) fn operation(name: &str, at: DateTime<Utc>) -> Operation {
    Operation {
        operation: name.to_string(),
        step: steps_of(name).first().copied().unwrap_or_default().to_string(),
        start_time: at,
        step_start_time: at,
        target_kap_version: None,
        target_core_count: None,
        target_task_count: None,
        delete_rds: false,
    }
}

/// Finishes every step due up to `now`. Returns whether anything changed.
pub(super) fn advance_stack(tables: &mut dyn Tables, stack: &mut Stack, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let mut changed = false;
    while stack.stack_status != STATUS_FAILED
        && let Some(op) = stack.operation.clone()
    {
        let due = op.step_start_time + catalog::step_duration(&op.operation, &op.step);
        if due > now {
            break;
        }
        finish_step(tables, stack, &op, due)?;
        changed = true;
    }
    Ok(changed)
}

fn finish_step(tables: &mut dyn Tables, stack: &mut Stack, op: &Operation, at: DateTime<Utc>) -> Result<(), ApiError> {
    if stack.fail_at_step.as_deref() == Some(op.step.as_str()) {
        stack.fail_at_step = None;
        stack.stack_status = STATUS_FAILED.to_string();
        stack.failure_reason = Some(format!("step `{}` of the {} operation failed", op.step, op.operation));
        log_finish(stack, op, at, Some("failed".to_string()));
        return Ok(());
    }
    let detail = match step_effects(tables, stack, op, at) {
        Ok(detail) => detail,
        Err(error) => {
            // A step that cannot do its work fails the stack, saying why; it is not retried
            // behind the user's back.
            stack.stack_status = STATUS_FAILED.to_string();
            stack.failure_reason =
                Some(format!("step `{}` of the {} operation failed: {}", op.step, op.operation, error.message));
            log_finish(stack, op, at, Some("failed".to_string()));
            return Ok(());
        }
    };
    log_finish(stack, op, at, detail);
    let steps = steps_of(&op.operation);
    let next = steps.iter().position(|s| *s == op.step).and_then(|i| steps.get(i + 1));
    match next {
        Some(next) => {
            let mut op = op.clone();
            op.step = next.to_string();
            op.step_start_time = at;
            stack.step_log.push(StepRecord {
                operation: op.operation.clone(),
                step: op.step.clone(),
                start_time: at,
                finish_time: None,
                detail: None,
            });
            stack.operation = Some(op);
        }
        None => {
            stack.operation = None;
            stack.stack_status = match op.operation.as_str() {
                OP_STOP => STATUS_STOPPED,
                OP_DELETE => STATUS_DELETED,
                _ => STATUS_RUNNING,
            }
            .to_string();
        }
    }
    Ok(())
}

fn log_finish(stack: &mut Stack, op: &Operation, at: DateTime<Utc>, detail: Option<String>) {
    if let Some(record) = stack
        .step_log
        .iter_mut()
        .rev()
        .find(|r| r.operation == op.operation && r.step == op.step && r.finish_time.is_none())
    {
        record.finish_time = Some(at);
        record.detail = detail;
    }
}

/// What finishing a step does; returns what the step log records about it.
fn step_effects(
    tables: &mut dyn Tables,
    stack: &mut Stack,
    op: &Operation,
    at: DateTime<Utc>,
) -> Result<Option<String>, ApiError> {
    Ok(match (op.operation.as_str(), op.step.as_str()) {
        (OP_CREATE | OP_START, STEP_PROVISIONING) => {
            stack.running_nodes = stack.node_count();
            None
        }
        (OP_CREATE, STEP_INSTALLING_KAP) => {
            stack.kap_local = Some(catalog::fresh_config(&stack.kap_version, &stack.rds_endpoint, &stack.s3_bucket));
            Some(stack.kap_version.clone())
        }
        (OP_SCALE, STEP_RESIZING) => {
            stack.core_count = op.target_core_count.unwrap_or(stack.core_count);
            stack.task_count = op.target_task_count.unwrap_or(stack.task_count);
            stack.running_nodes = stack.node_count();
            Some(format!("core {}, task {}", stack.core_count, stack.task_count))
        }
        (OP_STOP, STEP_BACKING_UP) => Some(write_backup(tables, stack, BACKUP_DATA, at)?),
        (OP_UPGRADE, STEP_BACKING_UP_CONFIG) => Some(write_backup(tables, stack, BACKUP_CONFIG, at)?),
        (OP_STOP | OP_DELETE, STEP_TERMINATING) => {
            // Every node goes, master included; what was on their disks is gone with them.
            stack.running_nodes = 0;
            stack.kap_local = None;
            if op.operation == OP_DELETE && op.delete_rds {
                tables.delete(DATABASES, &stack.rds_id);
                Some(format!("nodes removed; {} deleted; {} kept", stack.rds_id, stack.s3_bucket))
            } else if op.operation == OP_DELETE {
                Some(format!("nodes removed; {} and {} kept", stack.s3_bucket, stack.rds_id))
            } else {
                None
            }
        }
        (OP_START, STEP_RESTORING) => {
            let key = stack.last_backup.clone().unwrap_or_default();
            let backup = read_backup(tables, stack, &key)?;
            stack.kap_local = Some(backup.local);
            Some(key)
        }
        (OP_UPGRADE, STEP_INSTALLING) => {
            let version = op.target_kap_version.clone().unwrap_or_else(|| stack.kap_version.clone());
            stack.kap_version = version.clone();
            stack.kap_local = Some(catalog::fresh_config(&version, &stack.rds_endpoint, &stack.s3_bucket));
            Some(version)
        }
        (OP_UPGRADE, STEP_RESTORING_CONFIG) => {
            let key = newest_backup(tables, stack, BACKUP_CONFIG)?.unwrap_or_default();
            let mut restored = read_backup(tables, stack, &key)?.local;
            // The configuration comes back; the version is the new install's.
            restored.config.insert("kap.version".into(), stack.kap_version.clone());
            stack.kap_local = Some(restored);
            Some(key)
        }
        _ => None,
    })
}

/// Writes KAP's local state to a new numbered object under `backups/`; returns its key.
fn write_backup(tables: &mut dyn Tables, stack: &mut Stack, kind: &str, at: DateTime<Utc>) -> Result<String, ApiError> {
    let mut bucket = bucket_of(tables, stack)?;
    stack.backup_seq += 1;
    let key = format!("backups/kap-{kind}-{:04}", stack.backup_seq);
    let backup = Backup {
        kind: kind.to_string(),
        taken_at: at,
        kap_version: stack.kap_version.clone(),
        local: stack.kap_local.clone().unwrap_or_default(),
    };
    let json = serde_json::to_value(&backup)
        .map_err(|e| ApiError::new(500, "InternalError", format!("cannot write backup {key}: {e}")))?;
    bucket.objects.insert(key.clone(), json);
    store::put(tables, BUCKETS, &bucket.bucket.clone(), &bucket)?;
    if kind == BACKUP_DATA {
        stack.last_backup = Some(key.clone());
    }
    Ok(key)
}

fn bucket_of(tables: &dyn Tables, stack: &Stack) -> Result<Bucket, ApiError> {
    store::get::<Bucket>(tables, BUCKETS, &stack.s3_bucket)?.ok_or_else(|| {
        ApiError::new(
            500,
            "InternalError",
            format!("the bucket {} of stack {} is missing", stack.s3_bucket, stack.stack_id),
        )
    })
}

fn read_backup(tables: &dyn Tables, stack: &Stack, key: &str) -> Result<Backup, ApiError> {
    let bucket = bucket_of(tables, stack)?;
    let json = bucket.objects.get(key).cloned().ok_or_else(|| {
        ApiError::new(500, "InternalError", format!("backup `{key}` is missing from {}", stack.s3_bucket))
    })?;
    serde_json::from_value(json)
        .map_err(|e| ApiError::new(500, "InternalError", format!("backup `{key}` is unreadable: {e}")))
}

/// The newest backup of a kind in the stack's bucket (keys are numbered, so the last wins).
fn newest_backup(tables: &dyn Tables, stack: &Stack, kind: &str) -> Result<Option<String>, ApiError> {
    let prefix = format!("backups/kap-{kind}-");
    Ok(bucket_of(tables, stack)?.objects.keys().rfind(|k| k.starts_with(&prefix)).cloned())
}
