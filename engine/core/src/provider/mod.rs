//! The only way the engine talks to providers: the [`Provider`] trait, with one request and
//! one response struct per operation (fields can be added without touching signatures).
//! Built-in providers implement it in process; the plugin host (a later layer) implements it
//! over gRPC. A provider reports problems as diagnostics in its response, never by panicking.

mod progress;
mod proposal;

pub use progress::Progress;
pub use proposal::proposed_new_state;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diag::Diagnostics;
use crate::schema::ProviderSchema;
use crate::value::{Path, Value};

#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// The provider's schema. Cheap; called often.
    fn schema(&self) -> Arc<ProviderSchema>;

    /// Checks a resource's configuration without calling any API (values may be unknown).
    fn validate_resource(&self, request: ValidateResourceRequest) -> ValidateResourceResponse {
        let _ = request;
        ValidateResourceResponse::default()
    }

    /// Configures the provider with its `provider` block (values known).
    async fn configure(&self, request: ConfigureRequest) -> ConfigureResponse;

    /// Proposes the new state of one instance: the config merged with computed values, with
    /// unknowns where the provider cannot know yet, and which attribute paths force
    /// replacement.
    async fn plan(&self, request: PlanRequest) -> PlanResponse;

    /// Carries out a planned change. A create must honour `idempotency_token`: a second
    /// create with the same token returns the object made by the first. A long operation
    /// calls `request.progress.waiting(status)` once the rest is only waiting, so the engine
    /// can use its `parallelism` slot for other work.
    async fn apply(&self, request: ApplyRequest) -> ApplyResponse;

    /// Plans many instances, answering in request order. The planner sends the instances
    /// of a graph level in chunks through here, so a plugin gets one round trip per chunk
    /// instead of one coalesced call per instance. In process, planning is computation:
    /// one after the other is as fast as it gets.
    async fn plan_batch(&self, requests: Vec<PlanRequest>) -> Vec<PlanResponse> {
        let mut responses = Vec::with_capacity(requests.len());
        for request in requests {
            responses.push(self.plan(request).await);
        }
        responses
    }

    /// Refreshes an instance's state from the remote object; `None` when it is gone.
    async fn read(&self, request: ReadRequest) -> ReadResponse;

    /// Refreshes many instances, answering in request order, with at most `concurrency`
    /// reads reaching the remote API at once (the run's `parallelism`).
    async fn read_batch(&self, requests: Vec<ReadRequest>, concurrency: usize) -> Vec<ReadResponse> {
        use futures::stream::{self, StreamExt as _};
        stream::iter(requests).map(|request| self.read(request)).buffered(concurrency.max(1)).collect().await
    }

    /// Reads a data source.
    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse;

    /// Finds the object a create with this idempotency token made, if any. The engine calls
    /// it for create intents left behind by an interrupted apply, to adopt the object
    /// instead of creating a second one.
    async fn find_created(&self, request: FindCreatedRequest) -> FindCreatedResponse;

    /// Plan-time authorization: whether the identity this provider acts as may call each
    /// action (names its schema's `actions` declare) for each instance. The engine asks once
    /// per plan, after planning and before anything is applied. The default says the
    /// provider cannot tell, and the engine skips the check for it.
    async fn authorize(&self, request: AuthorizeRequest) -> AuthorizeResponse {
        let _ = request;
        AuthorizeResponse { supported: false, ..AuthorizeResponse::default() }
    }

    /// Calls one of the functions the schema's `functions` declare. Functions are pure and
    /// quick, so the call is synchronous (the evaluator is), and the engine makes it on an
    /// instance it never configured. Arguments have their parameters' types and are known;
    /// nulls only where the parameter allows them.
    fn call_function(&self, request: CallFunctionRequest) -> CallFunctionResponse {
        CallFunctionResponse::error(format!("this provider has no function named \"{}\"", request.name))
    }

    /// Imports an existing object by its id.
    async fn import(&self, request: ImportRequest) -> ImportResponse {
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(crate::diag::Diagnostic::error(format!(
            "resource type `{}` does not support import",
            request.type_name
        )));
        ImportResponse { state: None, diagnostics }
    }
}

#[derive(Clone, Debug)]
pub struct ValidateResourceRequest {
    pub type_name: String,
    pub config: Value,
}

