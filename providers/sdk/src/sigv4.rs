//! AWS Signature Version 4, as KMR and Kingsoft VPC use it: signing (client) and
//! verification (sandbox).
//!
//! Both directions go through the `aws-sigv4` crate: verification rebuilds the request the
//! client signed (only the headers it lists in `SignedHeaders`, at the time it states in
//! `X-Amz-Date`), signs it again with the account's secret key and compares the signatures,
//! so client and server can never disagree about canonicalisation.

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings};
use aws_smithy_runtime_api::client::identity::Identity;

use crate::http::Credentials;

/// The signing algorithm name in the `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How far a request's `X-Amz-Date` may be from the verifier's clock, as AWS allows.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    #[error("the request cannot be signed: {0}")]
    Sign(String),
    #[error("the request has no `Authorization` header")]
    MissingAuthorization,
    #[error("the `Authorization` header is malformed: {0}")]
    MalformedAuthorization(String),
    #[error("the request has no valid `X-Amz-Date` header")]
    MissingDate,
    #[error("the request time {0} is more than 15 minutes from the server's time")]
    Skewed(String),
    #[error("the credential scope date does not match `X-Amz-Date`")]
    ScopeDate,
    #[error("the signature does not match the one computed for this request")]
    Mismatch,
}

/// A request as signing sees it. `url` is absolute and already percent-encoded
/// (`http://host:port/?Action=X&Version=Y`).
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: Vec<(&'a str, &'a str)>,
    pub body: &'a [u8],
}

/// Where a signature is valid: the credential scope's region and service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub region: String,
    pub service: String,
}

/// The result of signing: headers to add to the request (`x-amz-date`, `authorization`,
/// and `x-amz-content-sha256` when asked for) and the signature itself.
#[derive(Clone, Debug)]
pub struct Signed {
    pub headers: Vec<(String, String)>,
    pub signature: String,
}

/// Signs a request at `time`. With `content_sha256_header` the payload hash is also sent
/// (and signed) as `x-amz-content-sha256`.
pub fn sign(
    request: &Request<'_>,
    credentials: &Credentials,
    scope: &Scope,
    time: SystemTime,
    content_sha256_header: bool,
) -> Result<Signed, SigV4Error> {
    // aws-sigv4 panics on a URI without an authority; check here so bad input is an error.
    let uri: http::Uri =
        request.url.parse().map_err(|e| SigV4Error::Sign(format!("bad URL `{}`: {e}", request.url)))?;
    if uri.authority().is_none() {
        return Err(SigV4Error::Sign(format!("URL `{}` has no host", request.url)));
    }
    let identity: Identity =
        aws_credential_types::Credentials::new(&credentials.access_key, &credentials.secret_key, None, None, "corral")
            .into();
    let mut settings = SigningSettings::default();
    if content_sha256_header {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&scope.region)
        .name(&scope.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| SigV4Error::Sign(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        request.method,
        request.url,
        request.headers.iter().copied(),
        SignableBody::Bytes(request.body),
    )
    .map_err(|e| SigV4Error::Sign(e.to_string()))?;
    let (instructions, signature) =
        aws_sigv4::http_request::sign(signable, &params).map_err(|e| SigV4Error::Sign(e.to_string()))?.into_parts();
    let headers = instructions.headers().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Ok(Signed { headers, signature })
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
/// Signature=...` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub access_key: String,
    /// `YYYYMMDD` of the credential scope.
    pub date: String,
    pub scope: Scope,
    /// Lower-case header names, as listed.
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    pub fn parse(header: &str) -> Result<Authorization, SigV4Error> {
        let bad = |why: &str| SigV4Error::MalformedAuthorization(why.to_string());
        let rest = header.strip_prefix(ALGORITHM).ok_or_else(|| bad("it does not start with AWS4-HMAC-SHA256"))?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix("Credential=") {
                credential = Some(v);
            } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                signed_headers = Some(v);
            } else if let Some(v) = part.strip_prefix("Signature=") {
                signature = Some(v);
            }
        }
        let credential = credential.ok_or_else(|| bad("no Credential"))?;
        let fields: Vec<&str> = credential.split('/').collect();
        let [access_key, date, region, service, terminator] = fields.as_slice() else {
            return Err(bad("Credential is not KEY/DATE/REGION/SERVICE/aws4_request"));
        };
        if *terminator != "aws4_request" || access_key.is_empty() {
            return Err(bad("Credential is not KEY/DATE/REGION/SERVICE/aws4_request"));
        }
        let signed_headers: Vec<String> =
            signed_headers.ok_or_else(|| bad("no SignedHeaders"))?.split(';').map(str::to_ascii_lowercase).collect();
        let signature = signature.ok_or_else(|| bad("no Signature"))?;
        Ok(Authorization {
            access_key: access_key.to_string(),
            date: date.to_string(),
            scope: Scope { region: region.to_string(), service: service.to_string() },
            signed_headers,
            signature: signature.to_string(),
        })
    }
}

/// The time in an `X-Amz-Date` value (`20150830T123600Z`).
pub fn parse_amz_date(value: &str) -> Option<SystemTime> {
    let naive = chrono::NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%SZ").ok()?;
    Some(SystemTime::from(naive.and_utc()))
}

/// Checks a request's signature against `secret_key`. `request.headers` are the headers as
/// received (any case); `now` is the verifier's clock, checked against `X-Amz-Date` within
/// `max_skew`.
pub fn verify(
    request: &Request<'_>,
    authorization: &Authorization,
    secret_key: &str,
    now: SystemTime,
    max_skew: Duration,
) -> Result<(), SigV4Error> {
    let header = |name: &str| request.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v);
    let date_text = header("x-amz-date").ok_or(SigV4Error::MissingDate)?;
    let time = parse_amz_date(date_text).ok_or(SigV4Error::MissingDate)?;
    let skew = now.duration_since(time).or_else(|e| Ok::<_, SigV4Error>(e.duration()))?;
    if skew > max_skew {
        return Err(SigV4Error::Skewed(date_text.to_string()));
    }
    if !date_text.starts_with(&authorization.date) {
        return Err(SigV4Error::ScopeDate);
    }
    // Only what the client signed; x-amz-date is put back by the signer from `time`.
    let signed: Vec<(&str, &str)> = request
        .headers
        .iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k != "x-amz-date" && authorization.signed_headers.contains(&k)
        })
        .copied()
        .collect();
    let rebuilt = Request { method: request.method, url: request.url, headers: signed, body: request.body };
    let credentials = Credentials { access_key: authorization.access_key.clone(), secret_key: secret_key.to_string() };
    let expected = sign(&rebuilt, &credentials, &authorization.scope, time, false)?;
    if constant_time_eq(expected.signature.as_bytes(), authorization.signature.as_bytes()) {
        Ok(())
    } else {
        Err(SigV4Error::Mismatch)
    }
}

/// Compares without an early exit, so timing does not reveal how much of a guess matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests;
