//! The HTTP side: one axum route, `POST /?Action=X&Version=Y`, that authenticates the
//! request (SigV4; the credential scope's service picks the emulated service), injects
//! faults, and runs the action in one storage transaction with lazy time: every service is
//! first advanced to the sandbox clock's `now`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use corral_provider_sdk::emulator::{ApiError, Quotas, RequestContext, Service, Tables, client_token};
use corral_provider_sdk::sigv4::{self, Authorization, SigV4Error};
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::options::SandboxOptions;
use crate::replay::{Admission, ReplayCache};
use crate::store::{ACCOUNTS, AccountRecord, IDEMPOTENCY, RedbTables, Store, advance_clock};

/// Everything a request needs; shared by the server's handlers.
pub(crate) struct Sandbox {
    pub store: Store,
    pub services: Vec<Arc<dyn Service>>,
    pub options: SandboxOptions,
    /// Signatures already accepted, so a replayed request is refused.
    pub replays: ReplayCache,
}

/// A request as received, reduced to what processing needs.
pub(crate) struct Incoming {
    pub action: Option<String>,
    pub version: Option<String>,
    /// The absolute URL the client signed (`http://host/?...`).
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

pub(crate) fn router(sandbox: Arc<Sandbox>) -> axum::Router {
    axum::Router::new()
        .route("/", axum::routing::post(handle))
        .merge(crate::rest::routes())
        .fallback(|| async {
            error_response(&new_request_id(), &ApiError::not_found("UnknownOperation", "use POST /?Action=X&Version=Y"))
        })
        .with_state(sandbox)
}

async fn handle(
    State(sandbox): State<Arc<Sandbox>>,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = new_request_id();
    if let Some(latency) = sandbox.options.faults.latency_ms.clone() {
        let ms = rand::rng().random_range(latency);
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let incoming = Incoming {
        action: query.get("Action").cloned(),
        version: query.get("Version").cloned(),
        url: format!("http://{host}{uri}"),
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body,
    };
    let id = request_id.clone();
    let outcome = tokio::task::spawn_blocking(move || sandbox.process(&incoming, &id)).await;
    match outcome {
        Ok(Ok(answer)) => ok_response(&request_id, answer),
        Ok(Err(error)) => error_response(&request_id, &error),
        Err(join) => error_response(&request_id, &ApiError::new(500, "InternalError", join.to_string())),
    }
}

impl Sandbox {
    /// Authenticates, injects faults, and runs the action. Every refusal happens before the
    /// action, and a refused action's changes are rolled back, so an error changed nothing.
    pub(crate) fn process(&self, request: &Incoming, request_id: &str) -> Result<serde_json::Value, ApiError> {
        let action = request.action.as_deref().ok_or_else(|| ApiError::missing("Action"))?;
        let version = request.version.as_deref().ok_or_else(|| ApiError::missing("Version"))?;
        let authorization = self.authorization(request)?;
        let service =
            self.services.iter().find(|s| s.name() == authorization.scope.service).cloned().ok_or_else(|| {
                ApiError::bad_request(
                    "UnknownService",
                    format!("the sandbox hosts no service `{}` (credential scope)", authorization.scope.service),
                )
            })?;
        let body: serde_json::Value = if request.body.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_slice(&request.body)
                .map_err(|e| ApiError::bad_request("MalformedBody", format!("the body is not JSON: {e}")))?
        };
        let outcome = self.store.transact(|tables| {
            let account = authenticate(tables, request, &authorization, &self.options)?;
            self.refuse_replay(request, &authorization)?;
            self.inject_fault()?;
            self.execute(tables, service.as_ref(), &account, action, version, &body, request_id)
        });
        match outcome {
            Ok(result) => result,
            Err(storage) => Err(ApiError::new(500, "InternalError", storage.to_string())),
        }
    }

    fn authorization(&self, request: &Incoming) -> Result<Authorization, ApiError> {
        let header = request
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| {
                ApiError::new(403, "MissingAuthenticationToken", SigV4Error::MissingAuthorization.to_string())
            })?;
        Authorization::parse(header).map_err(|e| ApiError::new(403, "IncompleteSignature", e.to_string()))
    }

    /// Refuses a signature this sandbox has accepted before: a request sent again byte for
    /// byte. Called once the signature is known good, so forgeries never fill the cache.
    fn refuse_replay(&self, request: &Incoming, authorization: &Authorization) -> Result<(), ApiError> {
        let signed_at = request
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-date"))
            .and_then(|(_, v)| sigv4::parse_amz_date(v))
            .unwrap_or_else(SystemTime::now);
        let expires = signed_at + sigv4::MAX_CLOCK_SKEW;
        match self.replays.admit(&authorization.access_key, &authorization.signature, expires, SystemTime::now()) {
            Admission::Fresh => Ok(()),
            Admission::Replayed => Err(ApiError::new(
                403,
                "RequestReplayed",
                "this request's signature was already used: the sandbox accepts each signed request once \
                 (for the 15 minutes a signature is valid); sign every request, and every retry, afresh",
            )),
            Admission::Full => Err(ApiError::new(
                429,
                "Throttling",
                "too many requests in the last 15 minutes for the sandbox to remember their signatures; retry later",
            )),
        }
    }

    fn inject_fault(&self) -> Result<(), ApiError> {
        let faults = &self.options.faults;
        if faults.error_rate == 0.0 && faults.throttle_rate == 0.0 {
            return Ok(());
        }
        let roll: f64 = rand::rng().random();
        if roll < faults.error_rate {
            Err(ApiError::new(500, "InternalError", "injected fault: the service failed (CORRAL_SANDBOX_FAULTS)"))
        } else if roll < faults.error_rate + faults.throttle_rate {
            Err(ApiError::new(429, "Throttling", "injected fault: request rate exceeded (CORRAL_SANDBOX_FAULTS)"))
        } else {
            Ok(())
        }
    }

