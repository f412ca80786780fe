//! The Kingsoft Cloud KMR provider: VPC networking (`kmr_vpc`, `kmr_subnet`,
//! `kmr_security_group`, `kmr_security_group_rule`, data `kmr_security_group`) and KMR itself
//! (`kmr_cluster` and data `kmr_cluster`, `kmr_job`, `kmr_cluster_template`, `kmr_execution_plan`), speaking KMR's OpenAPI
//! (version 2021-09-02) and Kingsoft VPC's.
//!
//! Each resource type is a [`ResourceType`] in its own module, listed in [`registry`];
//! [`KmrProvider`] configures the API clients (starting the embedded sandbox when no
//! `endpoint` is set) and dispatches by type name.

pub mod cluster;
pub mod execution_plan;
mod functions;
pub mod job;
mod kmr_api;
pub mod network;
mod provider;
mod record;
mod resource;
pub mod support;
pub mod template;

pub use provider::{
    ACCESS_KEY_VAR, DEFAULT_REGION, KmrFactory, KmrProvider, SECRET_KEY_VAR, TypeRegistry, empty_config, registry,
};
pub use resource::{Ctx, DataSourceType, ResourceType};

/// How the KMR provider is served as a plugin: KMR's API rate limits make more than a
/// handful of concurrent calls pointless.
pub fn serve_options() -> corral_provider_protocol::ServeOptions {
    corral_provider_protocol::ServeOptions { max_concurrency: 16 }
}
