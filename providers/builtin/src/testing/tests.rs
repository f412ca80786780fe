use super::*;

use std::time::Instant;

use corral_core::value::Number;

struct Fixture {
    // Kept alive for the test's duration; dropping it removes the directory.
    _temp: tempfile::TempDir,
    dir: PathBuf,
    provider: Arc<dyn Provider>,
}

async fn fixture() -> Fixture {
    let temp = tempfile::tempdir().unwrap();
    let provider = TestingFactory::new().instantiate();
    let configured = provider
        .configure(ConfigureRequest {
            config: Value::object([("dir".to_string(), Value::Null(Type::String))]),
            data_dir: temp.path().to_path_buf(),
        })
        .await;
    assert!(configured.diagnostics.is_empty());
    let dir = temp.path().join("testing");
    Fixture { _temp: temp, dir, provider }
}

fn thing(name: &str, payload: &str) -> Value {
    Value::object([
        ("name".to_string(), Value::string(name)),
        ("payload".to_string(), Value::string(payload)),
        ("id".to_string(), Value::Null(Type::String)),
    ])
}

fn with(value: Value, name: &str, attr: Value) -> Value {
    let Value::Object(mut attrs) = value else { panic!("not an object") };
    attrs.insert(name.to_string(), attr);
    Value::Object(attrs)
}

impl Fixture {
    async fn plan(&self, prior: Option<&Value>, proposed: Value) -> PlanResponse {
        self.provider
            .plan(PlanRequest {
                type_name: THING.to_string(),
                prior_state: prior.cloned(),
                proposed_new_state: proposed.clone(),
                config: proposed,
                prior_private: None,
            })
            .await
    }

    async fn apply(&self, prior: Option<&Value>, planned: Option<Value>, token: &str) -> ApplyResponse {
        self.provider
            .apply(ApplyRequest {
                type_name: THING.to_string(),
                prior_state: prior.cloned(),
                planned_state: planned,
                config: Value::null(),
                planned_private: None,
                idempotency_token: token.to_string(),
                progress: Default::default(),
            })
            .await
    }

    async fn create(&self, config: Value, token: &str) -> Value {
        let planned = self.plan(None, config).await.planned_state.unwrap();
        let applied = self.apply(None, Some(planned), token).await;
        assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
        applied.new_state.unwrap()
    }

    async fn read(&self, state: &Value) -> ReadResponse {
        self.provider
            .read(ReadRequest { type_name: THING.to_string(), current_state: state.clone(), private: None })
            .await
    }

    /// The store as another process (someone at the remote side) sees it.
    fn remote(&self) -> ObjectStore {
        ObjectStore::open(self.dir.clone(), false).unwrap()
    }

    /// Ids of the objects on disk.
    fn on_disk(&self) -> Vec<String> {
        self.remote().list().unwrap().into_iter().map(|o| o.id).collect()
    }

    fn stored(&self, state: &Value) -> StoredObject {
        self.remote().get(&id(state)).unwrap().unwrap()
    }

    fn log(&self) -> PathBuf {
        self.dir.join("objects.jsonl")
    }

    fn append_to_log(&self, bytes: &[u8]) {
        use std::io::Write;
        std::fs::OpenOptions::new().append(true).open(self.log()).unwrap().write_all(bytes).unwrap();
    }
}

fn id(state: &Value) -> String {
    state.get_attr("id").and_then(Value::as_str).unwrap().to_string()
}

#[tokio::test]
async fn create_stores_one_object_holding_every_attribute_and_the_token() {
    let f = fixture().await;
    let planned = f.plan(None, thing("a", "p1")).await.planned_state.unwrap();
    assert_eq!(planned.get_attr("id"), Some(&Value::Unknown(Type::String)));
    let state = f.create(thing("a", "p1"), "tok-a").await;
    assert_eq!(f.on_disk(), vec![id(&state)]);
    let stored = serde_json::to_value(f.stored(&state)).unwrap();
    assert_eq!(stored["idempotency_token"], "tok-a");
    assert_eq!(stored["attributes"]["name"], "a");
    assert_eq!(stored["attributes"]["payload"], "p1");
    assert_eq!(stored["attributes"]["id"], id(&state));
    // The state has every schema attribute, null where unset.
    assert_eq!(state.get_attr("tags"), Some(&Value::Null(Type::map(Type::String))));
}

#[tokio::test]
async fn a_second_create_with_the_same_token_returns_the_first_object() {
    let f = fixture().await;
    let first = f.create(thing("a", "p1"), "tok-a").await;
    let second = f.create(thing("a", "p1"), "tok-a").await;
    assert_eq!(first, second);
    assert_eq!(f.on_disk().len(), 1);
    let other = f.create(thing("a", "p1"), "tok-b").await;
    assert_ne!(id(&other), id(&first));
    assert_eq!(f.on_disk().len(), 2);
}

