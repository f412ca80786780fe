//! Huawei Cloud's APIG request signature, `SDK-HMAC-SHA256` (research.md §1.6):
//!
//! ```text
//! CanonicalRequest = METHOD \n CanonicalURI (ends with '/') \n CanonicalQuery (sorted, RFC 3986)
//!                    \n CanonicalHeaders ("k:v\n", lower-case, sorted) \n SignedHeaders \n hex(sha256(body))
//! StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(sha256(CanonicalRequest))
//! Signature        = hex(HMAC-SHA256(SK, StringToSign))        (no key derivation)
//! Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b>, Signature=<hex>
//! ```
//!
//! `X-Sdk-Date` must be signed; `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` skips hashing the
//! body. The same code signs (provider) and verifies (sandbox).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
pub const DATE_HEADER: &str = "x-sdk-date";
pub const CONTENT_SHA256_HEADER: &str = "x-sdk-content-sha256";
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Selects the project for AK/SK requests.
pub const PROJECT_HEADER: &str = "x-project-id";

/// A request as signed: the path and the raw query string apart, headers as sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The path, e.g. `/v1.1/0a1b/cluster_infos/c-1` (not yet percent-encoded).
    pub path: &'a str,
    /// The query string without `?` (`limit=2&marker=x`), percent-encoded or not.
    pub query: &'a str,
    pub headers: Vec<(&'a str, &'a str)>,
    pub body: &'a [u8],
}

/// A parsed `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub access_key: String,
    /// Lower-case header names, in the order given.
    pub signed_headers: Vec<String>,
    pub signature: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("the request has no Authorization header")]
    Missing,
    #[error("the Authorization header is not `{ALGORITHM} Access=..., SignedHeaders=..., Signature=...`: {0}")]
    Malformed(String),
    #[error("the signed headers must include `X-Sdk-Date`")]
    DateNotSigned,
    #[error("the signed header `{0}` is not in the request")]
    MissingSignedHeader(String),
    #[error(
        "the signature does not match: the request was signed with another secret key than the one of access \
         key `{access_key}`, or changed after signing (we signed the string `{string_to_sign}`)"
    )]
    Mismatch { access_key: String, string_to_sign: String },
}

impl Authorization {
    pub fn parse(header: &str) -> Result<Authorization, SignError> {
        let rest = header
            .strip_prefix(ALGORITHM)
            .ok_or_else(|| SignError::Malformed(format!("it does not start with `{ALGORITHM}`")))?;
        let (mut access, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (name, value) = part
                .trim()
                .split_once('=')
                .ok_or_else(|| SignError::Malformed(format!("`{}` is not name=value", part.trim())))?;
            match name {
                "Access" => access = Some(value.to_string()),
                "SignedHeaders" => signed = Some(value.split(';').map(str::to_ascii_lowercase).collect()),
                "Signature" => signature = Some(value.to_string()),
                other => return Err(SignError::Malformed(format!("unknown field `{other}`"))),
            }
        }
        let missing = |name: &str| SignError::Malformed(format!("`{name}` is missing"));
        Ok(Authorization {
            access_key: access.ok_or_else(|| missing("Access"))?,
            signed_headers: signed.ok_or_else(|| missing("SignedHeaders"))?,
            signature: signature.ok_or_else(|| missing("Signature"))?,
        })
    }

    pub fn header_value(&self) -> String {
        format!(
            "{ALGORITHM} Access={}, SignedHeaders={}, Signature={}",
            self.access_key,
            self.signed_headers.join(";"),
            self.signature
        )
    }
}

/// RFC 3986 percent-encoding: everything but `A-Z a-z 0-9 - _ . ~` (and `/` when asked).
fn escape(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Undoes percent-encoding (and `+` as space, as form encoding writes it) so that a query is
/// encoded once, the canonical way, whatever the client sent.
fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The path, each segment encoded, with the trailing `/` the algorithm wants.
pub fn canonical_uri(path: &str) -> String {
    let encoded = escape(&unescape(path), true);
    if encoded.ends_with('/') { encoded } else { format!("{encoded}/") }
}

/// `k=v` pairs sorted by key then value, each encoded.
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (escape(&unescape(k), false), escape(&unescape(v), false))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

fn header<'a>(request: &'a Request<'_>, name: &str) -> Option<&'a str> {
    request.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

/// The canonical request over the `signed` headers (lower-case names).
pub fn canonical_request(request: &Request<'_>, signed: &[String]) -> Result<String, SignError> {
    let mut names: Vec<String> = signed.iter().map(|s| s.to_ascii_lowercase()).collect();
    names.sort();
    let mut headers = String::new();
    for name in &names {
        let value = header(request, name).ok_or_else(|| SignError::MissingSignedHeader(name.clone()))?;
        headers.push_str(&format!("{name}:{}\n", value.trim()));
    }
    let body_hash = match header(request, CONTENT_SHA256_HEADER) {
        Some(UNSIGNED_PAYLOAD) => UNSIGNED_PAYLOAD.to_string(),
        _ => hex::encode(Sha256::digest(request.body)),
    };
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method.to_ascii_uppercase(),
        canonical_uri(request.path),
        canonical_query(request.query),
        headers,
        names.join(";"),
        body_hash
    ))
}

pub fn string_to_sign(canonical_request: &str, date: &str) -> String {
    format!("{ALGORITHM}\n{date}\n{}", hex::encode(Sha256::digest(canonical_request.as_bytes())))
}

fn hmac_hex(secret: &str, text: &str) -> String {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(text.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Signs `request` over the `signed` headers (which must include `x-sdk-date`, present in
/// the request).
pub fn sign(
    request: &Request<'_>,
    signed: &[&str],
    access_key: &str,
    secret_key: &str,
) -> Result<Authorization, SignError> {
    let mut names: Vec<String> = signed.iter().map(|s| s.to_ascii_lowercase()).collect();
    names.sort();
    if !names.iter().any(|n| n == DATE_HEADER) {
        return Err(SignError::DateNotSigned);
    }
    let date = header(request, DATE_HEADER).ok_or_else(|| SignError::MissingSignedHeader(DATE_HEADER.into()))?;
    let canonical = canonical_request(request, &names)?;
    let signature = hmac_hex(secret_key, &string_to_sign(&canonical, date));
    Ok(Authorization { access_key: access_key.to_string(), signed_headers: names, signature })
}

/// Checks `authorization` against the request and the access key's secret.
pub fn verify(request: &Request<'_>, authorization: &Authorization, secret_key: &str) -> Result<(), SignError> {
    if !authorization.signed_headers.iter().any(|n| n == DATE_HEADER) {
        return Err(SignError::DateNotSigned);
    }
    let date = header(request, DATE_HEADER).ok_or_else(|| SignError::MissingSignedHeader(DATE_HEADER.into()))?;
    let canonical = canonical_request(request, &authorization.signed_headers)?;
    let to_sign = string_to_sign(&canonical, date);
    let expected = hmac_hex(secret_key, &to_sign);
    // Compared in constant time: the verifier should not tell a forger how close it came.
    let same = expected.len() == authorization.signature.len()
        && expected.bytes().zip(authorization.signature.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same {
        Ok(())
    } else {
        Err(SignError::Mismatch {
            access_key: authorization.access_key.clone(),
            string_to_sign: to_sign.replace('\n', "\\n"),
        })
    }
}

/// `X-Sdk-Date` for a time given as seconds since the epoch (`YYYYMMDDTHHMMSSZ`).
pub fn sdk_date(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(86_400);
    let secs = epoch_seconds.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests;
