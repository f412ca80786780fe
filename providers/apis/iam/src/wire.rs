//! IAM's REST shapes (v3/v3.0, as Huawei Cloud IAM's API), the sandbox's IAM service serves
//! and the provider reads: users, groups, projects, custom policies ("roles" in the v3.0
//! API), attachments of policies to groups (per project or for all projects), access keys.
//! One route is the sandbox's own: [`EFFECTIVE_POLICIES`] answers which policies the calling
//! identity has in a project, which the plan-time check evaluates.

use crate::policy::PolicyDocument;

pub const GROUPS: &str = "/v3/groups";
pub const USERS: &str = "/v3.0/OS-USER/users";
pub const PROJECTS: &str = "/v3/projects";
/// The projects the caller may use (GET; an IAM user's key may call it).
pub const AUTH_PROJECTS: &str = "/v3/auth/projects";
/// Custom policies (POST, GET list); `/{id}` for GET, PATCH, DELETE.
pub const ROLES: &str = "/v3.0/OS-ROLE/roles";
/// System and custom policies by name (GET).
pub const ALL_ROLES: &str = "/v3/roles";
pub const CREDENTIALS: &str = "/v3.0/OS-CREDENTIAL/credentials";
/// The sandbox's own: the calling identity's policies in `?project_id=`.
pub const EFFECTIVE_POLICIES: &str = "/v3.0/OS-PERMISSION/effective-policies";

/// `PUT|DELETE`: a user in a group.
pub fn group_user(group_id: &str, user_id: &str) -> String {
    format!("/v3/groups/{group_id}/users/{user_id}")
}

/// `PUT|DELETE`: a policy attached to a group in one project.
pub fn project_group_role(project_id: &str, group_id: &str, role_id: &str) -> String {
    format!("/v3/projects/{project_id}/groups/{group_id}/roles/{role_id}")
}

/// `PUT|DELETE`: a policy attached to a group in every project of the account.
pub fn all_projects_group_role(domain_id: &str, group_id: &str, role_id: &str) -> String {
    format!("/v3/OS-INHERIT/domains/{domain_id}/groups/{group_id}/roles/{role_id}/inherited_to_projects")
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Group {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupBody {
    pub group: Group,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupList {
    pub groups: Vec<Group>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct User {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UserBody {
    pub user: User,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UserList {
    pub users: Vec<User>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Project {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The region's name, e.g. `cn-north-4`.
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProjectBody {
    pub project: Project,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProjectList {
    pub projects: Vec<Project>,
}

/// Scope of a custom policy: `AX` global services, `XA` project-level services (MRS).
pub const SCOPE_GLOBAL: &str = "AX";
pub const SCOPE_PROJECT: &str = "XA";

/// A policy (a "role" in the v3.0 API): custom, or a system policy (`type` `system`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Role {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub display_name: String,
    #[serde(rename = "type")]
    pub scope: String,
    #[serde(default)]
    pub description: String,
    pub policy: PolicyDocument,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RoleBody {
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RoleList {
    pub roles: Vec<Role>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CredentialRequest {
    pub user_id: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CredentialRequestBody {
    pub credential: CredentialRequest,
}

/// A new access key; the secret is shown in this answer only.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Credential {
    pub access: String,
    /// Only in the answer that creates the key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub secret: String,
    pub user_id: String,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CredentialBody {
    pub credential: Credential,
}

/// Who is calling and which policies they have in the project asked about.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EffectivePolicies {
    /// The IAM user, or empty for the account's own key.
    pub user_id: String,
    pub user_name: String,
    /// The account's own key: every action is allowed, no policy is needed.
    pub account_admin: bool,
    pub project_id: String,
    pub policies: Vec<EffectivePolicy>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EffectivePolicy {
    pub name: String,
    /// The group that carries it.
    pub group: String,
    pub document: PolicyDocument,
}

impl EffectivePolicies {
    /// The policies as evaluation takes them.
    pub fn named(&self) -> Vec<crate::eval::NamedPolicy> {
        self.policies
            .iter()
            .map(|p| crate::eval::NamedPolicy { name: p.name.clone(), document: p.document.clone() })
            .collect()
    }

    /// Evaluates one action for this identity (the account's own key may do anything).
    pub fn decide(&self, action: &str) -> crate::eval::Decision {
        if self.account_admin {
            return crate::eval::Decision { action: action.to_string(), allowed: true, by: None };
        }
        crate::eval::evaluate(&self.named(), &crate::eval::Request::action(action))
    }
}
