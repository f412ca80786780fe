//! The engine's side of the provider door. The [`Provider`] trait, its request and response
//! types, the registry and the plan proposal live in `corral-core` (re-exported here, so
//! `crate::provider::X` keeps its meaning); what needs the workspace key stays here: the
//! write-only guard every provider instance is put behind.

pub mod write_only;

use std::sync::Arc;

pub use corral_core::provider::*;

/// A provider instance as the engine uses it: behind the write-only guard, so no
/// write-only value ever reaches a plan or the state; its digests are keyed with the
/// workspace's key.
pub fn instantiate(factory: &dyn ProviderFactory, key: &crate::secret::WorkspaceKey) -> Arc<dyn Provider> {
    write_only::guard(factory.instantiate(), key)
}
