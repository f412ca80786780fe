//! `import` blocks, as Terraform 1.5 plans them: just before the target resource is planned,
//! each import block (one per `for_each` element) names an instance and an id; an instance
//! already in state is left alone, any other is imported (the provider's `import`, then a
//! read) and becomes the prior state the instance is planned from, so the plan shows "will
//! be imported" and, where the configuration differs, the update as well. Imports whose
//! resource has no configuration are errors unless configuration is being generated
//! ([`super::generate`]); then the imported object is planned as it is.

use std::collections::HashSet;
use std::sync::Arc;

use tracing::{Instrument as _, info_span};

use crate::addr::{AbsResourceInstance, ConfigResource, InstanceKey, ModuleInstance, ModulePath, Target};
use crate::config::Import;
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang;
use crate::provider::{self, Provider};
use crate::runtime::{InstanceScope, ProviderAddr, RepetitionData, expand, resolve_provider};
use crate::schema::ResourceSchema;
use crate::state::{InstanceState, InstanceStatus};
use crate::value::{Type, Value};

use super::planner::Planner;
use super::{Action, ResourceChange};

/// The resource an import block's `to` belongs to.
fn target_resource(to: &Target) -> Option<ConfigResource> {
    match to {
        Target::Resource(r) => Some(ConfigResource { module: r.module.path(), resource: r.resource.clone() }),
        Target::Instance(i) => Some(i.config_resource()),
        Target::Module(_) => None,
    }
}

