//! Type conversion functions (`tostring`, `tonumber`, `tobool`, `tolist`, `toset`,
//! `tomap`) and the sensitivity functions (`sensitive`, `nonsensitive`).

use super::{FnError, Function, Functions, Param};
use crate::lang::convert::{convert, kind_name};
use crate::value::{Type, Value};

fn to_type(target: Type) -> Function {
    let ret = target.clone();
    Function::new(vec![Param::nullable("v", Type::Dynamic)], ret, move |_, args| {
        let value = args.into_iter().next().unwrap_or(Value::null());
        let from = value.ty();
        let original = value.clone();
        convert(value, &target).map_err(|_| FnError::Arg(0, message(&original, &from, &target)))
    })
    .handles_unknown()
}

fn message(value: &Value, from: &Type, target: &Type) -> String {
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    match (value, target) {
        (Value::String(s), Type::Number) => {
            format!("cannot convert {} to number; given string must be a decimal representation of a number", quoted(s))
        }
        (Value::String(s), Type::Bool) => {
            format!("cannot convert {} to bool; only the strings \"true\" or \"false\" are allowed", quoted(s))
        }
        _ => format!("cannot convert {} to {}", kind_name(from), kind_name(target)),
    }
}

pub(super) fn register(functions: &mut Functions) {
    functions.register("tostring", to_type(Type::String));
    functions.register("tonumber", to_type(Type::Number));
    functions.register("tobool", to_type(Type::Bool));
    functions.register("tolist", to_type(Type::list(Type::Dynamic)));
    functions.register("toset", to_type(Type::set(Type::Dynamic)));
    functions.register("tomap", to_type(Type::map(Type::Dynamic)));
    functions.register(
        "sensitive",
        Function::new(vec![Param::nullable("value", Type::Dynamic)], Type::Dynamic, |_, args| {
            Ok(args.into_iter().next().unwrap_or(Value::null()).mark_sensitive())
        })
        .handles_unknown()
        .handles_marks(),
    );
    functions.register(
        "nonsensitive",
        Function::new(vec![Param::nullable("value", Type::Dynamic)], Type::Dynamic, |_, args| {
            let value = args.into_iter().next().unwrap_or(Value::null());
            if !value.is_sensitive() {
                return Err(FnError::Arg(0, "the given value is not sensitive, so this call is redundant".to_string()));
            }
            Ok(value.unmark().0)
        })
        .handles_unknown()
        .handles_marks(),
    );
    // Terraform 1.10: ephemeral values become null. Corral has no ephemeral values (nothing
    // it evaluates is kept out of state and plan by design), so every value is kept as it is,
    // unknowns and sensitive marks included, which is Terraform's answer for such values.
    functions.register(
        "ephemeralasnull",
        Function::new(vec![Param::nullable("value", Type::Dynamic)], Type::Dynamic, |_, args| {
            Ok(args.into_iter().next().unwrap_or(Value::null()))
        })
        .handles_unknown()
        .handles_marks(),
    );
    functions.register(
        "issensitive",
        Function::new(vec![Param::nullable("value", Type::Dynamic)], Type::Bool, |_, args| {
            let value = args.into_iter().next().unwrap_or(Value::null());
            // An unknown value may turn out sensitive; a marked one already is.
            Ok(if value.is_sensitive() {
                Value::Bool(true)
            } else if !value.is_known() {
                Value::Unknown(Type::Bool)
            } else {
                Value::Bool(false)
            })
        })
        .handles_unknown()
        .handles_marks(),
    );
}
