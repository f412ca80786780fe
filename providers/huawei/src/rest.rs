//! A small REST client for Huawei Cloud's API gateway: every request is signed with
//! `SDK-HMAC-SHA256` over `host` and `x-sdk-date` (`corral_api_mrs::sign`), transport failures
//! and 5xx answers are retried with backoff, and error bodies (`{"error_code","error_msg"}`)
//! become [`RestError::Api`]. The service's "busy, retry" codes are left to the caller, which
//! knows how long an operation may take (the MRS provider waits on them).

use std::time::{Duration, SystemTime};

use corral_api_mrs::sign;

/// An access key pair.
#[derive(Clone)]
pub struct Keys {
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").field("access_key", &self.access_key).field("secret_key", &"<hidden>").finish()
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RestError {
    /// The service answered with an error.
    #[error("{code}: {message} (HTTP {status}, request {request_id})")]
    Api { status: u16, code: String, message: String, request_id: String },
    /// No usable answer.
    #[error("cannot reach {endpoint}: {message}")]
    Transport { endpoint: String, message: String },
}

impl RestError {
    pub fn code(&self) -> Option<&str> {
        match self {
            RestError::Api { code, .. } => Some(code),
            RestError::Transport { .. } => None,
        }
    }
}

/// How many times a transport failure or 5xx is retried.
const MAX_RETRIES: u32 = 6;

#[derive(Clone, Debug)]
pub struct Rest {
    http: reqwest::Client,
    endpoint: String,
    /// `host[:port]` of the endpoint, as the `Host` header carries it.
    host: String,
    keys: Keys,
}

impl Rest {
    pub fn new(endpoint: &str, keys: Keys) -> Result<Rest, RestError> {
        let endpoint = endpoint.trim_end_matches('/').to_string();
        let transport = |message: String| RestError::Transport { endpoint: endpoint.clone(), message };
        let host = endpoint
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest).to_string())
            .filter(|h| !h.is_empty())
            .ok_or_else(|| transport("the endpoint is not a URL like `https://mrs.example.com`".into()))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| transport(e.to_string()))?;
        Ok(Rest { http, endpoint, host, keys })
    }

    /// One call: `path` without the query, `query` without `?`. An empty answer is `null`.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, RestError> {
        let text = body.map(serde_json::Value::to_string).unwrap_or_default();
        let mut delay = Duration::from_millis(200);
        let mut attempt = 0;
        loop {
            match self.attempt(method, path, query, &text).await {
                Err(e) if attempt < MAX_RETRIES && retried(&e) => {
                    tracing::debug!(%e, attempt, "Huawei Cloud call failed; retrying");
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                outcome => return outcome,
            }
        }
    }

    async fn attempt(&self, method: &str, path: &str, query: &str, text: &str) -> Result<serde_json::Value, RestError> {
        let transport = |message: String| RestError::Transport { endpoint: self.endpoint.clone(), message };
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let date = sign::sdk_date(i64::try_from(now).unwrap_or(i64::MAX));
        let request = sign::Request {
            method,
            path,
            query,
            headers: vec![("host", &self.host), (sign::DATE_HEADER, &date)],
            body: text.as_bytes(),
        };
        let authorization =
            sign::sign(&request, &["host", sign::DATE_HEADER], &self.keys.access_key, &self.keys.secret_key)
                .map_err(|e| transport(format!("cannot sign the request: {e}")))?;
        let url = if query.is_empty() {
            format!("{}{path}", self.endpoint)
        } else {
            format!("{}{path}?{query}", self.endpoint)
        };
        let method_value = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| transport(e.to_string()))?;
        let mut builder = self
            .http
            .request(method_value, &url)
            .header(sign::DATE_HEADER, &date)
            .header("authorization", authorization.header_value());
        if !text.is_empty() {
            builder = builder.header("content-type", "application/json").body(text.to_string());
        }
        let response = builder.send().await.map_err(|e| transport(describe(&e)))?;
        let status = response.status().as_u16();
        let request_id =
            response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let bytes = response.bytes().await.map_err(|e| transport(describe(&e)))?;
        let json: serde_json::Value = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| transport(format!("HTTP {status} with a body that is not JSON: {e}")))?
        };
        if (200..300).contains(&status) {
            return Ok(json);
        }
        let field = |name: &str| json.get(name).and_then(serde_json::Value::as_str).map(str::to_string);
        Err(RestError::Api {
            status,
            code: field("error_code").unwrap_or_else(|| format!("HTTP{status}")),
            message: field("error_msg").unwrap_or_else(|| json.to_string()),
            request_id: field("request_id").unwrap_or(request_id),
        })
    }
}

/// Transport failures and server errors may pass; a 4xx is the caller's to handle.
fn retried(error: &RestError) -> bool {
    match error {
        RestError::Transport { .. } => true,
        RestError::Api { status, .. } => *status >= 500 || *status == 429,
    }
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