#[derive(Clone, Debug, Default)]
pub struct ValidateResourceResponse {
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct ConfigureRequest {
    pub config: Value,
    /// The directory Corral keeps its data in (`.corral/` of the working directory), for
    /// providers that keep local data (the testing provider, the sandbox).
    pub data_dir: std::path::PathBuf,
}

#[derive(Clone, Debug, Default)]
pub struct ConfigureResponse {
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct PlanRequest {
    pub type_name: String,
    /// The current state (refreshed), `None` for a create.
    pub prior_state: Option<Value>,
    /// The configuration merged with prior computed values: what the user asked for. Marks
    /// are removed before the call.
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Option<Vec<u8>>,
}

#[derive(Clone, Debug, Default)]
pub struct PlanResponse {
    /// `None` only with error diagnostics.
    pub planned_state: Option<Value>,
    pub requires_replace: Vec<Path>,
    pub planned_private: Option<Vec<u8>>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct ApplyRequest {
    pub type_name: String,
    pub prior_state: Option<Value>,
    /// `None` for a delete.
    pub planned_state: Option<Value>,
    pub config: Value,
    pub planned_private: Option<Vec<u8>>,
    /// Unique per intended create; recorded in the intent journal before the call.
    pub idempotency_token: String,
    /// Where the provider reports that it only waits for the remote side from now on.
    pub progress: Progress,
}

#[derive(Clone, Debug, Default)]
pub struct ApplyResponse {
    /// The new state: `None` after a delete. After a failed create or update the provider
    /// returns whatever partial object exists, so nothing is forgotten.
    pub new_state: Option<Value>,
    pub private: Option<Vec<u8>>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct ReadRequest {
    pub type_name: String,
    pub current_state: Value,
    pub private: Option<Vec<u8>>,
}

#[derive(Clone, Debug, Default)]
pub struct ReadResponse {
    pub new_state: Option<Value>,
    pub private: Option<Vec<u8>>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct ReadDataRequest {
    pub type_name: String,
    pub config: Value,
}

#[derive(Clone, Debug, Default)]
pub struct ReadDataResponse {
    pub state: Option<Value>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct FindCreatedRequest {
    pub type_name: String,
    pub idempotency_token: String,
    /// The state the interrupted create planned, to help the provider look.
    pub planned_state: Option<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct FindCreatedResponse {
    pub state: Option<Value>,
    pub private: Option<Vec<u8>>,
    pub diagnostics: Diagnostics,
}

/// The actions a plan will call, per instance; who calls them is the provider's own
/// configured identity.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuthorizeRequest {
    pub checks: Vec<ActionCheck>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActionCheck {
    /// The instance's address (`mrs_cluster.main`), for the provider's messages.
    pub instance: String,
    pub type_name: String,
    pub action: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuthorizeResponse {
    /// `false`: the provider cannot evaluate its identity's permissions (the check is
    /// skipped for it).
    pub supported: bool,
    /// The checks that would be refused.
    pub denials: Vec<Denial>,
    /// Errors mean the permissions could not be read (not a refusal).
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Denial {
    pub instance: String,
    pub action: String,
    /// Why: the statement that denies it, or that no statement allows it.
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CallFunctionRequest {
    pub name: String,
    pub arguments: Vec<Value>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CallFunctionResponse {
    pub result: Result<Value, FunctionError>,
}

impl CallFunctionResponse {
    pub fn ok(value: Value) -> CallFunctionResponse {
        CallFunctionResponse { result: Ok(value) }
    }

    /// A failure of the call as a whole.
    pub fn error(message: impl Into<String>) -> CallFunctionResponse {
        CallFunctionResponse { result: Err(FunctionError { message: message.into(), argument: None }) }
    }

    /// A failure blamed on the argument at `index` (from 0, variadic ones included): the
    /// engine points its diagnostic at that argument.
    pub fn argument_error(index: usize, message: impl Into<String>) -> CallFunctionResponse {
        CallFunctionResponse { result: Err(FunctionError { message: message.into(), argument: Some(index) }) }
    }
}

/// Terraform's `FunctionError`: a message, and the argument it is about when there is one.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionError {
    pub message: String,
    pub argument: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct ImportRequest {
    pub type_name: String,
    pub id: String,
}

#[derive(Clone, Debug, Default)]
pub struct ImportResponse {
    pub state: Option<Value>,
    pub diagnostics: Diagnostics,
}

/// The providers available to a run, by local name (`testing`, `corral`, `kmr`).
#[derive(Clone, Default)]
pub struct ProviderRegistry {
    providers: BTreeMap<String, Arc<dyn ProviderFactory>>,
}

/// Makes a fresh provider instance for each provider configuration (`kmr` and `kmr.west`
/// are two instances).
pub trait ProviderFactory: Send + Sync {
    fn schema(&self) -> Arc<ProviderSchema>;
    fn instantiate(&self) -> Arc<dyn Provider>;
}

impl ProviderRegistry {
    pub fn new() -> ProviderRegistry {
        ProviderRegistry::default()
    }

    pub fn register(&mut self, name: &str, factory: Arc<dyn ProviderFactory>) {
        self.providers.insert(name.to_string(), factory);
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn ProviderFactory>> {
        self.providers.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }
}
