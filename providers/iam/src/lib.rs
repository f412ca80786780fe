//! The Huawei Cloud IAM provider: `iam_group`, `iam_user`, `iam_policy` (a custom policy, its
//! JSON document validated at plan time and compared by meaning), `iam_group_policy_attachment`
//! (a system or custom policy granted to a group in the provider's project or in all),
//! `iam_group_membership` (users in a group: IAM users get nothing until their group is
//! granted policies) and `iam_access_key` (a user's key, for a configuration that acts as
//! that user). It talks to IAM's REST API through `corral_huawei` (the client and provider
//! block the MRS provider uses too) and checks its plans' permissions the same way.

mod provider;
mod resources;

pub use provider::{IamFactory, IamProvider};

/// How the IAM provider is served as a plugin.
pub fn serve_options() -> corral_provider_protocol::ServeOptions {
    corral_provider_protocol::ServeOptions { max_concurrency: 16 }
}
