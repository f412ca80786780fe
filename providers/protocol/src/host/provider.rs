//! [`PluginProvider`]: the engine's `Provider` trait over gRPC, for one provider instance.
//!
//! Every call honours the provider's declared concurrency limit (one permit per instance
//! operation), has a deadline, and turns a dead process into an error diagnostic. The batch
//! forms (`plan_batch`, `read_batch`: the planner's) are batch RPCs; single plans and reads
//! go through a [`Coalescer`], so concurrent ones travel as batches too.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use corral_core::diag::Diagnostics;
use corral_core::provider::{self as p, Provider};
use corral_core::schema::ProviderSchema;
use corral_core::value::Value;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::{OwnedSemaphorePermit, watch};

use super::coalesce::Coalescer;
use super::process::Exit;
use super::{CallError, Connection, LaunchError};
use crate::convert::{
    CodecError, diagnostics_from_wire, opt_value_from_wire, opt_value_to_wire, path_from_wire, value_from_wire,
    value_to_wire, value_to_wire_as,
};
use crate::wire;

/// Batch RPCs of one kind in flight at once per instance; more calls queue and go together.
const MAX_INFLIGHT_BATCHES: usize = 4;
/// Items per batch RPC: several batches in flight let the plugin work on one while this
/// side converts another (one huge batch would make every stage wait for the one before).
const MAX_BATCH: usize = 64;
/// How long to wait, after a call failed at the transport level, for the process's exit to
/// be noticed (the socket closes a moment before the process is reaped).
const EXIT_GRACE: Duration = Duration::from_secs(2);

type PlanCoalescer = Coalescer<p::PlanRequest, p::PlanResponse>;
type ReadCoalescer = Coalescer<p::ReadRequest, p::ReadResponse>;

/// One provider instance in a plugin process.
pub struct PluginProvider {
    name: String,
    instance: u64,
    connection: Result<Arc<Connection>, LaunchError>,
    plans: Option<Arc<PlanCoalescer>>,
    reads: Option<Arc<ReadCoalescer>>,
}

impl PluginProvider {
    pub(crate) fn new(name: String, instance: u64, connection: Result<Arc<Connection>, LaunchError>) -> PluginProvider {
        let (plans, reads) = match &connection {
            Ok(c) => (
                Some(plan_coalescer(c.clone(), name.clone(), instance)),
                Some(read_coalescer(c.clone(), name.clone(), instance)),
            ),
            Err(_) => (None, None),
        };
        PluginProvider { name, instance, connection, plans, reads }
    }

    /// Asks the plugin process to stop (forwarded Ctrl-C): calls in flight finish, later
    /// ones fail.
    pub async fn stop(&self) {
        if let Ok(connection) = &self.connection {
            let connection = connection.clone();
            if let Ok(handle) = super::runtime::handle() {
                let _ = handle.spawn(async move { connection.stop().await }).await;
            }
        }
    }

    /// The instance number this provider has in its plugin process.
    pub fn instance(&self) -> u64 {
        self.instance
    }

    fn connection(&self) -> Result<&Arc<Connection>, CallError> {
        self.connection.as_ref().map_err(|e| CallError::Launch(e.clone()))
    }

    fn error(&self, error: &CallError) -> Diagnostics {
        error.diagnostic(&self.name).into()
    }

    fn codec_error(&self, what: &str, error: CodecError) -> Diagnostics {
        codec_error(&self.name, what, error)
    }
}

/// Runs one unary call: takes `permits` of the concurrency limit, applies the deadline, and
/// turns transport failures of a dead or stopped process into the matching error.
async fn call<T, F>(
    connection: &Connection,
    call: &'static str,
    deadline: Duration,
    permits: u32,
    rpc: F,
) -> Result<T, CallError>
where
    F: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let _permit = acquire(connection, permits).await?;
    run(connection, call, deadline, rpc).await
}

