//! MRS's error codes (research.md §1.5) and the error body `{"error_code","error_msg"}`.
//! API-gateway refusals (signature, authorization) use `APIGW.`-prefixed codes.

pub const INVALID_PARAMETER: &str = "12000001";
pub const INVALID_CLUSTER_NAME: &str = "12000002";
/// The cluster does not exist (a client reads it as gone).
pub const CLUSTER_NOT_FOUND: &str = "12000003";
/// The cluster is not running, or tasks are executing: wait and retry.
pub const CLUSTER_NOT_RUNNING: &str = "12000012";
pub const SCALE_IN_FAILED: &str = "12000013";
pub const SCALE_OUT_FAILED: &str = "12000014";
/// A scale is already in progress: one at a time per cluster; wait and retry.
pub const SCALING_IN_PROGRESS: &str = "12000018";
/// The cluster cannot be terminated in its current state.
pub const CANNOT_TERMINATE: &str = "12000021";
/// Yearly/monthly clusters are unsubscribed through billing, not deleted.
pub const PREPAID_CANNOT_TERMINATE: &str = "12000024";
/// The core+task node limit (500) would be exceeded.
pub const MAX_NODES: &str = "12000028";
/// Jobs cannot be submitted in the cluster's state.
pub const JOB_SUBMIT_STATE: &str = "0056";
pub const JOB_NOT_FOUND: &str = "0162";
/// The v2 auto-scaling policy does not exist.
pub const SCALING_POLICY_NOT_FOUND: &str = "MRS.00005016";

/// Gateway: the signature is missing, malformed or does not match.
pub const APIGW_SIGNATURE: &str = "APIGW.0301";
/// Gateway: the access key is unknown.
pub const APIGW_ACCESS_KEY: &str = "APIGW.0101";
/// Gateway/IAM: the identity's policies do not allow the action.
pub const APIGW_FORBIDDEN: &str = "APIGW.0302";
/// No such operation.
pub const APIGW_NOT_FOUND: &str = "APIGW.0002";

/// Codes a client waits on and retries; every other 4xx code is final.
pub fn is_retryable(code: &str) -> bool {
    matches!(code, SCALING_IN_PROGRESS | CLUSTER_NOT_RUNNING)
}

/// The body of every MRS error answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorBody {
    pub error_code: String,
    pub error_msg: String,
}
