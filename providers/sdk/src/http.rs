//! A client for action-style JSON APIs (`POST /?Action=X&Version=Y`), SigV4-signed, that
//! retries throttling (429) and server errors (5xx) with backoff. Creates are made
//! idempotent by the caller putting a `ClientToken` in the body: a retry sends the same body.

use std::time::Duration;

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
    pub timeout: Duration,
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

/// A signed, retrying client for one service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    pub config: ClientConfig,
}
