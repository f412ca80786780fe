//! Sandbox options from the environment: `CORRAL_SANDBOX_TIME_SCALE` (sandbox seconds per
//! real second) and `CORRAL_SANDBOX_FAULTS` (`error_rate=0.2,throttle_rate=0.1,latency_ms=50..500`).

use std::ops::RangeInclusive;

use crate::SandboxError;

pub const TIME_SCALE_VAR: &str = "CORRAL_SANDBOX_TIME_SCALE";
pub const FAULTS_VAR: &str = "CORRAL_SANDBOX_FAULTS";

/// How the sandbox behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxOptions {
    /// Sandbox seconds per real second (`600`: ten sandbox minutes per real second).
    pub time_scale: f64,
    pub faults: Faults,
    /// Keys of the server's own (`corral sandbox serve --access-key/--secret-key`): the
    /// default account answers to them, and the well-known pair is refused.
    pub keys: Option<ServerKeys>,
    /// Listen on a non-loopback address with the well-known keys (`--insecure-public`).
    pub insecure_public: bool,
}

/// An access key pair given to a server. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerKeys {
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKeys").field("access_key", &self.access_key).field("secret_key", &"<hidden>").finish()
    }
}

/// The default clock runs one sandbox minute per real second: the sandbox is where people
/// try things out, and a cluster that takes eight minutes to create should be ready in eight
/// seconds there. `CORRAL_SANDBOX_TIME_SCALE=1` gives real time.
pub(crate) const DEFAULT_TIME_SCALE: f64 = 60.0;

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions { time_scale: DEFAULT_TIME_SCALE, faults: Faults::default(), keys: None, insecure_public: false }
    }
}

impl SandboxOptions {
    /// The options the environment asks for; unset variables mean the defaults.
    pub fn from_env() -> Result<SandboxOptions, SandboxError> {
        let mut options = SandboxOptions::default();
        if let Ok(text) = std::env::var(TIME_SCALE_VAR) {
            options.time_scale = parse_time_scale(&text)?;
        }
        if let Ok(text) = std::env::var(FAULTS_VAR) {
            options.faults = Faults::parse(&text)?;
        }
        Ok(options)
    }
}

pub(crate) fn parse_time_scale(text: &str) -> Result<f64, SandboxError> {
    match text.trim().parse::<f64>() {
        Ok(scale) if scale.is_finite() && scale > 0.0 => Ok(scale),
        _ => Err(SandboxError::BadOption {
            name: TIME_SCALE_VAR.to_string(),
            value: text.to_string(),
            why: "expected a positive number of sandbox seconds per real second".to_string(),
        }),
    }
}

/// Injected faults: before an action runs, a request is answered `500 InternalError` with
/// probability `error_rate` or `429 Throttling` with `throttle_rate`, after a random latency.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    pub error_rate: f64,
    pub throttle_rate: f64,
    pub latency_ms: Option<RangeInclusive<u64>>,
}

impl Faults {
    pub fn parse(text: &str) -> Result<Faults, SandboxError> {
        let bad = |why: String| SandboxError::BadOption { name: FAULTS_VAR.to_string(), value: text.to_string(), why };
        let mut faults = Faults::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item.split_once('=').ok_or_else(|| bad(format!("`{item}` is not KEY=VALUE")))?;
            let rate = || match value.trim().parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
                _ => Err(bad(format!("`{key}` must be a probability between 0 and 1, not `{value}`"))),
            };
            match key.trim() {
                "error_rate" => faults.error_rate = rate()?,
                "throttle_rate" => faults.throttle_rate = rate()?,
                "latency_ms" => {
                    let ms = |s: &str| {
                        s.trim()
                            .parse::<u64>()
                            .map_err(|_| bad(format!("`latency_ms` must be N or N..M, not `{value}`")))
                    };
                    let range = match value.split_once("..") {
                        Some((lo, hi)) => ms(lo)?..=ms(hi.trim_start_matches('='))?,
                        None => {
                            let v = ms(value)?;
                            v..=v
                        }
                    };
                    if range.is_empty() {
                        return Err(bad(format!("`latency_ms` range `{value}` is empty")));
                    }
                    faults.latency_ms = Some(range);
                }
                other => {
                    return Err(bad(format!("unknown fault `{other}` (known: error_rate, throttle_rate, latency_ms)")));
                }
            }
        }
        if faults.error_rate + faults.throttle_rate > 1.0 {
            return Err(bad("`error_rate` + `throttle_rate` exceed 1".to_string()));
        }
        Ok(faults)
    }

    pub fn is_none(&self) -> bool {
        self.error_rate == 0.0 && self.throttle_rate == 0.0 && self.latency_ms.is_none()
    }
}