impl Planner<'_> {
    /// Imports what the `import` blocks name for the managed resources of one level, before
    /// the level is planned.
    pub(super) async fn import_for(&mut self, resources: &[ConfigResource]) {
        let config = self.input.config;
        let wanted: HashSet<&ConfigResource> = resources.iter().collect();
        for import in &config.root.imports {
            let Some(resource) = target_resource(&import.to) else { continue };
            if !wanted.contains(&resource) {
                continue;
            }
            for (addr, id) in self.import_targets(import) {
                self.import_configured(import, &resource, addr, id).await;
            }
        }
    }

    /// Every (instance, id) one import block names, `for_each` expanded.
    fn import_targets(&mut self, import: &Import) -> Vec<(AbsResourceInstance, String)> {
        let root = ModuleInstance::root();
        let module = &self.input.config.root;
        let mut diags = Diagnostics::new();
        let none = RepetitionData::default();
        let repetitions = match &import.for_each {
            Some(expr) => {
                let scope = InstanceScope {
                    values: &self.values,
                    module: &root,
                    config: module,
                    repetition: &none,
                    self_value: None,
                };
                let (expansion, keys, d) = expand(None, Some(expr), &scope);
                diags.extend(d);
                // Imports are not deferred: what they adopt must be known when planning.
                if let crate::runtime::Expansion::Deferred { reason } = expansion {
                    diags.push(Diagnostic::error("Invalid for_each argument").with_span(expr.span).with_detail(
                        format!("The import block's {reason}; import for_each must be known while planning"),
                    ));
                }
                keys.into_iter().map(|(_, r)| r).collect()
            }
            None => vec![none.clone()],
        };
        let mut out = Vec::new();
        for repetition in &repetitions {
            let scope =
                InstanceScope { values: &self.values, module: &root, config: module, repetition, self_value: None };
            let (id, d) = lang::eval(&import.id, &scope);
            diags.extend(d);
            let id = match known_string(id) {
                Ok(id) => id,
                Err(why) => {
                    diags.push(
                        Diagnostic::error("Invalid import id argument")
                            .with_span(import.id.span)
                            .with_detail(format!("The import ID {why}: it must be a string known at plan time.")),
                    );
                    continue;
                }
            };
            let addr = match (&import.to, &import.to_key) {
                (Target::Instance(i), _) => i.clone(),
                (Target::Resource(r), None) => r.instance(InstanceKey::None),
                (Target::Resource(r), Some(expr)) => {
                    let (key, d) = lang::eval(expr, &scope);
                    diags.extend(d);
                    let key = match key.unmark().0 {
                        Value::String(s) => InstanceKey::Str(s),
                        Value::Number(n) if n.to_i64().is_some() => InstanceKey::Int(n.to_i64().unwrap_or_default()),
                        _ => {
                            diags.push(
                                Diagnostic::error("Invalid import address")
                                    .with_span(expr.span)
                                    .with_detail("The instance key of `to` must be a known string or whole number."),
                            );
                            continue;
                        }
                    };
                    r.instance(key)
                }
                (Target::Module(_), _) => continue,
            };
            out.push((addr, id));
        }
        self.diags.extend(diags);
        out
    }

    /// Imports one instance of a resource that has configuration; it is then planned from
    /// the imported object like any instance in state.
    async fn import_configured(
        &mut self,
        import: &Import,
        resource: &ConfigResource,
        addr: AbsResourceInstance,
        id: String,
    ) {
        // Terraform's rule: an instance already managed is not imported again.
        if self.state.instances.contains_key(&addr) {
            return;
        }
        if self.imports.contains_key(&addr) {
            self.diags.push(
                Diagnostic::error("Duplicate import configuration").with_span(import.span).with_detail(format!(
                    "{addr} is imported more than once; each instance can be imported only once."
                )),
            );
            return;
        }
        let Some(resolved) = crate::runtime::ResolvedResource::resolve(self.input.config, resource) else { return };
        if let Some(reference) = &import.provider {
            let named = resolve_provider(self.input.config, &ModulePath::root(), reference);
            if named != resolved.provider {
                self.diags.push(
                    Diagnostic::error("Invalid import provider argument")
                        .with_opt_span(reference.span)
                        .with_detail(format!(
                            "The provider configuration `{named}` is not the one {} uses (`{}`).",
                            resource, resolved.provider
                        ))
                        .with_help("leave `provider` out, or make it match the resource's"),
                );
                return;
            }
        }
        let Some(schema) = resolved.schema(self.input.registry) else { return };
        let Some(provider) = self.providers.get(&resolved.provider).cloned() else { return };
        let Some((value, private)) = self.import_object(provider, &addr, &id, &schema, import.span).await else {
            return;
        };
        let (bare, sensitive_paths) = schema.block.mark_sensitive(value).unmark_deep();
        self.state.instances.insert(
            addr.clone(),
            InstanceState {
                addr: addr.to_string(),
                provider: resolved.provider.to_string(),
                schema_version: schema.version,
                attributes: bare.to_json(),
                sensitive_paths,
                private,
                dependencies: Vec::new(),
                create_before_destroy: false,
                status: InstanceStatus::Ready,
            },
        );
        self.imports.insert(addr, id);
    }

    /// The provider's `import` and then a read, as Terraform's ImportResourceState and
    /// ReadResource: the object and its private data, or `None` after an error.
    async fn import_object(
        &mut self,
        provider: Arc<dyn Provider>,
        addr: &AbsResourceInstance,
        id: &str,
        schema: &ResourceSchema,
        span: Span,
    ) -> Option<(Value, Option<Vec<u8>>)> {
        let type_name = addr.resource.type_name.clone();
        let response = provider
            .import(provider::ImportRequest { type_name: type_name.clone(), id: id.to_string() })
            .instrument(info_span!("import", addr = %addr, id))
            .await;
        let failed = response.diagnostics.has_errors();
        self.diags.extend(at(response.diagnostics, span));
        let imported = response.state.filter(|_| !failed)?;
        let ty: Type = schema.block.ty();
        let imported = lang::convert(imported.clone(), &ty).unwrap_or(imported);
        let read = provider
            .read(provider::ReadRequest { type_name, current_state: imported, private: None })
            .instrument(info_span!("refresh", addr = %addr))
            .await;
        let failed = read.diagnostics.has_errors();
        self.diags.extend(at(read.diagnostics, span));
        if failed {
            return None;
        }
        match read.new_state {
            Some(value) => Some((value, read.private)),
            None => {
                self.diags.push(
                    Diagnostic::error("Cannot import non-existent remote object")
                        .with_span(span)
                        .with_detail(format!(
                            "While attempting to import an existing object to {addr}, the provider detected that no object exists with the given id `{id}`. Only pre-existing objects can be imported; check that the id is correct and that it is associated with the provider's configured region or endpoint, or use \"corral apply\" to create a new remote object for this resource."
                        )),
                );
                None
            }
        }
    }

    /// Imports whose resource has no configuration: generated when `-generate-config-out`
    /// asks for it, else an error. Also checks that every imported instance is planned as an
    /// instance of its configuration (an import the expansion does not have is an error).
    pub(super) async fn finish_imports(&mut self) {
        let config = self.input.config;
        for import in &config.root.imports {
            let Some(resource) = target_resource(&import.to) else { continue };
            let declared =
                config.module(&resource.module).is_some_and(|m| m.resources.contains_key(&resource.resource));
            if declared {
                continue;
            }
            if !self.input.options.generate_config {
                self.diags.push(
                    Diagnostic::error("Configuration for import target does not exist")
                        .with_span(import.span)
                        .with_detail(format!("The configuration for the given import target {resource} does not exist. All target instances must have an associated configuration to be imported."))
                        .with_help("write its `resource` block, or run `corral plan -generate-config-out=generated.hcl` to have Corral write it"),
                );
                continue;
            }
            self.import_generated(import, &resource).await;
        }
        let missing: Vec<AbsResourceInstance> = self
            .imports
            .keys()
            .filter(|addr| {
                self.changes.get(&((*addr).clone(), None)).is_none_or(|c| c.action == Action::Delete)
                    && !self.generated.iter().any(|g| &g.addr == *addr)
            })
            .cloned()
            .collect();
        for addr in missing {
            let span = config
                .root
                .imports
                .iter()
                .find(|i| target_resource(&i.to) == Some(addr.config_resource()))
                .map(|i| i.span);
            self.diags.push(
                Diagnostic::error("Configuration for import target does not exist")
                    .with_opt_span(span)
                    .with_detail(format!("The configuration for the given import {addr} does not exist. All target instances must have an associated configuration to be imported.")),
            );
        }
    }

    /// An import whose resource block is to be generated: imported and read, planned as it
    /// is, and written as a `resource` block.
    async fn import_generated(&mut self, import: &Import, resource: &ConfigResource) {
        let root = ModulePath::root();
        if resource.module != root || import.for_each.is_some() || !matches!(import.to, Target::Resource(_)) {
            self.diags.push(
                Diagnostic::error("Cannot generate configuration")
                    .with_span(import.span)
                    .with_detail("Corral generates configuration only for a single resource of the root module: without `for_each`, instance keys or a module address.")
                    .with_help("write the `resource` block yourself"),
            );
            return;
        }
        let targets = self.import_targets(import);
        let Some((addr, id)) = targets.into_iter().next() else { return };
        if self.state.instances.contains_key(&addr) {
            return;
        }
        let implied = crate::config::ProviderRef {
            name: resource.resource.implied_provider().to_string(),
            alias: None,
            span: None,
        };
        let reference = import.provider.clone().unwrap_or(implied);
        let provider_addr = ProviderAddr { module: root, key: reference.key() };
        let provider = match self.providers.get(&provider_addr).cloned() {
            Some(p) => Some(p),
            None => self.configure_implied(&provider_addr).await,
        };
        let Some(provider) = provider else {
            self.diags.push(
                Diagnostic::error(format!("Provider `{}` is not available", provider_addr.name()))
                    .with_span(import.span),
            );
            return;
        };
        let Some(schema) = provider.schema().resources.get(&resource.resource.type_name).cloned() else {
            self.diags.push(Diagnostic::error("Invalid resource type").with_span(import.span).with_detail(format!(
                "The provider `{}` does not support resource type \"{}\"",
                provider_addr.name(),
                resource.resource.type_name
            )));
            return;
        };
        let Some((value, private)) = self.import_object(provider, &addr, &id, &schema, import.span).await else {
            return;
        };
        let value = schema.block.mark_sensitive(value);
        let text = super::generate::resource_block(&addr, import.provider.as_ref(), &id, &schema.block, &value);
        self.generated.push(super::generate::Generated { addr: addr.clone(), text });
        self.changes.insert(
            (addr.clone(), None),
            ResourceChange {
                addr: addr.clone(),
                provider: provider_addr.to_string(),
                type_name: addr.resource.type_name.clone(),
                action: Action::NoOp,
                reason: None,
                before: Some(value.clone()),
                after: Some(value),
                replace_paths: Vec::new(),
                create_before_destroy: false,
                private,
                deposed: None,
                dependencies: Vec::new(),
            },
        );
        self.imports.insert(addr, id);
    }
}

