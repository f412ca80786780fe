//! Signing and verification against vectors of the published AWS SigV4 test suite
//! (`aws-signing-test-suite/v4`: credentials `AKIDEXAMPLE`, region `us-east-1`, service
//! `service`, time 2015-08-30T12:36:00Z), plus round trips and tampering.

use super::*;

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20150830T123600Z";

struct Vector {
    name: &'static str,
    method: &'static str,
    path_and_query: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    sign_body: bool,
    signed_headers: &'static str,
    signature: &'static str,
}

const VECTORS: &[Vector] = &[
    Vector {
        name: "get-vanilla",
        method: "GET",
        path_and_query: "/",
        headers: &[("Host", "example.amazonaws.com")],
        body: "",
        sign_body: false,
        signed_headers: "host;x-amz-date",
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-vanilla-query-order-key-case",
        method: "GET",
        path_and_query: "/?Param2=value2&Param1=value1",
        headers: &[("Host", "example.amazonaws.com")],
        body: "",
        sign_body: false,
        signed_headers: "host;x-amz-date",
        signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    },
    Vector {
        name: "post-vanilla",
        method: "POST",
        path_and_query: "/",
        headers: &[("Host", "example.amazonaws.com")],
        body: "",
        sign_body: false,
        signed_headers: "host;x-amz-date",
        signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    },
    Vector {
        name: "post-vanilla-query",
        method: "POST",
        path_and_query: "/?Param1=value1",
        headers: &[("Host", "example.amazonaws.com")],
        body: "",
        sign_body: false,
        signed_headers: "host;x-amz-date",
        signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
    },
    Vector {
        name: "post-header-key-sort",
        method: "POST",
        path_and_query: "/",
        headers: &[("Host", "example.amazonaws.com"), ("My-Header1", "value1")],
        body: "",
        sign_body: false,
        signed_headers: "host;my-header1;x-amz-date",
        signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
    },
    Vector {
        name: "post-x-www-form-urlencoded",
        method: "POST",
        path_and_query: "/",
        headers: &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Host", "example.amazonaws.com"),
            ("Content-Length", "13"),
        ],
        body: "Param1=value1",
        sign_body: true,
        signed_headers: "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
        signature: "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
    },
];

fn credentials() -> Credentials {
    Credentials { access_key: ACCESS_KEY.to_string(), secret_key: SECRET_KEY.to_string() }
}

fn scope() -> Scope {
    Scope { region: "us-east-1".to_string(), service: "service".to_string() }
}

fn vector_time() -> SystemTime {
    parse_amz_date(DATE).unwrap()
}

#[test]
fn signing_reproduces_the_published_signatures() {
    for v in VECTORS {
        let url = format!("https://example.amazonaws.com{}", v.path_and_query);
        let request = Request { method: v.method, url: &url, headers: v.headers.to_vec(), body: v.body.as_bytes() };
        let signed = sign(&request, &credentials(), &scope(), vector_time(), v.sign_body).unwrap();
        assert_eq!(signed.signature, v.signature, "vector {}", v.name);
        let authorization = signed.headers.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.clone()).unwrap();
        let expected = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={}, Signature={}",
            v.signed_headers, v.signature
        );
        assert_eq!(authorization, expected, "vector {}", v.name);
        assert!(signed.headers.iter().any(|(k, v)| k == "x-amz-date" && v == DATE), "vector {}", v.name);
    }
}

