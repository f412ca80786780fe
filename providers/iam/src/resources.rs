//! The IAM resource types. Each is a few REST calls (`corral_api_iam::wire` names the paths
//! and bodies); plans follow the schemas' change classes (`plan_from_schema`), with two rules
//! of their own: a custom policy's `document` is checked as IAM checks it (research.md §7.9,
//! at the attribute's line) and compared by meaning (a reformatted document with the same
//! statements keeps the applied text: no change), and an attachment names its policy by id
//! or by name (`MRS ReadOnlyAccess`), exactly one.
//!
//! The action names are those the sandbox's IAM names when it refuses a call
//! (`iam:<kind>:<verb>`).

use std::collections::{BTreeMap, BTreeSet};

use corral_api_iam::policy::PolicyDocument;
use corral_api_iam::wire::{
    self, CredentialBody, CredentialRequest, CredentialRequestBody, Group, GroupBody, GroupList, Role, RoleBody,
    RoleList, User, UserBody, UserList,
};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse,
};
use corral_core::schema::{ActionMap, AttributeSchema, BlockSchema, ResourceSchema};
use corral_core::value::{Path, Type, Value};
use corral_huawei::{Connection, RestError, api_error, error};
use corral_provider_sdk::plan::{attributes, plan_from_schema};

type Attrs = BTreeMap<String, Value>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Group,
    User,
    Policy,
    Attachment,
    Membership,
    AccessKey,
}

/// `scope` values and the API's codes for them.
const SCOPES: &[(&str, &str)] = &[("project", wire::SCOPE_PROJECT), ("global", wire::SCOPE_GLOBAL)];

impl Kind {
    pub(crate) const ALL: [Kind; 6] =
        [Kind::Group, Kind::User, Kind::Policy, Kind::Attachment, Kind::Membership, Kind::AccessKey];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Group => "iam_group",
            Kind::User => "iam_user",
            Kind::Policy => "iam_policy",
            Kind::Attachment => "iam_group_policy_attachment",
            Kind::Membership => "iam_group_membership",
            Kind::AccessKey => "iam_access_key",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub(crate) fn schema(self) -> ResourceSchema {
        let id = AttributeSchema::computed(Type::String);
        let description = || AttributeSchema::optional_computed(Type::String).describe("Default empty");
        let block = match self {
            Kind::Group => BlockSchema::new()
                .attr("id", id)
                .attr("name", AttributeSchema::required(Type::String).describe("Unique in the account"))
                .attr("description", description()),
            Kind::User => BlockSchema::new()
                .attr("id", id)
                .attr(
                    "name",
                    AttributeSchema::required(Type::String).forces_replacement().describe("Unique in the account"),
                )
                .attr("description", description().forces_replacement()),
            Kind::Policy => BlockSchema::new()
                .attr("id", id)
                .attr("name", AttributeSchema::required(Type::String).describe("1 to 128 characters"))
                .attr("description", description())
                .attr(
                    "scope",
                    AttributeSchema::optional_computed(Type::String)
                        .describe("`project` (project-level services such as MRS; default) or `global`"),
                )
                .attr(
                    "document",
                    AttributeSchema::required(Type::String).describe(
                        "The policy as JSON (`{\"Version\":\"1.1\",\"Statement\":[...]}`); compared by meaning, \
                         so reformatting it is no change",
                    ),
                ),
            Kind::Attachment => BlockSchema::new()
                .attr("id", id)
                .attr("group_id", AttributeSchema::required(Type::String).forces_replacement())
                .attr(
                    "policy_id",
                    AttributeSchema::optional_computed(Type::String)
                        .forces_replacement()
                        .describe("A custom policy's id (`iam_policy.x.id`); or set `policy_name`"),
                )
                .attr(
                    "policy_name",
                    AttributeSchema::optional_computed(Type::String)
                        .forces_replacement()
                        .describe("A policy's name, e.g. a system policy's (`MRS ReadOnlyAccess`); or set `policy_id`"),
                )
                .attr(
                    "all_projects",
                    AttributeSchema::optional_computed(Type::Bool)
                        .forces_replacement()
                        .describe("Grant in every project of the account (default false: the provider's project)"),
                )
                .attr("project_id", AttributeSchema::computed(Type::String).describe("Empty for all projects")),
            Kind::Membership => BlockSchema::new()
                .attr("id", id)
                .attr("group_id", AttributeSchema::required(Type::String).forces_replacement())
                .attr(
                    "user_ids",
                    AttributeSchema::required(Type::set(Type::String))
                        .describe("Every member of the group (users added elsewhere show as drift)"),
                ),
            Kind::AccessKey => BlockSchema::new()
                .attr("id", id)
                .attr("user_id", AttributeSchema::required(Type::String).forces_replacement())
                .attr("access_key", AttributeSchema::computed(Type::String))
                .attr("secret_key", AttributeSchema::computed(Type::String).sensitive().describe("Known after create")),
        };
        ResourceSchema { version: 0, block }
    }

