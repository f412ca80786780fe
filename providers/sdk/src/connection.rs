//! Where a provider sends its calls and which keys sign them, decided the same way for every
//! provider: `access_key`/`secret_key` in the provider block (both or neither), else the
//! provider's environment variables; with no `endpoint`, the embedded sandbox the provider
//! names is started (or reused) under `<data_dir>/sandbox` and signed for with its
//! well-known keys. Also the slot a provider keeps its configured context in, and reading
//! the provider block's plain settings, and the check of the keys `configure` makes; and
//! all of that at once for a provider whose calls go to one signed service
//! ([`connect_client`]).
//!
//! The SDK does not depend on the sandbox: the provider passes the function that starts it,
//! so a provider for a real cloud only ever needs the sandbox crate for that one call.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{ConfigureRequest, ConfigureResponse};
use corral_core::value::Value;

use crate::http::{CallError, Client, ClientConfig, Credentials};

/// The provider-specific names [`connect`] needs.
#[derive(Clone, Copy, Debug)]
pub struct KeySettings {
    /// The provider's local name, as diagnostics say it (`kmr`, `mrs`).
    pub provider: &'static str,
    pub access_key_var: &'static str,
    pub secret_key_var: &'static str,
}

/// The embedded emulator to run when the provider block names no endpoint.
pub struct Embedded<F> {
    /// Starts the emulator in the given directory (or finds the running one) and returns its
    /// base URL. Called on a blocking thread: it may bind sockets and read files.
    pub start: F,
    /// The emulator's default account keys, used unless the block sets its own.
    pub keys: Credentials,
}

/// Where calls go and how they are signed.
#[derive(Clone, Debug)]
pub struct Connection {
    pub endpoint: String,
    pub credentials: Credentials,
}

/// Resolves the provider block's connection (see the module docs for the order).
pub async fn connect<F, E>(
    config: &Value,
    data_dir: &Path,
    settings: KeySettings,
    embedded: Embedded<F>,
) -> Result<Connection, Diagnostics>
where
    F: FnOnce(PathBuf) -> Result<String, E> + Send + 'static,
    E: Display + Send + 'static,
{
    let provider = settings.provider;
    let configured = match (config_str(config, "access_key"), config_str(config, "secret_key")) {
        (Some(access_key), Some(secret_key)) => Some(Credentials { access_key, secret_key }),
        (None, None) => None,
        _ => {
            return Err(error(format!(
                "set both `access_key` and `secret_key` of the `{provider}` provider, or neither"
            )));
        }
    };
    if let Some(endpoint) = config_str(config, "endpoint") {
        let credentials = match configured {
            Some(keys) => keys,
            None => keys_from_env(settings).ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error(format!("the `{provider}` provider has no keys for {endpoint}")).with_help(
                        format!(
                            "set `access_key` and `secret_key`, or {} and {}",
                            settings.access_key_var, settings.secret_key_var
                        ),
                    ),
                )
            })?,
        };
        return Ok(Connection { endpoint, credentials });
    }
    let dir = data_dir.join("sandbox");
    let start = embedded.start;
    let endpoint = match tokio::task::spawn_blocking(move || start(dir)).await {
        Ok(Ok(endpoint)) => endpoint,
        Ok(Err(e)) => return Err(error(format!("cannot start the embedded sandbox: {e}"))),
        Err(e) => return Err(error(format!("cannot start the embedded sandbox: {e}"))),
    };
    Ok(Connection { endpoint, credentials: configured.unwrap_or(embedded.keys) })
}

/// The service a provider's client signs for, and how `configure` checks the keys on it.
#[derive(Clone, Copy, Debug)]
pub struct ServiceSettings {
    /// The SigV4 service name (`kylin`).
    pub service: &'static str,
    /// The API version every call names.
    pub version: &'static str,
    /// The cheap read [`check_keys`] sends (`ListClusters`).
    pub key_check: &'static str,
    /// The region when the provider block sets none.
    pub default_region: &'static str,
}

/// What `configure` does for a provider whose calls go to one service: the block's
/// [`connection`](connect), its `region` (else the default), [`apply_client_settings`], and the
/// client, whose keys are [checked](check_keys) before it is returned.
pub async fn connect_client<F, E>(
    config: &Value,
    data_dir: &Path,
    keys: KeySettings,
    embedded: Embedded<F>,
    service: ServiceSettings,
) -> Result<Client, Diagnostics>
where
    F: FnOnce(PathBuf) -> Result<String, E> + Send + 'static,
    E: Display + Send + 'static,
{
    let Connection { endpoint, credentials } = connect(config, data_dir, keys, embedded).await?;
    let region = config_str(config, "region").unwrap_or_else(|| service.default_region.to_string());
    let mut client_config = ClientConfig::new(&endpoint, &region, service.service, credentials);
    apply_client_settings(config, &mut client_config);
    let client = Client::new(client_config).map_err(|e| error(e.to_string()))?;
    check_keys(&client, keys, service.key_check, service.version).await?;
    Ok(client)
}

