//! Running a `check` block in one module instance, for plan and apply alike: its scoped
//! data source is read (unless its configuration is not known yet, or it waits on changes
//! not applied yet), then each assertion is evaluated. Nothing here is ever an error: a
//! failed assertion, a data source that cannot be read and an assertion that cannot be
//! evaluated are warnings, as Terraform reports them, and the check's status says which.

use std::collections::BTreeMap;
use std::sync::Arc;

use tracing::{Instrument as _, info_span};

use crate::addr::{InstanceKey, ModuleInstance, ResourceAddr};
use crate::config::{Check, Config, Module};
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::lang;
use crate::provider::{self, Provider, ProviderRegistry};
use crate::schema::ResourceSchema;
use crate::value::Value;

use super::expansion::{Expansion, RepetitionData};
use super::providers::{ProviderAddr, resolve_provider};
use super::resource::{ResolvedResource, resource_schema};
use super::scope::InstanceScope;
use super::values::Values;

/// How one check instance came out (Terraform's check statuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    Pass,
    Fail,
    /// Something it needs is known only after apply.
    Unknown,
    /// Its data source or an assertion could not be evaluated.
    Error,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "fail",
            CheckStatus::Unknown => "unknown",
            CheckStatus::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<CheckStatus> {
        [CheckStatus::Pass, CheckStatus::Fail, CheckStatus::Unknown, CheckStatus::Error]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The result of one check in one module instance.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckResult {
    pub module: ModuleInstance,
    pub name: String,
    pub status: CheckStatus,
    /// The error message of each failed assertion.
    pub problems: Vec<String>,
}

impl CheckResult {
    /// `check.NAME`, under its module instance.
    pub fn address(&self) -> String {
        if self.module.is_root() {
            format!("check.{}", self.name)
        } else {
            format!("{}.check.{}", self.module, self.name)
        }
    }
}

/// A check's scoped data source as the walk meets it: where it is declared, its provider
/// and its schema.
pub struct ScopedData<'c> {
    pub resolved: ResolvedResource<'c>,
    pub schema: ResourceSchema,
}

impl<'c> ScopedData<'c> {
    /// `None` for a check without a data source; a warning when its provider has no such
    /// data source.
    pub fn resolve(
        config: &'c Config,
        module: &'c Module,
        check: &'c Check,
        registry: &ProviderRegistry,
    ) -> Result<Option<ScopedData<'c>>, Diagnostic> {
        let Some(data) = &check.data else { return Ok(None) };
        let provider = resolve_provider(config, &module.path, &data.provider);
        let Some(schema) = resource_schema(registry, &provider, &data.addr) else {
            return Err(Diagnostic::warning(format!(
                "Provider `{}` has no data source `{}`",
                provider.name(),
                data.addr.type_name
            ))
            .with_span(data.decl_span));
        };
        Ok(Some(ScopedData { resolved: ResolvedResource { module, config: data, provider }, schema }))
    }

    pub fn provider(&self) -> &ProviderAddr {
        &self.resolved.provider
    }

    /// Its configuration in one module instance (unknown parts while they are).
    pub fn configuration(&self, values: &Values, instance: &ModuleInstance) -> (Value, Diagnostics) {
        self.resolved.evaluate(&self.schema.block, values, instance, &RepetitionData::default())
    }

    /// Reads it. Its errors come back as they are; [`conclude`] makes them warnings.
    pub async fn read(
        &self,
        provider: Arc<dyn Provider>,
        config: Value,
        instance: &ModuleInstance,
    ) -> (Value, Diagnostics) {
        let addr = &self.resolved.config.addr;
        let response = provider
            .read_data(provider::ReadDataRequest { type_name: addr.type_name.clone(), config: config.unmark_deep().0 })
            .instrument(info_span!("read", addr = %addr, module = %instance))
            .await;
        let value = response.state.unwrap_or(Value::Unknown(self.schema.block.ty()));
        (self.schema.block.mark_sensitive(value), response.diagnostics)
    }
}

/// Evaluates a check's assertions in one module instance, with its data source's value
/// (`data`: its address and value, unknown when deferred) and the problems reading it had.
/// Every diagnostic returned is a warning.
pub fn conclude(
    module: &Module,
    values: &mut Values,
    instance: &ModuleInstance,
    check: &Check,
    data: Option<(ResourceAddr, Value)>,
    data_diags: Diagnostics,
) -> (CheckResult, Diagnostics) {
    let mut warnings = as_warnings(data_diags.clone(), check);
    let mut result = CheckResult {
        module: instance.clone(),
        name: check.name.clone(),
        status: CheckStatus::Pass,
        problems: Vec::new(),
    };
    if data_diags.has_errors() {
        result.status = CheckStatus::Error;
        return (result, warnings);
    }
    if let Some((addr, value)) = data {
        values
            .module_mut(instance)
            .resources
            .insert(addr, (Expansion::Single, BTreeMap::from([(InstanceKey::None, value)])));
    }
    let repetition = RepetitionData::default();
    let scope = InstanceScope { values, module: instance, config: module, repetition: &repetition, self_value: None };
    let mut unknown = false;
    let mut errored = false;
    for rule in &check.asserts {
        let (condition, d) = lang::eval(&rule.condition, &scope);
        if d.has_errors() {
            warnings.extend(as_warnings(d, check));
            errored = true;
            continue;
        }
        if !condition.is_wholly_known() {
            unknown = true;
            continue;
        }
        if condition.as_bool() == Some(false) {
            let (message, d) = lang::eval(&rule.error_message, &scope);
            warnings.extend(as_warnings(d, check));
            let message = match message.as_str() {
                Some(text) if !message.contains_sensitive() => text.to_string(),
                Some(_) => "(the error message refers to sensitive values)".to_string(),
                None => "the condition is false".to_string(),
            };
            warnings.push(
                Diagnostic::warning("Check block assertion failed")
                    .with_span(rule.condition.span)
                    .with_detail(message.clone())
                    .with_help(format!("reported by check \"{}\"; a check never stops a plan or apply", check.name)),
            );
            result.problems.push(message);
        }
    }
    result.status = if !result.problems.is_empty() {
        CheckStatus::Fail
    } else if errored {
        CheckStatus::Error
    } else if unknown {
        CheckStatus::Unknown
    } else {
        CheckStatus::Pass
    };
    (result, warnings)
}

/// Errors made warnings, located in the check block when they have no place of their own.
fn as_warnings(diags: Diagnostics, check: &Check) -> Diagnostics {
    Diagnostics(
        diags
            .0
            .into_iter()
            .map(|mut d| {
                d.severity = Severity::Warning;
                if d.span.is_none() {
                    d.span = Some(check.decl_span);
                }
                d
            })
            .collect(),
    )
}