    pub(crate) fn actions(self) -> ActionMap {
        let (kind, update) = match self {
            Kind::Group => ("groups", true),
            Kind::User => ("users", false),
            Kind::Policy => ("roles", true),
            // Granting is a PUT under the project, a membership a PUT under the group.
            Kind::Attachment => ("projects", false),
            Kind::Membership => ("groups", true),
            Kind::AccessKey => ("credentials", false),
        };
        let action = |verb: &str| format!("iam:{kind}:{verb}");
        let (create, delete, change) = match self {
            Kind::Attachment | Kind::Membership => (action("update"), action("delete"), action("update")),
            _ => (action("create"), action("delete"), action("update")),
        };
        let map = ActionMap::new().create(&[&create]).delete(&[&delete]);
        if update { map.update(&[&change]) } else { map }
    }
}

fn str_of(attrs: &Attrs, name: &str) -> Option<String> {
    attrs.get(name).and_then(Value::as_str).map(str::to_string)
}

fn at(name: &str, summary: impl Into<String>) -> Diagnostic {
    Diagnostic::error(summary).with_attribute(Path::attr(name))
}

/// Checks that need no API: a policy document as IAM checks it, a policy's scope, an
/// attachment's one policy.
pub(crate) fn validate(kind: Kind, config: &Value) -> Diagnostics {
    let schema = kind.schema();
    let attrs = attributes(config, &schema.block);
    let mut d = Diagnostics::new();
    match kind {
        Kind::Policy => {
            if let Some(text) = str_of(&attrs, "document")
                && let Err(e) = PolicyDocument::parse_custom(&text)
            {
                d.push(at("document", format!("invalid policy document: {e}")));
            }
            if let Some(scope) = str_of(&attrs, "scope")
                && !SCOPES.iter().any(|(name, _)| *name == scope)
            {
                d.push(at("scope", format!("`scope = \"{scope}\"`: use `project` or `global`")));
            }
            if let Some(name) = str_of(&attrs, "name")
                && (name.is_empty() || name.chars().count() > 128)
            {
                d.push(at("name", "a policy name has 1 to 128 characters"));
            }
        }
        Kind::Attachment => {
            let set = |name: &str| attrs.get(name).is_some_and(|v| !v.is_null());
            let known_null = |name: &str| attrs.get(name).is_none_or(Value::is_null);
            if set("policy_id") && set("policy_name") {
                d.push(at("policy_name", "set `policy_id` or `policy_name`, not both"));
            } else if known_null("policy_id") && known_null("policy_name") {
                d.push(at(
                    "policy_id",
                    "set `policy_id` (a custom policy) or `policy_name` (e.g. `MRS ReadOnlyAccess`)",
                ));
            }
        }
        _ => {}
    }
    d
}

pub(crate) fn plan(kind: Kind, request: &PlanRequest) -> PlanResponse {
    let schema = kind.schema();
    if request.proposed_new_state.is_null() {
        return PlanResponse { planned_state: Some(request.proposed_new_state.clone()), ..PlanResponse::default() };
    }
    let diagnostics = validate(kind, &request.config);
    if diagnostics.has_errors() {
        return PlanResponse { diagnostics, ..PlanResponse::default() };
    }
    let mut response = plan_from_schema(&schema, request);
    let Some(Value::Object(planned)) = &mut response.planned_state else { return response };
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
    match kind {
        Kind::Policy => {
            if planned.get("scope").is_none_or(|v| v.is_null() || !v.is_known()) && prior.is_none() {
                planned.insert("scope".into(), Value::string("project"));
            }
            // The same statements in another layout are no change: keep the applied text.
            if let Some(prior) = &prior
                && let (Some(old), Some(new)) =
                    (str_of(prior, "document"), planned.get("document").and_then(Value::as_str))
                && same_document(&old, new)
            {
                planned.insert("document".into(), Value::string(old));
            }
        }
        Kind::Attachment if prior.is_none() && planned.get("all_projects").is_none_or(Value::is_null) => {
            planned.insert("all_projects".into(), Value::Bool(false));
        }
        _ => {}
    }
    response.diagnostics.extend(diagnostics);
    response
}

