//! Huawei Cloud MRS's wire contract (MapReduce Service, REST API v1.1 and v2): what goes over
//! the wire between the MRS provider (client) and the sandbox's emulation (server). Both take
//! the service's paths, shapes, states and codes from here.
//!
//! - [`sign`]: the APIG `SDK-HMAC-SHA256` request signature (sign and verify), with the two
//!   official test vectors as unit tests.
//! - [`operation`]: every API operation, its method and path, and the IAM action it needs
//!   (`mrs:cluster:create`, ...), so the sandbox routes and authorizes by it and the provider
//!   knows at plan time what an apply will call.
//! - [`cluster`], [`job`], [`scaling`], [`tag`]: request and answer bodies (snake_case for v2,
//!   camelCase where v1.1 answers so).
//! - [`state`]: cluster and job states, their transitions and the durations the sandbox uses.
//! - [`errors`]: error codes and the error body.

pub mod cluster;
pub mod errors;
pub mod job;
pub mod operation;
pub mod scaling;
pub mod sign;
pub mod state;
pub mod tag;

/// The service name in IAM actions (`mrs:...`) and in the request log.
pub const SERVICE: &str = "mrs";
