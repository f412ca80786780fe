//! The `testing` provider: resource `testing_thing`, whose "remote objects" are kept in a
//! log file in a directory (see [`store`]), so tests can compare what exists with what state says;
//! and data sources `testing_thing` (one object, by `id` or `name`) and `testing_things`
//! (every object).
//!
//! `testing_slow_thing` is the same object under a schema marked long-running (the apply
//! walk gives its operations a slot before quick ones), for benchmarks of that order.
//!
//! Knobs for tests: `delay_ms` makes create, update and delete take that long; `wait_ms`
//! makes them then wait that long more, reported as waiting for a remote `provisioning`
//! status (which frees the operation's `parallelism` slot); `fail` makes create and update
//! fail (a failed create leaves nothing behind).

mod schema;
mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ConfigureResponse, FindCreatedRequest, FindCreatedResponse,
    ImportRequest, ImportResponse, PlanRequest, PlanResponse, Progress, Provider, ProviderFactory, ReadDataRequest,
    ReadDataResponse, ReadRequest, ReadResponse, ValidateResourceRequest, ValidateResourceResponse,
};
use corral_core::schema::{BlockSchema, ProviderSchema};
use corral_core::value::{Path, Type, Value};

use crate::support::{attributes, error, into_attributes, known_equal, millis};
pub use store::{ObjectStore, StoreError, StoredObject};

const THING: &str = "testing_thing";
const SLOW_THING: &str = "testing_slow_thing";

/// Whether the resource type is one of ours (the two differ only in the schema's mark).
fn is_thing(type_name: &str) -> bool {
    type_name == THING || type_name == SLOW_THING
}
const THINGS: &str = "testing_things";

/// Makes [`TestingProvider`]s.
pub struct TestingFactory {
    schema: Arc<ProviderSchema>,
}

impl TestingFactory {
    pub fn new() -> TestingFactory {
        TestingFactory { schema: Arc::new(schema::schema()) }
    }
}

impl Default for TestingFactory {
    fn default() -> Self {
        TestingFactory::new()
    }
}

impl ProviderFactory for TestingFactory {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn instantiate(&self) -> Arc<dyn Provider> {
        Arc::new(TestingProvider { schema: self.schema.clone(), store: Mutex::new(None) })
    }
}

/// The `testing` provider. Configure it before anything else; its objects live in the
/// configured `dir` (default `<data_dir>/testing`).
pub struct TestingProvider {
    schema: Arc<ProviderSchema>,
    store: Mutex<Option<Arc<ObjectStore>>>,
}