#[tokio::test]
async fn payload_updates_in_place_and_name_forces_replacement() {
    let f = fixture().await;
    let state = f.create(thing("a", "p1"), "tok-a").await;

    let response = f.plan(Some(&state), with(thing("a", "p2"), "id", state.get_attr("id").cloned().unwrap())).await;
    assert!(response.requires_replace.is_empty());
    let planned = response.planned_state.unwrap();
    assert_eq!(planned.get_attr("id"), state.get_attr("id"));
    let updated = f.apply(Some(&state), Some(planned), "tok-u").await.new_state.unwrap();
    assert_eq!(updated.get_attr("payload"), Some(&Value::string("p2")));
    assert_eq!(f.read(&state).await.new_state, Some(updated.clone()));

    let response = f.plan(Some(&updated), thing("b", "p2")).await;
    assert_eq!(response.requires_replace, vec![Path::attr("name")]);
    assert_eq!(response.planned_state.unwrap().get_attr("id"), Some(&Value::Unknown(Type::String)));
}

#[tokio::test]
async fn delete_removes_the_object_and_tolerates_a_missing_one() {
    let f = fixture().await;
    let state = f.create(thing("a", "p1"), "tok-a").await;
    let deleted = f.apply(Some(&state), None, "tok-d").await;
    assert!(deleted.new_state.is_none() && deleted.diagnostics.is_empty());
    assert!(f.on_disk().is_empty());
    let again = f.apply(Some(&state), None, "tok-d").await;
    assert!(again.diagnostics.is_empty());
}

#[tokio::test]
async fn failed_create_leaves_nothing_and_failed_update_keeps_the_prior_object() {
    let f = fixture().await;
    let failing = with(thing("a", "p1"), "fail", Value::Bool(true));
    let planned = f.plan(None, failing.clone()).await.planned_state.unwrap();
    let response = f.apply(None, Some(planned), "tok-a").await;
    assert!(response.diagnostics.has_errors());
    assert!(response.new_state.is_none());
    assert!(f.on_disk().is_empty());
    let found = f
        .provider
        .find_created(FindCreatedRequest {
            type_name: THING.to_string(),
            idempotency_token: "tok-a".to_string(),
            planned_state: None,
        })
        .await;
    assert!(found.state.is_none());

    let state = f.create(thing("a", "p1"), "tok-b").await;
    let planned = f
        .plan(Some(&state), with(with(thing("a", "p2"), "fail", Value::Bool(true)), "id", Value::string(id(&state))))
        .await;
    let response = f.apply(Some(&state), planned.planned_state, "tok-u").await;
    assert!(response.diagnostics.has_errors());
    assert_eq!(response.new_state, Some(state.clone()));
    assert_eq!(f.read(&state).await.new_state.unwrap().get_attr("payload"), Some(&Value::string("p1")));
}

#[tokio::test]
async fn read_reports_drift_deletion_and_edits() {
    let f = fixture().await;
    let state = f.create(thing("a", "p1"), "tok-a").await;
    let mut stored = f.stored(&state);
    stored.attributes["payload"] = "edited".into();
    stored.attributes["tags"] = serde_json::json!({"env": "dev"});
    f.remote().put(&stored).unwrap();
    let read = f.read(&state).await.new_state.unwrap();
    assert_eq!(read.get_attr("payload"), Some(&Value::string("edited")));
    assert_eq!(
        read.get_attr("tags"),
        Some(&Value::Map(Type::String, [("env".to_string(), Value::string("dev"))].into()))
    );

    assert!(f.remote().remove(&id(&state)).unwrap());
    let read = f.read(&state).await;
    assert!(read.new_state.is_none() && read.diagnostics.is_empty());

    // Updating an object deleted outside Corral is an error that forgets the object.
    let planned = with(thing("a", "p2"), "id", Value::string(id(&state)));
    let response = f.apply(Some(&state), Some(planned), "tok-u").await;
    assert!(response.diagnostics.has_errors());
    assert!(response.new_state.is_none());
}