/// Takes `permits` of the provider's concurrency limit, unless the process is gone or stopped.
async fn acquire(connection: &Connection, permits: u32) -> Result<Option<OwnedSemaphorePermit>, CallError> {
    if let Some(exit) = connection.exited() {
        return Err(exited(connection, exit));
    }
    if connection.is_stopped() {
        return Err(CallError::Stopped);
    }
    // One permit per operation, but never more than the whole limit (a batch bigger than
    // the limit would otherwise wait forever; the plugin works through it at its own pace).
    match &connection.limit {
        Some(limit) => limit
            .semaphore
            .clone()
            .acquire_many_owned(permits.clamp(1, limit.max))
            .await
            .map(Some)
            .map_err(|_| CallError::Stopped),
        None => Ok(None),
    }
}

/// Runs one call whose permits (if any) the caller holds: applies the deadline and turns
/// transport failures of a dead or stopped process into the matching error.
async fn run<T, F>(connection: &Connection, call: &'static str, deadline: Duration, rpc: F) -> Result<T, CallError>
where
    F: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let mut exit = connection.exit_watch();
    tokio::select! {
        result = tokio::time::timeout(deadline, rpc) => match result {
            Err(_) => Err(CallError::Timeout { call, after: deadline }),
            Ok(Ok(response)) => Ok(response.into_inner()),
            Ok(Err(status)) => {
                if let Some(exit) = wait_exit(&mut exit, EXIT_GRACE).await {
                    return Err(self::exited(connection, exit));
                }
                if connection.is_stopped() {
                    return Err(CallError::Stopped);
                }
                Err(CallError::Status(status))
            }
        },
        exit = wait_exit(&mut exit, Duration::MAX) => Err(self::exited(connection, exit.unwrap_or(Exit::Unknown))),
    }
}

/// Runs a streamed apply (protocol version 4): forwards each `waiting` event to the
/// request's progress handle while the change runs, and answers with the final response.
///
/// The operation's permit of the provider's concurrency limit goes back at its first
/// `waiting` event, for good: waiting is not work, and a cluster that takes minutes to come
/// up must not keep quick changes of the same provider queued behind it (the engine gives
/// back its `--parallelism` slot at the same moment).
async fn apply_events(
    mut client: wire::provider_client::ProviderClient<tonic::transport::Channel>,
    message: wire::apply_resource_change::Request,
    deadline: Duration,
    progress: p::Progress,
    mut permit: Option<OwnedSemaphorePermit>,
) -> Result<tonic::Response<wire::apply_resource_change::Response>, tonic::Status> {
    use wire::apply_resource_change::event::Event;
    let mut events = client.apply_resource_change(self::request(message, deadline)).await?.into_inner();
    while let Some(event) = events.message().await? {
        match event.event {
            Some(Event::Waiting(waiting)) => {
                drop(permit.take());
                progress.waiting(&waiting.status)
            }
            Some(Event::Response(response)) => return Ok(tonic::Response::new(response)),
            None => {}
        }
    }
    Err(tonic::Status::internal("the plugin ended the apply without a response"))
}

fn exited(connection: &Connection, exit: Exit) -> CallError {
    if connection.is_stopped() && exit == Exit::Code(0) { CallError::Stopped } else { CallError::Exited(exit) }
}

async fn wait_exit(exit: &mut watch::Receiver<Option<Exit>>, within: Duration) -> Option<Exit> {
    let wait = exit.wait_for(Option::is_some);
    let result = if within == Duration::MAX {
        wait.await.ok().map(|e| e.clone())
    } else {
        tokio::time::timeout(within, wait).await.ok().and_then(|r| r.ok()).map(|e| e.clone())
    };
    result.flatten()
}

fn request<T>(message: T, deadline: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(deadline);
    request
}

/// A failed call as the one-line message of a function error.
fn call_error_text(error: &CallError, provider: &str) -> String {
    let diagnostic = error.diagnostic(provider);
    match diagnostic.detail {
        Some(detail) => format!("{}: {detail}", diagnostic.summary),
        None => diagnostic.summary,
    }
}

fn codec_error(provider: &str, what: &str, error: CodecError) -> Diagnostics {
    CallError::Protocol(format!("its answer to `{what}` is unreadable: {error}")).diagnostic(provider).into()
}

