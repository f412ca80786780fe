//! The Apache Kylin provider: `kylin_cluster`, a Kylin deployment in cluster mode. Corral
//! renders one `kylin.properties` per node (`corral_api_kylin::render`), checks research §5's
//! rules at plan time at the attribute's line, pushes the configuration through the Kylin
//! service and restarts changed nodes one at a time (the rolling restart the plan shows).
//!
//! [`KylinProvider`] configures the API client (starting the embedded sandbox when no
//! `endpoint` is set); `cluster` is the resource type.

mod api;
mod cluster;
mod provider;
mod spec;

pub use provider::{KylinFactory, KylinProvider};

/// How the Kylin provider is served as a plugin.
pub fn serve_options() -> corral_provider_protocol::ServeOptions {
    corral_provider_protocol::ServeOptions { max_concurrency: 16 }
}
