//! The plugin side: serves a [`ProviderFactory`] over gRPC on a Unix socket.
//!
//! [`serve`] binds a socket in a fresh temporary directory, prints the handshake line on
//! stdout, and serves until the host asks it to stop (`Stop`: calls in flight finish first)
//! or goes away (see [`crate::lifeline`]: exit at once, nobody is listening). The socket
//! directory is removed either way.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use corral_core::provider::{self as p, Provider, ProviderFactory};
use corral_core::schema::{BlockSchema, ProviderSchema};
use futures::StreamExt;
use tokio::sync::watch;
use tonic::{Request, Response, Status};

use crate::convert::{
    CodecError, SchemaTypes, diagnostics_to_wire, opt_value_from_wire, opt_value_to_wire, path_to_wire,
    req_value_from_wire, value_from_wire, value_to_wire,
};
use crate::handshake::Handshake;
use crate::lifeline::{self, SocketDir};
use crate::wire;
use crate::wire::provider_server::{Provider as ProviderService, ProviderServer};

mod apply_events;
mod in_flight;
use apply_events::ApplyEvents;
use in_flight::InFlight;

#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// The most provider operations the host may have in flight at once (0: no limit). The
    /// host enforces it; the plugin also works through a batch at most this many at a time.
    pub max_concurrency: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot create the socket directory: {0}")]
    TempDir(std::io::Error),
    #[error("cannot listen on `{path}`: {source}")]
    Bind { path: String, source: std::io::Error },
    #[error("cannot write the handshake: {0}")]
    Handshake(std::io::Error),
    #[error("the gRPC server failed: {0}")]
    Server(#[from] tonic::transport::Error),
}

/// How many items of a batch run at once when the provider declares no limit.
const DEFAULT_BATCH_CONCURRENCY: usize = 64;

/// A plugin executable's whole `main`: logs to stderr (filter `CORRAL_LOG`, default
/// `info`), a tokio runtime, and [`serve`].
pub fn plugin_main(factory: Arc<dyn ProviderFactory>, options: ServeOptions) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CORRAL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Plain lines (no colour, no time): the host parses the level and re-logs the rest.
    // A host that is gone leaves stderr closed: logging must then fail quietly (by default
    // the subscriber reports the failure with `eprintln!`, which panics on a closed stderr).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .log_internal_errors(false)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(serve(factory, options));
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::from(1)
        }
    }
}

/// Serves `factory` until stopped. Prints exactly one line on stdout: the handshake.
pub async fn serve(factory: Arc<dyn ProviderFactory>, options: ServeOptions) -> Result<(), ServeError> {
    let dir = tempfile::Builder::new().prefix("corral-plugin-").tempdir().map_err(ServeError::TempDir)?;
    let dir = SocketDir::new(dir);
    let result = serve_in(&dir, factory, options).await;
    dir.remove();
    result
}

async fn serve_in(
    dir: &Arc<SocketDir>,
    factory: Arc<dyn ProviderFactory>,
    options: ServeOptions,
) -> Result<(), ServeError> {
    let socket = match dir.path() {
        Some(path) => path.join("provider.sock"),
        None => return Err(ServeError::TempDir(std::io::Error::other("the socket directory is gone"))),
    };
    let listener = tokio::net::UnixListener::bind(&socket)
        .map_err(|source| ServeError::Bind { path: socket.display().to_string(), source })?;
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", Handshake::new(socket.clone()).line()).map_err(ServeError::Handshake)?;
        stdout.flush().map_err(ServeError::Handshake)?;
    }
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let in_flight = InFlight::new();
    lifeline::watch(dir);
    tokio::spawn(ignore_interrupts());
    let schema = factory.schema();
    let types = SchemaTypes::new(&schema);
    let service = Service {
        factory,
        schema,
        types,
        instances: Mutex::new(HashMap::new()),
        max_concurrency: options.max_concurrency,
        stop: stop_tx,
        in_flight: in_flight.clone(),
    };
    let server = ProviderServer::new(service)
        .max_decoding_message_size(crate::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(crate::MAX_MESSAGE_BYTES);
    let incoming = tokio_stream::wrappers::UnixListenerStream::new(listener);
    tracing::debug!(socket = %socket.display(), "serving");
    tonic::transport::Server::builder()
        .add_service(server)
        .serve_with_incoming_shutdown(incoming, async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
            in_flight.drained().await;
        })
        .await?;
    Ok(())
}