/// Plans travel in batches. A batch is encoded, sent and decoded on the plugin runtime, not
/// in the callers' tasks: the planner polls all its in-flight plans from one task, so work
/// done in the caller is done on the engine's one busy thread, while the plugin runtime's
/// threads are mostly waiting for the plugin. Converting there (and dropping the request
/// values there) keeps the engine's thread to what it does for an in-process provider.
fn plan_coalescer(connection: Arc<Connection>, provider: String, instance: u64) -> Arc<PlanCoalescer> {
    Coalescer::new(
        Arc::new(move |requests: Vec<p::PlanRequest>| {
            send_plans(connection.clone(), provider.clone(), instance, requests)
        }),
        MAX_INFLIGHT_BATCHES,
        MAX_BATCH,
    )
}

/// One `PlanResourceChanges` round trip, run on the plugin runtime.
fn send_plans(
    connection: Arc<Connection>,
    provider: String,
    instance: u64,
    requests: Vec<p::PlanRequest>,
) -> BoxFuture<'static, Result<Vec<p::PlanResponse>, CallError>> {
    on_plugin_runtime(async move {
        let deadline = connection.deadlines.plan;
        let permits = requests.len() as u32;
        let (items, kept): (Vec<_>, Vec<_>) = requests.into_iter().map(|r| plan_item(&connection, r)).unzip();
        let mut client = connection.client.clone();
        let message = wire::plan_resource_changes::Request { instance, items };
        let response = call(&connection, "plan", deadline, permits, async move {
            client.plan_resource_changes(request(message, deadline)).await
        })
        .await?;
        check_count("plan", kept.len(), response.results.len())?;
        let results = response.results.into_iter().zip(kept);
        Ok(results.map(|(result, kept)| plan_response(&connection, &provider, kept, result)).collect())
    })
}

/// A batch answered with the wrong number of results is a broken plugin, not a short answer.
fn check_count(call: &str, sent: usize, answered: usize) -> Result<(), CallError> {
    if sent == answered {
        Ok(())
    } else {
        Err(CallError::Protocol(format!("it answered a `{call}` batch of {sent} with {answered} results")))
    }
}

/// What the host keeps of a request while its batch is out: the type, and the value the
/// plugin may answer "as sent" about (a plan's proposed new state, a read's current state).
struct Kept {
    type_name: String,
    value: Value,
}

/// The item to send (the proposed new state stays here: the plugin computes it).
fn plan_item(connection: &Connection, request: p::PlanRequest) -> (wire::plan_resource_changes::Item, Kept) {
    let ty = connection.types.resource(&request.type_name);
    let item = wire::plan_resource_changes::Item {
        prior_state: opt_value_to_wire(request.prior_state.as_ref(), ty),
        config: Some(value_to_wire_as(&request.config, ty)),
        type_name: request.type_name.clone(),
        prior_private: request.prior_private,
    };
    (item, Kept { type_name: request.type_name, value: request.proposed_new_state })
}

fn plan_response(
    connection: &Connection,
    provider: &str,
    kept: Kept,
    result: wire::plan_resource_changes::Result,
) -> p::PlanResponse {
    let mut diagnostics = diagnostics_from_wire(&result.diagnostics);
    let ty = connection.types.resource(&kept.type_name);
    let planned_state = if result.planned_is_proposed {
        Some(kept.value)
    } else {
        opt_value_from_wire(result.planned_state.as_ref(), ty).unwrap_or_else(|e| {
            diagnostics.extend(codec_error(provider, "plan", e));
            None
        })
    };
    let requires_replace =
        result.requires_replace.iter().map(path_from_wire).collect::<Result<Vec<_>, _>>().unwrap_or_else(|e| {
            diagnostics.extend(codec_error(provider, "plan", e));
            Vec::new()
        });
    p::PlanResponse { planned_state, requires_replace, planned_private: result.planned_private, diagnostics }
}

/// Reads travel in batches, converted on the plugin runtime (see [`plan_coalescer`]).
fn read_coalescer(connection: Arc<Connection>, provider: String, instance: u64) -> Arc<ReadCoalescer> {
    Coalescer::new(
        Arc::new(move |requests: Vec<p::ReadRequest>| {
            send_reads(connection.clone(), provider.clone(), instance, requests, 0)
        }),
        MAX_INFLIGHT_BATCHES,
        MAX_BATCH,
    )
}

