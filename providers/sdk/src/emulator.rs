//! The emulator framework: what an emulated service implements and what it is given. The
//! sandbox (`corral-sandbox`) hosts services behind one HTTP server, stores their objects,
//! keeps the sandbox clock, injects faults and verifies signatures; a service only answers
//! actions and moves its objects forward in (sandbox) time.
//!
//! Tables are global to the sandbox, not per account: every stored object carries the
//! account that owns it in [`ACCOUNT_FIELD`], and services filter by it (see [`owned_by`]).
//! That keeps [`Service::advance`] a single pass over everything.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// The field of every stored object that names the owning account.
pub const ACCOUNT_FIELD: &str = "AccountId";

/// The field of a stored object that keeps the `ClientToken` of the request that made it, so
/// a provider can find an object whose create answer it never saw.
pub const CLIENT_TOKEN_FIELD: &str = "ClientToken";

/// An error as the emulated API returns it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// HTTP status (400 bad request, 403 signature/permission, 404 not found, 409 conflict,
    /// 429 throttled, 5xx service errors).
    pub status: u16,
    /// The service's error code, e.g. `InvalidParameter`, `QuotaExceeded.Cluster`.
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.to_string(), message: message.into() }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(400, code, message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(404, code, message)
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(409, code, message)
    }

    /// A required parameter is absent (`MissingParameter`, 400).
    pub fn missing(name: &str) -> ApiError {
        ApiError::bad_request("MissingParameter", format!("the request must contain the parameter `{name}`"))
    }

    /// A parameter has a value the service does not accept (`InvalidParameterValue`, 400).
    pub fn invalid(name: &str, why: impl std::fmt::Display) -> ApiError {
        ApiError::bad_request("InvalidParameterValue", format!("`{name}` is invalid: {why}"))
    }
}

/// Storage a service sees during one request: named tables of JSON objects by id. All of a
/// request's reads and writes happen in one transaction.
pub trait Tables {
    fn get(&self, table: &str, id: &str) -> Option<serde_json::Value>;
    fn put(&mut self, table: &str, id: &str, value: serde_json::Value);
    fn delete(&mut self, table: &str, id: &str);
    /// Every object of a table, in id order.
    fn list(&self, table: &str) -> Vec<(String, serde_json::Value)>;
}

/// [`Tables`] in memory, for unit tests of a service without the sandbox's storage.
#[derive(Clone, Debug, Default)]
pub struct MemoryTables {
    pub tables: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

impl Tables for MemoryTables {
    fn get(&self, table: &str, id: &str) -> Option<serde_json::Value> {
        self.tables.get(table).and_then(|t| t.get(id)).cloned()
    }

    fn put(&mut self, table: &str, id: &str, value: serde_json::Value) {
        self.tables.entry(table.to_string()).or_default().insert(id.to_string(), value);
    }

    fn delete(&mut self, table: &str, id: &str) {
        if let Some(t) = self.tables.get_mut(table) {
            t.remove(id);
        }
    }

    fn list(&self, table: &str) -> Vec<(String, serde_json::Value)> {
        self.tables.get(table).map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
    }
}

/// Limits per account, by quota name (`vpcs`, `clusters`, `nodes`, `trial_clusters`, ...).
/// A quota that is not listed is unlimited.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Quotas(pub BTreeMap<String, u64>);

impl Quotas {
    /// The limits a new sandbox account gets.
    pub fn sandbox_defaults() -> Quotas {
        let limits = [
            ("vpcs", 100),
            ("subnets", 200),
            ("security_groups", 200),
            ("security_group_rules", 500),
            ("clusters", 20),
            ("nodes", 200),
            ("trial_clusters", 2),
            ("cluster_templates", 50),
            ("execution_plans", 50),
        ];
        Quotas(limits.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    pub fn limit(&self, name: &str) -> Option<u64> {
        self.0.get(name).copied()
    }
}

/// What a service is given for one request.
pub struct RequestContext<'a> {
    /// Sandbox time now (real time × `CORRAL_SANDBOX_TIME_SCALE` since the sandbox began).
    pub now: DateTime<Utc>,
    /// The account (access key owner) making the request. Empty in [`Service::advance`] and
    /// [`Service::inspect`], which see every account.
    pub account: String,
    pub request_id: String,
    pub tables: &'a mut dyn Tables,
    /// The requesting account's limits (empty in `advance` and `inspect`).
    pub quotas: Quotas,
}

impl RequestContext<'_> {
    /// Refuses a creation that would take `quota` past its limit: `in_use` objects exist and
    /// `adding` more are asked for. The error is the service's `code` (e.g.
    /// `QuotaExceeded.Vpc`, HTTP 400), naming the quota and the limit.
    pub fn check_quota(&self, code: &str, quota: &str, in_use: u64, adding: u64) -> Result<(), ApiError> {
        match self.quotas.limit(quota) {
            Some(limit) if in_use.saturating_add(adding) > limit => Err(ApiError::bad_request(
                code,
                format!(
                    "quota `{quota}` of account {} exceeded: the limit is {limit}, {in_use} in use, {adding} requested",
                    self.account
                ),
            )),
            _ => Ok(()),
        }
    }