#[tokio::test]
async fn a_corrupt_log_is_an_error_and_a_torn_last_line_is_no_write() {
    let f = fixture().await;
    let state = f.create(thing("a", "p1"), "tok-a").await;
    // A line torn by a killed write is not an object.
    f.append_to_log(b"{\"put\": {\"id\": \"x\", \"idem");
    let listed =
        f.provider.read_data(ReadDataRequest { type_name: THINGS.to_string(), config: Value::empty_object() }).await;
    assert!(listed.diagnostics.is_empty());
    assert_eq!(
        listed.state.unwrap().get_attr("ids"),
        Some(&Value::List(Type::String, vec![Value::string(id(&state))]))
    );

    // The next write cuts the torn line off and starts on a line of its own.
    let other = f.create(thing("b", "p1"), "tok-b").await;
    assert_eq!(f.on_disk().len(), 2);
    let text = std::fs::read_to_string(f.log()).unwrap();
    assert!(!text.contains("idem\""), "{text}");
    assert!(text.ends_with('\n') && text.lines().count() == 2, "{text}");
    assert_eq!(f.stored(&other).attributes["name"], "b");

    f.append_to_log(b"{ not json\n");
    let read = f.read(&state).await;
    assert!(read.diagnostics.has_errors());
    let message = format!("{:?}", read.diagnostics);
    assert!(message.contains("objects.jsonl`, line 3, column 3: key must be a string"), "{message}");
    assert_eq!(read.new_state, Some(state));
}

#[tokio::test]
async fn find_created_adopts_an_object_whose_create_was_never_recorded() {
    let f = fixture().await;
    let made = f.create(with(thing("a", "p1"), "secret", Value::string("s3cret")), "tok-a").await;
    let found = f
        .provider
        .find_created(FindCreatedRequest {
            type_name: THING.to_string(),
            idempotency_token: "tok-a".to_string(),
            planned_state: None,
        })
        .await;
    assert_eq!(found.state, Some(made.clone()));

    // An object whose id is not derived from its token is found by a scan.
    let remote = f.remote();
    let mut stored = f.stored(&made);
    assert!(remote.remove(&stored.id).unwrap());
    stored.id = "hand-made".into();
    remote.put(&stored).unwrap();
    let found = f
        .provider
        .find_created(FindCreatedRequest {
            type_name: THING.to_string(),
            idempotency_token: "tok-a".to_string(),
            planned_state: None,
        })
        .await;
    assert_eq!(found.state.unwrap().get_attr("id"), Some(&Value::string("hand-made")));
}

#[tokio::test]
async fn delay_ms_makes_operations_take_that_long() {
    let f = fixture().await;
    let config = with(thing("a", "p1"), "delay_ms", Value::Number(Number::from(60)));
    let started = Instant::now();
    let state = f.create(config, "tok-a").await;
    assert!(started.elapsed() >= Duration::from_millis(60));
    let started = Instant::now();
    f.apply(Some(&state), None, "tok-d").await;
    assert!(started.elapsed() >= Duration::from_millis(60));
}