/// One `ReadResources` round trip, run on the plugin runtime; `concurrency` 0 leaves the
/// pace to the plugin.
fn send_reads(
    connection: Arc<Connection>,
    provider: String,
    instance: u64,
    requests: Vec<p::ReadRequest>,
    concurrency: u32,
) -> BoxFuture<'static, Result<Vec<p::ReadResponse>, CallError>> {
    on_plugin_runtime(async move {
        let deadline = connection.deadlines.read;
        let permits = requests.len() as u32;
        let (items, kept): (Vec<_>, Vec<_>) = requests.into_iter().map(|r| read_item(&connection, r)).unzip();
        let mut client = connection.client.clone();
        let message = wire::read_resources::Request { instance, items, concurrency };
        let response = call(&connection, "read", deadline, permits, async move {
            client.read_resources(request(message, deadline)).await
        })
        .await?;
        check_count("read", kept.len(), response.results.len())?;
        let results = response.results.into_iter().zip(kept);
        Ok(results.map(|(result, kept)| read_response(&connection, &provider, kept, result)).collect())
    })
}

/// Sends `requests` as batch RPCs of at most [`MAX_BATCH`] items, all at once, and answers
/// in order; every item of a failed batch gets the failure.
async fn in_batches<I, R>(
    requests: Vec<I>,
    send: impl Fn(Vec<I>) -> BoxFuture<'static, Result<Vec<R>, CallError>>,
    failed: impl Fn(&CallError) -> R,
) -> Vec<R> {
    let mut batches = Vec::new();
    let mut sizes = Vec::new();
    let mut requests = requests.into_iter().peekable();
    while requests.peek().is_some() {
        let batch: Vec<I> = requests.by_ref().take(MAX_BATCH).collect();
        sizes.push(batch.len());
        batches.push(send(batch));
    }
    let mut responses = Vec::new();
    for (result, size) in futures::future::join_all(batches).await.into_iter().zip(sizes) {
        match result {
            Ok(results) => responses.extend(results),
            Err(error) => responses.extend((0..size).map(|_| failed(&error))),
        }
    }
    responses
}

fn read_item(connection: &Connection, request: p::ReadRequest) -> (wire::read_resources::Item, Kept) {
    let item = wire::read_resources::Item {
        current_state: Some(value_to_wire_as(&request.current_state, connection.types.resource(&request.type_name))),
        type_name: request.type_name.clone(),
        private: request.private,
    };
    (item, Kept { type_name: request.type_name, value: request.current_state })
}

fn read_response(
    connection: &Connection,
    provider: &str,
    kept: Kept,
    result: wire::read_resources::Result,
) -> p::ReadResponse {
    let mut diagnostics = diagnostics_from_wire(&result.diagnostics);
    let ty = connection.types.resource(&kept.type_name);
    let new_state = if result.unchanged {
        Some(kept.value)
    } else {
        opt_value_from_wire(result.new_state.as_ref(), ty).unwrap_or_else(|e| {
            diagnostics.extend(codec_error(provider, "read", e));
            None
        })
    };
    p::ReadResponse { new_state, private: result.private, diagnostics }
}

/// Runs a batch on the plugin runtime. Dropping the returned future (the caller was
/// cancelled) aborts the batch, as dropping an RPC future in place would.
fn on_plugin_runtime<R: Send + 'static>(
    batch: impl Future<Output = Result<Vec<R>, CallError>> + Send + 'static,
) -> BoxFuture<'static, Result<Vec<R>, CallError>> {
    let handle = match super::runtime::handle() {
        Ok(handle) => handle,
        Err(e) => return futures::future::ready(Err(CallError::Launch(LaunchError::Runtime(e)))).boxed(),
    };
    let task = AbortOnDrop(handle.spawn(batch));
    async move {
        let mut task = task;
        (&mut task.0).await.unwrap_or_else(|e| {
            Err(if e.is_cancelled() {
                CallError::Cancelled
            } else {
                CallError::Protocol(format!("a batch failed: {e}"))
            })
        })
    }
    .boxed()
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[async_trait::async_trait]
impl Provider for PluginProvider {
    fn schema(&self) -> Arc<ProviderSchema> {
        match &self.connection {
            Ok(connection) => connection.schema.clone(),
            Err(_) => Arc::new(ProviderSchema::default()),
        }
    }

