//! Sandbox framework tests over real HTTP: signatures, accounts, quotas, idempotency by
//! `ClientToken`, injected faults, and lazy time with a scaled clock.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use corral_provider_sdk::emulator::{ApiError, MemoryTables, ObjectView, RequestContext, Service};
use corral_provider_sdk::http::{CallError, Client, ClientConfig, Credentials};
use serde_json::json;

use super::*;

const VPC_VERSION: &str = services::vpc::VERSION;

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn client(endpoint: &str, service: &str, access_key: &str, secret_key: &str) -> Client {
    let mut config = ClientConfig::new(
        endpoint,
        DEFAULT_REGION,
        service,
        Credentials { access_key: access_key.to_string(), secret_key: secret_key.to_string() },
    );
    config.max_retries = 10;
    config.retry_base_delay = Duration::from_millis(2);
    config.max_retry_delay = Duration::from_millis(20);
    Client::new(config).unwrap()
}

fn vpc_client(endpoint: &str) -> Client {
    client(endpoint, "vpc", DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
}

fn kinds(views: &[ObjectView], kind: &str) -> usize {
    views.iter().filter(|v| v.kind == kind).count()
}

#[tokio::test]
async fn bad_signature_and_unknown_key_are_403() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start_with(dir.path().to_path_buf(), loopback(), SandboxOptions::default()).await.unwrap();
    let body = json!({"CidrBlock": "10.0.0.0/16"});
    let err = client(&sandbox.endpoint(), "vpc", DEFAULT_ACCESS_KEY, "wrong")
        .call("CreateVpc", VPC_VERSION, &body)
        .await
        .unwrap_err();
    assert!(matches!(&err, CallError::Api { status: 403, code, .. } if code == "SignatureDoesNotMatch"), "{err}");
    let err =
        client(&sandbox.endpoint(), "vpc", "AKLTnobody", "x").call("CreateVpc", VPC_VERSION, &body).await.unwrap_err();
    assert!(matches!(&err, CallError::Api { status: 403, code, .. } if code == "InvalidAccessKeyId"), "{err}");
    // An unsigned request.
    let response = reqwest::Client::new()
        .post(format!("{}/?Action=DescribeVpcs&Version={VPC_VERSION}", sandbox.endpoint()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    // Nothing was made by the refused requests.
    assert_eq!(kinds(&inspect_with(dir.path(), &SandboxOptions::default()).unwrap(), "vpc"), 0);
    // The right keys work.
    let answer = vpc_client(&sandbox.endpoint()).call("CreateVpc", VPC_VERSION, &body).await.unwrap();
    assert!(answer["Vpc"]["VpcId"].as_str().unwrap().starts_with("vpc-"));
    assert!(answer["RequestId"].as_str().is_some());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn accounts_see_only_their_own_objects() {
    let dir = tempfile::tempdir().unwrap();
    add_account(dir.path(), "2000000002", "AKLTother", "other-secret").unwrap();
    let sandbox = start_with(dir.path().to_path_buf(), loopback(), SandboxOptions::default()).await.unwrap();
    vpc_client(&sandbox.endpoint()).call("CreateVpc", VPC_VERSION, &json!({"CidrBlock": "10.0.0.0/16"})).await.unwrap();
    let other = client(&sandbox.endpoint(), "vpc", "AKLTother", "other-secret");
    let set = other.call("DescribeVpcs", VPC_VERSION, &json!({})).await.unwrap();
    assert_eq!(set["VpcSet"], json!([]));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_repeated_client_token_returns_the_first_answer() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start_with(dir.path().to_path_buf(), loopback(), SandboxOptions::default()).await.unwrap();
    let c = vpc_client(&sandbox.endpoint());
    let body = json!({"CidrBlock": "10.0.0.0/16", "ClientToken": "tok-1"});
    let first = c.call("CreateVpc", VPC_VERSION, &body).await.unwrap();
    let second = c.call("CreateVpc", VPC_VERSION, &body).await.unwrap();
    assert_eq!(first["Vpc"], second["Vpc"]);
    // The same token with a different request is refused.
    let other = json!({"CidrBlock": "10.1.0.0/16", "ClientToken": "tok-1"});
    let err = c.call("CreateVpc", VPC_VERSION, &other).await.unwrap_err();
    assert_eq!(err.code(), Some("IdempotentParameterMismatch"));
    // A describe by token finds it.
    let found = c
        .call("DescribeVpcs", VPC_VERSION, &json!({"Filter": [{"Name": "client-token", "Value": ["tok-1"]}]}))
        .await
        .unwrap();
    assert_eq!(found["VpcSet"][0]["VpcId"], first["Vpc"]["VpcId"]);
    assert_eq!(kinds(&inspect_with(dir.path(), &SandboxOptions::default()).unwrap(), "vpc"), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn over_quota_is_the_services_error_naming_the_quota() {
    let dir = tempfile::tempdir().unwrap();
    set_quota(dir.path(), DEFAULT_ACCOUNT, "vpcs", 1).unwrap();
    assert_eq!(set_quota(dir.path(), "nobody", "vpcs", 1), Err(SandboxError::UnknownAccount("nobody".into())));
    let sandbox = start_with(dir.path().to_path_buf(), loopback(), SandboxOptions::default()).await.unwrap();
    let c = vpc_client(&sandbox.endpoint());
    c.call("CreateVpc", VPC_VERSION, &json!({"CidrBlock": "10.0.0.0/16"})).await.unwrap();
    let err = c.call("CreateVpc", VPC_VERSION, &json!({"CidrBlock": "10.1.0.0/16"})).await.unwrap_err();
    match err {
        CallError::Api { status, code, message, .. } => {
            assert_eq!((status, code.as_str()), (400, "QuotaExceeded.Vpc"));
            assert!(message.contains("`vpcs`") && message.contains("limit is 1"), "{message}");
        }
        other => panic!("{other}"),
    }
    sandbox.shutdown().await;
}

/// With 20% errors and 10% throttling, retried creates with client tokens make exactly one
/// object each.
#[tokio::test]
async fn faults_with_retries_make_exactly_one_object_per_create() {
    let dir = tempfile::tempdir().unwrap();
    let options = SandboxOptions {
        faults: Faults::parse("error_rate=0.2,throttle_rate=0.1,latency_ms=0..5").unwrap(),
        ..SandboxOptions::default()
    };
    let sandbox = start_with(dir.path().to_path_buf(), loopback(), options).await.unwrap();
    let c = vpc_client(&sandbox.endpoint());
    let mut tasks = Vec::new();
    for i in 0..50 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({"CidrBlock": format!("10.{i}.0.0/16"), "ClientToken": format!("token-{i}")});
            c.call("CreateVpc", VPC_VERSION, &body).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let views = inspect_with(dir.path(), &SandboxOptions::default()).unwrap();
    assert_eq!(kinds(&views, "vpc"), 50);
    sandbox.shutdown().await;
}

#[test]
fn faults_parse_and_reject_nonsense() {
    let f = Faults::parse("error_rate=0.2,throttle_rate=0.1,latency_ms=50..500").unwrap();
    assert_eq!((f.error_rate, f.throttle_rate, f.latency_ms), (0.2, 0.1, Some(50..=500)));
    assert_eq!(Faults::parse("latency_ms=7").unwrap().latency_ms, Some(7..=7));
    for bad in ["error_rate=2", "nonsense=1", "error_rate", "latency_ms=9..1", "error_rate=0.6,throttle_rate=0.6"] {
        assert!(Faults::parse(bad).is_err(), "{bad}");
    }
    assert!(options::parse_time_scale("600").is_ok());
    assert!(options::parse_time_scale("-1").is_err());
}

/// A service that records the sandbox time it was advanced to.
struct ClockService;

impl Service for ClockService {
    fn name(&self) -> &'static str {
        "clock"
    }
    fn advance(&self, ctx: &mut RequestContext<'_>) {
        let n = ctx.tables.get("advances", "n").and_then(|v| v.as_u64()).unwrap_or(0);
        ctx.tables.put("advances", "n", json!(n + 1));
        ctx.tables.put("advances", "last", json!(ctx.now.timestamp_millis()));
    }
    fn handle(
        &self,
        ctx: &mut RequestContext<'_>,
        _: &str,
        _: &str,
        _: &serde_json::Value,
    ) -> Result<serde_json::Value, ApiError> {
        Ok(
            json!({"Advanced": ctx.tables.get("advances", "last"), "Count": ctx.tables.get("advances", "n"), "Now": ctx.now.timestamp_millis()}),
        )
    }
    fn inspect(&self, _: &mut RequestContext<'_>) -> Vec<ObjectView> {
        Vec::new()
    }
}

#[tokio::test]
async fn services_are_advanced_lazily_to_the_scaled_clock_before_each_request() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::open(dir.path()).unwrap();
    let options = SandboxOptions { time_scale: 3600.0, ..SandboxOptions::default() };
    let sandbox = Arc::new(server::Sandbox {
        store,
        services: vec![Arc::new(ClockService)],
        options,
        replays: Default::default(),
    });
    let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, server::router(sandbox)).await.unwrap() });
    let c = client(&endpoint, "clock", DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY);
    let first = c.call("Tick", "1", &json!({})).await.unwrap();
    assert_eq!(first["Advanced"], first["Now"], "advanced to now before the action");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = c.call("Tick", "1", &json!({})).await.unwrap();
    let sandbox_elapsed = second["Now"].as_i64().unwrap() - first["Now"].as_i64().unwrap();
    // 0.3 real seconds at 3600x is at least 18 sandbox minutes.
    assert!(sandbox_elapsed >= 1_080_000, "{sandbox_elapsed} ms");
    assert_eq!(second["Count"], json!(2));
}

