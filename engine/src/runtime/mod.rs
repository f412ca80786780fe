//! What plan and apply share while walking the graph: the values evaluated so far for each
//! module instance ([`Values`]), the [`Scope`](crate::lang::Scope) that resolves references
//! against them, the expansion of `count`/`for_each`, which provider configuration manages a
//! resource, and the steps a walk takes for each resource ([`ResolvedResource`]), and how a `check` block is run (`check`).

mod check;
mod expansion;
pub mod nodes;
mod provider_functions;
mod providers;
mod resource;
mod scope;
mod values;

pub use check::{CheckResult, CheckStatus, ScopedData, conclude as conclude_check};
pub use expansion::{Expansion, RepetitionData, expand};
pub use provider_functions::{BUILTIN_PROVIDER, RegistryFunctions, check_calls};
pub use providers::{
    DEFAULT_PROVIDER_HOST, DEFAULT_PROVIDER_NAMESPACE, ProviderAddr, full_source, provider_key, provider_source,
    resolve_provider,
};
pub use resource::{ResolvedResource, resource_schema};
pub use scope::InstanceScope;
pub use values::{ModuleValues, Values};
