//! The host against a real plugin process: this test binary re-executes itself as a plugin
//! serving the built-in `testing` provider (see [`serve_as_plugin_when_asked`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use corral_core::provider::{self as p, ProviderFactory};
use corral_core::value::{Type, Value};

use super::*;

const SERVE: &str = "CORRAL_PROTOCOL_TEST_SERVE";
const LIMIT: &str = "CORRAL_PROTOCOL_TEST_LIMIT";

/// Not a test of its own: the entry point of the plugin process the other tests launch
/// (`<this binary> --exact host::tests::serve_as_plugin_when_asked` with `SERVE` set).
/// Without `SERVE` it returns at once.
#[test]
fn serve_as_plugin_when_asked() {
    if std::env::var_os(SERVE).is_none() {
        return;
    }
    let limit = std::env::var(LIMIT).ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let code = crate::plugin_main(
        Arc::new(corral_providers_builtin::TestingFactory::new()),
        crate::ServeOptions { max_concurrency: limit },
    );
    std::process::exit(if code == std::process::ExitCode::SUCCESS { 0 } else { 1 });
}

fn plugin(limit: u32) -> PluginFactory {
    let exe = std::env::current_exe().expect("test executable");
    let command = PluginCommand::new(exe)
        .arg("--exact")
        .arg("host::tests::serve_as_plugin_when_asked")
        .arg("--test-threads=1")
        .env(SERVE, "1")
        .env(LIMIT, limit.to_string());
    PluginFactory::new("testing", command, LaunchOptions::default())
}

fn thing(name: &str, delay_ms: i64) -> Value {
    Value::Object(BTreeMap::from([
        ("name".to_string(), Value::string(name)),
        ("payload".to_string(), Value::string(format!("p-{name}"))),
        ("delay_ms".to_string(), Value::int(delay_ms)),
        ("wait_ms".to_string(), Value::Null(Type::Number)),
        ("fail".to_string(), Value::Null(Type::Bool)),
        ("tags".to_string(), Value::Null(Type::map(Type::String))),
        ("secret".to_string(), Value::Null(Type::String)),
        ("id".to_string(), Value::Null(Type::String)),
    ]))
}

async fn configured(factory: &PluginFactory, dir: &std::path::Path) -> Arc<dyn Provider> {
    let provider = factory.instantiate();
    let config = Value::Object(BTreeMap::from([
        ("dir".to_string(), Value::Null(Type::String)),
        ("fsync".to_string(), Value::Bool(false)),
    ]));
    let response = provider.configure(p::ConfigureRequest { config, data_dir: dir.to_path_buf() }).await;
    assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
    provider
}

async fn create(provider: &Arc<dyn Provider>, name: &str, delay_ms: i64, token: &str) -> p::ApplyResponse {
    plan_and_apply(provider, thing(name, delay_ms), token, p::Progress::default()).await
}

/// Plans the creation of `config` and applies it, reporting waits to `progress`.
async fn plan_and_apply(
    provider: &Arc<dyn Provider>,
    config: Value,
    token: &str,
    progress: p::Progress,
) -> p::ApplyResponse {
    let plan = provider
        .plan(p::PlanRequest {
            type_name: "testing_thing".into(),
            prior_state: None,
            proposed_new_state: config.clone(),
            config: config.clone(),
            prior_private: None,
        })
        .await;
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let planned = plan.planned_state.expect("planned state");
    assert_eq!(planned.get_attr("id"), Some(&Value::Unknown(Type::String)));
    provider
        .apply(p::ApplyRequest {
            type_name: "testing_thing".into(),
            prior_state: None,
            planned_state: Some(planned),
            config,
            planned_private: None,
            idempotency_token: token.into(),
            progress,
        })
        .await
}

