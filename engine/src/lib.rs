//! Corral's engine: everything between a directory of HCL and a recorded apply.
//!
//! Layers, in dependency order (a module may use only those above it):
//! `diag`, `addr`, `value`, `secret` (the workspace key) → `config` → `lang` → `provider` (the trait) → `graph` → `plan`
//! → `state` (model, store trait, backends) → `apply`.
//! `config`, `lang`, `graph` and `plan` do no I/O of their own; only `state` backends touch
//! storage, and only the CLI touches the terminal. See ARCHITECTURE.md.

pub mod addr;
pub mod apply;
pub mod config;
pub mod diag;
pub mod fmt;
pub mod graph;
pub mod lang;
pub mod limits;
pub mod plan;
pub mod provider;
pub mod runtime;
pub mod schema;
pub mod secret;
pub mod state;
pub mod value;
