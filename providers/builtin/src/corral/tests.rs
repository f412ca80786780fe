use super::*;

use corral_core::value::Number;

fn provider() -> Arc<dyn Provider> {
    CorralFactory::new().instantiate()
}

fn config(input: Value, triggers: Value) -> Value {
    Value::object([
        ("input".to_string(), input),
        ("triggers_replace".to_string(), triggers),
        ("output".to_string(), Value::null()),
        ("id".to_string(), Value::Null(Type::String)),
    ])
}

async fn plan(provider: &dyn Provider, prior: Option<Value>, proposed: Value) -> PlanResponse {
    provider
        .plan(PlanRequest {
            type_name: DATA.to_string(),
            prior_state: prior,
            proposed_new_state: proposed.clone(),
            config: proposed,
            prior_private: None,
        })
        .await
}

async fn apply(provider: &dyn Provider, prior: Option<Value>, planned: Option<Value>, token: &str) -> ApplyResponse {
    provider
        .apply(ApplyRequest {
            type_name: DATA.to_string(),
            prior_state: prior,
            planned_state: planned,
            config: Value::null(),
            planned_private: None,
            idempotency_token: token.to_string(),
            progress: Default::default(),
        })
        .await
}

#[tokio::test]
async fn create_plans_unknown_id_and_output_then_apply_fills_them() {
    let provider = provider();
    let planned = plan(&*provider, None, config(Value::string("hello"), Value::null())).await;
    assert!(planned.diagnostics.is_empty());
    let planned = planned.planned_state.unwrap();
    assert_eq!(planned.get_attr("id"), Some(&Value::Unknown(Type::String)));
    assert_eq!(planned.get_attr("output"), Some(&Value::Unknown(Type::String)));

    let applied = apply(&*provider, None, Some(planned), "tok-1").await;
    assert!(applied.diagnostics.is_empty());
    let state = applied.new_state.unwrap();
    assert_eq!(state.get_attr("output"), Some(&Value::string("hello")));
    let id = state.get_attr("id").and_then(Value::as_str).unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());

    // The same token gives the same id: a retried create does not make a second identity.
    let again = apply(
        &*provider,
        None,
        Some(plan(&*provider, None, config(Value::string("hello"), Value::null())).await.planned_state.unwrap()),
        "tok-1",
    )
    .await;
    assert_eq!(again.new_state.unwrap().get_attr("id"), state.get_attr("id"));
}

#[tokio::test]
async fn null_input_plans_null_output() {
    let provider = provider();
    let planned = plan(&*provider, None, config(Value::null(), Value::null())).await.planned_state.unwrap();
    assert!(planned.get_attr("output").is_some_and(Value::is_null));
}

#[tokio::test]
async fn unchanged_config_plans_prior_state() {
    let provider = provider();
    let prior = Value::object([
        ("input".to_string(), Value::Tuple(vec![Value::int(1), Value::int(2)])),
        ("triggers_replace".to_string(), Value::string("v1")),
        ("output".to_string(), Value::Tuple(vec![Value::int(1), Value::int(2)])),
        ("id".to_string(), Value::string("abc")),
    ]);
    // The configuration says a list where state decoded a tuple: still no change.
    let proposed = Value::object([
        ("input".to_string(), Value::List(Type::Number, vec![Value::int(1), Value::int(2)])),
        ("triggers_replace".to_string(), Value::string("v1")),
        ("output".to_string(), prior.get_attr("output").cloned().unwrap()),
        ("id".to_string(), Value::string("abc")),
    ]);
    let response = plan(&*provider, Some(prior.clone()), proposed).await;
    assert!(response.requires_replace.is_empty());
    let planned = response.planned_state.unwrap();
    assert_eq!(planned.get_attr("id"), Some(&Value::string("abc")));
    assert_eq!(planned.get_attr("output"), prior.get_attr("output"));
}

#[tokio::test]
async fn changed_input_updates_in_place_with_unknown_output() {
    let provider = provider();
    let prior = Value::object([
        ("input".to_string(), Value::string("a")),
        ("triggers_replace".to_string(), Value::null()),
        ("output".to_string(), Value::string("a")),
        ("id".to_string(), Value::string("abc")),
    ]);
    let response = plan(&*provider, Some(prior.clone()), config(Value::Number(Number::from(5)), Value::null())).await;
    assert!(response.requires_replace.is_empty());
    let planned = response.planned_state.unwrap();
    assert_eq!(planned.get_attr("id"), Some(&Value::string("abc")));
    assert_eq!(planned.get_attr("output"), Some(&Value::Unknown(Type::Number)));

    let state = apply(&*provider, Some(prior), Some(planned), "tok-2").await.new_state.unwrap();
    assert_eq!(state.get_attr("id"), Some(&Value::string("abc")));
    assert_eq!(state.get_attr("output"), Some(&Value::int(5)));
}

#[tokio::test]
async fn changed_or_unknown_triggers_force_replacement() {
    let provider = provider();
    let prior = Value::object([
        ("input".to_string(), Value::null()),
        ("triggers_replace".to_string(), Value::string("v1")),
        ("output".to_string(), Value::null()),
        ("id".to_string(), Value::string("abc")),
    ]);
    for triggers in [Value::string("v2"), Value::Unknown(Type::String)] {
        let response = plan(&*provider, Some(prior.clone()), config(Value::null(), triggers)).await;
        assert_eq!(response.requires_replace, vec![Path::attr("triggers_replace")]);
        assert_eq!(response.planned_state.unwrap().get_attr("id"), Some(&Value::Unknown(Type::String)));
    }
}

#[tokio::test]
async fn delete_and_read_touch_nothing() {
    let provider = provider();
    let state = Value::object([("id".to_string(), Value::string("abc"))]);
    let deleted = apply(&*provider, Some(state.clone()), None, "tok-3").await;
    assert!(deleted.new_state.is_none() && deleted.diagnostics.is_empty());
    let read =
        provider.read(ReadRequest { type_name: DATA.to_string(), current_state: state.clone(), private: None }).await;
    assert_eq!(read.new_state, Some(state));
}

#[tokio::test]
async fn unknown_types_are_errors() {
    let provider = provider();
    let response = provider
        .plan(PlanRequest {
            type_name: "corral_nope".to_string(),
            prior_state: None,
            proposed_new_state: Value::empty_object(),
            config: Value::empty_object(),
            prior_private: None,
        })
        .await;
    assert!(response.diagnostics.has_errors());
    assert!(response.planned_state.is_none());
}
