use std::sync::Mutex;

use super::*;
use crate::schema::{AttributeSchema, BlockSchema, ResourceSchema};

/// A provider that is careless with secrets: it plans the proposal as it is and answers
/// applies and reads with the configured password in the state. It records what it saw.
struct Leaky {
    schema: Arc<ProviderSchema>,
    seen: Mutex<Vec<String>>,
}

fn leaky(password: AttributeSchema) -> Arc<Leaky> {
    let block = BlockSchema::new()
        .attr("name", AttributeSchema::required(Type::String))
        .attr("password", password)
        .attr("id", AttributeSchema::computed(Type::String));
    let mut schema = ProviderSchema::default();
    schema.resources.insert("t_db".into(), ResourceSchema { version: 0, block });
    Arc::new(Leaky { schema: Arc::new(schema), seen: Mutex::new(Vec::new()) })
}

impl Leaky {
    fn saw(&self, what: String) {
        self.seen.lock().unwrap().push(what);
    }
}

#[async_trait::async_trait]
impl Provider for Leaky {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }
    async fn configure(&self, _: ConfigureRequest) -> ConfigureResponse {
        ConfigureResponse::default()
    }
    async fn plan(&self, request: PlanRequest) -> PlanResponse {
        self.saw(format!("plan proposed {:?}", request.proposed_new_state.get_attr("password")));
        PlanResponse { planned_state: Some(request.proposed_new_state), ..PlanResponse::default() }
    }
    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        self.saw(format!(
            "apply prior {:?} planned {:?} config {:?}",
            request.prior_state.as_ref().and_then(|p| p.get_attr("password")),
            request.planned_state.as_ref().and_then(|p| p.get_attr("password")),
            request.config.get_attr("password"),
        ));
        ApplyResponse { new_state: Some(request.config), ..ApplyResponse::default() }
    }
    async fn read(&self, request: ReadRequest) -> ReadResponse {
        let mut state = request.current_state;
        if let Value::Object(attrs) = &mut state {
            attrs.insert("password".into(), Value::string("hunter2"));
        }
        ReadResponse { new_state: Some(state), ..ReadResponse::default() }
    }
    async fn read_data(&self, _: ReadDataRequest) -> ReadDataResponse {
        ReadDataResponse::default()
    }
    async fn find_created(&self, _: FindCreatedRequest) -> FindCreatedResponse {
        FindCreatedResponse { state: Some(object("db", Some("hunter2"))), ..FindCreatedResponse::default() }
    }
    async fn import(&self, _: ImportRequest) -> ImportResponse {
        ImportResponse { state: Some(object("db", Some("hunter2"))), diagnostics: Diagnostics::new() }
    }
}

fn object(name: &str, password: Option<&str>) -> Value {
    Value::object([
        ("name".to_string(), Value::string(name)),
        ("password".to_string(), password.map(Value::string).unwrap_or(Value::Null(Type::String))),
        ("id".to_string(), Value::string("db-1")),
    ])
}

fn password(value: &Value) -> Value {
    value.get_attr("password").cloned().unwrap_or(Value::null())
}

fn plan_request(prior: Option<Value>, config: Value) -> PlanRequest {
    PlanRequest {
        type_name: "t_db".into(),
        prior_state: prior,
        proposed_new_state: config.clone(),
        config,
        prior_private: None,
    }
}

/// A fixed workspace key, so digests are the same in every test.
fn key() -> WorkspaceKey {
    WorkspaceKey::from_bytes(&[7; 32]).unwrap()
}

fn run<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

#[test]
fn the_digest_depends_on_type_attribute_and_value_and_nothing_else() {
    let d = digest(&key(), "t_db", "password", "hunter2");
    assert!(d.starts_with(DIGEST_PREFIX) && d.len() == DIGEST_PREFIX.len() + 64, "{d}");
    assert!(!d.contains("hunter2"));
    // Keyed: another workspace's key gives another digest, and so does the old unkeyed hash.
    assert_ne!(d, digest(&WorkspaceKey::from_bytes(&[8; 32]).unwrap(), "t_db", "password", "hunter2"));
    assert_ne!(
        d.trim_start_matches(DIGEST_PREFIX),
        legacy_digest("t_db", "password", "hunter2").trim_start_matches("sha256:")
    );
    assert_eq!(d, digest(&key(), "t_db", "password", "hunter2"));
    assert_ne!(d, digest(&key(), "t_db", "password", "hunter3"));
    assert_ne!(d, digest(&key(), "t_db", "passwor", "dhunter2"));
    assert_ne!(d, digest(&key(), "t_dc", "password", "hunter2"));
}

