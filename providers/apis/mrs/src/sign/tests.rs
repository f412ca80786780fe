//! The two official vectors of research.md §1.6, and verification.

use super::*;

/// Official guide (devg-apisign api-sign-algorithm-002…005).
fn guide_request() -> Request<'static> {
    Request {
        method: "GET",
        path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
        query: "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
        headers: vec![
            ("Content-Type", "application/json"),
            ("Host", "service.region.example.com"),
            ("X-Sdk-Date", "20191115T033655Z"),
        ],
        body: b"",
    }
}

#[test]
fn official_guide_vector() {
    let request = guide_request();
    let signed = ["content-type", "host", "x-sdk-date"];
    let canonical = canonical_request(&request, &signed.map(String::from)).unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(canonical.as_bytes())),
        "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
    );
    let auth = sign(&request, &signed, "QTWAOYTTINDUT2QVKYUC", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc").unwrap();
    assert_eq!(auth.signature, "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
    assert_eq!(
        auth.header_value(),
        "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, \
         Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
    );
}

/// huaweicloud-sdk-go-v3 `core/auth/signer/signer_test.go`.
#[test]
fn go_sdk_v3_vectors() {
    let get = Request {
        method: "GET",
        path: "/path",
        query: "limit=1",
        headers: vec![("X-Sdk-Date", "20060102T150405Z")],
        body: b"",
    };
    let auth = sign(&get, &["x-sdk-date"], "AccessKey", "SecretKey").unwrap();
    assert_eq!(auth.signature, "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624");
    let post = Request {
        method: "POST",
        path: "/path",
        query: "key=value",
        headers: vec![("X-Sdk-Date", "20060102T150405Z")],
        body: b"{\"Name\":\"test\",\"Id\":1}\n",
    };
    let auth = sign(&post, &["x-sdk-date"], "AccessKey", "SecretKey").unwrap();
    assert_eq!(auth.signature, "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59");
}

#[test]
fn verification_accepts_the_right_secret_and_explains_a_wrong_one() {
    let request = guide_request();
    let auth = sign(&request, &["content-type", "host", "x-sdk-date"], "AK", "right-secret").unwrap();
    let parsed = Authorization::parse(&auth.header_value()).unwrap();
    assert_eq!(parsed, auth);
    assert_eq!(verify(&request, &parsed, "right-secret"), Ok(()));
    let error = verify(&request, &parsed, "wrong-secret").unwrap_err().to_string();
    assert!(error.contains("signed with another secret key than the one of access key `AK`"), "{error}");
    let mut changed = guide_request();
    changed.query = "limit=3&marker=13551d6b-755d-4757-b956-536f674975c0";
    assert!(matches!(verify(&changed, &parsed, "right-secret"), Err(SignError::Mismatch { .. })));
}

#[test]
fn the_date_must_be_signed_and_present() {
    let request = guide_request();
    assert_eq!(sign(&request, &["host"], "AK", "SK"), Err(SignError::DateNotSigned));
    let mut undated = guide_request();
    undated.headers.retain(|(k, _)| *k != "X-Sdk-Date");
    assert!(matches!(sign(&undated, &["x-sdk-date"], "AK", "SK"), Err(SignError::MissingSignedHeader(_))));
    assert!(Authorization::parse("AWS4-HMAC-SHA256 Credential=x").is_err());
    assert!(Authorization::parse("SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date").is_err());
}

#[test]
fn queries_are_encoded_once_whatever_the_client_sent() {
    assert_eq!(canonical_query("b=2&a=x%20y&a=1"), "a=1&a=x%20y&b=2");
    assert_eq!(canonical_query("tags=k1*v1,k2"), "tags=k1%2Av1%2Ck2");
    assert_eq!(canonical_query("tags=k1%2Av1%2Ck2"), "tags=k1%2Av1%2Ck2");
    assert_eq!(canonical_uri("/v1.1/p/cluster_infos"), "/v1.1/p/cluster_infos/");
}

#[test]
fn sdk_dates_are_utc_basic_format() {
    assert_eq!(sdk_date(0), "19700101T000000Z");
    assert_eq!(sdk_date(1_573_788_615), "20191115T033015Z");
    assert_eq!(sdk_date(1_136_214_245), "20060102T150405Z");
}