/// Whether two policy texts say the same (both parse and their canonical forms agree).
fn same_document(a: &str, b: &str) -> bool {
    match (PolicyDocument::parse_custom(a), PolicyDocument::parse_custom(b)) {
        (Ok(a), Ok(b)) => a.canonical() == b.canonical(),
        _ => a == b,
    }
}

type Applied = Result<Option<Attrs>, Diagnostics>;

fn is_not_found(e: &RestError) -> bool {
    matches!(e, RestError::Api { status: 404, .. })
}

async fn call<T: serde::de::DeserializeOwned>(
    c: &Connection,
    method: &str,
    path: &str,
    query: &str,
    body: Option<serde_json::Value>,
) -> Result<T, RestError> {
    let answer = c.rest.call(method, path, query, body.as_ref()).await?;
    serde_json::from_value(answer).map_err(|e| RestError::Transport {
        endpoint: String::new(),
        message: format!("IAM's answer to {method} {path} does not fit the API: {e}"),
    })
}

async fn send(c: &Connection, method: &str, path: &str, body: Option<serde_json::Value>) -> Result<(), RestError> {
    c.rest.call(method, path, "", body.as_ref()).await.map(|_| ())
}

fn json<T: serde::Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

fn described(attrs: &Attrs) -> String {
    str_of(attrs, "description").unwrap_or_default()
}

pub(crate) async fn apply(kind: Kind, c: &Connection, request: ApplyRequest) -> ApplyResponse {
    let schema = kind.schema();
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
    let planned = request.planned_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema.block));
    let result = match (&prior, planned) {
        (None, None) => return ApplyResponse::default(),
        (None, Some(planned)) => create(kind, c, planned).await,
        (Some(prior), None) => delete(kind, c, prior).await.map(|()| None),
        (Some(prior), Some(planned)) => update(kind, c, prior, planned).await,
    };
    match result {
        Ok(state) => ApplyResponse { new_state: state.map(Value::Object), ..ApplyResponse::default() },
        Err(diagnostics) => ApplyResponse {
            new_state: prior.map(Value::Object).or(request.prior_state),
            diagnostics,
            ..ApplyResponse::default()
        },
    }
}

fn policy_role(attrs: &Attrs) -> Result<Role, Diagnostics> {
    let text = str_of(attrs, "document").unwrap_or_default();
    let policy = PolicyDocument::parse_custom(&text).map_err(|e| error(format!("invalid policy document: {e}")))?;
    let scope = str_of(attrs, "scope").unwrap_or_else(|| "project".into());
    let code = SCOPES.iter().find(|(name, _)| *name == scope).map_or(wire::SCOPE_PROJECT, |(_, code)| code);
    Ok(Role {
        id: String::new(),
        display_name: str_of(attrs, "name").unwrap_or_default(),
        scope: code.to_string(),
        description: described(attrs),
        policy,
    })
}

/// The attachment's path (with the policy's id) for `PUT`, `HEAD` and `DELETE`.
fn attachment_path(c: &Connection, attrs: &Attrs) -> String {
    let group = str_of(attrs, "group_id").unwrap_or_default();
    let role = str_of(attrs, "policy_id").unwrap_or_default();
    if attrs.get("all_projects").and_then(Value::as_bool) == Some(true) {
        wire::all_projects_group_role("default", &group, &role)
    } else {
        let project = str_of(attrs, "project_id").filter(|p| !p.is_empty()).unwrap_or_else(|| c.project_id.clone());
        wire::project_group_role(&project, &group, &role)
    }
}

