//! IAM's REST routes. Answers are `(HTTP status, JSON body)`; creations answer 201, removals
//! 204 with an empty body.

use corral_api_iam::policy::PolicyDocument;
use corral_api_iam::wire::{self, *};
use corral_provider_sdk::emulator::{ApiError, RequestContext, new_id};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::Caller;
use super::model::{
    self, ACCESS_KEYS, ATTACHMENTS, AccessKey, Attachment, GROUPS, GroupRecord, PROJECTS, ROLES, USERS,
};

type Answer = Result<(u16, Value), ApiError>;

fn body<T: DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    serde_json::from_value(body.clone())
        .map_err(|e| ApiError::bad_request("IAM.0001", format!("the body is not valid: {e}")))
}

fn ok<T: serde::Serialize>(status: u16, value: &T) -> Answer {
    serde_json::to_value(value).map(|v| (status, v)).map_err(|e| ApiError::new(500, "InternalError", e.to_string()))
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::not_found("IAM.0004", format!("{what} `{id}` does not exist"))
}

fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').filter_map(|p| p.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// The IAM action a route needs, for the refusal message of a user's key.
fn action_of(method: &str, segments: &[&str]) -> String {
    let kind = match segments.get(2).copied().unwrap_or("") {
        "OS-USER" | "users" => "users",
        "OS-ROLE" | "roles" => "roles",
        "OS-CREDENTIAL" => "credentials",
        "groups" => "groups",
        "projects" | "OS-INHERIT" => "projects",
        other => other,
    };
    let verb = match method {
        "GET" => "get",
        "POST" => "create",
        "PUT" | "PATCH" => "update",
        _ => "delete",
    };
    format!("iam:{kind}:{verb}")
}