/// Starts creating a thing that waits `wait_ms` after it is made; the receiver gets each
/// status it reports, so a test knows when the apply is in flight without sleeping.
fn spawn_waiting(
    provider: &Arc<dyn Provider>,
    name: &str,
    wait_ms: i64,
) -> (tokio::task::JoinHandle<p::ApplyResponse>, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let mut config = thing(name, 0);
    if let Value::Object(attrs) = &mut config {
        attrs.insert("wait_ms".to_string(), Value::int(wait_ms));
    }
    let (sender, statuses) = tokio::sync::mpsc::unbounded_channel();
    let progress = p::Progress::new(move |status| {
        let _ = sender.send(status.to_string());
    });
    let provider = provider.clone();
    let token = format!("token-{name}");
    (tokio::spawn(async move { plan_and_apply(&provider, config, &token, progress).await }), statuses)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_reports_travel_from_the_plugin_to_the_request_progress() {
    let dir = tempfile::tempdir().expect("temp dir");
    let provider = configured(&plugin(0), dir.path()).await;
    let (applied, mut statuses) = spawn_waiting(&provider, "w", 50);
    let applied = applied.await.expect("task");
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    assert!(applied.new_state.is_some());
    assert_eq!(statuses.recv().await.as_deref(), Some("provisioning"));
    assert_eq!(statuses.recv().await, None);
}

/// A provider that declares one operation at a time still takes a quick change while a slow
/// one only waits: the waiting apply gave its permit back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_that_waits_gives_back_its_permit_of_the_provider_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let provider = configured(&plugin(1), dir.path()).await;
    let (slow, mut statuses) = spawn_waiting(&provider, "slow", 600_000);
    assert_eq!(statuses.recv().await.as_deref(), Some("provisioning"));
    // Ten minutes of waiting: the quick create finishes long before, or it is queued behind.
    let quick = tokio::time::timeout(Duration::from_secs(120), create(&provider, "quick", 0, "token-quick")).await;
    slow.abort();
    let quick = quick.expect("the quick create was queued behind a waiting one");
    assert!(quick.diagnostics.is_empty(), "{:?}", quick.diagnostics);
    assert!(quick.new_state.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_process_plans_applies_reads_and_finds_created_objects() {
    let dir = tempfile::tempdir().expect("temp dir");
    let factory = plugin(0);
    let schema = factory.schema();
    assert!(schema.resources.contains_key("testing_thing"));
    assert_eq!(*schema, *corral_providers_builtin::TestingFactory::new().schema());
    let provider = configured(&factory, dir.path()).await;

    let created = create(&provider, "a", 0, "token-a").await;
    assert!(created.diagnostics.is_empty(), "{:?}", created.diagnostics);
    let state = created.new_state.expect("new state");
    let id = state.get_attr("id").and_then(Value::as_str).expect("id").to_string();
    assert!(dir.path().join("testing").read_dir().expect("object dir").count() >= 1);

    let read = provider
        .read(p::ReadRequest { type_name: "testing_thing".into(), current_state: state.clone(), private: None })
        .await;
    assert_eq!(read.new_state.as_ref(), Some(&state));

    let found = provider
        .find_created(p::FindCreatedRequest {
            type_name: "testing_thing".into(),
            idempotency_token: "token-a".into(),
            planned_state: None,
        })
        .await;
    assert_eq!(found.state.and_then(|s| s.get_attr("id").cloned()), Some(Value::string(id)));

    // Provider diagnostics come back as diagnostics.
    let bad = provider
        .plan(p::PlanRequest {
            type_name: "testing_nothing".into(),
            prior_state: None,
            proposed_new_state: thing("b", 0),
            config: thing("b", 0),
            prior_private: None,
        })
        .await;
    assert!(bad.diagnostics.has_errors());
    assert!(bad.planned_state.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorize_crosses_the_protocol_and_a_provider_that_cannot_tell_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let factory = plugin(0);
    let provider = configured(&factory, dir.path()).await;
    let check = p::ActionCheck {
        instance: "testing_thing.a".into(),
        type_name: "testing_thing".into(),
        action: "testing:thing:create".into(),
    };
    let response = provider.authorize(p::AuthorizeRequest { checks: vec![check] }).await;
    // The testing provider keeps the trait's default: the engine skips it.
    assert!(!response.supported);
    assert!(response.denials.is_empty() && response.diagnostics.is_empty(), "{response:?}");
}

#[test]
fn a_function_call_crosses_the_protocol_unconfigured_and_from_outside_any_runtime() {
    // The evaluator calls functions synchronously, on an instance nobody configured. The
    // testing provider declares none, so the trait's default answer comes back as an error.
    let factory = plugin(0);
    let provider = factory.instantiate();
    let response =
        provider.call_function(p::CallFunctionRequest { name: "nope".into(), arguments: vec![Value::int(1)] });
    let error = response.result.expect_err("no such function");
    assert_eq!(error.message, "this provider has no function named \"nope\"");
    assert_eq!(error.argument, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_plans_and_reads_are_answered_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let factory = plugin(0);
    let provider = configured(&factory, dir.path()).await;
    let plans = futures::future::join_all((0..300).map(|i| {
        let provider = provider.clone();
        async move {
            let name = format!("n{i}");
            let response = provider
                .plan(p::PlanRequest {
                    type_name: "testing_thing".into(),
                    prior_state: None,
                    proposed_new_state: thing(&name, 0),
                    config: thing(&name, 0),
                    prior_private: None,
                })
                .await;
            (name, response)
        }
    }))
    .await;
    for (name, response) in plans {
        let planned = response.planned_state.expect("planned");
        assert_eq!(planned.get_attr("name").and_then(Value::as_str), Some(name.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_plans_and_reads_are_answered_in_order_across_several_rpcs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let factory = plugin(0);
    let provider = configured(&factory, dir.path()).await;
    // More than two batches' worth, and not a multiple of the batch size.
    let names: Vec<String> = (0..150).map(|i| format!("b{i}")).collect();
    let requests = names
        .iter()
        .map(|name| p::PlanRequest {
            type_name: "testing_thing".into(),
            prior_state: None,
            proposed_new_state: thing(name, 0),
            config: thing(name, 0),
            prior_private: None,
        })
        .collect();
    let plans = provider.plan_batch(requests).await;
    assert_eq!(plans.len(), names.len());
    for (name, response) in names.iter().zip(&plans) {
        assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
        let planned = response.planned_state.as_ref().expect("planned");
        assert_eq!(planned.get_attr("name").and_then(Value::as_str), Some(name.as_str()));
    }
    let mut states = Vec::new();
    for name in names.iter().take(70) {
        let created = create(&provider, name, 0, &format!("t-{name}")).await;
        states.push(created.new_state.expect("created"));
    }
    // One object was deleted behind Corral's back: its read says so, the others are as sent.
    let gone = states[3].get_attr("id").and_then(Value::as_str).expect("id").to_string();
    let deleted = provider
        .apply(p::ApplyRequest {
            type_name: "testing_thing".into(),
            prior_state: Some(states[3].clone()),
            planned_state: None,
            config: Value::Null(Type::Dynamic),
            planned_private: None,
            idempotency_token: String::new(),
            progress: p::Progress::default(),
        })
        .await;
    assert!(deleted.diagnostics.is_empty(), "{:?}", deleted.diagnostics);
    let requests = states
        .iter()
        .map(|state| p::ReadRequest { type_name: "testing_thing".into(), current_state: state.clone(), private: None })
        .collect();
    let reads = provider.read_batch(requests, 3).await;
    assert_eq!(reads.len(), states.len());
    for (i, (state, response)) in states.iter().zip(&reads).enumerate() {
        assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
        if i == 3 {
            assert_eq!(response.new_state, None, "`{gone}` was deleted");
        } else {
            assert_eq!(response.new_state.as_ref(), Some(state));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_to_a_plugin_that_could_not_start_fails_every_item() {
    let factory =
        PluginFactory::new("testing", PluginCommand::new("/nonexistent/corral-provider-x"), LaunchOptions::default());
    let provider = factory.instantiate();
    let request = |name: &str| p::PlanRequest {
        type_name: "testing_thing".into(),
        prior_state: None,
        proposed_new_state: thing(name, 0),
        config: thing(name, 0),
        prior_private: None,
    };
    let plans = provider.plan_batch(vec![request("a"), request("b")]).await;
    assert_eq!(plans.len(), 2);
    for response in plans {
        assert!(response.planned_state.is_none());
        assert!(
            response.diagnostics.iter().any(|d| d.summary.contains("could not be started")),
            "{:?}",
            response.diagnostics
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_declared_concurrency_limit_is_honoured() {
    let dir = tempfile::tempdir().expect("temp dir");
    let factory = plugin(2);
    let provider = configured(&factory, dir.path()).await;
    let started = Instant::now();
    // Six creates of 300 ms each, two at a time: at least three rounds.
    let results = futures::future::join_all((0..6).map(|i| {
        let provider = provider.clone();
        async move { create(&provider, &format!("slow{i}"), 300, &format!("t{i}")).await }
    }))
    .await;
    for result in &results {
        assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);
    }
    assert!(started.elapsed() >= Duration::from_millis(900), "took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_plugin_fails_the_calls_in_flight_and_after_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let factory = plugin(0);
    let provider = configured(&factory, dir.path()).await;
    let done = create(&provider, "finished", 0, "t-finished").await;
    assert!(done.new_state.is_some());

    let pid = factory.pid().expect("plugin pid");
    let slow = {
        let provider = provider.clone();
        tokio::spawn(async move { create(&provider, "slow", 5_000, "t-slow").await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = std::process::Command::new("kill").arg("-9").arg(pid.to_string()).status().expect("kill");
    assert!(killed.success());

    let in_flight = slow.await.expect("task");
    let message = in_flight.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    assert!(
        message.contains("provider `testing` exited unexpectedly (signal 9)")
            && message.contains("state keeps everything completed"),
        "{message}"
    );
    let after = provider
        .read(p::ReadRequest {
            type_name: "testing_thing".into(),
            current_state: done.new_state.clone().expect("state"),
            private: None,
        })
        .await;
    assert!(after.diagnostics.iter().any(|d| d.summary.contains("exited unexpectedly")), "{:?}", after.diagnostics);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_lets_the_call_in_flight_finish_and_refuses_later_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let factory = plugin(0);
    let provider = configured(&factory, dir.path()).await;
    let (slow, mut statuses) = spawn_waiting(&provider, "slow", 500);
    // In flight for sure (however loaded the machine): the plugin has reported a wait.
    assert_eq!(statuses.recv().await.as_deref(), Some("provisioning"));
    factory.stop().await;
    let finished = slow.await.expect("task");
    assert!(finished.diagnostics.is_empty(), "{:?}", finished.diagnostics);
    assert!(finished.new_state.is_some());
    let later = provider
        .plan(p::PlanRequest {
            type_name: "testing_thing".into(),
            prior_state: None,
            proposed_new_state: thing("later", 0),
            config: thing("later", 0),
            prior_private: None,
        })
        .await;
    assert!(later.diagnostics.iter().any(|d| d.summary.contains("was stopped")), "{:?}", later.diagnostics);
}

/// Two creates in flight when the host asks the plugin to stop: the quick one answering
/// first must not end the connection under the slow one, whose object already exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_lets_every_call_in_flight_answer_not_only_the_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let factory = plugin(0);
    let provider = configured(&factory, dir.path()).await;
    let spawn = |name: &'static str, delay: i64| {
        let provider = provider.clone();
        tokio::spawn(async move { create(&provider, name, delay, name).await })
    };
    let slow = spawn("slow", 900);
    let quick = spawn("quick", 300);
    tokio::time::sleep(Duration::from_millis(100)).await;
    factory.stop().await;
    for (name, call) in [("quick", quick), ("slow", slow)] {
        let finished = call.await.expect("task");
        assert!(finished.diagnostics.is_empty(), "{name}: {:?}", finished.diagnostics);
        assert!(finished.new_state.is_some(), "{name}: no state");
    }
}

#[test]
fn a_program_that_is_not_a_plugin_gets_a_clear_launch_error() {
    let factory = PluginFactory::new("echo", PluginCommand::new("/bin/echo").arg("hello"), LaunchOptions::default());
    let error = factory.start().expect_err("not a plugin");
    let text = error.to_string();
    assert!(text.contains("did not complete the plugin handshake") && text.contains("`hello`"), "{text}");

    let old = PluginFactory::new(
        "old",
        PluginCommand::new("/bin/sh").arg("-c").arg("echo 'CORRAL_PLUGIN|0|unix|/tmp/x.sock'; exec sleep 5"),
        LaunchOptions::default(),
    );
    let text = old.start().expect_err("old version").to_string();
    assert!(text.contains("protocol version 0") && text.contains("this corral speaks version 4"), "{text}");
    // The engine still gets a provider, whose calls explain what went wrong.
    let provider = old.instantiate();
    let diags =
        provider.validate_resource(p::ValidateResourceRequest { type_name: "x".into(), config: Value::empty_object() });
    assert!(diags.diagnostics.iter().any(|d| d.summary.contains("could not be started")));
}

#[test]
fn a_plugin_that_never_shakes_hands_times_out() {
    let options = LaunchOptions { deadlines: Deadlines { start: Duration::from_millis(300), ..Deadlines::default() } };
    let factory = PluginFactory::new("sleepy", PluginCommand::new("/bin/sleep").arg("5"), options);
    let text = factory.start().expect_err("timeout").to_string();
    assert!(text.contains("no handshake line within 0.3s"), "{text}");
}
