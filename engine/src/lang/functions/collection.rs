//! Collection functions: `concat`, `merge`, `lookup`, `keys`, `values`, `element`,
//! `flatten`, `distinct`, `sort`, `range`, `zipmap`, the set functions, and friends.

use std::collections::BTreeMap;

use super::{FnError, Function, Functions, Param, check_elements, int_of, items_of, number_of, str_of};
use crate::lang::convert::{convert, kind_name, unify, unify_values};
use crate::lang::eval::equals;
use crate::value::{Number, Type, Value};

fn list_any() -> Type {
    Type::list(Type::Dynamic)
}

fn set_any() -> Type {
    Type::set(Type::Dynamic)
}

/// A list of the given elements, with their unified type (a tuple when they have none).
fn list_of(items: Vec<Value>) -> Value {
    match unify_values(items.clone()) {
        Ok((ty, items)) => Value::List(ty, items),
        Err(_) => Value::Tuple(items),
    }
}

/// Rebuilds a sequence of the same kind as `like` from new elements.
fn same_kind(like: &Value, items: Vec<Value>) -> Value {
    match like.unmarked() {
        Value::List(ty, _) => Value::List(ty.clone(), items),
        Value::Set(ty, _) => Value::new_set(ty.clone(), items),
        _ => Value::Tuple(items),
    }
}

fn element_type(value: &Value) -> Type {
    match value.ty() {
        Type::List(e) | Type::Set(e) | Type::Map(e) => *e,
        _ => Type::Dynamic,
    }
}