#[test]
fn the_clock_continues_across_runs_and_never_goes_back() {
    let mut tables = MemoryTables::default();
    let t0 = chrono::Utc::now();
    let secs = chrono::Duration::seconds;
    let a = store::advance_clock(&mut tables, t0, 600.0);
    assert_eq!(a.timestamp_millis(), t0.timestamp_millis());
    assert_eq!(a.timestamp_subsec_nanos() % 1_000_000, 0, "whole milliseconds, as stored");
    let b = store::advance_clock(&mut tables, t0 + secs(1), 600.0);
    assert_eq!((b - a).num_seconds(), 600);
    // Within a checkpoint interval nothing is written: a describe needs no commit.
    let before = tables.clone();
    let b2 = store::advance_clock(&mut tables, t0 + chrono::Duration::milliseconds(1500), 600.0);
    assert_eq!((b2 - b).num_seconds(), 300);
    assert_eq!(tables.tables, before.tables);
    // A later run at scale 1, an hour later: the hour runs at the new scale, and time never
    // falls behind what the old run showed.
    let c = store::advance_clock(&mut tables, t0 + secs(3601), 1.0);
    assert_eq!((c - b).num_seconds(), 3600);
    assert!(c >= b2);
    // Straight after a scale change, what the old scale showed is kept.
    let mut quick = MemoryTables::default();
    store::advance_clock(&mut quick, t0, 600.0);
    let shown = store::advance_clock(&mut quick, t0 + chrono::Duration::milliseconds(900), 600.0);
    let slower = store::advance_clock(&mut quick, t0 + chrono::Duration::milliseconds(950), 1.0);
    assert!(slower >= shown);
    // The real clock stepping back does not move sandbox time back.
    let d = store::advance_clock(&mut tables, t0, 600.0);
    assert!(d >= c);
}

