//! The provider plugin protocol: a versioned gRPC service (`proto/provider.proto`, compiled
//! with protox) modelled on Terraform's tfplugin6, with batch plan and read calls.
//!
//! Both ends speak the engine's [`Provider`](corral_core::provider::Provider) trait:
//!
//! - the plugin side, [`serve`] (or [`plugin_main`] for a plugin's `main`), wraps a
//!   [`ProviderFactory`](corral_core::provider::ProviderFactory) in a gRPC server on a Unix
//!   socket and prints the handshake line;
//! - the host side, [`PluginFactory`], launches the plugin executable, reads the handshake,
//!   and hands the engine [`PluginProvider`]s, which implement `Provider` over gRPC. The
//!   engine never sees a gRPC type.
//!
//! Values travel as exact JSON with their type, an unknown mask and the sensitive paths
//! ([`corral_core::value::codec`]'s encoding, the one the saved plan file uses, written
//! and read straight between `Value` and bytes); the type is left out when it is the type
//! of the schema the message is about ([`SchemaTypes`]). Schemas
//! travel as the JSON of [`ProviderSchema`](corral_core::schema::ProviderSchema): the
//! schema is sent once per process, it is a deep recursive structure whose `Type`s already
//! have a documented JSON notation, and a typed mirror in protobuf would be a second
//! definition to keep in step with the engine for no gain (any language reads JSON).

mod convert;
mod handshake;
mod host;
mod lifeline;
mod server;

#[allow(clippy::all, unreachable_pub, missing_docs)]
pub mod wire {
    tonic::include_proto!("corral.provider.v1");
}

pub use convert::{
    CodecError, SchemaTypes, diagnostics_from_wire, diagnostics_to_wire, path_from_wire, path_to_wire, value_from_wire,
    value_from_wire_as, value_to_wire, value_to_wire_as,
};
pub use handshake::{HANDSHAKE_PREFIX, Handshake, HandshakeError, PROTOCOL_VERSION};
pub use host::{Deadlines, LaunchError, LaunchOptions, PluginCommand, PluginFactory, PluginProvider, shutdown_plugins};
pub use server::{ServeError, ServeOptions, plugin_main, serve};

/// The largest message either end accepts: batches of large values must fit.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;