    /// The objects of `table` owned by the requesting account, in id order.
    pub fn owned(&self, table: &str) -> Vec<(String, serde_json::Value)> {
        self.tables.list(table).into_iter().filter(|(_, v)| owned_by(v, &self.account)).collect()
    }

    /// One object of the requesting account; another account's object reads as absent.
    pub fn get_owned(&self, table: &str, id: &str) -> Option<serde_json::Value> {
        self.tables.get(table, id).filter(|v| owned_by(v, &self.account))
    }
}

/// Whether a stored object belongs to `account`.
pub fn owned_by(object: &serde_json::Value, account: &str) -> bool {
    object.get(ACCOUNT_FIELD).and_then(serde_json::Value::as_str) == Some(account)
}

/// A fresh object id with the service's prefix, e.g. `vpc-3f2a...`.
pub fn new_id(prefix: &str) -> String {
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &uuid[..16])
}

/// Time as the APIs write it (`2026-01-02T03:04:05Z`).
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A required string parameter of a request body.
pub fn param_str<'b>(body: &'b serde_json::Value, name: &str) -> Result<&'b str, ApiError> {
    match body.get(name) {
        None | Some(serde_json::Value::Null) => Err(ApiError::missing(name)),
        Some(value) => value.as_str().ok_or_else(|| ApiError::invalid(name, "expected a string")),
    }
}

/// An optional string parameter.
pub fn opt_str<'b>(body: &'b serde_json::Value, name: &str) -> Result<Option<&'b str>, ApiError> {
    match body.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(value) => value.as_str().map(Some).ok_or_else(|| ApiError::invalid(name, "expected a string")),
    }
}

/// An optional integer parameter (a JSON number or a numeric string, as the SDKs send both).
pub fn opt_i64(body: &serde_json::Value, name: &str) -> Result<Option<i64>, ApiError> {
    match body.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => {
            n.as_i64().map(Some).ok_or_else(|| ApiError::invalid(name, "expected an integer"))
        }
        Some(serde_json::Value::String(s)) => {
            s.parse().map(Some).map_err(|_| ApiError::invalid(name, format!("`{s}` is not an integer")))
        }
        Some(_) => Err(ApiError::invalid(name, "expected an integer")),
    }
}

/// An optional list of strings (`"VpcId": ["vpc-1", "vpc-2"]`); a single string counts as a
/// list of one.
pub fn opt_str_list(body: &serde_json::Value, name: &str) -> Result<Vec<String>, ApiError> {
    match body.get(name) {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::String(s)) => Ok(vec![s.clone()]),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(|| ApiError::invalid(name, "expected strings")))
            .collect(),
        Some(_) => Err(ApiError::invalid(name, "expected a list of strings")),
    }
}

/// The `ClientToken` of a request body, if any.
pub fn client_token(body: &serde_json::Value) -> Option<&str> {
    body.get(CLIENT_TOKEN_FIELD).and_then(serde_json::Value::as_str).filter(|t| !t.is_empty())
}

/// Describe-style filters: `"Filter": [{"Name": "vpc-id", "Value": ["vpc-1"]}]`, as the
/// Kingsoft APIs' `Filter.N.Name` / `Filter.N.Value.M` in JSON form. Returns (name, values).
pub fn filters(body: &serde_json::Value) -> Result<Vec<(String, Vec<String>)>, ApiError> {
    let Some(list) = body.get("Filter").filter(|f| !f.is_null()) else { return Ok(Vec::new()) };
    let items = list.as_array().ok_or_else(|| ApiError::invalid("Filter", "expected a list"))?;
    items
        .iter()
        .map(|item| {
            let name =
                param_str(item, "Name").map_err(|_| ApiError::invalid("Filter", "every filter needs a `Name`"))?;
            Ok((name.to_string(), opt_str_list(item, "Value")?))
        })
        .collect()
}

/// One object as `corral sandbox inspect` shows it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ObjectView {
    pub service: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub state: String,
    pub attributes: serde_json::Value,
}

/// An emulated service (`vpc`, `kmr`).
pub trait Service: Send + Sync {
    /// The service name in the SigV4 credential scope, which routes requests to it.
    fn name(&self) -> &'static str;

    /// Moves every object forward to `ctx.now`: finishes creations, runs and releases
    /// transient clusters, fires execution plans, expires trials. Called before every
    /// request and before `inspect`, so nothing needs to run between requests.
    fn advance(&self, ctx: &mut RequestContext<'_>);

    /// Answers one action (`?Action=X&Version=Y` with a JSON body).
    fn handle(
        &self,
        ctx: &mut RequestContext<'_>,
        action: &str,
        version: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, ApiError>;

    /// Every object the service holds for `corral sandbox inspect`.
    fn inspect(&self, ctx: &mut RequestContext<'_>) -> Vec<ObjectView>;
}

#[cfg(test)]
mod tests;