#[tokio::test]
async fn reset_wipes_everything_but_keeps_the_default_account() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start_with(dir.path().to_path_buf(), loopback(), SandboxOptions::default()).await.unwrap();
    let c = vpc_client(&sandbox.endpoint());
    c.call("CreateVpc", VPC_VERSION, &json!({"CidrBlock": "10.0.0.0/16"})).await.unwrap();
    reset(dir.path()).unwrap();
    assert!(inspect_with(dir.path(), &SandboxOptions::default()).unwrap().is_empty());
    assert_eq!(c.call("DescribeVpcs", VPC_VERSION, &json!({})).await.unwrap()["VpcSet"], json!([]));
    let status = status(dir.path()).unwrap();
    assert_eq!(status.accounts.len(), 1);
    assert_eq!(status.accounts[0].access_key, DEFAULT_ACCESS_KEY);
    sandbox.shutdown().await;
}

#[test]
fn embedded_sandbox_is_started_once_per_directory() {
    let dir = tempfile::tempdir().unwrap();
    let a = start_embedded_with(dir.path(), SandboxOptions::default()).unwrap();
    let b = start_embedded_with(dir.path(), SandboxOptions::default()).unwrap();
    assert_eq!(a, b);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let answer = runtime.block_on(vpc_client(&a).call("DescribeVpcs", VPC_VERSION, &json!({}))).unwrap();
    assert_eq!(answer["VpcSet"], json!([]));
}

