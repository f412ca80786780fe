//! KMR's wire contract (Kingsoft Cloud managed Hadoop, OpenAPI version `2021-09-02`): what
//! goes over the wire between the KMR provider (client) and the sandbox's emulation (server).
//! Both sides take the service's names, rules and shapes from here, so a provider that talks
//! to the real cloud never takes them from the emulator.
//!
//! - [`action`]: action names; [`status`]: status, charge-type and other enumerated names.
//! - [`limits`]: what the service offers and allows (versions, services, instance types,
//!   node-group limits, name lengths); [`password`]: the admin password policy.
//! - [`errors`]: error codes.
//! - [`cluster`], [`job`], [`template`], [`plan`]: request and answer bodies per action (PascalCase
//!   JSON). Optional request fields are left out when absent; the service reads an absent
//!   field and a `null` one the same way.

pub mod action;
pub mod cluster;
pub mod errors;
pub mod job;
pub mod limits;
pub mod password;
pub mod plan;
pub mod spec;
pub mod status;
pub mod template;

/// The service name in the SigV4 credential scope.
pub const SERVICE: &str = "kmr";

/// The API version this contract describes.
pub const VERSION: &str = "2021-09-02";
