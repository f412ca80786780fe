//! The emulator framework: what an emulated service implements and what it is given. The
//! sandbox (`corral-sandbox`) hosts services behind one HTTP server, stores their objects,
//! keeps the sandbox clock, injects faults and verifies signatures; a service only answers
//! actions and moves its objects forward in (sandbox) time.

use chrono::{DateTime, Utc};

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

/// What a service is given for one request.
pub struct RequestContext<'a> {
    /// Sandbox time now (real time × `CORRAL_SANDBOX_TIME_SCALE` since the sandbox began).
    pub now: DateTime<Utc>,
    /// The account (access key owner) making the request.
    pub account: String,
    pub request_id: String,
    pub tables: &'a mut dyn Tables,
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
