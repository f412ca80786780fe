//! IAM's records (one table each, every record carrying its `AccountId`) and the queries the
//! routes and the REST front door need.

use corral_api_iam::system::SYSTEM_POLICIES;
use corral_api_iam::wire::{EffectivePolicy, Group, Project, Role, SCOPE_PROJECT};
use corral_provider_sdk::emulator::{ACCOUNT_FIELD, ApiError, ObjectView, Tables, owned_by};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const USERS: &str = "iam.users";
pub const GROUPS: &str = "iam.groups";
pub const PROJECTS: &str = "iam.projects";
pub const ROLES: &str = "iam.roles";
pub const ATTACHMENTS: &str = "iam.attachments";
/// Users' access keys, by access key (the REST front door looks keys up here).
pub const ACCESS_KEYS: &str = "iam.access_keys";

/// The region every account has a project for.
pub const DEFAULT_PROJECT: &str = "cn-north-4";

/// The id of an account's project for `region`: stable, 32 hex digits as IAM's are.
pub fn project_id(account: &str, region: &str) -> String {
    hex::encode(Sha256::digest(format!("{account}/{region}").as_bytes()))[..32].to_string()
}

pub fn default_project_id(account: &str) -> String {
    project_id(account, DEFAULT_PROJECT)
}

/// The id of a system policy (the same in every account).
pub fn system_role_id(name: &str) -> String {
    format!("sys-{}", name.to_ascii_lowercase().replace(' ', "-"))
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record<T> {
    #[serde(rename = "AccountId")]
    pub account: String,
    #[serde(flatten)]
    pub item: T,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRecord {
    #[serde(flatten)]
    pub group: Group,
    #[serde(default)]
    pub user_ids: Vec<String>,
}

/// A policy attached to a group: in one project, or in all (`project_id` empty).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub group_id: String,
    pub project_id: String,
    pub role_id: String,
}

impl Attachment {
    pub fn key(&self) -> String {
        let project = if self.project_id.is_empty() { "*" } else { &self.project_id };
        format!("{}/{project}/{}", self.group_id, self.role_id)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessKey {
    pub user_id: String,
    pub secret: String,
}

pub fn get<T: for<'de> Deserialize<'de>>(tables: &dyn Tables, table: &str, account: &str, id: &str) -> Option<T> {
    let json = tables.get(table, id).filter(|v| owned_by(v, account))?;
    serde_json::from_value::<Record<T>>(json).ok().map(|r| r.item)
}

pub fn put<T: Serialize>(
    tables: &mut dyn Tables,
    table: &str,
    account: &str,
    id: &str,
    item: T,
) -> Result<(), ApiError> {
    let json = serde_json::to_value(Record { account: account.to_string(), item })
        .map_err(|e| ApiError::new(500, "InternalError", e.to_string()))?;
    tables.put(table, id, json);
    Ok(())
}

pub fn list<T: for<'de> Deserialize<'de>>(tables: &dyn Tables, table: &str, account: &str) -> Vec<(String, T)> {
    tables
        .list(table)
        .into_iter()
        .filter(|(_, v)| owned_by(v, account))
        .filter_map(|(id, v)| Some((id, serde_json::from_value::<Record<T>>(v).ok()?.item)))
        .collect()
}

/// The account's projects; the default one exists whether stored or not.
pub fn projects(tables: &dyn Tables, account: &str) -> Vec<Project> {
    let mut projects: Vec<Project> = list::<Project>(tables, PROJECTS, account).into_iter().map(|(_, p)| p).collect();
    let default = default_project_id(account);
    if !projects.iter().any(|p| p.id == default) {
        projects.insert(0, Project { id: default, name: DEFAULT_PROJECT.into() });
    }
    projects
}

/// A policy by id: a system policy, or one of the account's custom policies.
pub fn role(tables: &dyn Tables, account: &str, id: &str) -> Option<Role> {
    system_roles().into_iter().find(|r| r.id == id).or_else(|| get::<Role>(tables, ROLES, account, id))
}

pub fn system_roles() -> Vec<Role> {
    SYSTEM_POLICIES
        .iter()
        .map(|p| {
            let named = p.named();
            Role {
                id: system_role_id(p.name),
                display_name: p.name.to_string(),
                scope: SCOPE_PROJECT.to_string(),
                description: p.description.to_string(),
                policy: named.document,
            }
        })
        .collect()
}

pub fn effective_policies(
    tables: &dyn Tables,
    account: &str,
    user_id: &str,
    project_id: &str,
) -> Result<Vec<EffectivePolicy>, ApiError> {
    let groups: Vec<GroupRecord> = list::<GroupRecord>(tables, GROUPS, account)
        .into_iter()
        .map(|(_, g)| g)
        .filter(|g| g.user_ids.iter().any(|u| u == user_id))
        .collect();
    let attachments: Vec<Attachment> =
        list::<Attachment>(tables, ATTACHMENTS, account).into_iter().map(|(_, a)| a).collect();
    let mut policies = Vec::new();
    for group in &groups {
        for attachment in attachments.iter().filter(|a| a.group_id == group.group.id) {
            if !attachment.project_id.is_empty() && attachment.project_id != project_id {
                continue;
            }
            let Some(role) = role(tables, account, &attachment.role_id) else { continue };
            policies.push(EffectivePolicy {
                name: role.display_name,
                group: group.group.name.clone(),
                document: role.policy,
            });
        }
    }
    Ok(policies)
}

pub fn inspect(tables: &dyn Tables) -> Vec<ObjectView> {
    let mut views = Vec::new();
    for (table, kind) in
        [(USERS, "user"), (GROUPS, "group"), (PROJECTS, "project"), (ROLES, "policy"), (ATTACHMENTS, "attachment")]
    {
        for (id, mut json) in tables.list(table) {
            if let Some(object) = json.as_object_mut() {
                object.remove(ACCOUNT_FIELD);
            }
            views.push(ObjectView {
                service: corral_api_iam::SERVICE.into(),
                kind: kind.into(),
                id,
                state: "active".into(),
                attributes: json,
            });
        }
    }
    views
}