/// A value as a known string, or why it is not one.
fn known_string(value: Value) -> Result<String, &'static str> {
    let (value, _) = value.unmark_deep();
    if value.is_null() {
        return Err("is null");
    }
    if !value.is_wholly_known() {
        return Err("is not known yet");
    }
    match lang::convert(value, &Type::String) {
        Ok(Value::String(s)) => Ok(s),
        _ => Err("is not a string"),
    }
}

/// A provider's diagnostics about an import, pointed at the import block when they point
/// nowhere.
fn at(diags: Diagnostics, span: Span) -> Diagnostics {
    let mut out = Diagnostics::new();
    for d in diags.0 {
        out.push(if d.span.is_none() { d.with_span(span) } else { d });
    }
    out
}

/// The state records of the objects a plan imports, as imported (before any change the
/// configuration asks for): what `corral import` writes.
pub fn imported_instances(plan: &super::Plan, registry: &crate::provider::ProviderRegistry) -> Vec<InstanceState> {
    plan.changes
        .iter()
        .filter(|c| c.deposed.is_none() && plan.importing(&c.addr).is_some())
        .filter_map(|change| {
            let before = change.before().cloned()?;
            let schema_version = registry
                .get(crate::runtime::provider_key(&change.provider).name())
                .and_then(|f| f.schema().resources.get(&change.type_name).map(|s| s.version))
                .unwrap_or(0);
            let (bare, sensitive_paths) = before.unmark_deep();
            Some(InstanceState {
                addr: change.addr.to_string(),
                provider: change.provider.clone(),
                schema_version,
                attributes: bare.to_json(),
                sensitive_paths,
                private: None,
                dependencies: Vec::new(),
                create_before_destroy: false,
                status: InstanceStatus::Ready,
            })
        })
        .collect()
}
