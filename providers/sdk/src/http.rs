//! A client for action-style JSON APIs (`POST /?Action=X&Version=Y`), SigV4-signed, that
//! retries throttling (429) and server errors (5xx) with backoff. Creates are made
//! idempotent by the caller putting a `ClientToken` in the body: a retry sends the same body.
//!
//! Error bodies are read in the Kingsoft shape `{"RequestId": ..., "Error": {"Code": ...,
//! "Message": ...}}`; a 4xx other than 429 is the caller's mistake and is never retried.
//!
//! Every attempt is signed afresh, with a random nonce header ([`NONCE_HEADER`]), so no two
//! requests share a signature: servers may refuse a replayed one.
//!
//! Also what every provider of such an API says and sends the same way: a failed call as a
//! diagnostic ([`api_error`]) and the `ClientToken` of a create ([`client_token`]).

use std::time::{Duration, SystemTime};

use corral_core::diag::{Diagnostic, Diagnostics};

use rand::Rng;

use crate::sigv4;

/// The header carrying each attempt's random nonce (signed like the others).
pub const NONCE_HEADER: &str = "x-corral-nonce";

/// An access key pair.
#[derive(Clone)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key", &self.access_key).field("secret_key", &"<hidden>").finish()
    }
}

#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Base URL, e.g. `https://kmr.api.ksyun.com` or the sandbox's `http://127.0.0.1:PORT`.
    pub endpoint: String,
    pub region: String,
    /// The SigV4 service name (`kmr`, `vpc`).
    pub service: String,
    pub credentials: Credentials,
    pub max_retries: u32,
    /// Deadline of one attempt.
    pub timeout: Duration,
    /// The first retry waits about this long; each further retry doubles it (with jitter),
    /// up to [`ClientConfig::max_retry_delay`].
    pub retry_base_delay: Duration,
    pub max_retry_delay: Duration,
}

impl ClientConfig {
    /// A configuration with the default retry policy (8 retries from 200 ms up to 10 s, 60 s
    /// per attempt).
    pub fn new(endpoint: &str, region: &str, service: &str, credentials: Credentials) -> ClientConfig {
        ClientConfig {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            region: region.to_string(),
            service: service.to_string(),
            credentials,
            max_retries: 8,
            timeout: Duration::from_secs(60),
            retry_base_delay: Duration::from_millis(200),
            max_retry_delay: Duration::from_secs(10),
        }
    }
}

/// An error from an API call, after retries.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The service answered with an error.
    #[error("{code}: {message} (HTTP {status}, request {request_id})")]
    Api { status: u16, code: String, message: String, request_id: String },
    /// No usable answer (connection refused, timeout, unreadable body).
    #[error("cannot reach {endpoint}: {message}")]
    Transport { endpoint: String, message: String },
}

/// A failed call as a diagnostic: what was being done, the service's code and message, and
/// the HTTP status and request id for support.
pub fn api_error(doing: &str, e: &CallError) -> Diagnostics {
    match e {
        CallError::Api { code, message, request_id, status } => {
            answered_error(doing, ApiAnswer { status: *status, code, message, request_id })
        }
        other => Diagnostics::from(Diagnostic::error(format!("{doing}: {other}"))),
    }
}

/// The parts of a service's error answer that its diagnostic shows, whatever the client's
/// own error type (REST clients of other clouds have theirs).
#[derive(Clone, Copy, Debug)]
pub struct ApiAnswer<'a> {
    pub status: u16,
    pub code: &'a str,
    pub message: &'a str,
    pub request_id: &'a str,
}

/// The diagnostic of a call the service answered with an error, as [`api_error`] makes it.
pub fn answered_error(doing: &str, answer: ApiAnswer<'_>) -> Diagnostics {
    let ApiAnswer { status, code, message, request_id } = answer;
    Diagnostics::from(
        Diagnostic::error(format!("{doing}: {code}: {message}"))
            .with_detail(format!("HTTP {status}, request id {request_id}")),
    )
}

/// The `ClientToken` of a create: a UUID derived from the engine's idempotency token, so a
/// retried or resumed create sends the same one, within the APIs' 64-character limit.
pub fn client_token(idempotency_token: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, idempotency_token.as_bytes()).to_string()
}

impl CallError {
    /// The service's error code, for API errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            CallError::Api { code, .. } => Some(code),
            CallError::Transport { .. } => None,
        }
    }

    /// Whether the service refused the caller's keys themselves (an unknown access key, a
    /// signature made with the wrong secret), not the call: every other call with these keys
    /// would fail the same way. Any 401; a 403 only with an authentication code, since a 403
    /// can also be a permission the keys lack for one action, or a replayed request.
    pub fn is_auth_refused(&self) -> bool {
        match self {
            CallError::Api { status: 401, .. } => true,
            CallError::Api { status: 403, code, .. } => AUTH_REFUSED_CODES.contains(&code.as_str()),
            _ => false,
        }
    }

    /// Whether a retry could succeed: throttling, server errors and transport failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            CallError::Api { status, .. } => *status == 429 || *status >= 500,
            CallError::Transport { .. } => true,
        }
    }
}

