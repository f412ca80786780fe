//! What a provider author needs: a retrying, signing HTTP client for action-style APIs
//! ([`http`]), AWS SigV4 request signing and verification ([`sigv4`]), waiters that poll
//! through pending states ([`waiter`]), the refresh of a resource by its `id` ([`refresh`]), guards against changes that lose data ([`guard`]), configuration checks whose diagnostics name the
//! attribute they are about ([`validate`]), provider-defined functions ([`function`]), and the emulator framework the sandbox cloud is
//! built on ([`emulator`]). Schemas are built with `corral_core::schema`'s builders, which
//! carry a change class per attribute (in place, forces replacement, immutable with a
//! reason) and the computed, sensitive and write-only flags.

pub mod connection;
pub mod emulator;
pub mod function;
pub mod guard;
pub mod http;
pub mod job;
pub mod plan;
pub mod refresh;
pub mod sigv4;
pub mod validate;
pub mod waiter;
