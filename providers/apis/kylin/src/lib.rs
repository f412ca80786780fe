//! Apache Kylin in cluster mode: what the Kylin provider (client) and the sandbox's emulation
//! (server) share. Kylin has no control-plane API of its own; the service here is the
//! deployment agent Corral talks to (push a node's `kylin.properties`, restart a node, ask a
//! query through the load balancer), and the properties are Kylin's own.
//!
//! - [`version`]: the version lines (1.x, 2.x/3.x, 4.x) and the property names of each.
//! - [`spec`]: what a cluster is (nodes, metastore, job engine HA, read/write separation,
//!   load balancer, extra properties); [`render`]: one `kylin.properties` per node;
//!   [`properties`]: reading a properties text back (the emulation does, as Kylin would).
//! - [`rules`]: the cluster-mode rules (research §5), each a problem naming its attribute.
//! - [`restart`]: the rolling restart order.
//! - [`action`], [`wire`], [`status`], [`errors`], [`limits`]: the service's actions,
//!   PascalCase request/answer bodies, status names, error codes and limits.

pub mod action;
pub mod errors;
pub mod limits;
pub mod properties;
pub mod render;
pub mod restart;
pub mod rules;
pub mod spec;
pub mod status;
pub mod version;
pub mod wire;

/// The service name in the SigV4 credential scope.
pub const SERVICE: &str = "kylin";

/// The API version this contract describes.
pub const VERSION: &str = "2026-01-15";