/// The error codes of a 403 that refuses the keys (Kingsoft, AWS-style and sandbox spellings).
const AUTH_REFUSED_CODES: &[&str] = &[
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "InvalidAccessKey",
    "InvalidClientTokenId",
    "AuthFailure",
    "IncompleteSignature",
    "MissingAuthenticationToken",
];

/// A signed, retrying client for one service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    pub config: ClientConfig,
    http: reqwest::Client,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, CallError> {
        let http = reqwest::Client::builder().timeout(config.timeout).build().map_err(|e| CallError::Transport {
            endpoint: config.endpoint.clone(),
            message: format!("cannot build the HTTP client: {e}"),
        })?;
        Ok(Client { config, http })
    }

    /// Calls `action`: POSTs `body` as JSON, retrying 429, 5xx and transport failures with
    /// exponential backoff and jitter up to `max_retries` times. Returns the response body.
    pub async fn call(
        &self,
        action: &str,
        version: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, CallError> {
        let mut attempt = 0u32;
        loop {
            match self.call_once(action, version, body).await {
                Ok(answer) => return Ok(answer),
                Err(e) if e.is_retryable() && attempt < self.config.max_retries => {
                    let delay = self.backoff(attempt);
                    tracing::debug!(action, attempt, ?delay, error = %e, "retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// "Equal jitter": half the exponential delay is fixed, half random, so retries of many
    /// clients spread out but none retries immediately.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.config.retry_base_delay.saturating_mul(2u32.saturating_pow(attempt.min(20)));
        let capped = exp.min(self.config.max_retry_delay);
        let half = capped / 2;
        let jitter_ms = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
        half + Duration::from_millis(jitter_ms)
    }

    async fn call_once(
        &self,
        action: &str,
        version: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, CallError> {
        let endpoint = &self.config.endpoint;
        let transport = |message: String| CallError::Transport { endpoint: endpoint.clone(), message };
        let url = format!("{endpoint}/?Action={}&Version={}", encode(action), encode(version));
        let payload = serde_json::to_vec(body).map_err(|e| transport(format!("cannot encode the request: {e}")))?;
        let host = url
            .parse::<http::Uri>()
            .ok()
            .and_then(|u| u.authority().map(|a| a.as_str().to_string()))
            .ok_or_else(|| transport(format!("`{endpoint}` is not a URL with a host")))?;
        // A fresh random nonce, signed, in every attempt: two identical requests (a retry,
        // two polls in the same second) never share a signature, so a server refusing
        // replayed signatures (the sandbox) never mistakes one for a replay.
        let nonce = format!("{:032x}", rand::rng().random::<u128>());
        let request = sigv4::Request {
            method: "POST",
            url: &url,
            headers: vec![("content-type", "application/json"), ("host", &host), (NONCE_HEADER, &nonce)],
            body: &payload,
        };
        let scope = sigv4::Scope { region: self.config.region.clone(), service: self.config.service.clone() };
        let signed = sigv4::sign(&request, &self.config.credentials, &scope, SystemTime::now(), true)
            .map_err(|e| transport(e.to_string()))?;
        let mut builder =
            self.http.post(&url).header("content-type", "application/json").header(NONCE_HEADER, nonce.as_str());
        for (name, value) in &signed.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = builder.body(payload).send().await.map_err(|e| transport(describe(&e)))?;
        let status = response.status().as_u16();
        let header_request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_default();
        let text = response.text().await.map_err(|e| transport(describe(&e)))?;
        let parsed: Option<serde_json::Value> = serde_json::from_str(&text).ok();
        let request_id = parsed
            .as_ref()
            .and_then(|p| p.get("RequestId"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .unwrap_or(header_request_id);
        if (200..300).contains(&status) {
            return parsed.ok_or_else(|| transport(format!("the answer to {action} is not JSON: {}", truncate(&text))));
        }
        let error = parsed.as_ref().and_then(|p| p.get("Error"));
        let field =
            |name: &str| error.and_then(|e| e.get(name)).and_then(serde_json::Value::as_str).map(str::to_string);
        Err(CallError::Api {
            status,
            code: field("Code").unwrap_or_else(|| format!("HTTP{status}")),
            message: field("Message").unwrap_or_else(|| truncate(&text)),
            request_id,
        })
    }
}

/// Percent-encodes a query value (actions and versions are plain, but never trust that).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// reqwest's `Display` hides the cause ("error sending request"); include the chain.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn truncate(text: &str) -> String {
    if text.len() <= 200 {
        return text.to_string();
    }
    let mut end = 200;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests;
