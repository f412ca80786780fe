use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use corral_core::value::Value;

use super::*;

fn settings(access_key_var: &'static str, secret_key_var: &'static str) -> KeySettings {
    KeySettings { provider: "demo", access_key_var, secret_key_var }
}

fn block(pairs: &[(&str, &str)]) -> Value {
    Value::object(pairs.iter().map(|(k, v)| (k.to_string(), Value::string(*v))))
}

/// Everything the diagnostics say, for assertions.
fn text(diagnostics: &Diagnostics) -> String {
    format!("{diagnostics:?}")
}

fn sandbox_keys() -> Credentials {
    Credentials { access_key: "AK-sandbox".into(), secret_key: "SK-sandbox".into() }
}

type Seen = Arc<Mutex<Option<PathBuf>>>;

/// An embedded "sandbox" that records the directory it was started in.
fn recording() -> (Embedded<impl FnOnce(PathBuf) -> Result<String, String> + Send + 'static>, Seen) {
    let seen = Arc::new(Mutex::new(None));
    let record = seen.clone();
    let start = move |dir: PathBuf| {
        *record.lock().unwrap() = Some(dir);
        Ok("http://127.0.0.1:9".to_string())
    };
    (Embedded { start, keys: sandbox_keys() }, seen)
}

#[tokio::test]
async fn no_endpoint_starts_the_embedded_sandbox_in_the_data_dir_with_its_keys() {
    let (embedded, seen) = recording();
    let c = connect(&block(&[]), Path::new("/data"), settings("CORRAL_SDK_T1_AK", "CORRAL_SDK_T1_SK"), embedded)
        .await
        .unwrap();
    assert_eq!(c.endpoint, "http://127.0.0.1:9");
    assert_eq!(c.credentials.access_key, "AK-sandbox");
    assert_eq!(seen.lock().unwrap().clone(), Some(PathBuf::from("/data/sandbox")));
}

#[tokio::test]
async fn keys_in_the_block_win_and_must_come_in_pairs() {
    let (embedded, _) = recording();
    let both = block(&[("access_key", "AK-mine"), ("secret_key", "SK-mine")]);
    let c = connect(&both, Path::new("/d"), settings("CORRAL_SDK_T2_AK", "CORRAL_SDK_T2_SK"), embedded).await.unwrap();
    assert_eq!((c.credentials.access_key.as_str(), c.credentials.secret_key.as_str()), ("AK-mine", "SK-mine"));

    let (embedded, seen) = recording();
    let one = block(&[("access_key", "AK-mine")]);
    let refused =
        connect(&one, Path::new("/d"), settings("CORRAL_SDK_T2_AK", "CORRAL_SDK_T2_SK"), embedded).await.unwrap_err();
    assert!(
        text(&refused).contains("set both `access_key` and `secret_key` of the `demo` provider"),
        "{}",
        text(&refused)
    );
    assert_eq!(*seen.lock().unwrap(), None, "nothing is started for a broken block");
}

#[tokio::test]
async fn an_endpoint_without_keys_reads_the_environment_or_says_what_to_set() {
    let (embedded, _) = recording();
    let remote = block(&[("endpoint", "https://kmr.example")]);
    let refused = connect(&remote, Path::new("/d"), settings("CORRAL_SDK_T3_AK", "CORRAL_SDK_T3_SK"), embedded)
        .await
        .unwrap_err();
    let said = text(&refused);
    assert!(said.contains("has no keys for https://kmr.example"), "{said}");
    assert!(said.contains("CORRAL_SDK_T3_AK and CORRAL_SDK_T3_SK"), "{said}");

    // Variables cargo sets for every test process stand in for the key pair (setting one
    // here would race with the other tests).
    let (embedded, seen) = recording();
    let c = connect(&remote, Path::new("/d"), settings("CARGO_PKG_NAME", "CARGO_PKG_VERSION"), embedded).await.unwrap();
    assert_eq!(c.endpoint, "https://kmr.example");
    assert_eq!(c.credentials.access_key, env!("CARGO_PKG_NAME"));
    assert_eq!(c.credentials.secret_key, env!("CARGO_PKG_VERSION"));
    assert_eq!(*seen.lock().unwrap(), None, "a configured endpoint never starts the sandbox");
}

#[tokio::test]
async fn a_sandbox_that_cannot_start_is_a_diagnostic() {
    let embedded = Embedded { start: |_: PathBuf| Err::<String, _>("port in use"), keys: sandbox_keys() };
    let refused = connect(&block(&[]), Path::new("/d"), settings("CORRAL_SDK_T5_AK", "CORRAL_SDK_T5_SK"), embedded)
        .await
        .unwrap_err();
    assert!(text(&refused).contains("cannot start the embedded sandbox: port in use"), "{}", text(&refused));
}

#[test]
fn the_configured_slot_refuses_use_before_configure() {
    let slot: Configured<u32> = Configured::new("demo");
    assert!(text(&slot.get().unwrap_err()).contains("the `demo` provider is used before it is configured"));
    slot.set(7);
    assert_eq!(*slot.get().unwrap(), 7);
}
