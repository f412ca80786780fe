//! The scope expressions of one instance are evaluated in.

use crate::addr::ModuleInstance;
use crate::config::Module;
use crate::diag::{Diagnostic, Span};
use crate::lang::{Scope, Subject};
use crate::value::{Type, Value};

use super::expansion::RepetitionData;
use super::values::Values;

/// Resolves references made from inside one module instance (and, for resources, one of
/// their instances: `count.index`, `each.*`, `self`).
pub struct InstanceScope<'a> {
    pub values: &'a Values,
    pub module: &'a ModuleInstance,
    /// The module's configuration: tells "declared but not evaluated yet" (unknown) apart
    /// from "not declared" (an error).
    pub config: &'a Module,
    pub repetition: &'a RepetitionData,
    pub self_value: Option<Value>,
}

impl Scope for InstanceScope<'_> {
    fn pure_only(&self) -> bool {
        self.values.pure_only
    }

    fn plan_timestamp(&self) -> Option<String> {
        self.values.plan_timestamp.clone()
    }

    fn lookup(&self, subject: &Subject, span: Span) -> Result<Value, Diagnostic> {
        let module_values = self.values.module(self.module);
        let undeclared = |kind: &str, name: &str| {
            Diagnostic::error(format!("Reference to undeclared {kind}"))
                .with_span(span)
                .with_detail(format!("No {kind} named \"{name}\" has been declared in {}", module_label(self.module)))
        };
        match subject {
            Subject::Var(name) => match module_values.and_then(|m| m.variables.get(name)) {
                Some(v) => Ok(v.clone()),
                None if self.config.variables.contains_key(name) => Ok(Value::Unknown(Type::Dynamic)),
                None => Err(undeclared("input variable", name)),
            },
            Subject::Local(name) => match module_values.and_then(|m| m.locals.get(name)) {
                Some(v) => Ok(v.clone()),
                None if self.config.locals.contains_key(name) => Ok(Value::Unknown(Type::Dynamic)),
                None => Err(undeclared("local value", name)),
            },
            Subject::ModuleCall(name) => match self.values.module_call_value(self.module, name) {
                Some(v) => Ok(v),
                None if self.config.module_calls.contains_key(name) => Ok(Value::Unknown(Type::Dynamic)),
                None => Err(undeclared("module", name)),
            },
            Subject::Resource(addr) => match self.values.resource_value(self.module, addr) {
                Some(v) => Ok(v),
                None if self.config.resources.contains_key(addr) => Ok(Value::Unknown(Type::Dynamic)),
                None => Err(Diagnostic::error("Reference to undeclared resource")
                    .with_span(span)
                    .with_detail(format!("A resource \"{}\" \"{}\" has not been declared in {}", addr.type_name, addr.name, module_label(self.module)))),
            },
            Subject::CountIndex => self.repetition.count_index.map(Value::int).ok_or_else(|| {
                Diagnostic::error("Reference to \"count\" in non-counted context")
                    .with_span(span)
                    .with_detail("The \"count\" object can only be used in \"module\", \"resource\", and \"data\" blocks, and only when the \"count\" argument is set")
            }),
            Subject::EachKey => self.repetition.each_key.clone().map(Value::String).ok_or_else(|| each_error(span)),
            Subject::EachValue => self.repetition.each_value.clone().ok_or_else(|| each_error(span)),
            Subject::PathModule => Ok(Value::String(path_text(module_values.map(|m| m.dir.as_path()).unwrap_or(self.values.root_dir.as_path()), &self.values.relative_to))),
            Subject::PathRoot => Ok(Value::String(path_text(&self.values.root_dir, &self.values.relative_to))),
            Subject::PathCwd => Ok(Value::String(self.values.cwd.display().to_string())),
            Subject::TerraformWorkspace => Ok(Value::String(self.values.workspace.clone())),
            Subject::SelfObject => self.self_value.clone().ok_or_else(|| {
                Diagnostic::error("Invalid \"self\" reference")
                    .with_span(span)
                    .with_detail("The \"self\" object is only available in resource postconditions")
            }),
        }
    }
}

fn each_error(span: Span) -> Diagnostic {
    Diagnostic::error("Reference to \"each\" in context without for_each")
        .with_span(span)
        .with_detail("The \"each\" object can be used only in \"module\" or \"resource\" blocks, and only when the \"for_each\" argument is set")
}

fn module_label(module: &ModuleInstance) -> String {
    if module.is_root() { "the root module".to_string() } else { module.to_string() }
}

/// `path.module` as Terraform gives it: relative to the working directory when inside it.
fn path_text(dir: &std::path::Path, cwd: &std::path::Path) -> String {
    match dir.strip_prefix(cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.display().to_string(),
        Err(_) => dir.display().to_string(),
    }
}
