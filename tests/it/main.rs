//! End-to-end tests of the `corral` binary (and, where a test needs to watch the walk from
//! inside, of the engine with the built-in providers). One test binary, as matklad advises.
#![expect(clippy::unwrap_used)]

mod checks;
mod cli;
mod crash;
mod data_confirm;
mod diagnostics;
mod engine;
mod fmt;
mod import;
mod init;
mod kmr;
mod kmr_billing;
mod kmr_import;
mod kmr_job;
mod kmr_peering;
mod kmr_rules;
mod kyligence;
mod kylin;
mod lifecycle;
mod limits;
mod locking;
mod mrs;
mod mrs_jobs;
mod mrs_provider;
mod pg_backend;
mod pg_support;
mod plan_json;
mod plan_markdown;
mod plugins;
mod process;
mod reconcile;
mod refresh_only;
mod sandbox;
mod sandbox_exposure;
mod secrets;
mod state_safety;
mod support;
mod taint;
mod tf_functions;
mod tf_habits;
mod tidy;
mod variables;
mod waiting;
mod write_only;
