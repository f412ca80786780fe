//! One module per command group. Each returns the process exit code.

pub(crate) mod apply;
pub(crate) mod console;
pub(crate) mod fmt;
pub(crate) mod graph;
pub(crate) mod import;
pub(crate) mod init;
pub(crate) mod init_backend;
pub(crate) mod lock;
pub(crate) mod output;
pub(crate) mod plan;
pub(crate) mod promote;
pub(crate) mod providers;
pub(crate) mod reconcile;
pub(crate) mod sandbox;
pub(crate) mod show;
pub(crate) mod state;
pub(crate) mod taint;
pub(crate) mod validate;
pub(crate) mod version;
pub(crate) mod workspace;
