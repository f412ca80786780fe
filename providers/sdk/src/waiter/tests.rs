//! Waiter tests with a scripted sequence of states.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;

fn script(states: &[Option<&str>]) -> impl FnMut() -> std::future::Ready<Result<Option<String>, std::io::Error>> {
    let states: Arc<Mutex<Vec<Option<String>>>> =
        Arc::new(Mutex::new(states.iter().rev().map(|s| s.map(str::to_string)).collect()));
    move || {
        let mut states = states.lock().unwrap();
        let next = if states.len() > 1 { states.pop().unwrap() } else { states[0].clone() };
        std::future::ready(Ok(next))
    }
}

fn waiter() -> Waiter {
    Waiter::new("cluster c-1 to be running", &["creating"], &["running"], Duration::from_secs(5))
        .failure(&["failed"])
        .intervals(Duration::from_millis(1), Duration::from_millis(4))
}

#[tokio::test]
async fn waits_through_pending_to_target() {
    let got = waiter().wait(script(&[Some("creating"), Some("creating"), Some("running")])).await.unwrap();
    assert_eq!(got.as_deref(), Some("running"));
}

#[tokio::test]
async fn failure_state_is_an_error_naming_it() {
    let err = waiter().wait(script(&[Some("creating"), Some("failed")])).await.unwrap_err();
    assert_eq!(err.to_string(), "cluster c-1 to be running failed: it reached state `failed`");
}

#[tokio::test]
async fn unexpected_state_is_an_error() {
    let err = waiter().wait(script(&[Some("deleting")])).await.unwrap_err();
    assert!(matches!(&err, WaitError::Unexpected { state, .. } if state == "deleting"), "{err}");
}

#[tokio::test]
async fn timeout_names_the_last_state() {
    let mut w = waiter();
    w.timeout = Duration::from_millis(30);
    let err = w.wait(script(&[Some("creating")])).await.unwrap_err();
    assert!(matches!(&err, WaitError::Timeout { last_state: Some(s), .. } if s == "creating"), "{err}");
    assert!(err.to_string().contains("last state: creating"), "{err}");
}

#[tokio::test]
async fn gone_is_target_only_when_asked() {
    let deleting = Waiter::new("vpc v-1 to be deleted", &["deleting"], &[], Duration::from_secs(5))
        .intervals(Duration::from_millis(1), Duration::from_millis(2));
    let err = deleting.clone().wait(script(&[Some("deleting"), None])).await.unwrap_err();
    assert!(matches!(&err, WaitError::Gone { last_state: Some(s), .. } if s == "deleting"), "{err}");
    let got = deleting.gone_is_target().wait(script(&[Some("deleting"), None])).await.unwrap();
    assert_eq!(got, None);
}

#[tokio::test]
async fn poll_errors_stop_the_wait() {
    let err = waiter()
        .wait(|| std::future::ready(Err::<Option<String>, _>(std::io::Error::other("boom"))))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "cluster c-1 to be running: polling failed: boom");
}

#[tokio::test]
async fn each_pending_state_is_reported_through_progress() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let progress = Progress::new(move |status| sink.lock().unwrap().push(status.to_string()));
    let got =
        waiter().progress(progress).wait(script(&[Some("creating"), Some("creating"), Some("running")])).await.unwrap();
    assert_eq!(got.as_deref(), Some("running"));
    // The target state is not waiting any more: only the pending ones are reported.
    assert_eq!(*seen.lock().unwrap(), ["creating", "creating"]);
}

#[tokio::test]
async fn backoff_doubles_its_interval_and_gives_up_at_the_deadline() {
    let ms = Duration::from_millis;
    // Each sleep lasts at least its interval (give or take tokio's millisecond tick).
    let mut backoff = Backoff::start(Duration::from_secs(3600), ms(5), ms(20));
    for interval in [ms(5), ms(10), ms(20), ms(20)] {
        let before = std::time::Instant::now();
        backoff.next().await.unwrap();
        assert!(before.elapsed() + ms(1) >= interval, "{:?} < {interval:?}", before.elapsed());
    }
    assert!(!backoff.expired());

    // The last sleep ends at the deadline, not a whole (here ten-minute) interval later.
    let long = Duration::from_secs(600);
    let mut backoff = Backoff::start(ms(50), long, long);
    let started = std::time::Instant::now();
    while backoff.next().await.is_ok() {}
    assert!(started.elapsed() < long / 2, "the sleep ran past the deadline: {:?}", started.elapsed());
    assert!(backoff.expired() && backoff.waited() >= ms(50));
}

#[tokio::test]
async fn a_backoff_too_long_to_reach_never_expires() {
    let mut backoff = Backoff::start(Duration::MAX, Duration::from_millis(1), Duration::from_millis(2));
    assert!(!backoff.expired());
    assert_eq!(backoff.next().await, Ok(()));
}
