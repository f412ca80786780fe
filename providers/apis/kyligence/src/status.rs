//! The names Kyligence Cloud uses for stack statuses, operations and their steps.

/// Stack statuses (`StackStatus`).
pub const STATUS_CREATING: &str = "creating";
pub const STATUS_RUNNING: &str = "running";
pub const STATUS_SCALING: &str = "scaling";
pub const STATUS_STOPPING: &str = "stopping";
pub const STATUS_STOPPED: &str = "stopped";
pub const STATUS_STARTING: &str = "starting";
pub const STATUS_UPGRADING: &str = "upgrading";
pub const STATUS_DELETING: &str = "deleting";
/// Deleted: the record stays for reference, its nodes are gone (and S3, and RDS unless
/// kept, outlive it).
pub const STATUS_DELETED: &str = "deleted";
/// A step failed; the operation and the step stay recorded on the stack.
pub const STATUS_FAILED: &str = "failed";

/// The statuses an operation passes through, each settling in `running` or `stopped`.
pub const BUSY_STATUSES: &[&str] =
    &[STATUS_CREATING, STATUS_SCALING, STATUS_STOPPING, STATUS_STARTING, STATUS_UPGRADING, STATUS_DELETING];

/// Operations (`Operation.Operation`).
pub const OP_CREATE: &str = "Create";
pub const OP_SCALE: &str = "Scale";
pub const OP_STOP: &str = "Stop";
pub const OP_START: &str = "Start";
pub const OP_UPGRADE: &str = "Upgrade";
pub const OP_DELETE: &str = "Delete";

/// Steps (`Operation.Step`), in the order each operation runs them.
pub const STEP_PROVISIONING: &str = "provisioning";
pub const STEP_INSTALLING_KAP: &str = "installing_kap";
pub const STEP_RESIZING: &str = "resizing";
pub const STEP_STOPPING_KAP: &str = "stopping_kap";
pub const STEP_BACKING_UP: &str = "backing_up";
pub const STEP_TERMINATING: &str = "terminating";
pub const STEP_RESTORING: &str = "restoring";
pub const STEP_BACKING_UP_CONFIG: &str = "backing_up_config";
pub const STEP_INSTALLING: &str = "installing";
pub const STEP_RESTORING_CONFIG: &str = "restoring_config";
pub const STEP_STARTING_KAP: &str = "starting_kap";

/// The steps of an operation, in order.
pub fn steps_of(operation: &str) -> &'static [&'static str] {
    match operation {
        OP_CREATE => &[STEP_PROVISIONING, STEP_INSTALLING_KAP],
        OP_SCALE => &[STEP_RESIZING],
        OP_STOP => &[STEP_STOPPING_KAP, STEP_BACKING_UP, STEP_TERMINATING],
        OP_START => &[STEP_PROVISIONING, STEP_RESTORING],
        OP_UPGRADE => {
            &[STEP_BACKING_UP_CONFIG, STEP_STOPPING_KAP, STEP_INSTALLING, STEP_RESTORING_CONFIG, STEP_STARTING_KAP]
        }
        OP_DELETE => &[STEP_TERMINATING],
        _ => &[],
    }
}

/// The status a stack has while `operation` runs.
pub fn status_during(operation: &str) -> &'static str {
    match operation {
        OP_CREATE => STATUS_CREATING,
        OP_SCALE => STATUS_SCALING,
        OP_STOP => STATUS_STOPPING,
        OP_START => STATUS_STARTING,
        OP_UPGRADE => STATUS_UPGRADING,
        _ => STATUS_DELETING,
    }
}

/// Whether KAP answers queries in a status: while running, and while scaling (the stack
/// separates compute from storage, so resizing never stops KAP).
pub fn kap_serves(status: &str) -> bool {
    matches!(status, STATUS_RUNNING | STATUS_SCALING)
}

/// Backup kinds (`Backup.Kind`): KAP's data (stop) or its configuration (upgrade).
pub const BACKUP_DATA: &str = "data";
pub const BACKUP_CONFIG: &str = "config";
