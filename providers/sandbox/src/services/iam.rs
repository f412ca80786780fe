//! The emulated Huawei Cloud IAM (REST v3/v3.0, reached through [`crate::rest`]): users,
//! groups and their members, projects (one per region; every account has
//! [`DEFAULT_PROJECT`]), custom policies ("roles"), the MRS system policies of
//! `corral_api_iam::system`, attachments of policies to groups in one project or in all, and
//! access keys for users. [`effective_policies`] is what a user's key may do in a project; the
//! REST front door evaluates every MRS request against it.
//!
//! Only the account's own key administers IAM; a user's key may read its own effective
//! policies (everything else is `403` naming the `iam:` action).

pub mod model;
mod routes;

use corral_api_iam::wire::EffectivePolicy;
use corral_provider_sdk::emulator::{ApiError, ObjectView, RequestContext, Service, Tables};

pub use model::{ACCESS_KEYS, AccessKey, DEFAULT_PROJECT, default_project_id};
pub use routes::handle;

/// Who signed a request: the account itself, or one of its IAM users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    /// Empty for the account's own key.
    pub user_id: String,
    pub user_name: String,
}

impl Caller {
    pub fn is_account(&self) -> bool {
        self.user_id.is_empty()
    }
}

/// The IAM service: its state is in the sandbox's tables.
#[derive(Clone, Debug, Default)]
pub struct IamService;

impl Service for IamService {
    fn name(&self) -> &'static str {
        corral_api_iam::SERVICE
    }

    fn advance(&self, _ctx: &mut RequestContext<'_>) {
        // IAM changes only on request.
    }

    fn handle(
        &self,
        _ctx: &mut RequestContext<'_>,
        action: &str,
        _version: &str,
        _body: &serde_json::Value,
    ) -> Result<serde_json::Value, ApiError> {
        Err(ApiError::bad_request(
            "UnsupportedProtocol",
            format!("IAM is a REST API signed with SDK-HMAC-SHA256 (/v3/...), not `?Action={action}`"),
        ))
    }

    fn inspect(&self, ctx: &mut RequestContext<'_>) -> Vec<ObjectView> {
        model::inspect(ctx.tables)
    }
}

/// The policies `user_id` of `account` has in `project_id`, through its groups' attachments
/// (in that project, or in all projects), system and custom alike.
pub fn effective_policies(
    tables: &dyn Tables,
    account: &str,
    user_id: &str,
    project_id: &str,
) -> Result<Vec<EffectivePolicy>, ApiError> {
    model::effective_policies(tables, account, user_id, project_id)
}

/// Whether `project_id` is one of the account's projects.
pub fn has_project(tables: &dyn Tables, account: &str, project_id: &str) -> bool {
    model::projects(tables, account).iter().any(|p| p.id == project_id)
}

/// A user's name, for messages and the request log.
pub fn user_name(tables: &dyn Tables, account: &str, user_id: &str) -> String {
    model::get::<corral_api_iam::wire::User>(tables, model::USERS, account, user_id).map(|u| u.name).unwrap_or_default()
}

#[cfg(test)]
mod tests;