pub(super) fn register(functions: &mut Functions) {
    functions.register(
        "concat",
        Function::new(vec![], Type::Dynamic, |_, args| {
            let mut all_lists = true;
            let mut out = Vec::new();
            for (i, arg) in args.iter().enumerate() {
                match arg {
                    Value::List(..) => out.extend(items_of(arg)),
                    Value::Tuple(items) => {
                        all_lists = false;
                        out.extend(items.iter().cloned());
                    }
                    other => {
                        return Err(FnError::Arg(
                            i,
                            format!("all arguments must be lists or tuples; got {}", kind_name(&other.ty())),
                        ));
                    }
                }
            }
            if all_lists && !args.is_empty() {
                let types: Vec<Type> = args.iter().map(element_type).collect();
                if let Some(ty) = unify(&types) {
                    let items = out.into_iter().map(|v| convert(v.clone(), &ty).unwrap_or(v)).collect();
                    return Ok(Value::List(ty, items));
                }
            }
            Ok(Value::Tuple(out))
        })
        .variadic(Param::new("seqs", Type::Dynamic)),
    );
    functions.register(
        "merge",
        Function::new(vec![], Type::Dynamic, |_, args| {
            let mut out = BTreeMap::new();
            let mut all_maps = true;
            for (i, arg) in args.iter().enumerate() {
                match arg {
                    Value::Null(_) => {}
                    Value::Map(_, items) => out.extend(items.clone()),
                    Value::Object(items) => {
                        all_maps = false;
                        out.extend(items.clone());
                    }
                    other => {
                        return Err(FnError::Arg(
                            i,
                            format!("arguments must be maps or objects, got \"{}\"", kind_name(&other.ty())),
                        ));
                    }
                }
            }
            if all_maps && args.iter().any(|a| !a.is_null()) {
                let values: Vec<Value> = out.values().cloned().collect();
                if let Ok((ty, values)) = unify_values(values) {
                    return Ok(Value::Map(ty, out.into_keys().zip(values).collect()));
                }
            }
            Ok(Value::Object(out))
        })
        .variadic(Param::nullable("maps", Type::Dynamic)),
    );
    functions.register(
        "lookup",
        Function::new(
            vec![Param::new("inputMap", Type::Dynamic), Param::new("key", Type::String)],
            Type::Dynamic,
            |_, args| {
                let key = str_of(&args[1]);
                let Some(entries) = args[0].as_entries() else {
                    return Err(FnError::Arg(0, "the given value is not a map or object".to_string()));
                };
                let default = args.get(2);
                match (entries.get(key), default) {
                    (Some(v), Some(d)) => match unify(&[v.ty(), d.ty()]) {
                        Some(ty) => Ok(convert(v.clone(), &ty).unwrap_or_else(|_| v.clone())),
                        None => Ok(v.clone()),
                    },
                    (Some(v), None) => Ok(v.clone()),
                    (None, Some(d)) => Ok(d.clone()),
                    (None, None) => Err(FnError::Call(format!(
                        "lookup failed to find key {}",
                        serde_json::to_string(key).unwrap_or_default()
                    ))),
                }
            },
        )
        .variadic(Param::nullable("default", Type::Dynamic)),
    );
    functions.register(
        "keys",
        Function::new(vec![Param::new("inputMap", Type::Dynamic)], Type::Dynamic, |_, args| match &args[0] {
            Value::Map(_, items) => {
                Ok(Value::List(Type::String, items.keys().map(|k| Value::string(k.as_str())).collect()))
            }
            Value::Object(items) => Ok(Value::Tuple(items.keys().map(|k| Value::string(k.as_str())).collect())),
            _ => Err(FnError::Arg(0, "must have map or object type".to_string())),
        }),
    );
    functions.register(
        "values",
        Function::new(vec![Param::new("mapping", Type::Dynamic)], Type::Dynamic, |_, args| match &args[0] {
            Value::Map(ty, items) => Ok(Value::List(ty.clone(), items.values().cloned().collect())),
            Value::Object(items) => Ok(Value::Tuple(items.values().cloned().collect())),
            _ => Err(FnError::Arg(0, "must have map or object type".to_string())),
        }),
    );
    functions.register(
        "element",
        Function::new(
            vec![Param::new("list", Type::Dynamic), Param::new("index", Type::Number)],
            Type::Dynamic,
            |_, args| {
                let Some(items) = args[0].as_seq().filter(|_| !matches!(args[0], Value::Set(..))) else {
                    return Err(FnError::Call(format!("cannot read elements from {}", kind_name(&args[0].ty()))));
                };
                if items.is_empty() {
                    return Err(FnError::Call("cannot use element function with an empty list".to_string()));
                }
                let index = int_of(&args[1], 1)?;
                if index < 0 {
                    return Err(FnError::Call("cannot use element function with a negative index".to_string()));
                }
                Ok(items[(index as usize) % items.len()].clone())
            },
        ),
    );
    functions.register(
        "index",
        Function::new(
            vec![Param::new("list", Type::Dynamic), Param::new("value", Type::Dynamic)],
            Type::Number,
            |_, args| {
                let Some(items) = args[0].as_seq() else {
                    return Err(FnError::Arg(0, "argument must be a list or tuple".to_string()));
                };
                items
                    .iter()
                    .position(|item| equals(item, &args[1]) == Some(true))
                    .map(|i| Value::Number(Number::from(i as i64)))
                    .ok_or_else(|| FnError::Call("item not found".to_string()))
            },
        ),
    );
    functions.register(
        "contains",
        Function::new(
            vec![Param::new("list", Type::Dynamic), Param::new("value", Type::Dynamic)],
            Type::Bool,
            |_, args| {
                let Some(items) = args[0].as_seq() else {
                    return Err(FnError::Arg(0, "argument must be list, tuple, or set".to_string()));
                };
                Ok(Value::Bool(items.iter().any(|item| equals(item, &args[1]) == Some(true))))
            },
        ),
    );
    functions.register(
        "flatten",
        Function::new(vec![Param::new("list", Type::Dynamic)], Type::Dynamic, |_, args| {
            if args[0].as_seq().is_none() {
                return Err(FnError::Arg(0, "can only flatten lists, sets and tuples".to_string()));
            }
            let mut out = Vec::new();
            flatten_into(&args[0], &mut out);
            Ok(Value::Tuple(out))
        }),
    );
    functions.register(
        "distinct",
        Function::new(vec![Param::new("list", list_any())], list_any(), |_, args| {
            let mut out: Vec<Value> = Vec::new();
            for item in items_of(&args[0]) {
                if !out.iter().any(|seen| equals(seen, &item) == Some(true)) {
                    out.push(item);
                }
            }
            Ok(Value::List(element_type(&args[0]), out))
        }),
    );
    functions.register(
        "compact",
        Function::new(vec![Param::new("list", Type::list(Type::String))], Type::list(Type::String), |_, args| {
            let out = items_of(&args[0]).into_iter().filter(|v| !v.is_null() && v.as_str() != Some("")).collect();
            Ok(Value::List(Type::String, out))
        }),
    );
    functions.register(
        "slice",
        Function::new(
            vec![
                Param::new("list", Type::Dynamic),
                Param::new("start_index", Type::Number),
                Param::new("end_index", Type::Number),
            ],
            Type::Dynamic,
            |_, args| {
                let Some(items) = args[0].as_seq().filter(|_| !matches!(args[0], Value::Set(..))) else {
                    return Err(FnError::Arg(0, "must be a list or tuple value".to_string()));
                };
                let start = int_of(&args[1], 1)?;
                let end = int_of(&args[2], 2)?;
                if start < 0 {
                    return Err(FnError::Arg(1, "start index must not be less than zero".to_string()));
                }
                if end as usize > items.len() || end < 0 {
                    return Err(FnError::Arg(
                        2,
                        "end index must not be greater than the length of the list".to_string(),
                    ));
                }
                if start > end {
                    return Err(FnError::Arg(1, "start index must not be greater than end index".to_string()));
                }
                Ok(same_kind(&args[0], items[start as usize..end as usize].to_vec()))
            },
        ),
    );
    functions.register(
        "sort",
        Function::new(vec![Param::new("list", Type::list(Type::String))], Type::list(Type::String), |_, args| {
            let mut items: Vec<String> = items_of(&args[0]).iter().map(|v| str_of(v).to_string()).collect();
            items.sort();
            Ok(Value::List(Type::String, items.into_iter().map(Value::String).collect()))
        }),
    );
    functions.register(
        "reverse",
        Function::new(vec![Param::new("list", Type::Dynamic)], Type::Dynamic, |_, args| match &args[0] {
            Value::List(ty, items) => Ok(Value::List(ty.clone(), items.iter().rev().cloned().collect())),
            Value::Tuple(items) => Ok(Value::Tuple(items.iter().rev().cloned().collect())),
            other => {
                Err(FnError::Arg(0, format!("can only reverse list or tuple values, not {}", kind_name(&other.ty()))))
            }
        }),
    );
    functions.register(
        "range",
        Function::new(vec![], Type::list(Type::Number), |_, args| {
            let numbers: Vec<Number> = args.iter().map(number_of).collect();
            let (start, limit, step) = match numbers.as_slice() {
                [limit] => {
                    let step = if limit.is_negative() { Number::from(-1) } else { Number::from(1) };
                    (Number::from(0), limit.clone(), step)
                }
                [start, limit] => {
                    let step = if limit < start { Number::from(-1) } else { Number::from(1) };
                    (start.clone(), limit.clone(), step)
                }
                [start, limit, step] => (start.clone(), limit.clone(), step.clone()),
                _ => return Err(FnError::Call("must have one, two, or three arguments".to_string())),
            };
            let mut out = Vec::new();
            let mut current = start;
            let ascending = !step.is_negative();
            while (ascending && current < limit) || (!ascending && current > limit) {
                if out.len() >= 1024 {
                    return Err(FnError::Call(
                        "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step".to_string(),
                    ));
                }
                out.push(Value::Number(current.clone()));
                current = current.add(&step);
            }
            Ok(Value::List(Type::Number, out))
        })
        .variadic(Param::new("params", Type::Number)),
    );
    functions.register(
        "zipmap",
        Function::new(
            vec![Param::new("keys", Type::list(Type::String)), Param::new("values", Type::Dynamic)],
            Type::Dynamic,
            |_, args| {
                let keys: Vec<String> = items_of(&args[0]).iter().map(|k| str_of(k).to_string()).collect();
                let Some(values) = args[1].as_seq() else {
                    return Err(FnError::Arg(1, "must be a list or tuple value".to_string()));
                };
                if keys.len() != values.len() {
                    return Err(FnError::Call(format!(
                        "number of keys ({}) does not match number of values ({})",
                        keys.len(),
                        values.len()
                    )));
                }
                let entries: BTreeMap<String, Value> = keys.into_iter().zip(values.iter().cloned()).collect();
                Ok(match &args[1] {
                    Value::List(ty, _) => Value::Map(ty.clone(), entries),
                    _ => Value::Object(entries),
                })
            },
        ),
    );
    functions.register(
        "coalesce",
        Function::new(vec![], Type::Dynamic, |_, args| {
            let types: Vec<Type> = args.iter().filter(|a| !a.is_null()).map(Value::ty).collect();
            let ty = match unify(&types) {
                Some(ty) if !args.is_empty() => ty,
                _ => return Err(FnError::Call("all arguments must have the same type".to_string())),
            };
            for arg in &args {
                if arg.is_null() || arg.as_str() == Some("") {
                    continue;
                }
                let converted = convert(arg.clone(), &ty).map_err(FnError::Call)?;
                if converted.as_str() == Some("") {
                    continue;
                }
                return Ok(converted);
            }
            Err(FnError::Call("no non-null, non-empty-string arguments".to_string()))
        })
        .variadic(Param::nullable("vals", Type::Dynamic)),
    );
    functions.register(
        "coalescelist",
        Function::new(vec![], Type::Dynamic, |_, args| {
            for (i, arg) in args.iter().enumerate() {
                match arg.as_seq() {
                    Some(items) if !items.is_empty() => return Ok(arg.clone()),
                    Some(_) => {}
                    None if arg.is_null() => {}
                    None => return Err(FnError::Arg(i, "a list or tuple is required".to_string())),
                }
            }
            Err(FnError::Call("no non-null arguments".to_string()))
        })
        .variadic(Param::nullable("vals", Type::Dynamic)),
    );
    functions.register(
        "one",
        Function::new(vec![Param::new("list", Type::Dynamic)], Type::Dynamic, |_, args| {
            let Some(items) = args[0].as_seq() else {
                return Err(FnError::Arg(0, "must be a list, set, or tuple value".to_string()));
            };
            match items {
                [] => Ok(Value::Null(element_type(&args[0]))),
                [only] => Ok(only.clone()),
                _ => Err(FnError::Arg(
                    0,
                    "must be a list, set, or tuple value with either zero or one elements".to_string(),
                )),
            }
        }),
    );
    functions.register(
        "sum",
        Function::new(vec![Param::new("list", Type::Dynamic)], Type::Number, |_, args| {
            let Some(items) = args[0].as_seq() else {
                return Err(FnError::Arg(0, "argument must be list, set, or tuple".to_string()));
            };
            if items.is_empty() {
                return Err(FnError::Call("cannot sum an empty list".to_string()));
            }
            let mut total = Number::from(0);
            for item in items {
                match convert(item.clone(), &Type::Number) {
                    Ok(Value::Number(n)) => total = total.add(&n),
                    _ => {
                        return Err(FnError::Call("argument must be list, set, or tuple of number values".to_string()));
                    }
                }
            }
            Ok(Value::Number(total))
        }),
    );
    for (name, all) in [("alltrue", true), ("anytrue", false)] {
        functions.register(
            name,
            Function::new(vec![Param::new("list", Type::list(Type::Bool))], Type::Bool, move |_, args| {
                let items = items_of(&args[0]);
                let result = if all {
                    items.iter().all(|v| v.as_bool() == Some(true))
                } else {
                    items.iter().any(|v| v.as_bool() == Some(true))
                };
                Ok(Value::Bool(result))
            }),
        );
    }
    register_sets(functions);
    functions.register(
        "chunklist",
        Function::new(
            vec![Param::new("list", list_any()), Param::new("size", Type::Number)],
            Type::Dynamic,
            |_, args| {
                let items = items_of(&args[0]);
                let size = int_of(&args[1], 1)?;
                if size < 0 {
                    return Err(FnError::Arg(1, "the size argument must be positive".to_string()));
                }
                let ty = element_type(&args[0]);
                let chunks: Vec<Value> = if size == 0 {
                    vec![Value::List(ty.clone(), items)]
                } else {
                    items.chunks(size as usize).map(|c| Value::List(ty.clone(), c.to_vec())).collect()
                };
                Ok(Value::List(Type::list(ty), chunks))
            },
        ),
    );
    functions.register(
        "transpose",
        Function::new(
            vec![Param::new("values", Type::map(Type::list(Type::String)))],
            Type::map(Type::list(Type::String)),
            |_, args| {
                let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
                for (key, list) in args[0].as_entries().cloned().unwrap_or_default() {
                    for value in items_of(&list) {
                        out.entry(str_of(&value).to_string()).or_default().push(Value::String(key.clone()));
                    }
                }
                Ok(Value::Map(
                    Type::list(Type::String),
                    out.into_iter().map(|(k, v)| (k, Value::List(Type::String, v))).collect(),
                ))
            },
        ),
    );
    functions.register(
        "matchkeys",
        Function::new(
            vec![Param::new("values", list_any()), Param::new("keys", list_any()), Param::new("searchset", list_any())],
            list_any(),
            |_, args| {
                let (values, keys, search) = (items_of(&args[0]), items_of(&args[1]), items_of(&args[2]));
                if values.len() != keys.len() {
                    return Err(FnError::Call("length of keys and values should be equal".to_string()));
                }
                let out: Vec<Value> = values
                    .into_iter()
                    .zip(keys)
                    .filter(|(_, k)| search.iter().any(|s| equals(s, k) == Some(true)))
                    .map(|(v, _)| v)
                    .collect();
                Ok(Value::List(element_type(&args[0]), out))
            },
        ),
    );
}