    /// Validation is not a call of its own: the plugin validates every configuration it is
    /// asked to plan, in the same batch, so a plan of 10k instances costs no 10k extra
    /// sequential round trips (the trait's `validate_resource` is synchronous and per
    /// instance, so it cannot be batched). Its diagnostics arrive with the plan's.
    fn validate_resource(&self, request: p::ValidateResourceRequest) -> p::ValidateResourceResponse {
        let _ = request;
        // A plugin that could not start is still reported here, at no cost.
        match self.connection() {
            Ok(_) => p::ValidateResourceResponse::default(),
            Err(e) => p::ValidateResourceResponse { diagnostics: self.error(&e) },
        }
    }

    async fn configure(&self, request: p::ConfigureRequest) -> p::ConfigureResponse {
        let connection = match self.connection() {
            Ok(c) => c,
            Err(e) => return p::ConfigureResponse { diagnostics: self.error(&e) },
        };
        let deadline = connection.deadlines.configure;
        let message = wire::configure_provider::Request {
            instance: self.instance,
            config: Some(value_to_wire_as(&request.config, connection.types.provider())),
            data_dir: request.data_dir.display().to_string(),
        };
        let mut client = connection.client.clone();
        match call(connection, "configure", deadline, 1, client.configure_provider(self::request(message, deadline)))
            .await
        {
            Ok(response) => p::ConfigureResponse { diagnostics: diagnostics_from_wire(&response.diagnostics) },
            Err(e) => p::ConfigureResponse { diagnostics: self.error(&e) },
        }
    }

    async fn plan(&self, request: p::PlanRequest) -> p::PlanResponse {
        let Some(plans) = &self.plans else {
            return p::PlanResponse {
                diagnostics: self.error(&self.connection().err().unwrap_or(CallError::Cancelled)),
                ..Default::default()
            };
        };
        plans
            .call(request)
            .await
            .unwrap_or_else(|e| p::PlanResponse { diagnostics: self.error(&e), ..Default::default() })
    }

    async fn plan_batch(&self, requests: Vec<p::PlanRequest>) -> Vec<p::PlanResponse> {
        let connection = match self.connection() {
            Ok(c) => c.clone(),
            Err(e) => {
                return requests
                    .iter()
                    .map(|_| p::PlanResponse { diagnostics: self.error(&e), ..Default::default() })
                    .collect();
            }
        };
        let send = |batch| send_plans(connection.clone(), self.name.clone(), self.instance, batch);
        in_batches(requests, send, |e| p::PlanResponse { diagnostics: self.error(e), ..Default::default() }).await
    }

    async fn apply(&self, request: p::ApplyRequest) -> p::ApplyResponse {
        let connection = match self.connection() {
            Ok(c) => c,
            Err(e) => return p::ApplyResponse { diagnostics: self.error(&e), ..Default::default() },
        };
        let deadline = connection.deadlines.apply;
        let ty = connection.types.resource(&request.type_name);
        let message = wire::apply_resource_change::Request {
            instance: self.instance,
            prior_state: opt_value_to_wire(request.prior_state.as_ref(), ty),
            planned_state: opt_value_to_wire(request.planned_state.as_ref(), ty),
            config: Some(value_to_wire_as(&request.config, ty)),
            type_name: request.type_name,
            planned_private: request.planned_private,
            idempotency_token: request.idempotency_token,
        };
        let client = connection.client.clone();
        let events = async {
            let permit = acquire(connection, 1).await?;
            run(connection, "apply", deadline, apply_events(client, message, deadline, request.progress, permit)).await
        };
        let response = match events.await {
            Ok(response) => response,
            Err(e) => return p::ApplyResponse { diagnostics: self.error(&e), ..Default::default() },
        };
        let mut diagnostics = diagnostics_from_wire(&response.diagnostics);
        let new_state = opt_value_from_wire(response.new_state.as_ref(), ty).unwrap_or_else(|e| {
            diagnostics.extend(self.codec_error("apply", e));
            None
        });
        p::ApplyResponse { new_state, private: response.private, diagnostics }
    }