impl TestingProvider {
    /// The directory holding the objects, once configured.
    pub fn dir(&self) -> Option<PathBuf> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(|s| s.dir().to_path_buf())
    }

    fn store(&self) -> Result<Arc<ObjectStore>, Diagnostics> {
        self.store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| error("the `testing` provider is used before it is configured"))
    }

    fn resource_block(&self) -> Option<&BlockSchema> {
        self.schema.resources.get(THING).map(|r| &r.block)
    }

    /// A `testing_thing` state from a stored object. Attributes missing from the file are
    /// null; ones it cannot decode are an error (someone broke the file by hand).
    fn thing_state(&self, object: &StoredObject) -> Result<Value, Diagnostics> {
        let ty = self.resource_block().map(BlockSchema::ty).unwrap_or(Type::Dynamic);
        let value = Value::from_json(&object.attributes, &ty).map_err(|e| {
            error(format!("testing object `{}` holds attributes that do not fit the schema: {e}", object.id))
        })?;
        // The stored id is the identity; an `id` attribute edited by hand does not move it.
        let (value, _) = value.unmark();
        Ok(match value {
            Value::Object(mut attrs) => {
                attrs.insert("id".to_string(), Value::String(object.id.clone()));
                Value::Object(attrs)
            }
            other => other,
        })
    }

    async fn create(
        &self,
        store: Arc<ObjectStore>,
        planned: &Value,
        config: &Value,
        token: String,
        progress: &Progress,
    ) -> ApplyResponse {
        let Some(block) = self.resource_block() else { return ApplyResponse::default() };
        let mut attrs = attributes(planned, block);
        attrs.remove("id");
        take_password(&mut attrs, config);
        if let Some(unknown) = attrs.iter().find(|(_, v)| !v.is_wholly_known()).map(|(k, _)| k.clone()) {
            return failed(None, format!("`{unknown}` of `testing_thing` is still unknown at apply time"));
        }
        if attrs.get("fail").and_then(Value::as_bool) == Some(true) {
            // Fail before writing anything: a failed create leaves no object behind.
            sleep(attrs.get("delay_ms")).await;
            return failed(
                None,
                format!("creating testing_thing `{}` failed as asked (`fail = true`)", name_of(&attrs)),
            );
        }
        let lookup_token = token.clone();
        let existing = blocking(store.clone(), move |s| s.find_by_token_fast(&lookup_token)).await;
        match existing {
            Err(e) => return failed(None, e.to_string()),
            Ok(Some(object)) => {
                // A repeated create: hand back the first one's object.
                return match self.thing_state(&object) {
                    Ok(state) => ApplyResponse { new_state: Some(state), ..ApplyResponse::default() },
                    Err(diagnostics) => ApplyResponse { diagnostics, ..ApplyResponse::default() },
                };
            }
            Ok(None) => {}
        }
        let id = store::id_for_token(&token);
        attrs.insert("id".to_string(), Value::String(id.clone()));
        let state = Value::Object(attrs);
        let object = StoredObject { id, idempotency_token: token, attributes: state.to_json() };
        if let Err(e) = blocking(store, move |s| s.put(&object)).await {
            return failed(None, e.to_string());
        }
        // The object exists from here on, like a cloud object that is still provisioning:
        // an apply killed during the delay leaves an object that only the intent journal
        // knows about, which is what adoption is for.
        sleep(state.get_attr("delay_ms")).await;
        wait(state.get_attr("wait_ms"), progress).await;
        ApplyResponse { new_state: Some(state), ..ApplyResponse::default() }
    }

    async fn update(
        &self,
        store: Arc<ObjectStore>,
        prior: Value,
        planned: &Value,
        config: &Value,
        progress: &Progress,
    ) -> ApplyResponse {
        let Some(block) = self.resource_block() else { return ApplyResponse::default() };
        let mut attrs = attributes(planned, block);
        take_password(&mut attrs, config);
        let Some(id) = prior.get_attr("id").and_then(Value::as_str).map(str::to_string) else {
            return failed(Some(prior), "the prior state of `testing_thing` has no `id`".to_string());
        };
        attrs.insert("id".to_string(), Value::String(id.clone()));
        if let Some(unknown) = attrs.iter().find(|(_, v)| !v.is_wholly_known()).map(|(k, _)| k.clone()) {
            return failed(Some(prior), format!("`{unknown}` of `testing_thing` is still unknown at apply time"));
        }
        sleep(attrs.get("delay_ms")).await;
        wait(attrs.get("wait_ms"), progress).await;
        if attrs.get("fail").and_then(Value::as_bool) == Some(true) {
            let message = format!("updating testing_thing `{}` failed as asked (`fail = true`)", name_of(&attrs));
            return failed(Some(prior), message);
        }
        let lookup_id = id.clone();
        let existing = match blocking(store.clone(), move |s| s.get(&lookup_id)).await {
            Ok(existing) => existing,
            Err(e) => return failed(Some(prior), e.to_string()),
        };
        let Some(existing) = existing else {
            return failed(None, format!("testing_thing `{id}` was deleted outside Corral"));
        };
        let state = Value::Object(attrs);
        let object = StoredObject { id, idempotency_token: existing.idempotency_token, attributes: state.to_json() };
        if let Err(e) = blocking(store, move |s| s.put(&object)).await {
            return failed(Some(prior), e.to_string());
        }
        ApplyResponse { new_state: Some(state), ..ApplyResponse::default() }
    }

    async fn delete(&self, store: Arc<ObjectStore>, prior: Value, progress: &Progress) -> ApplyResponse {
        let Some(id) = prior.get_attr("id").and_then(Value::as_str).map(str::to_string) else {
            // Never created (no id): nothing to remove.
            return ApplyResponse::default();
        };
        sleep(prior.get_attr("delay_ms")).await;
        wait(prior.get_attr("wait_ms"), progress).await;
        // An object already gone is what a delete wants.
        match blocking(store, move |s| s.remove(&id)).await {
            Ok(_) => ApplyResponse::default(),
            Err(e) => failed(Some(prior), e.to_string()),
        }
    }

    async fn read_thing(&self, store: Arc<ObjectStore>, config: &Value) -> ReadDataResponse {
        let id = config.get_attr("id").and_then(Value::as_str).map(str::to_string);
        let name = config.get_attr("name").and_then(Value::as_str).map(str::to_string);
        let found = match (id, name) {
            (Some(id), _) => match blocking(store, move |s| s.get(&id)).await {
                Ok(Some(object)) => object,
                Ok(None) => return data_error(format!("no testing_thing has id `{}`", config_str(config, "id"))),
                Err(e) => return data_error(e.to_string()),
            },
            (None, Some(name)) => {
                let objects = match blocking(store, |s| s.list()).await {
                    Ok(objects) => objects,
                    Err(e) => return data_error(e.to_string()),
                };
                let mut matching: Vec<StoredObject> = objects
                    .into_iter()
                    .filter(|o| o.attributes.get("name").and_then(|n| n.as_str()) == Some(&name))
                    .collect();
                match matching.len() {
                    0 => return data_error(format!("no testing_thing has name `{name}`")),
                    1 => matching.remove(0),
                    n => return data_error(format!("{n} testing_things have name `{name}`; look one up by `id`")),
                }
            }
            (None, None) => return data_error("data source `testing_thing` needs `id` or `name`".to_string()),
        };
        match self.thing_state(&found) {
            Ok(state) => ReadDataResponse { state: Some(state), ..ReadDataResponse::default() },
            Err(diagnostics) => ReadDataResponse { diagnostics, ..ReadDataResponse::default() },
        }
    }

    async fn read_things(&self, store: Arc<ObjectStore>, config: &Value) -> ReadDataResponse {
        let prefix = config.get_attr("name_prefix").and_then(Value::as_str).unwrap_or("").to_string();
        let objects = match blocking(store, |s| s.list()).await {
            Ok(objects) => objects,
            Err(e) => return data_error(e.to_string()),
        };
        let mut things = Vec::new();
        for object in &objects {
            let state = match self.thing_state(object) {
                Ok(state) => state,
                Err(diagnostics) => return ReadDataResponse { diagnostics, ..ReadDataResponse::default() },
            };
            if state.get_attr("name").and_then(Value::as_str).is_some_and(|n| n.starts_with(&prefix)) {
                things.push(schema::summary(&state));
            }
        }
        things.sort_by(|a, b| {
            let key = |v: &Value| {
                (
                    v.get_attr("name").and_then(Value::as_str).map(str::to_string),
                    v.get_attr("id").and_then(Value::as_str).map(str::to_string),
                )
            };
            key(a).cmp(&key(b))
        });
        let ids: Vec<Value> = things.iter().filter_map(|t| t.get_attr("id").cloned()).collect();
        let state = Value::object([
            ("name_prefix".to_string(), config.get_attr("name_prefix").cloned().unwrap_or(Value::Null(Type::String))),
            ("ids".to_string(), Value::List(Type::String, ids)),
            ("things".to_string(), Value::List(schema::summary_type(), things)),
        ]);
        ReadDataResponse { state: Some(state), ..ReadDataResponse::default() }
    }
}

