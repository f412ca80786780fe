//! How long each step takes in sandbox time, and what a new stack's KAP holds: the sample
//! project every stack starts with (models and cubes over the `KYLIN_SALES` and
//! `KYLIN_ACCOUNT` fact tables, as KAP's own sample).

use std::collections::BTreeMap;

use chrono::Duration;
use corral_api_kyligence::status::*;

use super::model::KapLocal;

/// Sandbox time one step of an operation takes.
pub(super) fn step_duration(operation: &str, step: &str) -> Duration {
    let minutes = match (operation, step) {
        (OP_CREATE | OP_START, STEP_PROVISIONING) => 8,
        (OP_CREATE, STEP_INSTALLING_KAP) => 2,
        (OP_SCALE, STEP_RESIZING) => 5,
        (_, STEP_STOPPING_KAP | STEP_STARTING_KAP | STEP_BACKING_UP_CONFIG | STEP_RESTORING_CONFIG) => 1,
        (OP_STOP, STEP_BACKING_UP) | (OP_START, STEP_RESTORING) => 4,
        (OP_UPGRADE, STEP_INSTALLING) => 6,
        (_, STEP_TERMINATING) => 2,
        _ => 1,
    };
    Duration::minutes(minutes)
}

/// The sample project: (model, fact table, cube, source rows).
pub(super) const SAMPLE: &[(&str, &str, &str, u64)] = &[
    ("kylin_sales_model", "KYLIN_SALES", "kylin_sales_cube", 10_000),
    ("kylin_account_model", "KYLIN_ACCOUNT", "kylin_account_cube", 2_500),
];

/// KAP's configuration as a fresh install of `version` writes it for a stack.
pub(super) fn fresh_config(version: &str, rds_endpoint: &str, bucket: &str) -> KapLocal {
    let config: BTreeMap<String, String> = [
        ("kap.version", version.to_string()),
        ("kylin.metadata.url", format!("kylin_metadata@jdbc,url=jdbc:mysql://{rds_endpoint}:3306/kylin")),
        ("kylin.env.hdfs-working-dir", format!("s3://{bucket}/kylin")),
        ("kylin.server.mode", "all".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    KapLocal { config }
}