/// Ctrl-C in a terminal reaches the whole process group, plugins included. The host
/// decides what an interrupt means (finish the calls in flight, then `Stop`), so a plugin
/// must not die of it halfway through creating something.
async fn ignore_interrupts() {
    while tokio::signal::ctrl_c().await.is_ok() {
        tracing::debug!("interrupt ignored: the host stops us when it is time");
    }
}

struct Service {
    factory: Arc<dyn ProviderFactory>,
    /// Taken once: plans need each resource type's block to compute the proposed new state.
    schema: Arc<ProviderSchema>,
    /// What values of each message are without a type of their own (protocol version 2).
    types: SchemaTypes,
    /// Provider instances by the host's instance number (one per provider configuration).
    instances: Mutex<HashMap<u64, Arc<dyn Provider>>>,
    max_concurrency: u32,
    stop: watch::Sender<bool>,
    /// Calls still running: the server shuts down only once they have answered.
    in_flight: InFlight,
}

impl Service {
    fn instance(&self, id: u64) -> Arc<dyn Provider> {
        let mut instances = self.instances.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        instances.entry(id).or_insert_with(|| self.factory.instantiate()).clone()
    }

    fn batch_concurrency(&self) -> usize {
        if self.max_concurrency == 0 { DEFAULT_BATCH_CONCURRENCY } else { self.max_concurrency as usize }
    }

    /// A read batch honours the host's limit within the plugin's own.
    fn read_concurrency(&self, requested: u32) -> usize {
        let own = self.batch_concurrency();
        if requested == 0 { own } else { own.min(requested as usize) }
    }
}

fn bad_request(e: CodecError) -> Status {
    Status::invalid_argument(e.to_string())
}

