//! Provider-defined functions (`provider::NAME::FUNCTION(...)` in configuration): a provider
//! declares each with a name, typed parameters and a closure, puts [`Functions::schemas`] in
//! its schema's `functions` and answers `Provider::call_function` with [`Functions::call`].
//!
//! The engine checks argument counts, converts every argument to its parameter's type,
//! refuses nulls the parameter does not allow, and never calls with an unknown argument, so a
//! closure only computes. The count is checked here again anyway: a host is another program.

use std::collections::BTreeMap;
use std::sync::Arc;

use corral_core::provider::{CallFunctionRequest, CallFunctionResponse, FunctionError};
use corral_core::schema::FunctionSchema;
use corral_core::value::Value;

type Implementation = dyn Fn(&[Value]) -> Result<Value, FunctionError> + Send + Sync;

/// A provider's functions by name.
#[derive(Clone, Default)]
pub struct Functions {
    entries: BTreeMap<String, (FunctionSchema, Arc<Implementation>)>,
}

impl Functions {
    pub fn new() -> Functions {
        Functions::default()
    }

    /// Declares `name` with its signature and what computes it.
    pub fn add(
        mut self,
        name: &str,
        schema: FunctionSchema,
        implementation: impl Fn(&[Value]) -> Result<Value, FunctionError> + Send + Sync + 'static,
    ) -> Functions {
        self.entries.insert(name.to_string(), (schema, Arc::new(implementation)));
        self
    }

    /// What goes into `ProviderSchema::functions`.
    pub fn schemas(&self) -> BTreeMap<String, FunctionSchema> {
        self.entries.iter().map(|(name, (schema, _))| (name.clone(), schema.clone())).collect()
    }

    /// Answers a call.
    pub fn call(&self, request: CallFunctionRequest) -> CallFunctionResponse {
        let Some((schema, implementation)) = self.entries.get(&request.name) else {
            return CallFunctionResponse::error(format!("there is no function named \"{}\"", request.name));
        };
        let given = request.arguments.len();
        let wanted = schema.parameters.len();
        if given < wanted || (schema.variadic.is_none() && given > wanted) {
            return CallFunctionResponse::error(format!("{wanted} argument(s) expected, {given} given"));
        }
        CallFunctionResponse { result: implementation(&request.arguments) }
    }
}

/// An error about the argument at `index`.
pub fn argument_error(index: usize, message: impl Into<String>) -> FunctionError {
    FunctionError { message: message.into(), argument: Some(index) }
}

/// The string argument at `index` (the engine converted it to a string already).
pub fn string_arg(arguments: &[Value], index: usize) -> Result<&str, FunctionError> {
    arguments.get(index).and_then(Value::as_str).ok_or_else(|| argument_error(index, "a string is required"))
}

#[cfg(test)]
mod tests {
    use corral_core::schema::FunctionParameter;
    use corral_core::value::Type;

    use super::*;

    fn upper() -> Functions {
        Functions::new().add(
            "upper",
            FunctionSchema::new(vec![FunctionParameter::new("s", Type::String)], Type::String),
            |args| Ok(Value::String(string_arg(args, 0)?.to_uppercase())),
        )
    }

    #[test]
    fn a_declared_function_is_listed_and_answers() {
        let functions = upper();
        assert_eq!(functions.schemas().keys().collect::<Vec<_>>(), ["upper"]);
        let response = functions.call(CallFunctionRequest { name: "upper".into(), arguments: vec![Value::from("a")] });
        assert_eq!(response.result, Ok(Value::from("A")));
    }

    #[test]
    fn unknown_names_and_wrong_counts_are_errors() {
        let functions = upper();
        let unknown = functions.call(CallFunctionRequest { name: "lower".into(), arguments: vec![] });
        assert!(unknown.result.is_err_and(|e| e.message.contains("no function named \"lower\"")));
        let count = functions.call(CallFunctionRequest { name: "upper".into(), arguments: vec![] });
        assert!(count.result.is_err_and(|e| e.message == "1 argument(s) expected, 0 given"));
    }
}