/// Answers one IAM request of `caller`.
pub fn handle(
    ctx: &mut RequestContext<'_>,
    caller: &Caller,
    method: &str,
    path: &str,
    query: &str,
    request: &Value,
) -> Answer {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let account = ctx.account.clone();
    if path.trim_end_matches('/') == wire::EFFECTIVE_POLICIES && method == "GET" {
        let project_id =
            query_param(query, "project_id").map(str::to_string).unwrap_or_else(|| model::default_project_id(&account));
        if !model::projects(ctx.tables, &account).iter().any(|p| p.id == project_id) {
            return Err(not_found("project", &project_id));
        }
        let policies = if caller.is_account() {
            Vec::new()
        } else {
            model::effective_policies(ctx.tables, &account, &caller.user_id, &project_id)?
        };
        return ok(
            200,
            &EffectivePolicies {
                user_id: caller.user_id.clone(),
                user_name: caller.user_name.clone(),
                account_admin: caller.is_account(),
                project_id,
                policies,
            },
        );
    }
    if path.trim_end_matches('/') == wire::AUTH_PROJECTS && method == "GET" {
        // The projects the caller may use: every identity may ask (as on Huawei Cloud).
        return ok(200, &ProjectList { projects: model::projects(ctx.tables, &account) });
    }
    if !caller.is_account() {
        return Err(ApiError::new(
            403,
            corral_api_mrs_forbidden(),
            format!(
                "user `{}` may not call {method} {path}: `{}` needs the account's own key (IAM users may read only \
                 their effective policies)",
                caller.user_name,
                action_of(method, &segments)
            ),
        ));
    }
    let tables = &mut *ctx.tables;
    match (method, &segments[1..]) {
        ("POST", ["v3", "groups"]) => {
            let GroupBody { mut group } = body(request)?;
            if model::list::<GroupRecord>(tables, GROUPS, &account).iter().any(|(_, g)| g.group.name == group.name) {
                return Err(ApiError::conflict("IAM.0005", format!("a group named `{}` exists", group.name)));
            }
            group.id = new_id("grp");
            model::put(
                tables,
                GROUPS,
                &account,
                &group.id.clone(),
                GroupRecord { group: group.clone(), user_ids: vec![] },
            )?;
            ok(201, &GroupBody { group })
        }
        ("GET", ["v3", "groups"]) => {
            let groups =
                model::list::<GroupRecord>(tables, GROUPS, &account).into_iter().map(|(_, g)| g.group).collect();
            ok(200, &GroupList { groups })
        }
        ("GET", ["v3", "groups", id]) => {
            let group =
                model::get::<GroupRecord>(tables, GROUPS, &account, id).ok_or_else(|| not_found("group", id))?;
            ok(200, &GroupBody { group: group.group })
        }
        ("PATCH", ["v3", "groups", id]) => {
            let mut record =
                model::get::<GroupRecord>(tables, GROUPS, &account, id).ok_or_else(|| not_found("group", id))?;
            let GroupBody { group } = body(request)?;
            record.group.name = group.name;
            record.group.description = group.description;
            model::put(tables, GROUPS, &account, id, record.clone())?;
            ok(200, &GroupBody { group: record.group })
        }
        ("DELETE", ["v3", "groups", id]) => {
            model::get::<GroupRecord>(tables, GROUPS, &account, id).ok_or_else(|| not_found("group", id))?;
            tables.delete(GROUPS, id);
            for (key, attachment) in model::list::<Attachment>(tables, ATTACHMENTS, &account) {
                if attachment.group_id == *id {
                    tables.delete(ATTACHMENTS, &key);
                }
            }
            Ok((204, Value::Null))
        }
        (method @ ("PUT" | "DELETE" | "HEAD"), ["v3", "groups", group_id, "users", user_id]) => {
            let mut record = model::get::<GroupRecord>(tables, GROUPS, &account, group_id)
                .ok_or_else(|| not_found("group", group_id))?;
            model::get::<User>(tables, USERS, &account, user_id).ok_or_else(|| not_found("user", user_id))?;
            let member = record.user_ids.iter().any(|u| u == user_id);
            match method {
                "HEAD" => return if member { Ok((204, Value::Null)) } else { Err(not_found("membership", user_id)) },
                "PUT" if !member => record.user_ids.push((*user_id).to_string()),
                "DELETE" => record.user_ids.retain(|u| u != user_id),
                _ => {}
            }
            model::put(tables, GROUPS, &account, group_id, record)?;
            Ok((204, Value::Null))
        }
        ("GET", ["v3", "groups", group_id, "users"]) => {
            let record = model::get::<GroupRecord>(tables, GROUPS, &account, group_id)
                .ok_or_else(|| not_found("group", group_id))?;
            let users = record.user_ids.iter().filter_map(|u| model::get::<User>(tables, USERS, &account, u)).collect();
            ok(200, &UserList { users })
        }
        ("POST", ["v3.0", "OS-USER", "users"]) => {
            let UserBody { mut user } = body(request)?;
            if model::list::<User>(tables, USERS, &account).iter().any(|(_, u)| u.name == user.name) {
                return Err(ApiError::conflict("IAM.0005", format!("a user named `{}` exists", user.name)));
            }
            user.id = new_id("usr");
            model::put(tables, USERS, &account, &user.id.clone(), user.clone())?;
            ok(201, &UserBody { user })
        }
        ("GET", ["v3", "users"]) => {
            let users = model::list::<User>(tables, USERS, &account).into_iter().map(|(_, u)| u).collect();
            ok(200, &UserList { users })
        }
        ("GET", ["v3.0", "OS-USER", "users", id]) => {
            let user = model::get::<User>(tables, USERS, &account, id).ok_or_else(|| not_found("user", id))?;
            ok(200, &UserBody { user })
        }
        ("DELETE", ["v3", "users", id]) => {
            model::get::<User>(tables, USERS, &account, id).ok_or_else(|| not_found("user", id))?;
            tables.delete(USERS, id);
            for (key, access_key) in model::list::<AccessKey>(tables, ACCESS_KEYS, &account) {
                if access_key.user_id == *id {
                    tables.delete(ACCESS_KEYS, &key);
                }
            }
            for (group_id, mut group) in model::list::<GroupRecord>(tables, GROUPS, &account) {
                if group.user_ids.iter().any(|u| u == id) {
                    group.user_ids.retain(|u| u != id);
                    model::put(tables, GROUPS, &account, &group_id, group)?;
                }
            }
            Ok((204, Value::Null))
        }
        ("GET", ["v3", "projects"]) => ok(200, &ProjectList { projects: model::projects(tables, &account) }),
        ("POST", ["v3", "projects"]) => {
            let ProjectBody { mut project } = body(request)?;
            if model::projects(tables, &account).iter().any(|p| p.name == project.name) {
                return Err(ApiError::conflict("IAM.0005", format!("a project named `{}` exists", project.name)));
            }
            project.id = model::project_id(&account, &project.name);
            model::put(tables, PROJECTS, &account, &project.id.clone(), project.clone())?;
            ok(201, &ProjectBody { project })
        }
        ("POST", ["v3.0", "OS-ROLE", "roles"]) => {
            let RoleBody { mut role } = custom_role(request)?;
            role.id = new_id("role");
            model::put(tables, ROLES, &account, &role.id.clone(), role.clone())?;
            ok(201, &RoleBody { role })
        }
        ("GET", ["v3.0", "OS-ROLE", "roles"]) => {
            let roles = model::list::<Role>(tables, ROLES, &account).into_iter().map(|(_, r)| r).collect();
            ok(200, &RoleList { roles })
        }
        ("GET", ["v3", "roles"]) => {
            let name = query_param(query, "display_name").map(|n| n.replace("%20", " ").replace('+', " "));
            let mut roles = model::system_roles();
            roles.extend(model::list::<Role>(tables, ROLES, &account).into_iter().map(|(_, r)| r));
            roles.retain(|r| name.as_deref().is_none_or(|n| r.display_name == n));
            ok(200, &RoleList { roles })
        }
        ("GET", ["v3.0", "OS-ROLE", "roles", id]) => {
            let role = model::role(tables, &account, id).ok_or_else(|| not_found("policy", id))?;
            ok(200, &RoleBody { role })
        }
        ("PATCH", ["v3.0", "OS-ROLE", "roles", id]) => {
            model::get::<Role>(tables, ROLES, &account, id).ok_or_else(|| not_found("custom policy", id))?;
            let RoleBody { mut role } = custom_role(request)?;
            role.id = (*id).to_string();
            model::put(tables, ROLES, &account, id, role.clone())?;
            ok(200, &RoleBody { role })
        }
        ("DELETE", ["v3.0", "OS-ROLE", "roles", id]) => {
            model::get::<Role>(tables, ROLES, &account, id).ok_or_else(|| not_found("custom policy", id))?;
            if model::list::<Attachment>(tables, ATTACHMENTS, &account).iter().any(|(_, a)| a.role_id == *id) {
                return Err(ApiError::conflict(
                    "IAM.0007",
                    format!("policy `{id}` is still attached to a group; detach it first"),
                ));
            }
            tables.delete(ROLES, id);
            Ok((204, Value::Null))
        }
        (
            method @ ("PUT" | "DELETE" | "HEAD"),
            ["v3", "projects", project_id, "groups", group_id, "roles", role_id],
        ) => {
            if !model::projects(tables, &account).iter().any(|p| p.id == *project_id) {
                return Err(not_found("project", project_id));
            }
            attach(
                tables,
                &account,
                method,
                Attachment {
                    group_id: group_id.to_string(),
                    project_id: project_id.to_string(),
                    role_id: role_id.to_string(),
                },
            )
        }
        (
            method @ ("PUT" | "DELETE" | "HEAD"),
            ["v3", "OS-INHERIT", "domains", _, "groups", group_id, "roles", role_id, "inherited_to_projects"],
        ) => attach(
            tables,
            &account,
            method,
            Attachment { group_id: group_id.to_string(), project_id: String::new(), role_id: role_id.to_string() },
        ),
        ("POST", ["v3.0", "OS-CREDENTIAL", "credentials"]) => {
            let CredentialRequestBody { credential } = body(request)?;
            model::get::<User>(tables, USERS, &account, &credential.user_id)
                .ok_or_else(|| not_found("user", &credential.user_id))?;
            let access = new_id("HWAK").replace('-', "").to_ascii_uppercase();
            let secret = uuid::Uuid::new_v4().simple().to_string();
            model::put(
                tables,
                ACCESS_KEYS,
                &account,
                &access,
                AccessKey { user_id: credential.user_id.clone(), secret: secret.clone() },
            )?;
            ok(
                201,
                &CredentialBody {
                    credential: Credential { access, secret, user_id: credential.user_id, status: "active".into() },
                },
            )
        }
        (method @ ("GET" | "DELETE"), ["v3.0", "OS-CREDENTIAL", "credentials", access]) => {
            let key = model::get::<AccessKey>(tables, ACCESS_KEYS, &account, access)
                .ok_or_else(|| not_found("access key", access))?;
            if method == "DELETE" {
                tables.delete(ACCESS_KEYS, access);
                return Ok((204, Value::Null));
            }
            let credential = Credential {
                access: access.to_string(),
                secret: String::new(),
                user_id: key.user_id,
                status: "active".into(),
            };
            ok(200, &CredentialBody { credential })
        }
        _ => Err(ApiError::not_found("APIGW.0002", format!("IAM has no route {method} {path}"))),
    }
}