    #[expect(clippy::too_many_arguments)]
    fn execute(
        &self,
        tables: &mut RedbTables<'_>,
        service: &dyn Service,
        account: &AccountRecord,
        action: &str,
        version: &str,
        body: &serde_json::Value,
        request_id: &str,
    ) -> Result<serde_json::Value, ApiError> {
        let now = advance_all(tables, &self.services, self.options.time_scale, request_id);
        let token_key =
            client_token(body).map(|token| format!("{}/{}/{action}/{token}", account.account_id, service.name()));
        if let Some(key) = &token_key
            && let Some(stored) = tables.get(IDEMPOTENCY, key)
        {
            // The same ClientToken again: the first answer, unless the request differs.
            if stored.get("Body") != Some(&remembered_body(body)) {
                return Err(ApiError::bad_request(
                    "IdempotentParameterMismatch",
                    format!(
                        "ClientToken `{}` was already used for a different {action} request",
                        client_token(body).unwrap_or("")
                    ),
                ));
            }
            return Ok(stored.get("Response").cloned().unwrap_or(serde_json::Value::Null));
        }
        let mut ctx = RequestContext {
            now,
            account: account.account_id.clone(),
            request_id: request_id.to_string(),
            tables,
            quotas: account.quotas.clone(),
        };
        let answer = service.handle(&mut ctx, action, version, body)?;
        if let Some(key) = token_key {
            ctx.tables.put(IDEMPOTENCY, &key, serde_json::json!({"Body": remembered_body(body), "Response": answer}));
        }
        Ok(answer)
    }
}

/// A request body as the idempotency table keeps it: passwords (any top-level string field
/// named `...Password`) are replaced by an unsalted digest, still enough to tell a different
/// request from a repeated one, so the sandbox's file never holds a password.
fn remembered_body(body: &serde_json::Value) -> serde_json::Value {
    let mut body = body.clone();
    if let Some(object) = body.as_object_mut() {
        for (name, value) in object.iter_mut() {
            if name.ends_with("Password")
                && let Some(text) = value.as_str()
            {
                *value = serde_json::Value::String(format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes()))));
            }
        }
    }
    body
}

/// Moves the clock and every service to now; returns now.
pub(crate) fn advance_all(
    tables: &mut dyn Tables,
    services: &[Arc<dyn Service>],
    time_scale: f64,
    request_id: &str,
) -> chrono::DateTime<Utc> {
    let now = advance_clock(tables, Utc::now(), time_scale);
    for service in services {
        let mut ctx = RequestContext {
            now,
            account: String::new(),
            request_id: request_id.to_string(),
            tables: &mut *tables,
            quotas: Quotas::default(),
        };
        service.advance(&mut ctx);
    }
    now
}

/// Finds the account of the access key and checks the signature against its secret.
/// With keys of its own (`corral sandbox serve --access-key/--secret-key`) the server
/// authenticates the default account by them instead of by the well-known pair.
fn authenticate(
    tables: &RedbTables<'_>,
    request: &Incoming,
    authorization: &Authorization,
    options: &SandboxOptions,
) -> Result<AccountRecord, ApiError> {
    let stored = |access_key: &str| -> Option<AccountRecord> {
        tables.get(ACCOUNTS, access_key).and_then(|json| serde_json::from_value(json).ok())
    };
    let account = match &options.keys {
        Some(own) if authorization.access_key == own.access_key => stored(crate::DEFAULT_ACCESS_KEY)
            .map(|default| AccountRecord { secret_key: own.secret_key.clone(), ..default }),
        Some(_) if authorization.access_key == crate::DEFAULT_ACCESS_KEY => {
            return Err(ApiError::new(
                403,
                "InvalidAccessKeyId",
                "the sandbox's well-known access key is disabled on this server: it was started with keys of its own",
            ));
        }
        _ => stored(&authorization.access_key),
    };
    let account: AccountRecord = account.ok_or_else(|| {
        ApiError::new(
            403,
            "InvalidAccessKeyId",
            format!("the access key `{}` does not exist in the sandbox", authorization.access_key),
        )
    })?;
    let signed = sigv4::Request {
        method: "POST",
        url: &request.url,
        headers: request.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
        body: &request.body,
    };
    sigv4::verify(&signed, authorization, &account.secret_key, SystemTime::now(), sigv4::MAX_CLOCK_SKEW).map_err(
        |e| match e {
            SigV4Error::Skewed(_) => ApiError::new(403, "RequestExpired", e.to_string()),
            other => ApiError::new(
                403,
                "SignatureDoesNotMatch",
                format!("the request signature we calculated does not match the signature you provided: {other}"),
            ),
        },
    )?;
    Ok(account)
}

pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn ok_response(request_id: &str, answer: serde_json::Value) -> Response {
    let body = match answer {
        serde_json::Value::Object(mut map) => {
            map.insert("RequestId".to_string(), serde_json::Value::String(request_id.to_string()));
            serde_json::Value::Object(map)
        }
        other => serde_json::json!({"RequestId": request_id, "Result": other}),
    };
    with_request_id(StatusCode::OK, request_id, body)
}

fn error_response(request_id: &str, error: &ApiError) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let kind = if error.status >= 500 { "Receiver" } else { "Sender" };
    let body = serde_json::json!({
        "RequestId": request_id,
        "Error": {"Code": error.code, "Message": error.message, "Type": kind},
    });
    with_request_id(status, request_id, body)
}

fn with_request_id(status: StatusCode, request_id: &str, body: serde_json::Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
