//! Provider-defined functions (`provider::NAME::FUNCTION(...)`, Terraform 1.8): the table the
//! evaluator resolves them through, over a run's providers, and the check that every such
//! call in a configuration names a provider its module requires and a function that
//! provider declares, at the call's line, before anything is evaluated.
//!
//! Functions are pure: they are called on a provider instance that is never configured (no
//! credentials, no API), one per provider, made on first use.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use hcl_edit::expr::FuncCall;
use hcl_edit::visit::Visit;

use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::lang::functions::{FnError, Function, Param, ProviderFunctions};
use crate::provider::{CallFunctionRequest, Provider, ProviderRegistry};
use crate::schema::{FunctionParameter, FunctionSchema};

/// The provider whose functions need no `required_providers` entry (Terraform's built-in
/// `terraform.io/builtin/terraform`).
pub const BUILTIN_PROVIDER: &str = "terraform";

/// The functions of a registry's providers.
pub struct RegistryFunctions {
    registry: ProviderRegistry,
    instances: Mutex<BTreeMap<String, Arc<dyn Provider>>>,
}

impl RegistryFunctions {
    pub fn new(registry: ProviderRegistry) -> RegistryFunctions {
        RegistryFunctions { registry, instances: Mutex::new(BTreeMap::new()) }
    }

    fn instance(&self, provider: &str) -> Option<Arc<dyn Provider>> {
        let mut instances = self.instances.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(instance) = instances.get(provider) {
            return Some(instance.clone());
        }
        let instance = self.registry.get(provider)?.instantiate();
        instances.insert(provider.to_string(), instance.clone());
        Some(instance)
    }
}

impl ProviderFunctions for RegistryFunctions {
    fn function(&self, provider: &str, name: &str) -> Result<Function, String> {
        let Some(factory) = self.registry.get(provider) else {
            return Err(format!(
                "There is no provider named \"{provider}\", so no function \"provider::{provider}::{name}\"."
            ));
        };
        let schema = factory.schema();
        let Some(declared) = schema.functions.get(name) else {
            return Err(unknown_function(provider, name, schema.functions.keys()));
        };
        let instance = self.instance(provider).ok_or_else(|| format!("The provider \"{provider}\" cannot be made."))?;
        Ok(function(instance, name.to_string(), declared))
    }
}

/// A [`Function`] whose implementation is the provider's `call_function`; the evaluator does
/// the checks, conversions, unknowns and marks, as for a built-in.
fn function(instance: Arc<dyn Provider>, name: String, declared: &FunctionSchema) -> Function {
    let ret = declared.return_type.clone();
    let params = declared.parameters.iter().map(param).collect();
    let mut function = Function::new(params, declared.return_type.clone(), move |_ctx, arguments| {
        let response = instance.call_function(CallFunctionRequest { name: name.clone(), arguments });
        match response.result {
            Ok(value) => crate::lang::convert(value, &ret)
                .map_err(|e| FnError::Call(format!("the provider returned a value that is not a {ret}: {e}"))),
            // The engine ends the sentence itself (Terraform's providers end theirs too).
            Err(e) => Err(match e.argument {
                Some(index) => FnError::Arg(index, e.message.trim_end_matches('.').to_string()),
                None => FnError::Call(e.message.trim_end_matches('.').to_string()),
            }),
        }
    });
    if let Some(variadic) = &declared.variadic {
        function = function.variadic(param(variadic));
    }
    function
}

fn param(declared: &FunctionParameter) -> Param {
    if declared.allow_null {
        Param::nullable(declared.name.clone(), declared.ty.clone())
    } else {
        Param::new(declared.name.clone(), declared.ty.clone())
    }
}

fn unknown_function<'a>(provider: &str, name: &str, declared: impl Iterator<Item = &'a String>) -> String {
    let declared: Vec<&String> = declared.collect();
    let mut text = format!("The provider \"{provider}\" has no function named \"{name}\".");
    let closest = declared
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, closest)) = closest {
        text.push_str(&format!(" Did you mean \"provider::{provider}::{closest}\"?"));
    } else if declared.is_empty() {
        text.push_str(" It declares no functions.");
    }
    text
}

/// Every `provider::NAME::FUNCTION` call in the configuration's files: NAME must be in its
/// module's `required_providers` (or be `terraform`), be a provider Corral has, and declare
/// FUNCTION. Asks each named provider for its schema (a plugin is started for it).
pub fn check_calls(config: &Config, registry: &ProviderRegistry) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut seen = BTreeSet::new();
    // The loader names files relative to the working directory when they lie inside it.
    let cwd = std::env::current_dir().unwrap_or_default();
    for module in config.modules() {
        let required: BTreeSet<&str> = module
            .terraform
            .as_ref()
            .map(|t| t.required_providers.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for (file, source) in config.sources.files() {
            let is_config = matches!(source.path.extension().and_then(|e| e.to_str()), Some("tf" | "hcl"));
            let path = cwd.join(&source.path);
            let dir = cwd.join(&module.dir);
            if !is_config || path.parent() != Some(dir.as_path()) || !seen.insert(file) {
                continue;
            }
            // Most files call no provider function: they are not parsed a second time.
            if !source.text.contains("provider::") {
                continue;
            }
            // A file that does not parse was reported by the loader.
            let Ok(body) = hcl_edit::parser::parse_body(&source.text) else { continue };
            let mut walker = Calls { file, required: &required, registry, diags: &mut diags };
            walker.visit_body(&body);
        }
    }
    diags
}

struct Calls<'a> {
    file: FileId,
    required: &'a BTreeSet<&'a str>,
    registry: &'a ProviderRegistry,
    diags: &'a mut Diagnostics,
}

impl Calls<'_> {
    fn check(&mut self, call: &FuncCall) {
        let namespace: Vec<&str> = call.name.namespace.iter().map(|n| n.value().as_str()).collect();
        let ["provider", provider] = namespace.as_slice() else { return };
        let name = call.name.name.value().as_str();
        let Some(range) = hcl_edit::Span::span(call) else { return };
        let span = Span::new(self.file, range);
        let full = format!("provider::{provider}::{name}");
        if *provider != BUILTIN_PROVIDER && !self.required.contains(provider) {
            self.diags.push(
                Diagnostic::error("Unknown provider in function call")
                    .with_detail(format!(
                        "\"{full}\" calls a function of provider \"{provider}\", which this module does not declare."
                    ))
                    .with_help(format!(
                        "add `{provider} = {{ source = \"...\" }}` to this module's `terraform {{ required_providers {{ ... }} }}`"
                    ))
                    .with_span(span),
            );
            return;
        }
        let Some(factory) = self.registry.get(provider) else {
            self.diags.push(
                Diagnostic::error("Call to unknown function")
                    .with_detail(format!("There is no provider named \"{provider}\", so no function \"{full}\"."))
                    .with_span(span),
            );
            return;
        };
        let schema = factory.schema();
        if !schema.functions.contains_key(name) {
            self.diags.push(
                Diagnostic::error("Call to unknown function")
                    .with_detail(unknown_function(provider, name, schema.functions.keys()))
                    .with_span(span),
            );
        }
    }
}

impl Visit for Calls<'_> {
    fn visit_func_call(&mut self, node: &FuncCall) {
        self.check(node);
        hcl_edit::visit::visit_func_call(self, node);
    }
}
