//! Root module input variables: where their values come from (`--var`, `--var-file`,
//! `CORRAL_VAR_*`, defaults) and how they are checked (type, `nullable`, `validation`).

use std::collections::BTreeMap;

use crate::config::{OptionalAttr, Variable};
use crate::diag::{Diagnostic, Diagnostics, FileId};
use crate::lang;
use crate::runtime::nodes::ConstScope;
use crate::value::{Type, Value};

/// A value given for a root variable, before it is checked against the declaration.
#[derive(Clone, Debug)]
pub enum RawInput {
    /// From a variable file: already a value.
    Value(Value),
    /// From `--var name=text` or `CORRAL_VAR_name`: taken literally for an untyped or
    /// primitive-typed variable, parsed as an expression otherwise (as Terraform does).
    Text(String),
}

#[derive(Clone, Debug)]
pub struct InputValue {
    pub raw: RawInput,
    /// Where it came from, for messages: `--var`, `prod.tfvars`, `CORRAL_VAR_size`.
    pub source: String,
}

/// Values given for root variables, by name. Later sources override earlier ones.
pub type InputValues = BTreeMap<String, InputValue>;

/// Puts back the values of the write-only variables a saved plan left out, from `inputs`
/// (the usual sources at apply time), checked as at plan time. A value that differs from the
/// one planned with is caught later: its digest no longer matches the saved plan's.
pub fn supply_write_only_variables(
    key: &crate::secret::WorkspaceKey,
    config: &crate::config::Config,
    plan: &mut super::Plan,
    inputs: &InputValues,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for (name, planned) in &plan.write_only_variables {
        if plan.variables.contains_key(name) {
            continue;
        }
        let Some(decl) = config.root.variables.get(name) else { continue };
        if inputs.get(name).is_none() && decl.default.is_none() {
            diags.push(
                Diagnostic::error(format!("No value for write-only variable \"{name}\""))
                    .with_span(decl.span)
                    .with_detail(format!(
                        "\"{name}\" feeds a write-only attribute, so the saved plan does not hold its value: it must be given again to apply the plan"
                    ))
                    .with_help(format!(
                        "give the value used for the plan with `--var {name}=...`, a `--var-file`, a `*.auto.tfvars` file, or `CORRAL_VAR_{name}`"
                    )),
            );
            continue;
        }
        let (value, d) = root_variable_value(decl, inputs.get(name));
        let failed = d.has_errors();
        diags.extend(d);
        if failed {
            continue;
        }
        if super::variable_digest(key, name, &value) != *planned {
            diags.push(
                Diagnostic::error(format!("Write-only variable \"{name}\" differs from the plan"))
                    .with_span(decl.span)
                    .with_detail(format!(
                        "the value given for \"{name}\" is not the one the plan was made with, so the plan's changes would not be what was shown"
                    ))
                    .with_help("give the same value as for `corral plan`, or make the plan again"),
            );
            continue;
        }
        let others = |n: &str| plan.variables.get(n).cloned();
        diags.extend(crate::runtime::nodes::validate_variable(name, &decl.validations, &value, &others, None));
        plan.variables.insert(name.clone(), value);
    }
    diags
}

