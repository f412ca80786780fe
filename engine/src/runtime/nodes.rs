//! Evaluating the graph nodes that are not resources — child module variables, locals,
//! outputs, module calls, provider configurations — into [`Values`]. Plan and apply share
//! these, so both see the same values for the same inputs.

use crate::addr::{ModuleInstance, ModulePath};
use crate::config::{CheckRule, Config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::lang::{self, Scope, Subject};
use crate::schema::BlockSchema;
use crate::value::{Type, Value};

use super::{Expansion, InstanceScope, RepetitionData, Values, expand};

/// A child module's input variable, from its call's argument evaluated in the parent.
pub fn eval_child_variable(config: &Config, values: &mut Values, module: &ModulePath, name: &str) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let (Some(module_config), Some(parent_path)) = (config.module(module), module.parent()) else { return diags };
    let Some(decl) = module_config.variables.get(name) else { return diags };
    let Some(parent_config) = config.module(&parent_path) else { return diags };
    let call_name = module.0.last().cloned().unwrap_or_default();
    let Some(call) = parent_config.module_calls.get(&call_name) else { return diags };
    for instance in values.instances_of(module) {
        let Some(parent) = instance.parent() else { continue };
        let repetition = values.module(&instance).map(|m| m.repetition.clone()).unwrap_or_default();
        let (value, d) = match call.arguments.get(name) {
            Some(arg) => {
                let scope = InstanceScope {
                    values,
                    module: &parent,
                    config: parent_config,
                    repetition: &repetition,
                    self_value: None,
                };
                lang::eval(&arg.value, &scope)
            }
            None => match &decl.default {
                Some(expr) => lang::eval(expr, &ConstScope),
                None => {
                    diags.push(
                        Diagnostic::error("Missing required argument")
                            .with_span(call.decl_span)
                            .with_detail(format!("The argument \"{name}\" is required, but no definition was found")),
                    );
                    continue;
                }
            },
        };
        diags.extend(d);
        let value = if value.is_null() && !decl.nullable {
            match &decl.default {
                Some(expr) => lang::eval(expr, &ConstScope).0,
                None => value,
            }
        } else {
            value
        };
        let value = match lang::convert(value, &decl.ty) {
            Ok(v) => v,
            Err(reason) => {
                let span = call.arguments.get(name).map(|a| a.value.span).unwrap_or(call.decl_span);
                diags.push(
                    Diagnostic::error("Invalid value for input variable")
                        .with_span(span)
                        .with_detail(format!("The given value is not suitable for {instance}.var.{name}: {reason}")),
                );
                Value::Unknown(decl.ty.clone())
            }
        };
        let value = value.marked_if(decl.sensitive);
        if value.is_wholly_known() {
            let module_values = values.module(&instance);
            let others = |n: &str| module_values.and_then(|m| m.variables.get(n)).cloned();
            let no_repetition = RepetitionData::default();
            let rest = InstanceScope {
                values,
                module: &instance,
                config: module_config,
                repetition: &no_repetition,
                self_value: None,
            };
            diags.extend(validate_variable(&decl.name, &decl.validations, &value, &others, Some(&rest)));
        }
        values.module_mut(&instance).variables.insert(name.to_string(), value);
    }
    diags
}

/// Checks a variable's `validation` rules against its value. `others` gives the module's
/// other variables; `rest` resolves what else a rule refers to (locals, data sources, ...,
/// which the graph evaluates first). Without `rest` (a saved plan's variables, checked when
/// the plan was made) such a rule is skipped.
pub fn validate_variable(
    name: &str,
    rules: &[CheckRule],
    value: &Value,
    others: &dyn Fn(&str) -> Option<Value>,
    rest: Option<&dyn Scope>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let scope = OneVarScope { name, value, others, rest };
    for rule in rules {
        let (condition, d) = lang::eval(&rule.condition, &scope);
        if d.has_errors() {
            diags.extend(d);
            continue;
        }
        if !condition.is_known() || condition.as_bool() != Some(false) {
            continue;
        }
        let (message, _) = lang::eval(&rule.error_message, &scope);
        let message =
            message.as_str().map(str::to_string).unwrap_or_else(|| "the validation condition failed".to_string());
        diags.push(
            Diagnostic::error(format!("Invalid value for variable \"{name}\""))
                .with_span(rule.condition.span)
                .with_detail(message),
        );
    }
    diags
}

pub fn eval_local(config: &Config, values: &mut Values, module: &ModulePath, name: &str) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let Some(module_config) = config.module(module) else { return diags };
    let Some(local) = module_config.locals.get(name) else { return diags };
    for instance in values.instances_of(module) {
        let repetition = RepetitionData::default();
        let scope = InstanceScope {
            values,
            module: &instance,
            config: module_config,
            repetition: &repetition,
            self_value: None,
        };
        let (value, d) = lang::eval(&local.value, &scope);
        diags.extend(d);
        values.module_mut(&instance).locals.insert(name.to_string(), value);
    }
    diags
}