#[async_trait::async_trait]
impl Provider for TestingProvider {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn validate_resource(&self, request: ValidateResourceRequest) -> ValidateResourceResponse {
        let mut diagnostics = Diagnostics::new();
        if !is_thing(&request.type_name) {
            return ValidateResourceResponse { diagnostics: unknown_type(&request.type_name) };
        }
        if request.config.get_attr("name").and_then(Value::as_str) == Some("") {
            diagnostics.push(
                Diagnostic::error("`name` of `testing_thing` must not be empty").with_attribute(Path::attr("name")),
            );
        }
        for knob in ["delay_ms", "wait_ms"] {
            if let Some(delay) = request.config.get_attr(knob).and_then(Value::as_number)
                && delay.to_i64().is_none_or(|d| d < 0)
            {
                diagnostics.push(
                    Diagnostic::error(format!("`{knob}` must be a whole number of milliseconds, not {delay}"))
                        .with_attribute(Path::attr(knob)),
                );
            }
        }
        ValidateResourceResponse { diagnostics }
    }

    async fn configure(&self, request: ConfigureRequest) -> ConfigureResponse {
        let dir = match request.config.get_attr("dir").and_then(Value::as_str) {
            Some(dir) => PathBuf::from(dir),
            None => request.data_dir.join("testing"),
        };
        let durable = request.config.get_attr("fsync").and_then(Value::as_bool).unwrap_or(true);
        match ObjectStore::open(dir, durable) {
            Ok(store) => {
                *self.store.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(store));
                ConfigureResponse::default()
            }
            Err(e) => ConfigureResponse { diagnostics: error(e.to_string()) },
        }
    }

    async fn plan(&self, request: PlanRequest) -> PlanResponse {
        let Some(block) = self.resource_block().filter(|_| is_thing(&request.type_name)) else {
            return PlanResponse { diagnostics: unknown_type(&request.type_name), ..PlanResponse::default() };
        };
        if request.proposed_new_state.is_null() {
            // A destroy: nothing to compute.
            return PlanResponse { planned_state: Some(request.proposed_new_state), ..PlanResponse::default() };
        }
        // The request is ours: its attributes are moved into the plan, not copied.
        let mut planned = into_attributes(request.proposed_new_state, block);
        let mut requires_replace = Vec::new();
        match request.prior_state.filter(|p| !p.is_null()) {
            None => {
                planned.insert("id".to_string(), Value::Unknown(Type::String));
            }
            Some(prior) => {
                let mut prior = into_attributes(prior, block);
                let null = Value::Null(Type::String);
                let name = planned.get("name").unwrap_or(&null);
                let prior_name = prior.get("name").unwrap_or(&null);
                if known_equal(name, prior_name) {
                    planned.insert("id".to_string(), prior.remove("id").unwrap_or(Value::Null(Type::String)));
                } else {
                    requires_replace.push(Path::attr("name"));
                    planned.insert("id".to_string(), Value::Unknown(Type::String));
                }
            }
        }
        PlanResponse { planned_state: Some(Value::Object(planned)), requires_replace, ..PlanResponse::default() }
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        if !is_thing(&request.type_name) {
            return ApplyResponse { diagnostics: unknown_type(&request.type_name), ..ApplyResponse::default() };
        }
        let store = match self.store() {
            Ok(store) => store,
            Err(diagnostics) => {
                return ApplyResponse { new_state: request.prior_state, diagnostics, ..ApplyResponse::default() };
            }
        };
        let prior = request.prior_state.filter(|p| !p.is_null());
        let planned = request.planned_state.filter(|p| !p.is_null());
        match (prior, planned) {
            (Some(prior), None) => self.delete(store, prior, &request.progress).await,
            (None, None) => ApplyResponse::default(),
            (None, Some(planned)) => {
                self.create(store, &planned, &request.config, request.idempotency_token, &request.progress).await
            }
            (Some(prior), Some(planned)) => {
                self.update(store, prior, &planned, &request.config, &request.progress).await
            }
        }
    }

    async fn read(&self, request: ReadRequest) -> ReadResponse {
        if !is_thing(&request.type_name) {
            return ReadResponse { diagnostics: unknown_type(&request.type_name), ..ReadResponse::default() };
        }
        let store = match self.store() {
            Ok(store) => store,
            Err(diagnostics) => return ReadResponse { diagnostics, ..ReadResponse::default() },
        };
        let Some(id) = request.current_state.get_attr("id").and_then(Value::as_str).map(str::to_string) else {
            return ReadResponse {
                diagnostics: error("the state of `testing_thing` has no `id`"),
                ..ReadResponse::default()
            };
        };
        match blocking(store, move |s| s.get(&id)).await {
            // Deleted outside Corral.
            Ok(None) => ReadResponse::default(),
            Ok(Some(object)) => match self.thing_state(&object) {
                Ok(state) => {
                    ReadResponse { new_state: Some(state), private: request.private, ..ReadResponse::default() }
                }
                Err(diagnostics) => {
                    ReadResponse { new_state: Some(request.current_state), diagnostics, ..ReadResponse::default() }
                }
            },
            Err(e) => ReadResponse {
                new_state: Some(request.current_state),
                diagnostics: error(e.to_string()),
                ..ReadResponse::default()
            },
        }
    }

    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse {
        let store = match self.store() {
            Ok(store) => store,
            Err(diagnostics) => return ReadDataResponse { diagnostics, ..ReadDataResponse::default() },
        };
        match request.type_name.as_str() {
            THING => self.read_thing(store, &request.config).await,
            THINGS => self.read_things(store, &request.config).await,
            other => data_error(format!("the `testing` provider has no data source `{other}`")),
        }
    }

    async fn find_created(&self, request: FindCreatedRequest) -> FindCreatedResponse {
        if !is_thing(&request.type_name) {
            return FindCreatedResponse {
                diagnostics: unknown_type(&request.type_name),
                ..FindCreatedResponse::default()
            };
        }
        let store = match self.store() {
            Ok(store) => store,
            Err(diagnostics) => return FindCreatedResponse { diagnostics, ..FindCreatedResponse::default() },
        };
        let token = request.idempotency_token;
        match blocking(store, move |s| s.find_by_token(&token)).await {
            Ok(None) => FindCreatedResponse::default(),
            Ok(Some(object)) => match self.thing_state(&object) {
                Ok(state) => FindCreatedResponse { state: Some(state), ..FindCreatedResponse::default() },
                Err(diagnostics) => FindCreatedResponse { diagnostics, ..FindCreatedResponse::default() },
            },
            Err(e) => FindCreatedResponse { diagnostics: error(e.to_string()), ..FindCreatedResponse::default() },
        }
    }

    async fn import(&self, request: ImportRequest) -> ImportResponse {
        if !is_thing(&request.type_name) {
            return ImportResponse { state: None, diagnostics: unknown_type(&request.type_name) };
        }
        let store = match self.store() {
            Ok(store) => store,
            Err(diagnostics) => return ImportResponse { state: None, diagnostics },
        };
        let id = request.id.clone();
        match blocking(store, move |s| s.get(&id)).await {
            Ok(Some(object)) => match self.thing_state(&object) {
                Ok(state) => ImportResponse { state: Some(state), diagnostics: Diagnostics::new() },
                Err(diagnostics) => ImportResponse { state: None, diagnostics },
            },
            Ok(None) => {
                ImportResponse { state: None, diagnostics: error(format!("no testing_thing has id `{}`", request.id)) }
            }
            Err(e) => ImportResponse { state: None, diagnostics: error(e.to_string()) },
        }
    }
}

