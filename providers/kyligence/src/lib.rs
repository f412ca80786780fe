//! The Kyligence Cloud provider: `kyligence_stack`, a stack (a Hadoop cluster with master,
//! core and task nodes, an RDS database for KAP's metadata, KAP, an S3 bucket for cube data
//! and a load balancer), speaking the stack API (`corral_api_kyligence`, version
//! `2018-01-11`).
//!
//! Data source `kyligence_kap` reads what KAP answers (models, cubes, a query).
//!
//! Day-2 operations are attributes: `core_count`/`task_count` scale in place, `desired_state`
//! stops (KAP stopped → data backed up to S3 → every node terminated) and starts (provision →
//! restore → running), `kap_version` upgrades KAP (back up configuration → stop → install →
//! restore configuration → start). Each runs in the service as a state machine whose current
//! step the stack reports, so an apply that was killed finds the operation where it is and
//! waits for it instead of starting it again.

mod api;
pub mod kap;
mod provider;
pub mod stack;

pub use provider::{ACCESS_KEY_VAR, Ctx, KyligenceFactory, KyligenceProvider, SECRET_KEY_VAR};

/// How the provider is served as a plugin: a handful of stacks at a time is plenty.
pub fn serve_options() -> corral_provider_protocol::ServeOptions {
    corral_provider_protocol::ServeOptions { max_concurrency: 8 }
}
