//! One resource as a walk reads it: its block, the provider configuration it uses, its
//! schema, its expansion in a module instance, and one instance's configuration value. The
//! plan walk uses it for every resource; the apply walk can read resources the same way.

use crate::addr::{ConfigResource, InstanceKey, ModuleInstance, ResourceMode};
use crate::config::{Config, Module, Resource};
use crate::diag::Diagnostics;
use crate::lang;
use crate::provider::ProviderRegistry;
use crate::runtime::{Expansion, InstanceScope, ProviderAddr, RepetitionData, Values, expand, resolve_provider};
use crate::schema::ResourceSchema;
use crate::value::Value;

/// A resource's block with what evaluating it needs.
pub(crate) struct ResolvedResource<'a> {
    pub(crate) module_config: &'a Module,
    pub(crate) config: &'a Resource,
    /// The provider configuration it uses (own block → module call's `providers` map →
    /// inherited → implied).
    pub(crate) provider_addr: ProviderAddr,
    pub(crate) schema: ResourceSchema,
}

/// Why a resource could not be resolved.
#[derive(Debug)]
pub(crate) enum Unresolved<'a> {
    /// The configuration has no such module or resource block.
    NoConfig,
    /// The provider is unknown, or does not support the resource type (or data source).
    NoSchema { config: &'a Resource, provider_addr: ProviderAddr },
}

/// Finds a resource's block, its provider configuration and its schema.
pub(crate) fn resolve_resource<'a>(
    config: &'a Config,
    registry: &ProviderRegistry,
    resource: &ConfigResource,
) -> Result<ResolvedResource<'a>, Unresolved<'a>> {
    let module_config = config.module(&resource.module).ok_or(Unresolved::NoConfig)?;
    let block = module_config.resources.get(&resource.resource).ok_or(Unresolved::NoConfig)?;
    let provider_addr = resolve_provider(config, &resource.module, &block.provider);
    match resource_schema(registry, &provider_addr, resource) {
        Some(schema) => Ok(ResolvedResource { module_config, config: block, provider_addr, schema }),
        None => Err(Unresolved::NoSchema { config: block, provider_addr }),
    }
}

/// A resource's schema, from its provider's factory (no configured provider needed).
pub(crate) fn resource_schema(
    registry: &ProviderRegistry,
    provider_addr: &ProviderAddr,
    resource: &ConfigResource,
) -> Option<ResourceSchema> {
    let schema = registry.get(provider_addr.name())?.schema();
    match resource.resource.mode {
        ResourceMode::Managed => schema.resources.get(&resource.resource.type_name).cloned(),
        ResourceMode::Data => schema.data_sources.get(&resource.resource.type_name).cloned(),
    }
}

impl ResolvedResource<'_> {
    /// The instances `count`/`for_each` give in one module instance.
    pub(crate) fn expand(
        &self,
        values: &Values,
        module_instance: &ModuleInstance,
    ) -> (Expansion, Vec<(InstanceKey, RepetitionData)>, Diagnostics) {
        let repetition = RepetitionData::default();
        let scope = self.scope(values, module_instance, &repetition);
        expand(self.config.count.as_ref(), self.config.for_each.as_ref(), &scope)
    }

    /// One instance's configuration, evaluated against the schema (unknowns and marks as
    /// the expressions give them).
    pub(crate) fn evaluate(
        &self,
        values: &Values,
        module_instance: &ModuleInstance,
        repetition: &RepetitionData,
    ) -> (Value, Diagnostics) {
        let scope = self.scope(values, module_instance, repetition);
        lang::eval_body(&self.config.body, &self.schema.block, &scope)
    }

    /// The scope expressions of the block see for one instance (`count.index`, `each`).
    pub(crate) fn scope<'s>(
        &'s self,
        values: &'s Values,
        module_instance: &'s ModuleInstance,
        repetition: &'s RepetitionData,
    ) -> InstanceScope<'s> {
        InstanceScope { values, module: module_instance, config: self.module_config, repetition, self_value: None }
    }
}
