//! Corral's core: the vocabulary every other crate shares, and nothing that decides.
//!
//! Modules, in dependency order (a module uses only those above it): `addr`, `value` →
//! `diag` → `schema` → `provider` (the [`Provider`](provider::Provider) trait, its request
//! and response types, the registry, and the plan proposal). The engine re-exports each
//! under its own name (`corral_engine::value` is `corral_core::value`); providers, the SDK
//! and the plugin protocol depend on this crate alone, so they never pull in the engine's
//! parser, graph, state store or crypto.

pub mod addr;
pub mod diag;
pub mod provider;
pub mod schema;
pub mod value;
