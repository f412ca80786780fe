//! One module per command group. Each returns the process exit code.

pub mod apply;
pub mod graph;
pub mod output;
pub mod plan;
pub mod providers;
pub mod show;
pub mod state;
pub mod validate;
pub mod workspace;
