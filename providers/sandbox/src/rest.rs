//! The REST front door of the Huawei Cloud services (MRS under `/v1.1/` and `/v2/`, IAM under
//! `/v3/` and `/v3.0/`), as Huawei's API gateway (APIG) stands before them:
//!
//! 1. the `SDK-HMAC-SHA256` signature is verified with the secret of the access key — the
//!    account's own key (`_accounts`) or an IAM user's (`iam.access_keys`); a wrong secret is a
//!    `403 APIGW.0301` that says so; `X-Sdk-Date` must be within 15 minutes of now;
//! 2. an MRS request is routed to its operation (`corral_api_mrs::operation`), its project
//!    must be one of the account's, and the operation's IAM action is evaluated against the
//!    caller's effective policies in that project: a refusal is `403 APIGW.0302` naming the
//!    action and the deciding statement (or "no statement allows it"), before the service
//!    sees the request; the account's own key may do everything;
//! 3. the service answers in one storage transaction (a refusal changes nothing);
//! 4. every request, refused or not, is appended to the request log ([`request_log`]) in a
//!    transaction of its own, so tests can count what reached the cloud.
//!
//! APIG signatures carry no nonce, so identical requests in the same second sign alike; the
//! replay cache of the SigV4 side does not apply here.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDateTime, Utc};
use corral_api_mrs::errors;
use corral_api_mrs::operation::Operation;
use corral_api_mrs::sign::{self, Authorization, SignError};
use corral_provider_sdk::emulator::{ApiError, Quotas, RequestContext, Tables};
use serde::{Deserialize, Serialize};

use crate::SandboxError;
use crate::server::{Sandbox, advance_all, new_request_id};
use crate::services::{iam, mrs};
use crate::store::{ACCOUNTS, AccountRecord, Store};

/// The request log's table (sandbox-internal: `inspect` does not show it).
const REQUESTS: &str = "_requests";

/// How far `X-Sdk-Date` may be from now.
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// One request as the log keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Real time the request arrived (RFC 3339).
    pub at: String,
    pub request_id: String,
    /// `mrs` or `iam`.
    pub service: String,
    pub method: String,
    pub path: String,
    pub access_key: String,
    /// The IAM user who signed, empty for the account's own key or an unknown key.
    pub user: String,
    /// The MRS operation (`CreateCluster`, ...), empty for IAM.
    pub operation: String,
    /// The IAM action checked, empty for IAM requests.
    pub action: String,
    /// Whether the operation changes anything (MRS: [`Operation::is_mutating`]; IAM: not a GET).
    pub mutating: bool,
    pub status: u16,
    /// The error code of a refusal.
    pub code: String,
}

/// Every request the sandbox in `dir` served over REST, oldest first.
pub fn request_log(dir: &Path) -> Result<Vec<LogEntry>, SandboxError> {
    let store = Store::open(dir)?;
    let entries = store
        .transact(|tables| Ok::<_, std::convert::Infallible>(tables.list(REQUESTS)))?
        .unwrap_or_else(|never| match never {});
    Ok(entries.into_iter().filter_map(|(_, json)| serde_json::from_value(json).ok()).collect())
}

pub(crate) fn routes() -> axum::Router<Arc<Sandbox>> {
    let any = || axum::routing::any(handle);
    axum::Router::new()
        .route("/v1.1/{*rest}", any())
        .route("/v2/{*rest}", any())
        .route("/v3/{*rest}", any())
        .route("/v3.0/{*rest}", any())
}

/// A request as received.
struct RestRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