/// Resolves a root variable's final value.
pub(crate) fn root_variable_value(decl: &Variable, input: Option<&InputValue>) -> (Value, Diagnostics) {
    let mut diags = Diagnostics::new();
    let given = match input {
        Some(InputValue { raw: RawInput::Value(v), .. }) => Some(v.clone()),
        Some(InputValue { raw: RawInput::Text(text), source }) => {
            if decl.literal_input {
                Some(Value::String(text.clone()))
            } else {
                match lang::parse_expr(text, FileId(u32::MAX)) {
                    Ok(expr) => {
                        let (v, d) = lang::eval(&expr, &ConstScope);
                        if d.has_errors() {
                            diags.push(
                                Diagnostic::error(format!("Invalid value for variable \"{}\"", decl.name)).with_detail(
                                    format!("the value from {source} is not a valid expression: {}", first_message(&d)),
                                ),
                            );
                            return (Value::Unknown(decl.ty.clone()), diags);
                        }
                        Some(v)
                    }
                    Err(e) => {
                        // A bare word for an `any` variable is a string, as in Terraform.
                        if decl.ty == Type::Dynamic {
                            Some(Value::String(text.clone()))
                        } else {
                            diags.push(
                                Diagnostic::error(format!("Invalid value for variable \"{}\"", decl.name)).with_detail(
                                    format!("the value from {source} is not a valid expression: {}", e.summary),
                                ),
                            );
                            return (Value::Unknown(decl.ty.clone()), diags);
                        }
                    }
                }
            }
        }
        None => None,
    };
    let default = || -> Option<Value> {
        decl.default.as_ref().map(|expr| {
            let (v, d) = lang::eval(expr, &ConstScope);
            diags_push_all(&mut Diagnostics::new(), d);
            v
        })
    };
    let mut value = match given {
        Some(v) if v.is_null() && !decl.nullable => match default() {
            Some(d) => d,
            None => {
                diags.push(Diagnostic::error("Required variable not set").with_span(decl.span).with_detail(format!(
                    "The variable \"{}\" is required and not nullable, but it was given null",
                    decl.name
                )));
                return (Value::Unknown(decl.ty.clone()), diags);
            }
        },
        Some(v) => v,
        None => {
            match default() {
                Some(d) => d,
                None => {
                    diags.push(
                    Diagnostic::error(format!("No value for required variable \"{}\"", decl.name))
                        .with_span(decl.span)
                        .with_detail("The root module input variable has no default, so a value must be given")
                        .with_help(format!("set it with `--var {}=...`, a `--var-file`, or the environment variable `CORRAL_VAR_{}`", decl.name, decl.name)),
                );
                    return (Value::Unknown(decl.ty.clone()), diags);
                }
            }
        }
    };
    value = fill_optional_attrs(value, &decl.optional_attrs);
    match lang::convert(value, &decl.ty) {
        Ok(v) => value = v,
        Err(reason) => {
            let source = input.map(|i| i.source.clone()).unwrap_or_else(|| "the default".to_string());
            diags.push(
                Diagnostic::error(format!("Invalid value for variable \"{}\"", decl.name))
                    .with_span(decl.span)
                    .with_detail(format!("The value from {source} is not suitable: {reason}")),
            );
            return (Value::Unknown(decl.ty.clone()), diags);
        }
    }
    (value.marked_if(decl.sensitive), diags)
}

/// Inserts the defaults (or nulls) of `optional(...)` object attributes that were left out,
/// so conversion to the object type succeeds as Terraform's does.
fn fill_optional_attrs(value: Value, optional: &[OptionalAttr]) -> Value {
    let mut value = value;
    for attr in optional {
        value = fill_at(value, &attr.path, attr);
    }
    value
}

fn fill_at(value: Value, path: &[String], attr: &OptionalAttr) -> Value {
    let (value, marked) = value.unmark();
    let filled = match value {
        Value::Object(mut attrs) => {
            if let Some((first, rest)) = path.split_first() {
                if rest.is_empty() {
                    if attrs.get(first).is_none_or(Value::is_null) {
                        let default =
                            attr.default.as_ref().map(|e| lang::eval(e, &ConstScope).0).unwrap_or(Value::null());
                        attrs.insert(first.clone(), default);
                    }
                } else if let Some(inner) = attrs.remove(first) {
                    attrs.insert(first.clone(), fill_at(inner, rest, attr));
                }
            }
            Value::Object(attrs)
        }
        Value::Tuple(items) => Value::Tuple(items.into_iter().map(|v| fill_at(v, path, attr)).collect()),
        Value::List(t, items) => Value::List(t, items.into_iter().map(|v| fill_at(v, path, attr)).collect()),
        Value::Set(t, items) => Value::Set(t, items.into_iter().map(|v| fill_at(v, path, attr)).collect()),
        Value::Map(t, items) => Value::Map(t, items.into_iter().map(|(k, v)| (k, fill_at(v, path, attr))).collect()),
        other => other,
    };
    filled.marked_if(marked)
}

fn first_message(diags: &Diagnostics) -> String {
    diags.errors().next().map(|d| d.to_string()).unwrap_or_default()
}

fn diags_push_all(into: &mut Diagnostics, from: Diagnostics) {
    into.extend(from);
}
