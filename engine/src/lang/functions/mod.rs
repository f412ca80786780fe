//! The function library: a registry of named functions, each with typed parameters and an
//! implementation closure that sees the scope (for `file` and friends).
//!
//! The registry does the work common to every function, so that implementations only
//! compute: argument counts, null checks, conversion of each argument to its parameter's
//! type, and the propagation of unknowns (an unknown argument gives an unknown result of
//! the function's return type) and of sensitive marks (a sensitive argument gives a
//! sensitive result). Errors name the function and point at the bad argument.

mod collection;
mod encoding;
mod filesystem;
mod hash;
mod network;
mod number;
mod string;
mod time;
mod types;
mod yaml;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, RwLock};

use super::Scope;
use crate::diag::{Diagnostic, Span};
use crate::value::{Number, Type, Value};

/// What an implementation reports when it cannot compute a result.
#[derive(Clone, Debug, PartialEq)]
pub enum FnError {
    /// The argument at this position (counting variadic ones) is unsuitable.
    Arg(usize, String),
    /// The call as a whole failed.
    Call(String),
}

/// What an implementation sees of the call besides its arguments.
pub struct CallContext<'a> {
    pub name: &'a str,
    /// The whole call.
    pub span: Span,
    /// One per argument (arguments expanded from `...` share the span of the expanded one).
    pub arg_spans: &'a [Span],
    pub scope: &'a dyn Scope,
}