#[test]
fn a_plan_holds_the_digest_and_the_provider_never_proposes_the_value() {
    let inner = leaky(AttributeSchema::required(Type::String).write_only());
    let guarded = guard(inner.clone(), &key());
    let response = run(guarded.plan(plan_request(None, object("db", Some("hunter2")))));
    let planned = response.planned_state.unwrap();
    assert_eq!(password(&planned), Value::string(digest(&key(), "t_db", "password", "hunter2")));
    assert_eq!(inner.seen.lock().unwrap().as_slice(), ["plan proposed Some(Null(String))"]);

    // Same value: same digest, so the planner sees no change.
    let prior = planned.clone();
    let again = run(guarded.plan(plan_request(Some(prior.clone()), object("db", Some("hunter2")))));
    assert_eq!(again.planned_state.unwrap(), prior);
    // A new value: a new digest; the provider is offered the prior digest, never the value.
    let changed = run(guarded.plan(plan_request(Some(prior.clone()), object("db", Some("correct horse")))));
    assert_eq!(
        password(&changed.planned_state.unwrap()),
        Value::string(digest(&key(), "t_db", "password", "correct horse"))
    );
    assert_eq!(inner.seen.lock().unwrap()[2], format!("plan proposed Some({:?})", password(&prior)));
    // Unknown until apply: the digest is unknown too.
    let unknown = run(guarded.plan(plan_request(None, {
        let mut config = object("db", None);
        if let Value::Object(attrs) = &mut config {
            attrs.insert("password".into(), Value::Unknown(Type::String));
        }
        config
    })));
    assert_eq!(password(&unknown.planned_state.unwrap()), Value::Unknown(Type::String));
}

#[test]
fn apply_read_and_adoption_record_digests_even_when_the_provider_returns_the_value() {
    let inner = leaky(AttributeSchema::optional(Type::String).write_only());
    let guarded = guard(inner.clone(), &key());
    let planned = run(guarded.plan(plan_request(None, object("db", Some("hunter2"))))).planned_state.unwrap();
    let expected = Value::string(digest(&key(), "t_db", "password", "hunter2"));
    let applied = run(guarded.apply(ApplyRequest {
        type_name: "t_db".into(),
        prior_state: None,
        planned_state: Some(planned.clone()),
        config: object("db", Some("hunter2")),
        planned_private: None,
        idempotency_token: "token".into(),
        progress: Default::default(),
    }));
    let state = applied.new_state.unwrap();
    assert_eq!(password(&state), expected);
    // The provider had the value in the configuration and the digest in the plan.
    assert!(inner.seen.lock().unwrap()[1].ends_with("config Some(String(\"hunter2\"))"), "{:?}", inner.seen);

    let read = run(guarded.read(ReadRequest { type_name: "t_db".into(), current_state: state.clone(), private: None }));
    assert_eq!(password(&read.new_state.unwrap()), expected);

    let found = run(guarded.find_created(FindCreatedRequest {
        type_name: "t_db".into(),
        idempotency_token: "token".into(),
        planned_state: Some(planned),
    }));
    assert_eq!(password(&found.state.unwrap()), expected);
}

#[test]
fn an_imported_object_takes_its_unseen_value_as_current_until_applied() {
    let guarded = guard(leaky(AttributeSchema::required(Type::String).write_only()), &key());
    let imported = run(guarded.import(ImportRequest { type_name: "t_db".into(), id: "db-1".into() })).state.unwrap();
    assert_eq!(password(&imported), Value::string(UNSEEN));
    let plan = run(guarded.plan(plan_request(Some(imported.clone()), object("db", Some("hunter2")))));
    assert_eq!(plan.planned_state.unwrap(), imported, "no change planned for a value Corral never saw");
    // The next apply records the digest of what is configured.
    let applied = run(guarded.apply(ApplyRequest {
        type_name: "t_db".into(),
        prior_state: Some(imported.clone()),
        planned_state: Some(imported),
        config: object("db", Some("hunter2")),
        planned_private: None,
        idempotency_token: String::new(),
        progress: Default::default(),
    }));
    assert_eq!(password(&applied.new_state.unwrap()), Value::string(digest(&key(), "t_db", "password", "hunter2")));
}

#[test]
fn a_schema_the_engine_cannot_honour_fails_configuration() {
    let guarded = guard(leaky(AttributeSchema::optional(Type::Number).write_only()), &key());
    let response = run(guarded.configure(ConfigureRequest { config: Value::empty_object(), data_dir: ".".into() }));
    let text = response.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    assert!(text.contains("write-only attribute `password` of `t_db` must be a string"), "{text}");

    let computed = guard(leaky(AttributeSchema::optional_computed(Type::String).write_only()), &key());
    let response = run(computed.configure(ConfigureRequest { config: Value::empty_object(), data_dir: ".".into() }));
    assert!(response.diagnostics.has_errors());
}

#[test]
fn providers_without_write_only_attributes_are_not_wrapped() {
    let inner: Arc<dyn Provider> = leaky(AttributeSchema::optional(Type::String).sensitive());
    let guarded = guard(inner.clone(), &key());
    assert!(Arc::ptr_eq(&inner, &guarded));
}

#[test]
fn an_unkeyed_digest_from_an_older_state_plans_as_no_change_and_is_replaced_at_the_next_apply() {
    let inner = leaky(AttributeSchema::required(Type::String).write_only());
    let guarded = guard(inner.clone(), &key());
    let mut prior = object("db", None);
    if let Value::Object(attrs) = &mut prior {
        attrs.insert("password".into(), Value::string(legacy_digest("t_db", "password", "hunter2")));
        attrs.insert("id".into(), Value::string("db-1"));
    }
    let same = run(guarded.plan(plan_request(Some(prior.clone()), object("db", Some("hunter2")))));
    assert_eq!(password(&same.planned_state.unwrap()), password(&prior), "matching old digest: no change");
    let changed = run(guarded.plan(plan_request(Some(prior.clone()), object("db", Some("hunter3")))));
    let planned = changed.planned_state.unwrap();
    assert_eq!(password(&planned), Value::string(digest(&key(), "t_db", "password", "hunter3")));
}