/// Fills whichever of `policy_id` / `policy_name` the configuration left to IAM.
async fn resolve_policy(c: &Connection, attrs: &mut Attrs) -> Result<(), Diagnostics> {
    let known = |attrs: &Attrs, name: &str| attrs.get(name).is_some_and(|v| v.is_known() && !v.is_null());
    if known(attrs, "policy_id") {
        let id = str_of(attrs, "policy_id").unwrap_or_default();
        let path = format!("{}/{id}", wire::ROLES);
        let RoleBody { role } =
            call(c, "GET", &path, "", None).await.map_err(|e| api_error(&format!("reading policy {id}"), &e))?;
        attrs.insert("policy_name".into(), Value::string(role.display_name));
        return Ok(());
    }
    let name = str_of(attrs, "policy_name").unwrap_or_default();
    let query = format!("display_name={}", name.replace(' ', "%20"));
    let RoleList { roles } = call(c, "GET", wire::ALL_ROLES, &query, None)
        .await
        .map_err(|e| api_error(&format!("looking up policy `{name}`"), &e))?;
    let role = roles.into_iter().next().ok_or_else(|| error(format!("IAM has no policy named `{name}`")))?;
    attrs.insert("policy_id".into(), Value::string(role.id));
    Ok(())
}

fn user_ids(attrs: &Attrs) -> BTreeSet<String> {
    attrs
        .get("user_ids")
        .and_then(Value::as_seq)
        .map(|items| items.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

fn set_of(ids: &BTreeSet<String>) -> Value {
    Value::new_set(Type::String, ids.iter().map(Value::string).collect())
}

async fn create(kind: Kind, c: &Connection, mut planned: Attrs) -> Applied {
    let doing = |what: &str| format!("creating {} `{what}`", kind.name());
    match kind {
        Kind::Group => {
            let name = str_of(&planned, "name").unwrap_or_default();
            let body =
                GroupBody { group: Group { id: String::new(), name: name.clone(), description: described(&planned) } };
            let GroupBody { group } =
                call(c, "POST", wire::GROUPS, "", json(&body)).await.map_err(|e| api_error(&doing(&name), &e))?;
            planned.insert("id".into(), Value::string(group.id));
            planned.insert("description".into(), Value::string(group.description));
        }
        Kind::User => {
            let name = str_of(&planned, "name").unwrap_or_default();
            let body =
                UserBody { user: User { id: String::new(), name: name.clone(), description: described(&planned) } };
            let UserBody { user } =
                call(c, "POST", wire::USERS, "", json(&body)).await.map_err(|e| api_error(&doing(&name), &e))?;
            planned.insert("id".into(), Value::string(user.id));
            planned.insert("description".into(), Value::string(user.description));
        }
        Kind::Policy => {
            let role = policy_role(&planned)?;
            let name = role.display_name.clone();
            let RoleBody { role } = call(c, "POST", wire::ROLES, "", json(&RoleBody { role }))
                .await
                .map_err(|e| api_error(&doing(&name), &e))?;
            planned.insert("id".into(), Value::string(role.id));
            planned.insert("description".into(), Value::string(role.description));
        }
        Kind::Attachment => {
            resolve_policy(c, &mut planned).await?;
            let all = planned.get("all_projects").and_then(Value::as_bool) == Some(true);
            let project = if all { String::new() } else { c.project_id.clone() };
            planned.insert("project_id".into(), Value::string(project.clone()));
            let path = attachment_path(c, &planned);
            send(c, "PUT", &path, None).await.map_err(|e| api_error("granting the policy to the group", &e))?;
            let group = str_of(&planned, "group_id").unwrap_or_default();
            let role = str_of(&planned, "policy_id").unwrap_or_default();
            let project = if all { "*".to_string() } else { project };
            planned.insert("id".into(), Value::string(format!("{group}/{project}/{role}")));
        }
        Kind::Membership => {
            let group = str_of(&planned, "group_id").unwrap_or_default();
            for user in user_ids(&planned) {
                send(c, "PUT", &wire::group_user(&group, &user), None)
                    .await
                    .map_err(|e| api_error(&format!("adding user {user} to group {group}"), &e))?;
            }
            planned.insert("id".into(), Value::string(group));
        }
        Kind::AccessKey => {
            let user_id = str_of(&planned, "user_id").unwrap_or_default();
            let body = CredentialRequestBody {
                credential: CredentialRequest { user_id: user_id.clone(), description: String::new() },
            };
            let CredentialBody { credential } = call(c, "POST", wire::CREDENTIALS, "", json(&body))
                .await
                .map_err(|e| api_error(&format!("creating an access key for user {user_id}"), &e))?;
            planned.insert("id".into(), Value::string(credential.access.clone()));
            planned.insert("access_key".into(), Value::string(credential.access));
            planned.insert("secret_key".into(), Value::string(credential.secret));
        }
    }
    Ok(Some(planned))
}

async fn update(kind: Kind, c: &Connection, prior: &Attrs, mut planned: Attrs) -> Applied {
    let id = str_of(prior, "id").unwrap_or_default();
    match kind {
        Kind::Group => {
            let body = GroupBody {
                group: Group {
                    id: String::new(),
                    name: str_of(&planned, "name").unwrap_or_default(),
                    description: described(&planned),
                },
            };
            let GroupBody { group } = call(c, "PATCH", &format!("{}/{id}", wire::GROUPS), "", json(&body))
                .await
                .map_err(|e| api_error(&format!("updating group {id}"), &e))?;
            planned.insert("description".into(), Value::string(group.description));
        }
        Kind::Policy => {
            let role = policy_role(&planned)?;
            let RoleBody { role } = call(c, "PATCH", &format!("{}/{id}", wire::ROLES), "", json(&RoleBody { role }))
                .await
                .map_err(|e| api_error(&format!("updating policy {id}"), &e))?;
            planned.insert("description".into(), Value::string(role.description));
        }
        Kind::Membership => {
            let group = str_of(prior, "group_id").unwrap_or_default();
            let (old, new) = (user_ids(prior), user_ids(&planned));
            for user in new.difference(&old) {
                send(c, "PUT", &wire::group_user(&group, user), None)
                    .await
                    .map_err(|e| api_error(&format!("adding user {user} to group {group}"), &e))?;
            }
            for user in old.difference(&new) {
                match send(c, "DELETE", &wire::group_user(&group, user), None).await {
                    Err(e) if !is_not_found(&e) => {
                        return Err(api_error(&format!("removing user {user} from group {group}"), &e));
                    }
                    _ => {}
                }
            }
        }
        // Everything else about them forces replacement.
        Kind::User | Kind::Attachment | Kind::AccessKey => {}
    }
    Ok(Some(planned))
}

async fn delete(kind: Kind, c: &Connection, prior: &Attrs) -> Result<(), Diagnostics> {
    let id = str_of(prior, "id").unwrap_or_default();
    let outcome = match kind {
        Kind::Group => send(c, "DELETE", &format!("{}/{id}", wire::GROUPS), None).await,
        Kind::User => send(c, "DELETE", &format!("/v3/users/{id}"), None).await,
        Kind::Policy => send(c, "DELETE", &format!("{}/{id}", wire::ROLES), None).await,
        Kind::Attachment => send(c, "DELETE", &attachment_path(c, prior), None).await,
        Kind::AccessKey => send(c, "DELETE", &format!("{}/{id}", wire::CREDENTIALS), None).await,
        Kind::Membership => {
            let group = str_of(prior, "group_id").unwrap_or_default();
            for user in user_ids(prior) {
                match send(c, "DELETE", &wire::group_user(&group, &user), None).await {
                    Err(e) if !is_not_found(&e) => {
                        return Err(api_error(&format!("removing user {user} from group {group}"), &e));
                    }
                    _ => {}
                }
            }
            Ok(())
        }
    };
    match outcome {
        Err(e) if !is_not_found(&e) => Err(api_error(&format!("deleting {} {id}", kind.name()), &e)),
        _ => Ok(()),
    }
}

pub(crate) async fn read(kind: Kind, c: &Connection, request: ReadRequest) -> ReadResponse {
    let schema = kind.schema();
    let prior = attributes(&request.current_state, &schema.block);
    match refresh(kind, c, prior).await {
        Ok(state) => {
            ReadResponse { new_state: state.map(Value::Object), private: request.private, ..ReadResponse::default() }
        }
        Err(diagnostics) => {
            ReadResponse { new_state: Some(request.current_state), diagnostics, ..ReadResponse::default() }
        }
    }
}

/// The object as IAM has it now (`None`: gone).
async fn refresh(kind: Kind, c: &Connection, mut state: Attrs) -> Result<Option<Attrs>, Diagnostics> {
    let id = str_of(&state, "id").unwrap_or_default();
    let failed = |e: &RestError| api_error(&format!("reading {} {id}", kind.name()), e);
    macro_rules! get_or_gone {
        ($ty:ty, $path:expr) => {
            match call::<$ty>(c, "GET", &$path, "", None).await {
                Ok(found) => found,
                Err(e) if is_not_found(&e) => return Ok(None),
                Err(e) => return Err(failed(&e)),
            }
        };
    }
    match kind {
        Kind::Group => {
            let GroupBody { group } = get_or_gone!(GroupBody, format!("{}/{id}", wire::GROUPS));
            state.insert("name".into(), Value::string(group.name));
            state.insert("description".into(), Value::string(group.description));
        }
        Kind::User => {
            let UserBody { user } = get_or_gone!(UserBody, format!("{}/{id}", wire::USERS));
            state.insert("name".into(), Value::string(user.name));
            state.insert("description".into(), Value::string(user.description));
        }
        Kind::Policy => {
            let RoleBody { role } = get_or_gone!(RoleBody, format!("{}/{id}", wire::ROLES));
            state.insert("name".into(), Value::string(role.display_name));
            state.insert("description".into(), Value::string(role.description));
            let scope = SCOPES.iter().find(|(_, code)| *code == role.scope).map_or("project", |(name, _)| name);
            state.insert("scope".into(), Value::string(scope));
            // Keep the text as written unless IAM holds other statements.
            let held = role.policy.canonical();
            let written = str_of(&state, "document").and_then(|t| PolicyDocument::parse_custom(&t).ok());
            if written.is_none_or(|w| w.canonical() != held) {
                state.insert("document".into(), Value::string(held));
            }
        }
        Kind::Attachment => match send(c, "HEAD", &attachment_path(c, &state), None).await {
            Ok(()) => {}
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(failed(&e)),
        },
        Kind::Membership => {
            let group = str_of(&state, "group_id").unwrap_or_default();
            let UserList { users } = get_or_gone!(UserList, format!("{}/{group}/users", wire::GROUPS));
            let ids: BTreeSet<String> = users.into_iter().map(|u| u.id).collect();
            state.insert("user_ids".into(), set_of(&ids));
        }
        Kind::AccessKey => {
            let CredentialBody { credential } = get_or_gone!(CredentialBody, format!("{}/{id}", wire::CREDENTIALS));
            state.insert("user_id".into(), Value::string(credential.user_id));
        }
    }
    Ok(Some(state))
}

/// After an interrupted create: groups and users by their unique name, custom policies by
/// name; attachments and memberships are idempotent PUTs, made again; a key cannot be found
/// (its secret is shown once), so a new one is made.
pub(crate) async fn find_created(kind: Kind, c: &Connection, request: FindCreatedRequest) -> FindCreatedResponse {
    let schema = kind.schema();
    let Some(mut planned) = request.planned_state.as_ref().map(|p| attributes(p, &schema.block)) else {
        return FindCreatedResponse::default();
    };
    let name = str_of(&planned, "name").unwrap_or_default();
    let found: Result<Option<String>, RestError> = match kind {
        Kind::Group => call::<GroupList>(c, "GET", wire::GROUPS, "", None)
            .await
            .map(|l| l.groups.into_iter().find(|g| g.name == name).map(|g| g.id)),
        Kind::User => call::<UserList>(c, "GET", "/v3/users", "", None)
            .await
            .map(|l| l.users.into_iter().find(|u| u.name == name).map(|u| u.id)),
        Kind::Policy => call::<RoleList>(c, "GET", wire::ROLES, "", None)
            .await
            .map(|l| l.roles.into_iter().find(|r| r.display_name == name).map(|r| r.id)),
        Kind::Attachment | Kind::Membership | Kind::AccessKey => Ok(None),
    };
    match found {
        Ok(Some(id)) => {
            planned.insert("id".into(), Value::string(id));
            match refresh(kind, c, planned).await {
                Ok(state) => FindCreatedResponse { state: state.map(Value::Object), ..FindCreatedResponse::default() },
                Err(diagnostics) => FindCreatedResponse { diagnostics, ..FindCreatedResponse::default() },
            }
        }
        Ok(None) => FindCreatedResponse::default(),
        Err(e) => FindCreatedResponse {
            diagnostics: api_error(&format!("looking for a created {}", kind.name()), &e),
            ..FindCreatedResponse::default()
        },
    }
}

#[cfg(test)]
mod tests;