/// The signed request as the test suite writes it (`header-signed-request.txt`), verified.
#[test]
fn verification_accepts_the_published_signed_requests() {
    for v in VECTORS {
        let url = format!("https://example.amazonaws.com{}", v.path_and_query);
        let header = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={}, Signature={}",
            v.signed_headers, v.signature
        );
        let body_hash = "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e";
        let mut headers = v.headers.to_vec();
        headers.push(("X-Amz-Date", DATE));
        if v.sign_body {
            headers.push(("x-amz-content-sha256", body_hash));
        }
        headers.push(("Authorization", &header));
        // Headers the client did not sign (added by a proxy, say) must not matter.
        headers.push(("User-Agent", "something/1.0"));
        let request = Request { method: v.method, url: &url, headers, body: v.body.as_bytes() };
        let authorization = Authorization::parse(&header).unwrap();
        assert_eq!(authorization.access_key, ACCESS_KEY);
        assert_eq!(authorization.scope, scope());
        verify(&request, &authorization, SECRET_KEY, vector_time(), MAX_CLOCK_SKEW)
            .unwrap_or_else(|e| panic!("vector {}: {e}", v.name));
        assert_eq!(
            verify(&request, &authorization, "wrong-secret", vector_time(), MAX_CLOCK_SKEW),
            Err(SigV4Error::Mismatch),
            "vector {}",
            v.name
        );
    }
}

fn signed_json_request(body: &'static str) -> (Vec<(String, String)>, Authorization) {
    let url = "http://127.0.0.1:7070/?Action=CreateVpc&Version=2016-03-04";
    let request = Request {
        method: "POST",
        url,
        headers: vec![("content-type", "application/json"), ("host", "127.0.0.1:7070")],
        body: body.as_bytes(),
    };
    let vpc_scope = Scope { region: "cn-beijing-6".to_string(), service: "vpc".to_string() };
    let signed = sign(&request, &credentials(), &vpc_scope, SystemTime::now(), true).unwrap();
    let mut headers: Vec<(String, String)> =
        vec![("Content-Type".into(), "application/json".into()), ("Host".into(), "127.0.0.1:7070".into())];
    headers.extend(signed.headers.clone());
    let header = signed.headers.iter().find(|(k, _)| k == "authorization").unwrap().1.clone();
    (headers, Authorization::parse(&header).unwrap())
}

#[test]
fn tampering_with_the_body_or_query_breaks_the_signature() {
    let (headers, authorization) = signed_json_request(r#"{"CidrBlock":"10.0.0.0/16"}"#);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let url = "http://127.0.0.1:7070/?Action=CreateVpc&Version=2016-03-04";
    let ok = Request { method: "POST", url, headers: headers.clone(), body: br#"{"CidrBlock":"10.0.0.0/16"}"# };
    verify(&ok, &authorization, SECRET_KEY, SystemTime::now(), MAX_CLOCK_SKEW).unwrap();
    let body = Request { body: br#"{"CidrBlock":"10.9.0.0/16"}"#, ..ok.clone() };
    assert_eq!(verify(&body, &authorization, SECRET_KEY, SystemTime::now(), MAX_CLOCK_SKEW), Err(SigV4Error::Mismatch));
    let query = Request { url: "http://127.0.0.1:7070/?Action=DeleteVpc&Version=2016-03-04", ..ok.clone() };
    assert_eq!(
        verify(&query, &authorization, SECRET_KEY, SystemTime::now(), MAX_CLOCK_SKEW),
        Err(SigV4Error::Mismatch)
    );
    // An hour later the same request is refused as a replay.
    let later = SystemTime::now() + Duration::from_secs(3600);
    assert!(matches!(verify(&ok, &authorization, SECRET_KEY, later, MAX_CLOCK_SKEW), Err(SigV4Error::Skewed(_))));
}

#[test]
fn malformed_authorization_headers_are_errors() {
    for bad in [
        "",
        "Basic abc",
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/service, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/service/aws4_request, Signature=00",
    ] {
        assert!(matches!(Authorization::parse(bad), Err(SigV4Error::MalformedAuthorization(_))), "{bad:?}");
    }
}

#[test]
fn a_url_without_a_host_is_an_error_not_a_panic() {
    let request = Request { method: "GET", url: "/relative", headers: vec![], body: b"" };
    assert!(matches!(sign(&request, &credentials(), &scope(), vector_time(), false), Err(SigV4Error::Sign(_))));
}