/// Runs a blocking store operation off the async workers: fsync can take milliseconds.
async fn blocking<T: Send + 'static>(
    store: Arc<ObjectStore>,
    operation: impl FnOnce(&ObjectStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(move || operation(&store)).await.map_err(|_| StoreError::Interrupted)?
}

async fn sleep(delay_ms: Option<&Value>) {
    sleep_exactly(Duration::from_millis(millis(delay_ms))).await;
}

/// Sleeps `duration` as exactly as the OS allows. Tokio's timer rounds a deadline up to a
/// whole millisecond tick (a 50 ms sleep took 51.2 ms here), and the benchmarks count
/// `delay_ms` as the remote side's time, so an overshoot would be charged to Corral: the
/// last two milliseconds are slept on a blocking thread, whose `nanosleep` is off by
/// microseconds.
async fn sleep_exactly(duration: Duration) {
    if duration.is_zero() {
        return;
    }
    let deadline = Instant::now() + duration;
    let coarse = duration.saturating_sub(Duration::from_millis(2));
    if !coarse.is_zero() {
        tokio::time::sleep(coarse).await;
    }
    let rest = deadline.saturating_duration_since(Instant::now());
    if !rest.is_zero() {
        // Dropped mid-way (an interrupt), the blocking part ends by itself within 2 ms.
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}

/// Waits like a provider polling a remote object that is still `provisioning`: after the
/// report, the operation holds no `parallelism` slot.
async fn wait(wait_ms: Option<&Value>, progress: &Progress) {
    let millis = millis(wait_ms);
    if millis > 0 {
        progress.waiting("provisioning");
        sleep_exactly(Duration::from_millis(millis)).await;
    }
}

fn failed(state: Option<Value>, message: String) -> ApplyResponse {
    ApplyResponse { new_state: state, diagnostics: error(message), ..ApplyResponse::default() }
}

fn data_error(message: String) -> ReadDataResponse {
    ReadDataResponse { diagnostics: error(message), ..ReadDataResponse::default() }
}

fn unknown_type(type_name: &str) -> Diagnostics {
    error(format!("the `testing` provider has no resource type `{type_name}`"))
}

fn name_of(attrs: &BTreeMap<String, Value>) -> String {
    attrs.get("name").and_then(Value::as_str).unwrap_or("").to_string()
}

fn config_str(config: &Value, name: &str) -> String {
    config.get_attr(name).and_then(Value::as_str).unwrap_or("").to_string()
}

/// The object keeps the configured password itself, as a service would; the planned state
/// holds only the engine's digest of it (`password` is write-only).
fn take_password(attrs: &mut BTreeMap<String, Value>, config: &Value) {
    if let Some(password) = config.get_attr("password") {
        attrs.insert("password".to_string(), password.clone());
    }
}

#[cfg(test)]
mod tests;
