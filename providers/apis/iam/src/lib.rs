//! Huawei Cloud IAM's policy contract, shared by the MRS provider (which evaluates an
//! identity's policies at plan time, before any API call) and the sandbox's IAM service (which
//! enforces the same policies on every request). Both sides take the rules from here, so the
//! plan-time check and the service can never disagree.
//!
//! - [`action`]: action names (`service:resourceType:operation`) and wildcard matching
//!   (`mrs:*:get*`).
//! - [`policy`]: policy documents (`{"Version":"1.1","Statement":[...]}`), parsed with typed
//!   serde and validated as research.md §7.9 says.
//! - [`eval`]: evaluation: default deny, an explicit Deny wins over any Allow, and the answer
//!   names the statement that decided it.
//! - [`system`]: the MRS system policies and Table 2 of the MRS user guide (which operation
//!   each system policy allows), as data.
//! - [`wire`]: the IAM REST shapes the sandbox serves and the provider reads.

pub mod action;
pub mod eval;
pub mod policy;
pub mod system;
pub mod wire;

/// The service name in action names and in the request log.
pub const SERVICE: &str = "iam";