pub fn eval_output(config: &Config, values: &mut Values, module: &ModulePath, name: &str) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let Some(module_config) = config.module(module) else { return diags };
    let Some(output) = module_config.outputs.get(name) else { return diags };
    for instance in values.instances_of(module) {
        let repetition = RepetitionData::default();
        let scope = InstanceScope {
            values,
            module: &instance,
            config: module_config,
            repetition: &repetition,
            self_value: None,
        };
        diags.extend(check_rules(&output.preconditions, &scope, "Module output value precondition failed"));
        let (value, d) = lang::eval(&output.value, &scope);
        diags.extend(d);
        if value.contains_sensitive() && !output.sensitive && module.is_root() {
            diags.push(
                Diagnostic::error("Output refers to sensitive values")
                    .with_span(output.span)
                    .with_detail("To reduce the risk of accidentally exporting sensitive data, root module output values that include sensitive values must be declared sensitive")
                    .with_help("add `sensitive = true` to the output block"),
            );
        }
        let value = value.marked_if(output.sensitive);
        values.module_mut(&instance).outputs.insert(name.to_string(), value);
    }
    diags
}

/// Expands a module call into child module instances (with their `count.index`/`each.*`).
pub fn eval_module_call(config: &Config, values: &mut Values, module: &ModulePath, name: &str) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let Some(module_config) = config.module(module) else { return diags };
    let Some(call) = module_config.module_calls.get(name) else { return diags };
    let child_dir = config.module(&module.child(name)).map(|m| m.dir.clone()).unwrap_or_default();
    for instance in values.instances_of(module) {
        let repetition = RepetitionData::default();
        let scope = InstanceScope {
            values,
            module: &instance,
            config: module_config,
            repetition: &repetition,
            self_value: None,
        };
        let (mut expansion, mut keys, d) = expand(call.count.as_ref(), call.for_each.as_ref(), &scope);
        diags.extend(d);
        // Every instance costs a full set of the child's nodes: a count or for_each (or a
        // tree of them) is held to the module-instance limit, counted over the whole walk.
        let limit = crate::limits::limits().module_instances;
        let total = values.modules.len().saturating_sub(1) as u64 + keys.len() as u64;
        if !limit.allows(total) {
            let span = call.count.as_ref().or(call.for_each.as_ref()).map_or(call.span, |e| e.span);
            diags.push(
                Diagnostic::error("Too many module instances")
                    .with_span(span)
                    .with_detail(format!("module.{name} {}", limit.exceeded(format!("at least {total}")))),
            );
            keys.clear();
            expansion = Expansion::Unknown;
        }
        for (key, repetition) in keys {
            let child = instance.child(name, key);
            let child_values = values.module_mut(&child);
            child_values.dir = child_dir.clone();
            child_values.repetition = repetition;
        }
        values.module_mut(&instance).calls.insert(name.to_string(), expansion);
    }
    diags
}

/// A provider block's configuration value (a null object when the provider is implied).
pub fn eval_provider_config(
    config: &Config,
    values: &Values,
    module: &ModulePath,
    key: &str,
    schema: &BlockSchema,
) -> (Value, Diagnostics) {
    let Some(module_config) = config.module(module) else { return (null_object(schema), Diagnostics::new()) };
    let Some(block) = module_config.providers.iter().find(|p| p.key() == key) else {
        return (null_object(schema), Diagnostics::new());
    };
    // Providers inside a repeated module are not allowed by Terraform; the first instance
    // is as good as any.
    let instance = values.instances_of(module).into_iter().next().unwrap_or_else(ModuleInstance::root);
    let repetition = RepetitionData::default();
    let scope =
        InstanceScope { values, module: &instance, config: module_config, repetition: &repetition, self_value: None };
    lang::eval_body(&block.body, schema, &scope)
}

/// Evaluates `condition`/`error_message` rules; a false condition is an error.
pub fn check_rules(rules: &[CheckRule], scope: &dyn Scope, summary: &str) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for rule in rules {
        let (condition, d) = lang::eval(&rule.condition, scope);
        if d.has_errors() {
            diags.extend(d);
            continue;
        }
        if condition.is_known() && condition.as_bool() == Some(false) {
            let (message, _) = lang::eval(&rule.error_message, scope);
            let message = message.as_str().unwrap_or("the condition is false").to_string();
            diags.push(Diagnostic::error(summary).with_span(rule.condition.span).with_detail(message));
        }
    }
    diags
}

/// An object of the schema's type with every attribute null.
pub fn null_object(schema: &BlockSchema) -> Value {
    match schema.ty() {
        Type::Object(attrs) => Value::Object(attrs.into_iter().map(|(k, t)| (k, Value::Null(t))).collect()),
        other => Value::Null(other),
    }
}

/// A scope with nothing in it: defaults and variable files are constants.
pub struct ConstScope;

impl Scope for ConstScope {
    fn lookup(&self, _subject: &Subject, span: crate::diag::Span) -> Result<Value, Diagnostic> {
        Err(Diagnostic::error("Variables not allowed").with_span(span).with_detail("Variables may not be used here"))
    }
}

struct OneVarScope<'a> {
    name: &'a str,
    value: &'a Value,
    /// The module's other variables, evaluated before this one (the graph orders them); one
    /// not evaluated is unknown, which skips the rule.
    others: &'a dyn Fn(&str) -> Option<Value>,
    /// Everything else; `None`: unknown, which skips the rule.
    rest: Option<&'a dyn Scope>,
}

impl Scope for OneVarScope<'_> {
    fn lookup(&self, subject: &Subject, span: crate::diag::Span) -> Result<Value, Diagnostic> {
        match subject {
            Subject::Var(n) if n == self.name => Ok(self.value.clone()),
            Subject::Var(n) => Ok((self.others)(n).unwrap_or(Value::unknown())),
            _ => match self.rest {
                Some(rest) => rest.lookup(subject, span),
                None => Ok(Value::unknown()),
            },
        }
    }
}
