//! Kyligence Cloud's stack API wire contract (version `2018-01-11`): what goes over the wire
//! between the Kyligence provider (client) and the sandbox's emulation (server). Kyligence
//! publishes no API; this contract follows the product's documented operations (a stack is a
//! Hadoop cluster, an RDS database for metadata, KAP, an S3 bucket for cube data and a load
//! balancer; scale, stop with backup, start with restore, KAP upgrade, delete keeping S3 and
//! by default RDS).
//!
//! - [`action`]: action names; [`status`]: stack statuses, operations and their steps.
//! - [`limits`]: KAP versions, instance types, node counts, name lengths.
//! - [`errors`]: error codes.
//! - [`stack`]: request and answer bodies of the stack actions; [`kap`]: what KAP answers
//!   (projects, cubes, queries). PascalCase JSON; optional request fields are left out when
//!   absent.
//!
//! Multi-step operations (stop, start, upgrade) run in the service as a state machine: one
//! call starts the operation, the stack reports the operation and its current step, and every
//! step runs once. A client that lost track of an operation reads the stack and waits; it
//! never starts the operation again.

pub mod action;
pub mod errors;
pub mod kap;
pub mod limits;
pub mod stack;
pub mod status;

/// The service name in the SigV4 credential scope.
pub const SERVICE: &str = "kyligence";

/// The API version this contract describes.
pub const VERSION: &str = "2018-01-11";

#[cfg(test)]
mod tests;