fn flatten_into(value: &Value, out: &mut Vec<Value>) {
    match value.as_seq() {
        Some(items) => {
            for item in items {
                flatten_into(item, out);
            }
        }
        None => out.push(value.clone()),
    }
}

fn register_sets(functions: &mut Functions) {
    /// Every argument converted to a set of their common element type.
    fn unified_sets(args: &[Value]) -> Result<(Type, Vec<Vec<Value>>), FnError> {
        let types: Vec<Type> = args.iter().map(element_type).collect();
        let ty = unify(&types)
            .ok_or_else(|| FnError::Call("given sets must all have compatible element types".to_string()))?;
        let sets = args
            .iter()
            .map(|a| {
                items_of(a).into_iter().map(|v| convert(v, &ty).map_err(FnError::Call)).collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((ty, sets))
    }
    let contains = |set: &[Value], v: &Value| set.iter().any(|x| equals(x, v) == Some(true));
    functions.register(
        "setunion",
        Function::new(vec![Param::new("first_set", set_any())], set_any(), |_, args| {
            let (ty, sets) = unified_sets(&args)?;
            Ok(Value::new_set(ty, sets.into_iter().flatten().collect()))
        })
        .variadic(Param::new("other_sets", set_any())),
    );
    functions.register(
        "setintersection",
        Function::new(vec![Param::new("first_set", set_any())], set_any(), move |_, args| {
            let (ty, sets) = unified_sets(&args)?;
            let mut iter = sets.into_iter();
            let first = iter.next().unwrap_or_default();
            let rest: Vec<Vec<Value>> = iter.collect();
            let out = first.into_iter().filter(|v| rest.iter().all(|s| contains(s, v))).collect();
            Ok(Value::new_set(ty, out))
        })
        .variadic(Param::new("other_sets", set_any())),
    );
    functions.register(
        "setsubtract",
        Function::new(vec![Param::new("a", set_any()), Param::new("b", set_any())], set_any(), move |_, args| {
            let (ty, sets) = unified_sets(&args)?;
            let (a, b) = (&sets[0], &sets[1]);
            Ok(Value::new_set(ty, a.iter().filter(|v| !contains(b, v)).cloned().collect()))
        }),
    );
    functions.register(
        "setproduct",
        Function::new(vec![], Type::Dynamic, |_, args| {
            if args.len() < 2 {
                return Err(FnError::Call("at least two arguments are required".to_string()));
            }
            let product =
                args.iter().try_fold(1u128, |n, a| n.checked_mul(a.as_seq().map_or(1, <[Value]>::len) as u128));
            check_elements(product.unwrap_or(u128::MAX))?;
            let mut rows: Vec<Vec<Value>> = vec![Vec::new()];
            for (i, arg) in args.iter().enumerate() {
                let Some(items) = arg.as_seq() else {
                    return Err(FnError::Arg(i, "a set or a list is required".to_string()));
                };
                rows = rows
                    .into_iter()
                    .flat_map(|row| {
                        items.iter().map(move |item| {
                            let mut next = row.clone();
                            next.push(item.clone());
                            next
                        })
                    })
                    .collect();
            }
            let tuples: Vec<Value> = rows.into_iter().map(Value::Tuple).collect();
            let any_list = args.iter().any(|a| !matches!(a, Value::Set(..)));
            Ok(if any_list { list_of(tuples) } else { Value::new_set(Type::Dynamic, tuples) })
        })
        .variadic(Param::new("sets", Type::Dynamic)),
    );
}