/// Checks the keys with one cheap read call (`action`, a list the service answers for any
/// account, sent with an empty body), so wrong keys fail `configure` instead of the first
/// create halfway through an apply. Sent once, unretried: only a refusal of the keys
/// ([`CallError::is_auth_refused`]) is an error;
/// throttling, server errors and an unreachable endpoint are left to the call that meets
/// them later, so a busy service never fails `configure`.
pub async fn check_keys(
    client: &Client,
    settings: KeySettings,
    action: &str,
    version: &str,
) -> Result<(), Diagnostics> {
    let mut once = client.clone();
    once.config.max_retries = 0;
    let error = match once.call(action, version, &serde_json::json!({})).await {
        Ok(_) => return Ok(()),
        Err(error) => error,
    };
    if let CallError::Api { code, message, .. } = &error
        && error.is_auth_refused()
    {
        return Err(keys_refused(settings, &client.config.endpoint, code, message));
    }
    tracing::debug!(provider = settings.provider, %error, "the key check failed, but not by refusing the keys");
    Ok(())
}

/// The diagnostic of keys the service at `endpoint` refused with `code`/`message`: what every
/// provider says, whichever call found it, and how to fix it.
pub fn keys_refused(settings: KeySettings, endpoint: &str, code: &str, message: &str) -> Diagnostics {
    let provider = settings.provider;
    Diagnostics::from(
        Diagnostic::error(format!("the `{provider}` provider's keys are refused by {endpoint}: {code}: {message}"))
            .with_help(format!(
                "check `access_key` and `secret_key` in the `{provider}` provider block, or {} and {} when the \
                 block sets neither",
                settings.access_key_var, settings.secret_key_var
            )),
    )
}

fn keys_from_env(settings: KeySettings) -> Option<Credentials> {
    // An empty variable is an unset one (`export HW_ACCESS_KEY=` in a CI template).
    let access_key = std::env::var(settings.access_key_var).ok().filter(|k| !k.is_empty())?;
    let secret_key = std::env::var(settings.secret_key_var).ok().filter(|k| !k.is_empty())?;
    Some(Credentials { access_key, secret_key })
}

/// A string setting of the provider block (marks ignored); `None` when unset.
pub fn config_str(config: &Value, name: &str) -> Option<String> {
    config.get_attr(name).map(Value::unmarked).and_then(Value::as_str).map(str::to_string)
}

/// A whole-number setting of the provider block; `None` when unset or not a whole number.
pub fn config_i64(config: &Value, name: &str) -> Option<i64> {
    config.get_attr(name).map(Value::unmarked).and_then(Value::as_number).and_then(|n| n.to_i64())
}

/// Applies the provider block's `max_retries` and `request_timeout_seconds`, where the
/// provider offers them, to a client configuration.
pub fn apply_client_settings(config: &Value, client: &mut ClientConfig) {
    if let Some(retries) = config_i64(config, "max_retries").and_then(|r| u32::try_from(r).ok()) {
        client.max_retries = retries;
    }
    if let Some(seconds) = config_i64(config, "request_timeout_seconds").and_then(|s| u64::try_from(s).ok()) {
        client.timeout = Duration::from_secs(seconds.max(1));
    }
}

/// The context a provider keeps once configured, shared by every call after `configure`.
pub struct Configured<T> {
    provider: &'static str,
    slot: RwLock<Option<Arc<T>>>,
}

impl<T> Configured<T> {
    pub fn new(provider: &'static str) -> Configured<T> {
        Configured { provider, slot: RwLock::new(None) }
    }

    /// The context, or the diagnostic a call before `configure` gets.
    pub fn get(&self) -> Result<Arc<T>, Diagnostics> {
        self.slot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| error(format!("the `{}` provider is used before it is configured", self.provider)))
    }

    pub fn set(&self, ctx: T) {
        *self.slot.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(ctx));
    }

    /// `configure` of a provider whose calls go to one service: the client
    /// ([`connect_client`]), and the context `make` builds around it kept.
    pub async fn configure<F, E>(
        &self,
        request: &ConfigureRequest,
        keys: KeySettings,
        embedded: Embedded<F>,
        service: ServiceSettings,
        make: impl FnOnce(Client) -> Result<T, Diagnostics>,
    ) -> ConfigureResponse
    where
        F: FnOnce(PathBuf) -> Result<String, E> + Send + 'static,
        E: Display + Send + 'static,
    {
        let connected = connect_client(&request.config, &request.data_dir, keys, embedded, service).await;
        match connected.and_then(make) {
            Ok(ctx) => {
                self.set(ctx);
                ConfigureResponse::default()
            }
            Err(diagnostics) => ConfigureResponse { diagnostics },
        }
    }
}

fn error(summary: String) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(summary))
}

#[cfg(test)]
mod tests;
