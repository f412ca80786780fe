//! Client tests against a tiny axum server that answers from a script and records what it
//! was sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};

use super::*;
use crate::sigv4::{Authorization, MAX_CLOCK_SKEW, verify};

const SECRET: &str = "test-secret";

#[derive(Default)]
struct Recorded {
    /// Statuses to answer with, in order; 200 once they run out.
    script: Vec<u16>,
    calls: u32,
    signatures_ok: Vec<bool>,
    bodies: Vec<String>,
}

async fn serve(script: Vec<u16>) -> (String, Arc<Mutex<Recorded>>) {
    let recorded = Arc::new(Mutex::new(Recorded { script, ..Recorded::default() }));
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::post(
                |State(rec): State<Arc<Mutex<Recorded>>>,
                 RawQuery(query): RawQuery,
                 headers: HeaderMap,
                 body: String| async move {
                    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                    let url = format!("http://{host}/?{}", query.unwrap_or_default());
                    let pairs: Vec<(String, String)> = headers
                        .iter()
                        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                        .collect();
                    let request = crate::sigv4::Request {
                        method: "POST",
                        url: &url,
                        headers: pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
                        body: body.as_bytes(),
                    };
                    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
                    let ok = Authorization::parse(auth)
                        .map(|a| verify(&request, &a, SECRET, std::time::SystemTime::now(), MAX_CLOCK_SKEW).is_ok())
                        .unwrap_or(false);
                    let mut rec = rec.lock().unwrap();
                    rec.signatures_ok.push(ok);
                    rec.bodies.push(body);
                    let status = rec.script.get(rec.calls as usize).copied().unwrap_or(200);
                    rec.calls += 1;
                    let body = if status == 200 {
                        serde_json::json!({"RequestId": "req-ok", "Vpc": {"VpcId": "vpc-1"}})
                    } else {
                        serde_json::json!({"RequestId": format!("req-{status}"),
                            "Error": {"Code": format!("Code{status}"), "Message": "scripted"}})
                    };
                    (StatusCode::from_u16(status).unwrap(), axum::Json(body))
                },
            ),
        )
        .with_state(recorded.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), recorded)
}

fn client(endpoint: &str, max_retries: u32) -> Client {
    let mut config = ClientConfig::new(
        endpoint,
        "cn-beijing-6",
        "vpc",
        Credentials { access_key: "AK".to_string(), secret_key: SECRET.to_string() },
    );
    config.max_retries = max_retries;
    config.retry_base_delay = Duration::from_millis(1);
    config.max_retry_delay = Duration::from_millis(5);
    Client::new(config).unwrap()
}

#[tokio::test]
async fn retries_throttling_and_server_errors_then_succeeds() {
    let (endpoint, rec) = serve(vec![429, 500, 503]).await;
    let body = serde_json::json!({"CidrBlock": "10.0.0.0/16", "ClientToken": "tok-1"});
    let answer = client(&endpoint, 5).call("CreateVpc", "2016-03-04", &body).await.unwrap();
    assert_eq!(answer["Vpc"]["VpcId"], "vpc-1");
    let rec = rec.lock().unwrap();
    assert_eq!(rec.calls, 4);
    // Every attempt is signed afresh and carries the same body (and so the same token).
    assert!(rec.signatures_ok.iter().all(|ok| *ok), "{:?}", rec.signatures_ok);
    assert!(rec.bodies.iter().all(|b| b == &rec.bodies[0]));
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (endpoint, rec) = serve(vec![400, 200]).await;
    let err = client(&endpoint, 5).call("CreateVpc", "2016-03-04", &serde_json::json!({})).await.unwrap_err();
    assert_eq!(
        err,
        CallError::Api {
            status: 400,
            code: "Code400".into(),
            message: "scripted".into(),
            request_id: "req-400".into()
        }
    );
    assert!(!err.is_retryable());
    assert_eq!(rec.lock().unwrap().calls, 1);
}

#[tokio::test]
async fn gives_up_after_max_retries_with_the_last_error() {
    let (endpoint, rec) = serve(vec![500, 500, 429, 200]).await;
    let err = client(&endpoint, 2).call("DescribeVpcs", "2016-03-04", &serde_json::json!({})).await.unwrap_err();
    assert_eq!(err.code(), Some("Code429"));
    assert_eq!(rec.lock().unwrap().calls, 3);
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    // A port nobody listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = client(&format!("http://127.0.0.1:{port}"), 2)
        .call("DescribeVpcs", "2016-03-04", &serde_json::json!({}))
        .await
        .unwrap_err();
    assert!(matches!(&err, CallError::Transport { .. }), "{err}");
    assert!(err.is_retryable());
}

