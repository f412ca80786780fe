//! One resource of the static module tree as a walk meets it: its configuration, the provider
//! configuration that manages it and that provider's schema for it, then per module instance
//! its expansion and per instance its evaluated configuration. Plan, apply, `corral console`
//! and `corral validate` all find a resource's provider and schema here. Resolving and the
//! schema lookup are separate steps: the planner looks the schema up at once, the apply walk
//! only after configuring the provider (a provider that fails to configure is reported
//! first), and each words a missing schema its own way.

use crate::addr::{ConfigResource, InstanceKey, ModuleInstance, ResourceAddr, ResourceMode};
use crate::config::{Config, Module, Resource};
use crate::diag::Diagnostics;
use crate::lang;
use crate::provider::ProviderRegistry;
use crate::schema::{BlockSchema, ResourceSchema};
use crate::value::Value;

use super::expansion::{Expansion, RepetitionData, expand};
use super::providers::{ProviderAddr, resolve_provider};
use super::scope::InstanceScope;
use super::values::Values;

/// A resource's configuration and the provider configuration that manages it.
pub struct ResolvedResource<'c> {
    /// The configuration of the module that declares the resource.
    pub module: &'c Module,
    pub config: &'c Resource,
    pub provider: ProviderAddr,
}

impl<'c> ResolvedResource<'c> {
    /// Finds the resource's block and resolves its provider configuration; `None` when the
    /// configuration does not declare it (a plan made for other configuration).
    pub fn resolve(config: &'c Config, resource: &ConfigResource) -> Option<ResolvedResource<'c>> {
        let module = config.module(&resource.module)?;
        let resource_config = module.resources.get(&resource.resource)?;
        let provider = resolve_provider(config, &resource.module, &resource_config.provider);
        Some(ResolvedResource { module, config: resource_config, provider })
    }

    /// The provider's schema for the resource; `None` when the provider is not available or
    /// has no such resource type or data source (each caller words that its own way).
    pub fn schema(&self, registry: &ProviderRegistry) -> Option<ResourceSchema> {
        resource_schema(registry, &self.provider, &self.config.addr)
    }

    /// The scope of one of the resource's instances (`RepetitionData::default()` for the
    /// resource as a whole: `count` and `for_each`).
    pub fn scope<'s>(
        &'s self,
        values: &'s Values,
        module: &'s ModuleInstance,
        repetition: &'s RepetitionData,
    ) -> InstanceScope<'s> {
        InstanceScope { values, module, config: self.module, repetition, self_value: None }
    }

    /// Evaluates `count`/`for_each` in one module instance: the expansion and each
    /// instance's key and repetition data.
    pub fn expand(
        &self,
        values: &Values,
        module: &ModuleInstance,
    ) -> (Expansion, Vec<(InstanceKey, RepetitionData)>, Diagnostics) {
        let repetition = RepetitionData::default();
        let scope = self.scope(values, module, &repetition);
        expand(self.config.count.as_ref(), self.config.for_each.as_ref(), &scope)
    }

    /// Evaluates one instance's body against the resource's schema.
    pub fn evaluate(
        &self,
        block: &BlockSchema,
        values: &Values,
        module: &ModuleInstance,
        repetition: &RepetitionData,
    ) -> (Value, Diagnostics) {
        let scope = self.scope(values, module, repetition);
        lang::eval_body(&self.config.body, block, &scope)
    }
}

/// A provider's schema for a managed resource type or data source.
pub fn resource_schema(
    registry: &ProviderRegistry,
    provider: &ProviderAddr,
    resource: &ResourceAddr,
) -> Option<ResourceSchema> {
    let schema = registry.get(provider.name())?.schema();
    match resource.mode {
        ResourceMode::Managed => schema.resources.get(&resource.type_name).cloned(),
        ResourceMode::Data => schema.data_sources.get(&resource.type_name).cloned(),
    }
}
