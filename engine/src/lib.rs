//! Corral's engine: everything between a directory of HCL and a recorded apply.
//!
//! Layers, in dependency order (a module may use only those above it):
//! `addr`, `value`, `diag`, `schema` (re-exported from `corral-core`), `secret` (the
//! workspace key) → `config` → `lang` → `provider` (the trait from `corral-core`, plus the
//! write-only guard) → `graph` → `plan` → `state` (model, store trait, backends) → `apply`.
//! `config`, `lang`, `graph` and `plan` do no I/O of their own; only `state` backends touch
//! storage, and only the CLI touches the terminal. See ARCHITECTURE.md.

pub use corral_core::{addr, diag, schema, value};

pub mod apply;
pub mod config;
pub mod fmt;
pub mod graph;
pub mod lang;
pub mod limits;
pub mod plan;
pub mod provider;
pub mod runtime;
pub mod secret;
pub mod state;
