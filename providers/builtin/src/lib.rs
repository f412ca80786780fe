//! Providers built into the `corral` binary: `corral` (resource `corral_data`, like
//! Terraform's `terraform_data`), `terraform` (Terraform's built-in functions
//! `provider::terraform::encode_tfvars`, `decode_tfvars`, `encode_expr`) and `testing` (resource `testing_thing`, whose objects are
//! kept on disk, in [`ObjectStore`], so tests can compare the real world with state).
//!
//! Both implement the engine's [`Provider`](corral_core::provider::Provider) trait and
//! nothing else: the engine cannot tell them from an out-of-process plugin.

mod corral;
mod support;
mod terraform;
mod testing;

use std::sync::Arc;

use corral_core::provider::ProviderRegistry;

pub use corral::{CorralFactory, CorralProvider};
pub use terraform::{TerraformFactory, TerraformProvider};
pub use testing::{ObjectStore, StoreError, StoredObject, TestingFactory, TestingProvider};

/// The registry of built-in providers. `testing` is included only when asked for
/// (`CORRAL_TESTING_PROVIDER=1` in the CLI).
pub fn registry(include_testing: bool) -> ProviderRegistry {
    let mut registry = ProviderRegistry::new();
    registry.register("corral", Arc::new(CorralFactory::new()));
    registry.register("terraform", Arc::new(TerraformFactory::new()));
    if include_testing {
        registry.register("testing", Arc::new(TestingFactory::new()));
    }
    registry
}

#[cfg(test)]
mod tests;