    async fn read(&self, request: p::ReadRequest) -> p::ReadResponse {
        let Some(reads) = &self.reads else {
            return p::ReadResponse {
                diagnostics: self.error(&self.connection().err().unwrap_or(CallError::Cancelled)),
                ..Default::default()
            };
        };
        reads
            .call(request)
            .await
            .unwrap_or_else(|e| p::ReadResponse { diagnostics: self.error(&e), ..Default::default() })
    }

    async fn read_batch(&self, requests: Vec<p::ReadRequest>, concurrency: usize) -> Vec<p::ReadResponse> {
        let connection = match self.connection() {
            Ok(c) => c.clone(),
            Err(e) => {
                return requests
                    .iter()
                    .map(|_| p::ReadResponse { diagnostics: self.error(&e), ..Default::default() })
                    .collect();
            }
        };
        // The engine's limit covers all the batches it sends together: split it among them.
        let batches = requests.len().div_ceil(MAX_BATCH).max(1);
        let concurrency = u32::try_from((concurrency / batches).max(1)).unwrap_or(u32::MAX);
        let send = |batch| send_reads(connection.clone(), self.name.clone(), self.instance, batch, concurrency);
        in_batches(requests, send, |e| p::ReadResponse { diagnostics: self.error(e), ..Default::default() }).await
    }

    async fn read_data(&self, request: p::ReadDataRequest) -> p::ReadDataResponse {
        let connection = match self.connection() {
            Ok(c) => c,
            Err(e) => return p::ReadDataResponse { diagnostics: self.error(&e), ..Default::default() },
        };
        let deadline = connection.deadlines.read_data;
        let ty = connection.types.data_source(&request.type_name);
        let message = wire::read_data_source::Request {
            instance: self.instance,
            config: Some(value_to_wire_as(&request.config, ty)),
            type_name: request.type_name,
        };
        let mut client = connection.client.clone();
        let response =
            match call(connection, "read_data", deadline, 1, client.read_data_source(self::request(message, deadline)))
                .await
            {
                Ok(response) => response,
                Err(e) => return p::ReadDataResponse { diagnostics: self.error(&e), ..Default::default() },
            };
        let mut diagnostics = diagnostics_from_wire(&response.diagnostics);
        let state = opt_value_from_wire(response.state.as_ref(), ty).unwrap_or_else(|e| {
            diagnostics.extend(self.codec_error("read_data", e));
            None
        });
        p::ReadDataResponse { state, diagnostics }
    }

    async fn find_created(&self, request: p::FindCreatedRequest) -> p::FindCreatedResponse {
        let connection = match self.connection() {
            Ok(c) => c,
            Err(e) => return p::FindCreatedResponse { diagnostics: self.error(&e), ..Default::default() },
        };
        let deadline = connection.deadlines.find_created;
        let ty = connection.types.resource(&request.type_name);
        let message = wire::find_created::Request {
            instance: self.instance,
            planned_state: opt_value_to_wire(request.planned_state.as_ref(), ty),
            type_name: request.type_name,
            idempotency_token: request.idempotency_token,
        };
        let mut client = connection.client.clone();
        let response =
            match call(connection, "find_created", deadline, 1, client.find_created(self::request(message, deadline)))
                .await
            {
                Ok(response) => response,
                Err(e) => return p::FindCreatedResponse { diagnostics: self.error(&e), ..Default::default() },
            };
        let mut diagnostics = diagnostics_from_wire(&response.diagnostics);
        let state = opt_value_from_wire(response.state.as_ref(), ty).unwrap_or_else(|e| {
            diagnostics.extend(self.codec_error("find_created", e));
            None
        });
        p::FindCreatedResponse { state, private: response.private, diagnostics }
    }