async fn handle(
    State(sandbox): State<Arc<Sandbox>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = new_request_id();
    let request = RestRequest {
        method: method.as_str().to_string(),
        path: uri.path().to_string(),
        query: uri.query().unwrap_or("").to_string(),
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body,
    };
    let id = request_id.clone();
    let outcome = tokio::task::spawn_blocking(move || sandbox.process_rest(&request, &id)).await;
    let (status, body) = match outcome {
        Ok(Ok(answer)) => answer,
        Ok(Err(error)) => (error.status, error_json(&error, &request_id)),
        Err(join) => (500, error_json(&ApiError::new(500, "InternalError", join.to_string()), &request_id)),
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if status == StatusCode::NO_CONTENT {
        status.into_response()
    } else {
        (status, axum::Json(body)).into_response()
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn error_json(error: &ApiError, request_id: &str) -> serde_json::Value {
    serde_json::json!({"error_code": error.code, "error_msg": error.message, "request_id": request_id})
}

/// Who signed: the identity and the secret to check the signature with.
struct Signer {
    caller: iam::Caller,
    secret: String,
    quotas: Quotas,
}

fn find_signer(tables: &dyn Tables, sandbox: &Sandbox, access_key: &str) -> Option<Signer> {
    let account = |record: AccountRecord, secret: String| Signer {
        caller: iam::Caller { account: record.account_id, user_id: String::new(), user_name: String::new() },
        secret,
        quotas: record.quotas,
    };
    let stored =
        |key: &str| tables.get(ACCOUNTS, key).and_then(|json| serde_json::from_value::<AccountRecord>(json).ok());
    match &sandbox.options.keys {
        Some(own) if access_key == own.access_key => {
            return stored(crate::DEFAULT_ACCESS_KEY).map(|r| account(r, own.secret_key.clone()));
        }
        Some(_) if access_key == crate::DEFAULT_ACCESS_KEY => return None,
        _ => {}
    }
    if let Some(record) = stored(access_key) {
        let secret = record.secret_key.clone();
        return Some(account(record, secret));
    }
    let json = tables.get(iam::ACCESS_KEYS, access_key)?;
    let owner = json.get(corral_provider_sdk::emulator::ACCOUNT_FIELD)?.as_str()?.to_string();
    let key: iam::AccessKey = serde_json::from_value(json).ok()?;
    let user_name = iam::user_name(tables, &owner, &key.user_id);
    let quotas = tables
        .list(ACCOUNTS)
        .into_iter()
        .filter_map(|(_, json)| serde_json::from_value::<AccountRecord>(json).ok())
        .find(|r| r.account_id == owner)
        .map(|r| r.quotas)
        .unwrap_or_default();
    Some(Signer { caller: iam::Caller { account: owner, user_id: key.user_id, user_name }, secret: key.secret, quotas })
}

impl Sandbox {
    fn process_rest(&self, request: &RestRequest, request_id: &str) -> Result<(u16, serde_json::Value), ApiError> {
        let mut entry = LogEntry {
            at: Utc::now().to_rfc3339(),
            request_id: request_id.to_string(),
            service: if request.path.starts_with("/v3") { "iam" } else { "mrs" }.to_string(),
            method: request.method.clone(),
            path: request.path.clone(),
            access_key: String::new(),
            user: String::new(),
            operation: String::new(),
            action: String::new(),
            mutating: request.method != "GET" && request.method != "HEAD",
            status: 0,
            code: String::new(),
        };
        let outcome = self.serve_rest(request, request_id, &mut entry);
        match &outcome {
            Ok((status, _)) => entry.status = *status,
            Err(error) => {
                entry.status = error.status;
                entry.code = error.code.clone();
            }
        }
        let key = format!("{}-{request_id}", Utc::now().timestamp_nanos_opt().unwrap_or_default());
        if let Ok(json) = serde_json::to_value(&entry) {
            let logged = self.store.transact(|tables| {
                tables.put(REQUESTS, &key, json);
                Ok::<_, std::convert::Infallible>(())
            });
            if let Err(error) = logged {
                tracing::error!(%error, "sandbox: cannot append to the request log");
            }
        }
        outcome
    }

    fn serve_rest(
        &self,
        request: &RestRequest,
        request_id: &str,
        entry: &mut LogEntry,
    ) -> Result<(u16, serde_json::Value), ApiError> {
        let header = request
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| gateway(401, errors::APIGW_SIGNATURE, SignError::Missing.to_string()))?;
        let authorization =
            Authorization::parse(header).map_err(|e| gateway(401, errors::APIGW_SIGNATURE, e.to_string()))?;
        entry.access_key = authorization.access_key.clone();
        check_date(request)?;
        let routed = if entry.service == "mrs" {
            let routed = Operation::route(&request.method, &request.path).ok_or_else(|| {
                gateway(
                    404,
                    errors::APIGW_NOT_FOUND,
                    format!("MRS has no operation {} {}", request.method, request.path),
                )
            })?;
            entry.operation = format!("{:?}", routed.operation);
            entry.action = routed.operation.action().to_string();
            entry.mutating = routed.operation.is_mutating();
            Some(routed)
        } else {
            None
        };
        let body: serde_json::Value = if request.body.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_slice(&request.body)
                .map_err(|e| ApiError::bad_request(errors::INVALID_PARAMETER, format!("the body is not JSON: {e}")))?
        };
        let outcome = self.store.transact(|tables| {
            let signer = find_signer(&*tables, self, &authorization.access_key).ok_or_else(|| {
                gateway(
                    401,
                    errors::APIGW_ACCESS_KEY,
                    format!("the access key `{}` does not exist in the sandbox", authorization.access_key),
                )
            })?;
            entry.user = signer.caller.user_name.clone();
            let signed = sign::Request {
                method: &request.method,
                path: &request.path,
                query: &request.query,
                headers: request.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
                body: &request.body,
            };
            sign::verify(&signed, &authorization, &signer.secret)
                .map_err(|e| gateway(403, errors::APIGW_SIGNATURE, format!("signature refused: {e}")))?;
            let now = advance_all(tables, &self.services, self.options.time_scale, request_id);
            let mut ctx = RequestContext {
                now,
                account: signer.caller.account.clone(),
                request_id: request_id.to_string(),
                tables: &mut *tables,
                quotas: signer.quotas.clone(),
            };
            match &routed {
                Some(routed) => {
                    authorize(&ctx, &signer.caller, routed.param("pid"), routed.operation.action())?;
                    mrs::handle(&mut ctx, routed, &request.method, &request.query, &body)
                }
                None => iam::handle(&mut ctx, &signer.caller, &request.method, &request.path, &request.query, &body),
            }
        });
        match outcome {
            Ok(result) => result,
            Err(storage) => Err(ApiError::new(500, "InternalError", storage.to_string())),
        }
    }
}

fn gateway(status: u16, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

fn check_date(request: &RestRequest) -> Result<(), ApiError> {
    let date = request
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(sign::DATE_HEADER))
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| gateway(401, errors::APIGW_SIGNATURE, "the request has no X-Sdk-Date header"))?;
    let signed_at = NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| gateway(401, errors::APIGW_SIGNATURE, format!("X-Sdk-Date `{date}` is not YYYYMMDDTHHMMSSZ")))?
        .and_utc();
    let skew = (Utc::now() - signed_at).num_seconds().unsigned_abs();
    if skew > MAX_SKEW.as_secs() {
        return Err(gateway(
            401,
            errors::APIGW_SIGNATURE,
            format!("X-Sdk-Date `{date}` is {skew} s from now; a signature is valid for 15 minutes"),
        ));
    }
    Ok(())
}

/// Refuses an action the caller's policies in `project` do not allow.
fn authorize(ctx: &RequestContext<'_>, caller: &iam::Caller, project: &str, action: &str) -> Result<(), ApiError> {
    if !iam::has_project(ctx.tables, &caller.account, project) {
        return Err(gateway(
            403,
            errors::APIGW_FORBIDDEN,
            format!("project `{project}` is not a project of this account (GET /v3/projects lists them)"),
        ));
    }
    if caller.is_account() {
        return Ok(());
    }
    let policies = iam::effective_policies(ctx.tables, &caller.account, &caller.user_id, project)?;
    let named: Vec<_> = policies
        .into_iter()
        .map(|p| corral_api_iam::eval::NamedPolicy { name: p.name, document: p.document })
        .collect();
    let decision = corral_api_iam::eval::evaluate(&named, &corral_api_iam::eval::Request::action(action));
    if decision.allowed {
        Ok(())
    } else {
        Err(gateway(
            403,
            errors::APIGW_FORBIDDEN,
            format!("user `{}` is not authorized to perform `{action}`: {decision}", caller.user_name),
        ))
    }
}

#[cfg(test)]
mod tests;