/// A function's implementation.
pub type Implementation = dyn Fn(&CallContext<'_>, Vec<Value>) -> Result<Value, FnError> + Send + Sync;

#[derive(Clone, Debug)]
pub struct Param {
    /// Owned for the parameters a provider's schema names.
    pub name: Cow<'static, str>,
    /// Arguments are converted to this type before the call (`Dynamic`: passed as given).
    pub ty: Type,
    pub allow_null: bool,
}

impl Param {
    pub fn new(name: impl Into<Cow<'static, str>>, ty: Type) -> Param {
        Param { name: name.into(), ty, allow_null: false }
    }

    pub fn nullable(name: impl Into<Cow<'static, str>>, ty: Type) -> Param {
        Param { name: name.into(), ty, allow_null: true }
    }
}

#[derive(Clone)]
pub struct Function {
    params: Vec<Param>,
    variadic: Option<Param>,
    ret: Type,
    /// The implementation handles unknown arguments itself (e.g. `length` of a known list
    /// with unknown elements is known).
    handles_unknown: bool,
    /// The implementation sees sensitive marks and decides about them (`sensitive`,
    /// `nonsensitive`).
    handles_marks: bool,
    implementation: Arc<Implementation>,
}

impl Function {
    pub fn new(
        params: Vec<Param>,
        ret: Type,
        implementation: impl Fn(&CallContext<'_>, Vec<Value>) -> Result<Value, FnError> + Send + Sync + 'static,
    ) -> Function {
        Function {
            params,
            variadic: None,
            ret,
            handles_unknown: false,
            handles_marks: false,
            implementation: Arc::new(implementation),
        }
    }

    pub fn variadic(mut self, param: Param) -> Function {
        self.variadic = Some(param);
        self
    }

    pub fn handles_unknown(mut self) -> Function {
        self.handles_unknown = true;
        self
    }

    pub fn handles_marks(mut self) -> Function {
        self.handles_marks = true;
        self
    }

    /// The type of the result, as far as it is known without the arguments.
    pub fn return_type(&self) -> Type {
        self.ret.clone()
    }

    fn param(&self, index: usize) -> Option<&Param> {
        self.params.get(index).or(self.variadic.as_ref())
    }

    /// Calls the function: checks and converts the arguments, then runs the implementation.
    pub fn call(&self, ctx: &CallContext<'_>, args: Vec<Value>) -> Result<Value, Diagnostic> {
        if args.len() < self.params.len() {
            let missing = &self.params[args.len()];
            return Err(Diagnostic::error("Not enough function arguments")
                .with_detail(format!(
                    "Function \"{}\" expects {} argument(s). Missing value for \"{}\".",
                    ctx.name,
                    self.params.len(),
                    missing.name
                ))
                .with_span(ctx.span));
        }
        if self.variadic.is_none() && args.len() > self.params.len() {
            let span = ctx.arg_spans.get(self.params.len()).copied().unwrap_or(ctx.span);
            return Err(Diagnostic::error("Too many function arguments")
                .with_detail(format!("Function \"{}\" expects only {} argument(s).", ctx.name, self.params.len()))
                .with_span(span));
        }
        let sensitive = !self.handles_marks && args.iter().any(Value::contains_sensitive);
        let mut converted = Vec::with_capacity(args.len());
        for (i, arg) in args.into_iter().enumerate() {
            let arg = if self.handles_marks { arg } else { arg.unmark_deep().0 };
            let Some(param) = self.param(i) else { continue };
            if arg.is_null() && !param.allow_null {
                return Err(self.arg_error(ctx, i, "argument must not be null"));
            }
            if !self.handles_unknown && !arg.is_wholly_known() {
                return Ok(Value::Unknown(self.ret.clone()).marked_if(sensitive));
            }
            let arg = super::convert(arg, &param.ty).map_err(|message| self.arg_error(ctx, i, &message))?;
            converted.push(arg);
        }
        match (self.implementation)(ctx, converted).and_then(within_limits) {
            Ok(value) => Ok(value.marked_if(sensitive)),
            Err(FnError::Arg(i, message)) => Err(self.arg_error(ctx, i, &message)),
            Err(FnError::Call(message)) => Err(Diagnostic::error("Error in function call")
                .with_detail(format!("Call to function \"{}\" failed: {message}.", ctx.name))
                .with_span(ctx.span)),
        }
    }

    fn arg_error(&self, ctx: &CallContext<'_>, index: usize, message: &str) -> Diagnostic {
        let param = self.param(index).map(|p| p.name.as_ref()).unwrap_or("?");
        Diagnostic::error("Invalid function argument")
            .with_detail(format!(
                "Call to function \"{}\" failed: invalid value for \"{param}\" parameter: {message}.",
                ctx.name
            ))
            .with_span(ctx.arg_spans.get(index).copied().unwrap_or(ctx.span))
    }
}

/// A set of functions by name.
#[derive(Clone, Default)]
pub struct Functions {
    map: BTreeMap<String, Function>,
    /// `provider::NAME::FUNCTION` calls reach the installed providers (the standard library
    /// does; an empty registry, used to tell constants apart, does not).
    providers: bool,
}

impl Functions {
    pub fn new() -> Functions {
        Functions::default()
    }

    pub fn register(&mut self, name: &str, function: Function) {
        self.map.insert(name.to_string(), function);
    }

    /// Removes the functions whose names match (e.g. a sandbox without file access).
    pub fn remove_where(&mut self, matches: impl Fn(&str) -> bool) {
        self.map.retain(|name, _| !matches(name));
    }

    pub fn get(&self, name: &str) -> Option<&Function> {
        self.map.get(name)
    }

    /// A provider's function, when this registry reaches providers.
    pub(crate) fn provider_function(&self, provider: &str, name: &str) -> Result<Function, String> {
        if !self.providers {
            return Err(format!("There is no function named \"provider::{provider}::{name}\" here."));
        }
        provider_function(provider, name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// The registered name closest to a misspelt one.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        self.map
            .keys()
            .map(|k| (strsim::jaro_winkler(name, k), k))
            .filter(|(score, _)| *score > 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| k.as_str())
    }

    /// Every built-in function (`try` and `can` are special forms of the evaluator).
    pub fn with_standard_library() -> Functions {
        let mut functions = Functions::new();
        string::register(&mut functions);
        collection::register(&mut functions);
        number::register(&mut functions);
        types::register(&mut functions);
        encoding::register(&mut functions);
        hash::register(&mut functions);
        network::register(&mut functions);
        filesystem::register(&mut functions);
        time::register(&mut functions);
        functions.providers = true;
        functions
    }
}

static STANDARD: LazyLock<Functions> = LazyLock::new(Functions::with_standard_library);

/// Where `provider::NAME::FUNCTION(...)` calls are resolved: the functions the providers
/// of the run declare (the CLI installs them once it knows its providers).
pub trait ProviderFunctions: Send + Sync {
    /// The function, or why there is none (the detail of a "Call to unknown function"
    /// diagnostic).
    fn function(&self, provider: &str, name: &str) -> Result<Function, String>;
}

/// Process-wide, like the standard library: every evaluation of a run sees the same
/// providers, and threading a table through the dozens of places that evaluate (variable
/// defaults, validations, bodies, console) would only hand the same table around.
static PROVIDER_FUNCTIONS: RwLock<Option<Arc<dyn ProviderFunctions>>> = RwLock::new(None);

/// Makes the providers' functions callable from every later evaluation.
pub fn install_provider_functions(functions: Arc<dyn ProviderFunctions>) {
    let mut slot = PROVIDER_FUNCTIONS.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    *slot = Some(functions);
}

fn provider_function(provider: &str, name: &str) -> Result<Function, String> {
    let installed = PROVIDER_FUNCTIONS.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    match installed {
        Some(functions) => functions.function(provider, name),
        None => Err(format!(
            "There is no provider named \"{provider}\" here, so no function \"provider::{provider}::{name}\"."
        )),
    }
}

/// Terraform's `jsonencode` text of a value (Go's escaping, keys sorted, numbers in full).
pub fn jsonencode(value: &Value) -> Result<String, String> {
    encoding::json_encode(value).map_err(|e| e.to_string())
}

/// The shared standard library.
pub fn standard() -> &'static Functions {
    &STANDARD
}

// Helpers for implementations: arguments have been converted to their parameter types, so
// these only unwrap.

pub(crate) fn str_of(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

pub(crate) fn number_of(value: &Value) -> Number {
    value.as_number().cloned().unwrap_or_else(|| Number::from(0))
}

/// A whole number argument.
pub(crate) fn int_of(value: &Value, index: usize) -> Result<i64, FnError> {
    let n = number_of(value);
    if !n.is_integer() {
        return Err(FnError::Arg(index, "a whole number is required".to_string()));
    }
    n.to_i64().ok_or_else(|| FnError::Arg(index, "the number is too large".to_string()))
}

/// Refuses a string of `bytes` before it is built (functions whose output size is a number
/// the input chooses check first, so the allocation never happens).
pub(crate) fn check_string(bytes: u128) -> Result<(), FnError> {
    let limit = crate::limits::limits().string_bytes;
    if bytes > u128::from(limit.value) { Err(FnError::Call(limit.exceeded(bytes))) } else { Ok(()) }
}

/// Refuses a collection of `elements` before it is built.
pub(crate) fn check_elements(elements: u128) -> Result<(), FnError> {
    let limit = crate::limits::limits().collection_elements;
    if elements > u128::from(limit.value) { Err(FnError::Call(limit.exceeded(elements))) } else { Ok(()) }
}

/// Every result is held to the limits (its own size, not its elements'), so a function that
/// could not tell beforehand still cannot hand on an oversized value.
fn within_limits(value: Value) -> Result<Value, FnError> {
    match value.unmarked() {
        Value::String(s) => check_string(s.len() as u128)?,
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => check_elements(items.len() as u128)?,
        Value::Map(_, items) | Value::Object(items) => check_elements(items.len() as u128)?,
        _ => {}
    }
    Ok(value)
}

pub(crate) fn items_of(value: &Value) -> Vec<Value> {
    value.as_seq().map(<[Value]>::to_vec).unwrap_or_default()
}

#[cfg(test)]
mod tests;
