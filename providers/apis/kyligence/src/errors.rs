//! Kyligence Cloud's error codes (`Error.Code` of a failed action), one definition each.
//! Parameter errors use the common `MissingParameter` and `InvalidParameterValue`.

pub const STACK_NOT_FOUND: &str = "StackNotFound";
/// An operation is under way (scaling, stopping, starting, upgrading): one at a time.
pub const STACK_BUSY: &str = "StackBusy";
/// The stack's status does not allow the action (scaling a stopped stack, upgrading one that
/// does not run, anything on a failed stack but delete).
pub const INVALID_STACK_STATUS: &str = "InvalidStackStatus";
/// The KAP version is older than the installed one: KAP does not downgrade.
pub const KAP_DOWNGRADE: &str = "KapDowngradeNotSupported";
/// The master count is fixed when the stack is created.
pub const MASTER_COUNT_FIXED: &str = "MasterCountFixed";
/// KAP does not answer: the stack is not running (or scaling).
pub const KAP_UNAVAILABLE: &str = "KapUnavailable";
/// A query KAP cannot answer from its cubes.
pub const INVALID_QUERY: &str = "InvalidQuery";

/// Quotas, per account.
pub const QUOTA_STACK: &str = "QuotaExceeded.Stack";
pub const QUOTA_NODE: &str = "QuotaExceeded.StackNode";
