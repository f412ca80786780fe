//! One module per command group. Each returns the process exit code.

pub mod apply;
pub mod console;
pub mod fmt;
pub mod graph;
pub mod init;
pub mod output;
pub mod plan;
pub mod providers;
pub mod sandbox;
pub mod show;
pub mod state;
pub mod validate;
pub mod workspace;