    async fn authorize(&self, request: p::AuthorizeRequest) -> p::AuthorizeResponse {
        let connection = match self.connection() {
            Ok(c) => c,
            Err(e) => return p::AuthorizeResponse { diagnostics: self.error(&e), ..Default::default() },
        };
        let deadline = connection.deadlines.authorize;
        let checks = request
            .checks
            .into_iter()
            .map(|c| wire::authorize::Check { instance: c.instance, type_name: c.type_name, action: c.action })
            .collect();
        let message = wire::authorize::Request { instance: self.instance, checks };
        let mut client = connection.client.clone();
        let response = match call(
            connection,
            "authorize",
            deadline,
            1,
            client.authorize(self::request(message, deadline)),
        )
        .await
        {
            Ok(response) => response,
            // A plugin built before the method existed cannot tell.
            Err(CallError::Status(status)) if status.code() == tonic::Code::Unimplemented => {
                return p::AuthorizeResponse::default();
            }
            Err(e) => return p::AuthorizeResponse { diagnostics: self.error(&e), ..Default::default() },
        };
        p::AuthorizeResponse {
            supported: response.supported,
            denials: response
                .denials
                .into_iter()
                .map(|d| p::Denial { instance: d.instance, action: d.action, reason: d.reason })
                .collect(),
            diagnostics: diagnostics_from_wire(&response.diagnostics),
        }
    }

    /// Blocks on the plugin runtime, which is safe from any context (see `runtime`): the
    /// evaluator that calls functions is synchronous.
    fn call_function(&self, request: p::CallFunctionRequest) -> p::CallFunctionResponse {
        let connection = match self.connection() {
            Ok(c) => c.clone(),
            Err(e) => return p::CallFunctionResponse::error(call_error_text(&e, &self.name)),
        };
        let name = self.name.clone();
        let message = wire::call_function::Request {
            instance: self.instance,
            arguments: request.arguments.iter().map(value_to_wire).collect(),
            name: request.name,
        };
        let outcome = super::runtime::block_on(async move {
            // A function is computation, as quick as validating a configuration.
            let deadline = connection.deadlines.validate;
            let mut client = connection.client.clone();
            let rpc = client.call_function(self::request(message, deadline));
            match call(&connection, "call_function", deadline, 1, rpc).await {
                Ok(response) => match (response.error, response.result) {
                    (Some(e), _) => p::CallFunctionResponse {
                        result: Err(p::FunctionError {
                            message: e.text,
                            argument: e.argument.and_then(|a| usize::try_from(a).ok()),
                        }),
                    },
                    (None, Some(result)) => match value_from_wire(&result) {
                        Ok(value) => p::CallFunctionResponse::ok(value),
                        Err(e) => p::CallFunctionResponse::error(format!(
                            "the provider `{name}` answered with an unreadable result: {e}"
                        )),
                    },
                    (None, None) => {
                        p::CallFunctionResponse::error(format!("the provider `{name}` answered with no result"))
                    }
                },
                Err(CallError::Status(status)) if status.code() == tonic::Code::Unimplemented => {
                    p::CallFunctionResponse::error(format!("the provider `{name}` does not support functions"))
                }
                Err(e) => p::CallFunctionResponse::error(call_error_text(&e, &name)),
            }
        });
        outcome.unwrap_or_else(p::CallFunctionResponse::error)
    }

    async fn import(&self, request: p::ImportRequest) -> p::ImportResponse {
        let connection = match self.connection() {
            Ok(c) => c,
            Err(e) => return p::ImportResponse { diagnostics: self.error(&e), ..Default::default() },
        };
        let deadline = connection.deadlines.import;
        let type_name = request.type_name;
        let message = wire::import_resource_state::Request {
            instance: self.instance,
            type_name: type_name.clone(),
            id: request.id,
        };
        let mut client = connection.client.clone();
        let response = match call(
            connection,
            "import",
            deadline,
            1,
            client.import_resource_state(self::request(message, deadline)),
        )
        .await
        {
            Ok(response) => response,
            Err(e) => return p::ImportResponse { diagnostics: self.error(&e), ..Default::default() },
        };
        let mut diagnostics = diagnostics_from_wire(&response.diagnostics);
        let ty = connection.types.resource(&type_name);
        let state = opt_value_from_wire(response.state.as_ref(), ty).unwrap_or_else(|e| {
            diagnostics.extend(self.codec_error("import", e));
            None
        });
        p::ImportResponse { state, diagnostics }
    }
}
