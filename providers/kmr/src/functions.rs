//! The provider's functions (`provider::kmr::NAME(...)`): the service's own rules, usable in
//! `validation` blocks and preconditions so a plan fails at the variable that is wrong,
//! before the cluster that would have used it is even planned.

use corral_core::schema::FunctionParameter;
use corral_core::schema::FunctionSchema;
use corral_core::value::{Type, Value};
use corral_provider_sdk::function::{Functions, string_arg};

/// Every function of the provider.
pub(crate) fn functions() -> Functions {
    Functions::new().add(
        "password_problems",
        FunctionSchema::new(
            vec![FunctionParameter::new("password", Type::String).with_description("A candidate admin password")],
            Type::list(Type::String),
        )
        .with_summary("Every rule of KMR's admin password policy a password breaks")
        .with_description(
            "An empty list when the service would accept the password as a cluster's `admin_password`; \
             the messages never quote the password.",
        ),
        |args| {
            let problems = corral_api_kmr::password::problems(string_arg(args, 0)?);
            Ok(Value::List(Type::String, problems.into_iter().map(Value::String).collect()))
        },
    )
}

#[cfg(test)]
mod tests {
    use corral_core::provider::CallFunctionRequest;

    use super::*;

    #[test]
    fn password_problems_lists_what_the_service_would_refuse() {
        let call = |pw: &str| {
            functions()
                .call(CallFunctionRequest { name: "password_problems".into(), arguments: vec![Value::from(pw)] })
                .result
        };
        assert_eq!(call("Corral-2026"), Ok(Value::List(Type::String, vec![])));
        let Ok(Value::List(_, items)) = call("admin") else { panic!("a list") };
        assert_eq!(items.len(), 3);
    }
}