#[tokio::test]
async fn concurrent_creates_make_one_object_each() {
    let f = fixture().await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let provider = f.provider.clone();
        tasks.push(tokio::spawn(async move {
            let config = thing(&format!("t{i}"), "p");
            let planned = provider
                .plan(PlanRequest {
                    type_name: THING.to_string(),
                    prior_state: None,
                    proposed_new_state: config.clone(),
                    config: config.clone(),
                    prior_private: None,
                })
                .await
                .planned_state
                .unwrap();
            provider
                .apply(ApplyRequest {
                    type_name: THING.to_string(),
                    prior_state: None,
                    planned_state: Some(planned),
                    config,
                    planned_private: None,
                    idempotency_token: format!("tok-{i}"),
                    progress: Default::default(),
                })
                .await
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap().diagnostics.is_empty());
    }
    assert_eq!(f.on_disk().len(), 20);
}

#[tokio::test]
async fn data_sources_look_things_up_by_id_or_name_and_list_them() {
    let f = fixture().await;
    let a = f.create(thing("alpha", "pa"), "tok-a").await;
    let b = f.create(thing("beta", "pb"), "tok-b").await;
    let by_name = f
        .provider
        .read_data(ReadDataRequest {
            type_name: THING.to_string(),
            config: Value::object([("name".to_string(), Value::string("beta"))]),
        })
        .await;
    assert_eq!(by_name.state, Some(b.clone()));
    let by_id = f
        .provider
        .read_data(ReadDataRequest {
            type_name: THING.to_string(),
            config: Value::object([("id".to_string(), Value::string(id(&a)))]),
        })
        .await;
    assert_eq!(by_id.state, Some(a.clone()));
    let missing = f
        .provider
        .read_data(ReadDataRequest {
            type_name: THING.to_string(),
            config: Value::object([("name".to_string(), Value::string("gamma"))]),
        })
        .await;
    assert!(missing.diagnostics.has_errors());

    let listed = f
        .provider
        .read_data(ReadDataRequest {
            type_name: THINGS.to_string(),
            config: Value::object([("name_prefix".to_string(), Value::string("al"))]),
        })
        .await
        .state
        .unwrap();
    assert_eq!(listed.get_attr("ids"), Some(&Value::List(Type::String, vec![Value::string(id(&a))])));
    let things = listed.get_attr("things").and_then(Value::as_seq).unwrap();
    assert_eq!(things[0].get_attr("payload"), Some(&Value::string("pa")));
}

#[tokio::test]
async fn import_reads_an_object_by_id() {
    let f = fixture().await;
    let a = f.create(thing("alpha", "pa"), "tok-a").await;
    let imported = f.provider.import(ImportRequest { type_name: THING.to_string(), id: id(&a) }).await;
    assert_eq!(imported.state, Some(a));
    let bad = f.provider.import(ImportRequest { type_name: THING.to_string(), id: "../etc/passwd".to_string() }).await;
    assert!(bad.diagnostics.has_errors());
}

#[tokio::test]
async fn use_before_configure_and_bad_config_are_errors() {
    let provider = TestingFactory::new().instantiate();
    let response = provider
        .apply(ApplyRequest {
            type_name: THING.to_string(),
            prior_state: None,
            planned_state: Some(thing("a", "p")),
            config: Value::null(),
            planned_private: None,
            idempotency_token: "t".to_string(),
            progress: Default::default(),
        })
        .await;
    assert!(response.diagnostics.has_errors());

    let validated = provider.validate_resource(ValidateResourceRequest {
        type_name: THING.to_string(),
        config: with(thing("", "p"), "delay_ms", Value::Number(Number::from(-1))),
    });
    assert_eq!(validated.diagnostics.len(), 2);
}

fn object(id: &str, payload: &str) -> StoredObject {
    StoredObject {
        id: id.to_string(),
        idempotency_token: format!("tok-{id}"),
        attributes: serde_json::json!({"id": id, "name": id, "payload": payload}),
    }
}

#[test]
fn two_handles_on_one_directory_see_each_others_writes() {
    let temp = tempfile::tempdir().unwrap();
    let one = ObjectStore::open(temp.path().to_path_buf(), true).unwrap();
    let two = ObjectStore::open(temp.path().to_path_buf(), false).unwrap();
    one.put(&object("a", "1")).unwrap();
    assert_eq!(two.get("a").unwrap(), Some(object("a", "1")));
    two.put(&object("a", "2")).unwrap();
    two.put(&object("b", "1")).unwrap();
    assert_eq!(one.get("a").unwrap(), Some(object("a", "2")));
    assert!(one.remove("b").unwrap());
    assert!(!two.remove("b").unwrap(), "already removed by the other handle");
    assert_eq!(two.list().unwrap(), vec![object("a", "2")]);
    assert!(matches!(one.get("../x"), Err(StoreError::BadId { .. })));
}

#[test]
fn a_log_of_overwritten_lines_is_rewritten_and_other_handles_follow() {
    let temp = tempfile::tempdir().unwrap();
    let one = ObjectStore::open(temp.path().to_path_buf(), false).unwrap();
    let two = ObjectStore::open(temp.path().to_path_buf(), false).unwrap();
    one.put(&object("keep", "k")).unwrap();
    let big = "x".repeat(4096);
    for i in 0..600 {
        one.put(&object("churn", &format!("{i}{big}"))).unwrap();
    }
    let log = temp.path().join("objects.jsonl");
    let size = std::fs::metadata(&log).unwrap().len();
    assert!(size < 600 * 4096, "the log was rewritten: {size} bytes");
    assert_eq!(two.get("churn").unwrap().unwrap().attributes["payload"], format!("599{big}"));
    two.put(&object("late", "l")).unwrap();
    assert_eq!(one.list().unwrap().iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["churn", "keep", "late"]);
    let leftovers: Vec<_> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "objects.jsonl")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn objects_of_the_one_file_per_object_layout_are_taken_into_the_log() {
    let temp = tempfile::tempdir().unwrap();
    let mut old = object("old-1", "p");
    old.id = "whatever-the-file-said".to_string();
    std::fs::write(temp.path().join("old-1.json"), serde_json::to_vec_pretty(&old).unwrap()).unwrap();
    std::fs::write(temp.path().join(".tmp-x.part"), b"{ half").unwrap();
    let store = ObjectStore::open(temp.path().to_path_buf(), true).unwrap();
    // The file name was the identity.
    assert_eq!(store.get("old-1").unwrap().unwrap().attributes["payload"], "p");
    let names: Vec<_> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["objects.jsonl"]);
    // Opening again does not take anything twice.
    let again = ObjectStore::open(temp.path().to_path_buf(), true).unwrap();
    assert_eq!(again.list().unwrap().len(), 1);
}