fn corral_api_mrs_forbidden() -> &'static str {
    corral_api_mrs::errors::APIGW_FORBIDDEN
}

/// A custom policy's body: the document is checked as a custom policy must be.
fn custom_role(request: &Value) -> Result<RoleBody, ApiError> {
    let role_json = request.get("role").ok_or_else(|| ApiError::missing("role"))?;
    let policy_text = role_json.get("policy").map(Value::to_string).unwrap_or_default();
    PolicyDocument::parse_custom(&policy_text).map_err(|e| ApiError::bad_request("IAM.1101", e.to_string()))?;
    let role: RoleBody = body(request)?;
    if role.role.display_name.is_empty() || role.role.display_name.len() > 128 {
        return Err(ApiError::invalid("display_name", "a policy name has 1 to 128 characters"));
    }
    if ![wire::SCOPE_GLOBAL, wire::SCOPE_PROJECT].contains(&role.role.scope.as_str()) {
        return Err(ApiError::invalid("type", "`AX` (global services) or `XA` (project services)"));
    }
    Ok(role)
}

fn attach(
    tables: &mut dyn corral_provider_sdk::emulator::Tables,
    account: &str,
    method: &str,
    attachment: Attachment,
) -> Answer {
    model::get::<GroupRecord>(tables, GROUPS, account, &attachment.group_id)
        .ok_or_else(|| not_found("group", &attachment.group_id))?;
    model::role(tables, account, &attachment.role_id).ok_or_else(|| not_found("policy", &attachment.role_id))?;
    let key = attachment.key();
    let exists = model::get::<Attachment>(tables, ATTACHMENTS, account, &key).is_some();
    match method {
        "HEAD" if !exists => Err(not_found("attachment", &key)),
        "HEAD" => Ok((204, Value::Null)),
        "PUT" => {
            model::put(tables, ATTACHMENTS, account, &key, attachment)?;
            Ok((204, Value::Null))
        }
        _ if !exists => Err(not_found("attachment", &key)),
        _ => {
            tables.delete(ATTACHMENTS, &key);
            Ok((204, json!(null)))
        }
    }
}
