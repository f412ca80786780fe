//! The Huawei Cloud MRS provider: `mrs_cluster`, a MapReduce Service cluster with master,
//! core and task node groups. It talks to MRS's REST API (v1.1/v2) through [`rest`], a small
//! client that signs every request with `SDK-HMAC-SHA256` (`corral_api_mrs::sign`).
//!
//! [`MrsProvider`] configures the client (starting the embedded sandbox when no `endpoint` is
//! set, and finding the region's project through IAM); `cluster` is the resource type.

mod cluster;
mod job;
mod provider;
mod rest;
mod scaling_policy;
mod types;

pub use provider::{MrsFactory, MrsProvider};

/// How the MRS provider is served as a plugin.
pub fn serve_options() -> corral_provider_protocol::ServeOptions {
    corral_provider_protocol::ServeOptions { max_concurrency: 16 }
}