#[test]
fn backoff_grows_and_is_capped() {
    let mut config =
        ClientConfig::new("http://x", "r", "s", Credentials { access_key: "a".into(), secret_key: "b".into() });
    config.retry_base_delay = Duration::from_millis(100);
    config.max_retry_delay = Duration::from_millis(1000);
    let c = Client::new(config).unwrap();
    for _ in 0..50 {
        let first = c.backoff(0);
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100), "{first:?}");
        let late = c.backoff(30);
        assert!(late >= Duration::from_millis(500) && late <= Duration::from_millis(1000), "{late:?}");
    }
}

#[test]
fn only_401_and_a_403_with_an_authentication_code_refuse_the_keys() {
    let api = |status: u16, code: &str| CallError::Api {
        status,
        code: code.to_string(),
        message: String::new(),
        request_id: String::new(),
    };
    assert!(api(401, "Anything").is_auth_refused());
    for code in ["SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidAccessKey", "AuthFailure"] {
        assert!(api(403, code).is_auth_refused(), "{code}");
    }
    // A permission the keys lack, or a replay, is not a refusal of the keys; nor a throttle.
    for (status, code) in [(403, "AccessDenied"), (403, "RequestReplayed"), (429, "Throttling"), (500, "InternalError")]
    {
        assert!(!api(status, code).is_auth_refused(), "{status} {code}");
    }
    let transport = CallError::Transport { endpoint: "http://x".into(), message: "refused".into() };
    assert!(!transport.is_auth_refused());
}

const KEYS: crate::connection::KeySettings = crate::connection::KeySettings {
    provider: "kmr",
    access_key_var: "KSYUN_ACCESS_KEY",
    secret_key_var: "KSYUN_SECRET_KEY",
};

#[tokio::test]
async fn the_key_check_fails_only_on_a_refusal_and_is_sent_once() {
    let (endpoint, rec) = serve(vec![401]).await;
    let diagnostics =
        crate::connection::check_keys(&client(&endpoint, 5), KEYS, "ListClusters", "2021-09-02").await.unwrap_err();
    let text = format!("{diagnostics:?}");
    assert!(
        text.contains(&format!("the `kmr` provider's keys are refused by {endpoint}: Code401: scripted")),
        "{text}"
    );
    assert!(text.contains("KSYUN_SECRET_KEY"), "{text}");
    assert_eq!(rec.lock().unwrap().calls, 1);

    // Throttled, failing or denying one action: configure passes, without retrying.
    for status in [429, 500, 403] {
        let (endpoint, rec) = serve(vec![status, status]).await;
        let check = crate::connection::check_keys(&client(&endpoint, 5), KEYS, "ListClusters", "2021-09-02").await;
        assert!(check.is_ok(), "{status}: {check:?}");
        assert_eq!(rec.lock().unwrap().calls, 1, "{status}");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let unreachable = client(&format!("http://127.0.0.1:{port}"), 5);
    assert!(crate::connection::check_keys(&unreachable, KEYS, "ListClusters", "2021-09-02").await.is_ok());
}

#[tokio::test]
async fn connect_client_makes_the_block_s_client_and_checks_its_keys_once() {
    use crate::connection::{Embedded, ServiceSettings, connect_client};
    let service = ServiceSettings {
        service: "kylin",
        version: "2021-09-02",
        key_check: "ListClusters",
        default_region: "cn-beijing-6",
    };
    let no_sandbox = || Embedded {
        start: |_: std::path::PathBuf| Err::<String, _>("a block with an endpoint never starts it"),
        keys: Credentials { access_key: "AK-sandbox".into(), secret_key: SECRET.into() },
    };
    let block = |endpoint: &str, extra: &[(&str, corral_core::value::Value)]| {
        let mut pairs = vec![
            ("endpoint".to_string(), corral_core::value::Value::string(endpoint)),
            ("access_key".to_string(), corral_core::value::Value::string("AK")),
            ("secret_key".to_string(), corral_core::value::Value::string(SECRET)),
        ];
        pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        corral_core::value::Value::object(pairs)
    };
    let path = std::path::Path::new("/d");

    let (endpoint, rec) = serve(vec![]).await;
    let settings = [("max_retries", corral_core::value::Value::int(2))];
    let client = connect_client(&block(&endpoint, &settings), path, KEYS, no_sandbox(), service).await.unwrap();
    let config = &client.config;
    assert_eq!((config.region.as_str(), config.service.as_str(), config.max_retries), ("cn-beijing-6", "kylin", 2));
    let (calls, signed) = {
        let seen = rec.lock().unwrap();
        (seen.calls, seen.signatures_ok.clone())
    };
    assert_eq!((calls, signed), (1, vec![true]), "one signed key check");

    let (endpoint, rec) = serve(vec![401]).await;
    let refused = connect_client(&block(&endpoint, &[]), path, KEYS, no_sandbox(), service).await.unwrap_err();
    assert!(format!("{refused:?}").contains("the `kmr` provider's keys are refused"), "{refused:?}");
    assert_eq!(rec.lock().unwrap().calls, 1);
}