#[tonic::async_trait]
impl ProviderService for Service {
    async fn get_schema(
        &self,
        _request: Request<wire::get_schema::Request>,
    ) -> Result<Response<wire::get_schema::Response>, Status> {
        let schema = self.factory.schema();
        let schema_json = serde_json::to_vec(&*schema).map_err(|e| Status::internal(e.to_string()))?;
        Ok(Response::new(wire::get_schema::Response {
            schema_json,
            max_concurrency: self.max_concurrency,
            diagnostics: Vec::new(),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<wire::validate_resource_config::Request>,
    ) -> Result<Response<wire::validate_resource_config::Response>, Status> {
        let _in_flight = self.in_flight.enter();
        let r = request.into_inner();
        let config =
            req_value_from_wire(r.config.as_ref(), self.types.resource(&r.type_name), "config").map_err(bad_request)?;
        let response =
            self.instance(r.instance).validate_resource(p::ValidateResourceRequest { type_name: r.type_name, config });
        Ok(Response::new(wire::validate_resource_config::Response {
            diagnostics: diagnostics_to_wire(&response.diagnostics),
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<wire::configure_provider::Request>,
    ) -> Result<Response<wire::configure_provider::Response>, Status> {
        let _in_flight = self.in_flight.enter();
        let r = request.into_inner();
        let config = req_value_from_wire(r.config.as_ref(), self.types.provider(), "config").map_err(bad_request)?;
        let response = self
            .instance(r.instance)
            .configure(p::ConfigureRequest { config, data_dir: std::path::PathBuf::from(r.data_dir) })
            .await;
        Ok(Response::new(wire::configure_provider::Response {
            diagnostics: diagnostics_to_wire(&response.diagnostics),
        }))
    }

    async fn plan_resource_changes(
        &self,
        request: Request<wire::plan_resource_changes::Request>,
    ) -> Result<Response<wire::plan_resource_changes::Response>, Status> {
        let _in_flight = self.in_flight.enter();
        let r = request.into_inner();
        let provider = self.instance(r.instance);
        let mut requests = Vec::with_capacity(r.items.len());
        let no_block = BlockSchema::new();
        for item in r.items {
            let ty = self.types.resource(&item.type_name);
            let prior_state = opt_value_from_wire(item.prior_state.as_ref(), ty).map_err(bad_request)?;
            let config = req_value_from_wire(item.config.as_ref(), ty, "config").map_err(bad_request)?;
            // An unknown type proposes its configuration; the provider reports the type.
            let block = self.schema.resources.get(&item.type_name).map_or(&no_block, |r| &r.block);
            requests.push(p::PlanRequest::new(block, item.type_name, prior_state, config, item.prior_private));
        }
        let results = futures::stream::iter(requests)
            .map(|request| {
                let provider = provider.clone();
                async move {
                    // Validation travels with the plan batch (see the host's
                    // `validate_resource`): one round trip per batch, not one per instance.
                    // A planned deletion (null configuration) has nothing to validate.
                    let validation = if request.config.is_null() {
                        p::ValidateResourceResponse::default()
                    } else {
                        provider.validate_resource(p::ValidateResourceRequest {
                            type_name: request.type_name.clone(),
                            config: request.config.clone(),
                        })
                    };
                    let type_name = request.type_name.clone();
                    if validation.diagnostics.has_errors() {
                        let response =
                            p::PlanResponse { diagnostics: validation.diagnostics, ..p::PlanResponse::default() };
                        return (type_name, response, false);
                    }
                    // The host has the proposal too: a plan that keeps it is sent as a flag.
                    let proposed = request.proposed_new_state.clone();
                    let mut response = provider.plan(request).await;
                    let mut diagnostics = validation.diagnostics;
                    diagnostics.extend(std::mem::take(&mut response.diagnostics));
                    response.diagnostics = diagnostics;
                    let as_proposed = response.planned_state.as_ref() == Some(&proposed);
                    (type_name, response, as_proposed)
                }
            })
            .buffered(self.batch_concurrency())
            .map(|(type_name, response, as_proposed)| wire::plan_resource_changes::Result {
                planned_state: if as_proposed {
                    None
                } else {
                    opt_value_to_wire(response.planned_state.as_ref(), self.types.resource(&type_name))
                },
                requires_replace: response.requires_replace.iter().map(path_to_wire).collect(),
                planned_private: response.planned_private,
                diagnostics: diagnostics_to_wire(&response.diagnostics),
                planned_is_proposed: as_proposed,
            })
            .collect()
            .await;
        Ok(Response::new(wire::plan_resource_changes::Response { results }))
    }

    type ApplyResourceChangeStream = ApplyEvents;

    async fn apply_resource_change(
        &self,
        request: Request<wire::apply_resource_change::Request>,
    ) -> Result<Response<ApplyEvents>, Status> {
        let in_flight = self.in_flight.enter();
        let r = request.into_inner();
        let ty = self.types.resource(&r.type_name).cloned();
        let prior_state = opt_value_from_wire(r.prior_state.as_ref(), ty.as_ref()).map_err(bad_request)?;
        let planned_state = opt_value_from_wire(r.planned_state.as_ref(), ty.as_ref()).map_err(bad_request)?;
        let config = req_value_from_wire(r.config.as_ref(), ty.as_ref(), "config").map_err(bad_request)?;
        let provider = self.instance(r.instance);
        let events = ApplyEvents::new(move |progress| {
            let request = p::ApplyRequest {
                prior_state,
                planned_state,
                config,
                type_name: r.type_name,
                planned_private: r.planned_private,
                idempotency_token: r.idempotency_token,
                progress,
            };
            Box::pin(async move {
                let _in_flight = in_flight;
                let response = provider.apply(request).await;
                wire::apply_resource_change::Response {
                    new_state: opt_value_to_wire(response.new_state.as_ref(), ty.as_ref()),
                    private: response.private,
                    diagnostics: diagnostics_to_wire(&response.diagnostics),
                }
            })
        });
        Ok(Response::new(events))
    }

    async fn read_resources(
        &self,
        request: Request<wire::read_resources::Request>,
    ) -> Result<Response<wire::read_resources::Response>, Status> {
        let _in_flight = self.in_flight.enter();
        let r = request.into_inner();
        let provider = self.instance(r.instance);
        let mut requests = Vec::with_capacity(r.items.len());
        for item in r.items {
            let ty = self.types.resource(&item.type_name);
            requests.push(p::ReadRequest {
                current_state: req_value_from_wire(item.current_state.as_ref(), ty, "current_state")
                    .map_err(bad_request)?,
                type_name: item.type_name,
                private: item.private,
            });
        }
        let results = futures::stream::iter(requests)
            .map(|request| {
                let provider = provider.clone();
                async move {
                    // The host keeps what it sent: an object found as it was is sent as a flag.
                    let sent = request.current_state.clone();
                    let type_name = request.type_name.clone();
                    let response = provider.read(request).await;
                    let unchanged = response.new_state.as_ref() == Some(&sent);
                    (type_name, response, unchanged)
                }
            })
            .buffered(self.read_concurrency(r.concurrency))
            .map(|(type_name, response, unchanged)| wire::read_resources::Result {
                new_state: if unchanged {
                    None
                } else {
                    opt_value_to_wire(response.new_state.as_ref(), self.types.resource(&type_name))
                },
                private: response.private,
                diagnostics: diagnostics_to_wire(&response.diagnostics),
                unchanged,
            })
            .collect()
            .await;
        Ok(Response::new(wire::read_resources::Response { results }))
    }

    async fn read_data_source(
        &self,
        request: Request<wire::read_data_source::Request>,
    ) -> Result<Response<wire::read_data_source::Response>, Status> {
        let _in_flight = self.in_flight.enter();
        let r = request.into_inner();
        let ty = self.types.data_source(&r.type_name);
        let config = req_value_from_wire(r.config.as_ref(), ty, "config").map_err(bad_request)?;
        let request = p::ReadDataRequest { type_name: r.type_name, config };
        let response = self.instance(r.instance).read_data(request).await;
        Ok(Response::new(wire::read_data_source::Response {
            state: opt_value_to_wire(response.state.as_ref(), ty),
            diagnostics: diagnostics_to_wire(&response.diagnostics),
        }))
    }

    async fn find_created(
        &self,
        request: Request<wire::find_created::Request>,
    ) -> Result<Response<wire::find_created::Response>, Status> {
        let _in_flight = self.in_flight.enter();
        let r = request.into_inner();
        let ty = self.types.resource(&r.type_name);
        let request = p::FindCreatedRequest {
            planned_state: opt_value_from_wire(r.planned_state.as_ref(), ty).map_err(bad_request)?,
            type_name: r.type_name,
            idempotency_token: r.idempotency_token,
        };
        let response = self.instance(r.instance).find_created(request).await;
        Ok(Response::new(wire::find_created::Response {
            state: opt_value_to_wire(response.state.as_ref(), ty),
            private: response.private,
            diagnostics: diagnostics_to_wire(&response.diagnostics),
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<wire::import_resource_state::Request>,
    ) -> Result<Response<wire::import_resource_state::Response>, Status> {
        let _in_flight = self.in_flight.enter();
        let r = request.into_inner();
        let ty = self.types.resource(&r.type_name);
        let response = self.instance(r.instance).import(p::ImportRequest { type_name: r.type_name, id: r.id }).await;
        Ok(Response::new(wire::import_resource_state::Response {
            state: opt_value_to_wire(response.state.as_ref(), ty),
            diagnostics: diagnostics_to_wire(&response.diagnostics),
        }))
    }

    async fn authorize(
        &self,
        request: Request<wire::authorize::Request>,
    ) -> Result<Response<wire::authorize::Response>, Status> {
        let _in_flight = self.in_flight.enter();
        let r = request.into_inner();
        let checks = r
            .checks
            .into_iter()
            .map(|c| p::ActionCheck { instance: c.instance, type_name: c.type_name, action: c.action })
            .collect();
        let response = self.instance(r.instance).authorize(p::AuthorizeRequest { checks }).await;
        Ok(Response::new(wire::authorize::Response {
            supported: response.supported,
            denials: response
                .denials
                .into_iter()
                .map(|d| wire::authorize::Denial { instance: d.instance, action: d.action, reason: d.reason })
                .collect(),
            diagnostics: diagnostics_to_wire(&response.diagnostics),
        }))
    }

    async fn call_function(
        &self,
        request: Request<wire::call_function::Request>,
    ) -> Result<Response<wire::call_function::Response>, Status> {
        let _in_flight = self.in_flight.enter();
        let r = request.into_inner();
        let arguments = r.arguments.iter().map(value_from_wire).collect::<Result<Vec<_>, _>>().map_err(bad_request)?;
        let response = self.instance(r.instance).call_function(p::CallFunctionRequest { name: r.name, arguments });
        Ok(Response::new(match response.result {
            Ok(value) => wire::call_function::Response { result: Some(value_to_wire(&value)), error: None },
            Err(e) => wire::call_function::Response {
                result: None,
                error: Some(wire::call_function::Error { text: e.message, argument: e.argument.map(|a| a as u64) }),
            },
        }))
    }

    async fn stop(&self, _request: Request<wire::stop::Request>) -> Result<Response<wire::stop::Response>, Status> {
        tracing::debug!("stop requested; finishing the calls in flight");
        let _ = self.stop.send(true);
        Ok(Response::new(wire::stop::Response {}))
    }
}