/// Signs a CreateVpc as the SDK would, once, for sending several times.
fn signed_create_vpc(endpoint: &str) -> (String, Vec<(String, String)>, Vec<u8>) {
    let url = format!("{endpoint}/?Action=CreateVpc&Version={VPC_VERSION}");
    let host = endpoint.trim_start_matches("http://").to_string();
    let body = serde_json::to_vec(&json!({"CidrBlock": "10.0.0.0/16"})).unwrap();
    let request = corral_provider_sdk::sigv4::Request {
        method: "POST",
        url: &url,
        headers: vec![("content-type", "application/json"), ("host", &host)],
        body: &body,
    };
    let credentials = Credentials { access_key: DEFAULT_ACCESS_KEY.into(), secret_key: DEFAULT_SECRET_KEY.into() };
    let scope = corral_provider_sdk::sigv4::Scope { region: DEFAULT_REGION.into(), service: "vpc".into() };
    let signed =
        corral_provider_sdk::sigv4::sign(&request, &credentials, &scope, std::time::SystemTime::now(), true).unwrap();
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    headers.extend(signed.headers);
    (url, headers, body)
}

async fn send(url: &str, headers: &[(String, String)], body: &[u8]) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new().post(url).body(body.to_vec());
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_request_replayed_byte_for_byte_is_refused_and_makes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start_with(dir.path().to_path_buf(), loopback(), SandboxOptions::default()).await.unwrap();
    let (url, headers, body) = signed_create_vpc(&sandbox.endpoint());
    let (status, first) = send(&url, &headers, &body).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = send(&url, &headers, &body).await;
    assert_eq!(status, 403, "{again}");
    assert_eq!(again["Error"]["Code"], "RequestReplayed", "{again}");
    assert!(again["Error"]["Message"].as_str().unwrap().contains("already used"), "{again}");
    assert_eq!(kinds(&inspect_with(dir.path(), &SandboxOptions::default()).unwrap(), "vpc"), 1);
    // The SDK's client signs each call afresh: identical calls in the same second both act.
    let client = vpc_client(&sandbox.endpoint());
    let describe = json!({});
    client.call("DescribeVpcs", VPC_VERSION, &describe).await.unwrap();
    client.call("DescribeVpcs", VPC_VERSION, &describe).await.unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_public_address_needs_keys_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let public = SocketAddr::from(([0, 0, 0, 0], 0));
    let err = start_with(dir.path().to_path_buf(), public, SandboxOptions::default()).await.err().unwrap();
    assert!(matches!(err, SandboxError::PublicWithWellKnownKeys { .. }), "{err}");
    assert!(err.to_string().contains("--insecure-public"), "{err}");

    // With keys of its own the default account answers to them, not to the well-known pair.
    let keys = ServerKeys { access_key: "AKLTmine".into(), secret_key: "s3cret-of-mine".into() };
    let options = SandboxOptions { keys: Some(keys), ..SandboxOptions::default() };
    let sandbox = start_with(dir.path().to_path_buf(), public, options).await.unwrap();
    let endpoint = format!("http://127.0.0.1:{}", sandbox.addr().port());
    let body = json!({"CidrBlock": "10.0.0.0/16"});
    let err = vpc_client(&endpoint).call("CreateVpc", VPC_VERSION, &body).await.unwrap_err();
    assert!(matches!(&err, CallError::Api { status: 403, code, .. } if code == "InvalidAccessKeyId"), "{err}");
    let answer =
        client(&endpoint, "vpc", "AKLTmine", "s3cret-of-mine").call("CreateVpc", VPC_VERSION, &body).await.unwrap();
    assert!(answer["Vpc"]["VpcId"].as_str().unwrap().starts_with("vpc-"));
    sandbox.shutdown().await;
}
