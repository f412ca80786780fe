//! Type conversion and unification, as Terraform's (cty's `convert` package): primitive
//! conversions (number and bool to and from string), tuple → list/set, object → map/object,
//! map → object, element types unified when the target says `any`, nulls and unknowns
//! retyped, sensitive marks kept.

use std::collections::BTreeMap;

use crate::value::{Number, Type, Value};

/// Converts a value to a type as Terraform does (`"1"` → number, tuple → list, object →
/// map, ...), keeping marks and unknowns. The error says why, without a location.
pub fn convert(value: Value, ty: &Type) -> Result<Value, String> {
    convert_at(value, ty, &mut Vec::new())
}

fn convert_at(value: Value, ty: &Type, path: &mut Vec<String>) -> Result<Value, String> {
    let (value, sensitive) = value.unmark();
    let converted = convert_bare(value, ty, path)?;
    Ok(converted.marked_if(sensitive))
}

fn error_at(path: &[String], message: String) -> String {
    if path.is_empty() { message } else { format!("{}: {message}", path.join("")) }
}

fn convert_bare(value: Value, ty: &Type, path: &mut Vec<String>) -> Result<Value, String> {
    if *ty == Type::Dynamic {
        return Ok(value);
    }
    match value {
        Value::Null(from) => {
            if can_convert_type(&from, ty) {
                Ok(Value::Null(ty.clone()))
            } else {
                Err(error_at(path, mismatch_message(&from, ty)))
            }
        }
        Value::Unknown(from) => {
            if can_convert_type(&from, ty) {
                Ok(Value::Unknown(ty.clone()))
            } else {
                Err(error_at(path, mismatch_message(&from, ty)))
            }
        }
        value => convert_known(value, ty, path),
    }
}

fn convert_known(value: Value, ty: &Type, path: &mut Vec<String>) -> Result<Value, String> {
    let from = value.ty();
    if from == *ty {
        return Ok(value);
    }
    match (value, ty) {
        (Value::Number(n), Type::String) => Ok(Value::String(n.to_string())),
        (Value::Bool(b), Type::String) => Ok(Value::String(b.to_string())),
        (Value::String(s), Type::Number) => {
            Number::parse(&s).map(Value::Number).ok_or_else(|| error_at(path, "a number is required".to_string()))
        }
        (Value::String(s), Type::Bool) => match s.as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(error_at(path, "a bool is required".to_string())),
        },
        (Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items), Type::List(elem)) => {
            let (elem, items) = convert_elements(items, elem, path, "list")?;
            Ok(Value::List(elem, items))
        }
        (Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items), Type::Set(elem)) => {
            let (elem, items) = convert_elements(items, elem, path, "set")?;
            Ok(Value::new_set(elem, items))
        }
        (Value::Map(_, items) | Value::Object(items), Type::Map(elem)) => {
            let keys: Vec<String> = items.keys().cloned().collect();
            let (elem, values) = convert_elements(items.into_values().collect(), elem, path, "map")?;
            Ok(Value::Map(elem, keys.into_iter().zip(values).collect()))
        }
        (Value::Map(_, mut items) | Value::Object(mut items), Type::Object(attrs)) => {
            let mut out = BTreeMap::new();
            for (name, attr_ty) in attrs {
                let Some(v) = items.remove(name) else {
                    return Err(error_at(path, format!("attribute \"{name}\" is required")));
                };
                path.push(format!(".{name}"));
                let converted = convert_at(v, attr_ty, path);
                path.pop();
                out.insert(name.clone(), converted?);
            }
            Ok(Value::Object(out))
        }
        (Value::List(_, items) | Value::Tuple(items), Type::Tuple(types)) => {
            if items.len() != types.len() {
                return Err(error_at(path, format!("tuple required with exactly {} elements", types.len())));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (v, t)) in items.into_iter().zip(types).enumerate() {
                path.push(format!("[{i}]"));
                let converted = convert_at(v, t, path);
                path.pop();
                out.push(converted?);
            }
            Ok(Value::Tuple(out))
        }
        (value, ty) => Err(error_at(path, mismatch_message(&value.ty(), ty))),
    }
}

/// Converts elements to one element type; `any` is replaced by their unified type.
fn convert_elements(
    items: Vec<Value>,
    elem: &Type,
    path: &mut Vec<String>,
    kind: &str,
) -> Result<(Type, Vec<Value>), String> {
    let target = if *elem == Type::Dynamic || contains_dynamic(elem) {
        let types: Vec<Type> = items.iter().map(Value::ty).collect();
        match unify(&types) {
            Some(unified) if *elem == Type::Dynamic => unified,
            Some(unified) if can_convert_type(&unified, elem) => merge_dynamic(elem, &unified),
            _ if items.is_empty() => elem.clone(),
            _ => {
                return Err(error_at(path, format!("all {kind} elements must have the same type")));
            }
        }
    } else {
        elem.clone()
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, v) in items.into_iter().enumerate() {
        path.push(format!("[{i}]"));
        let converted = convert_at(v, &target, path);
        path.pop();
        out.push(converted?);
    }
    Ok((target, out))
}

fn contains_dynamic(ty: &Type) -> bool {
    match ty {
        Type::Dynamic => true,
        Type::List(e) | Type::Set(e) | Type::Map(e) => contains_dynamic(e),
        Type::Object(attrs) => attrs.values().any(contains_dynamic),
        Type::Tuple(elems) => elems.iter().any(contains_dynamic),
        _ => false,
    }
}

/// Fills the `any` holes of a constraint from a concrete type.
fn merge_dynamic(constraint: &Type, concrete: &Type) -> Type {
    match (constraint, concrete) {
        (Type::Dynamic, c) => c.clone(),
        (Type::List(a), Type::List(b)) => Type::list(merge_dynamic(a, b)),
        (Type::Set(a), Type::Set(b)) => Type::set(merge_dynamic(a, b)),
        (Type::Map(a), Type::Map(b)) => Type::map(merge_dynamic(a, b)),
        (c, _) => c.clone(),
    }
}

/// Terraform's message for a value of the wrong kind.
pub fn mismatch_message(from: &Type, to: &Type) -> String {
    match to {
        Type::String | Type::Number | Type::Bool if !from.is_primitive() => {
            format!("{to} required")
        }
        Type::String | Type::Number | Type::Bool => format!("cannot convert {} to {to}", kind_name(from)),
        Type::List(_) | Type::Set(_) | Type::Tuple(_) => format!("{} required", collection_word(to)),
        Type::Map(_) | Type::Object(_) => format!("{} required", collection_word(to)),
        Type::Dynamic => "any value required".to_string(),
    }
}

fn collection_word(ty: &Type) -> String {
    match ty {
        Type::List(e) => format!("list of {}", kind_name(e)),
        Type::Set(e) => format!("set of {}", kind_name(e)),
        Type::Map(e) => format!("map of {}", kind_name(e)),
        Type::Tuple(_) => "tuple".to_string(),
        Type::Object(_) => "object".to_string(),
        other => other.to_string(),
    }
}

/// How Terraform names a type in messages: `tuple`, `object`, `list of string`.
pub fn kind_name(ty: &Type) -> String {
    match ty {
        Type::Dynamic => "any single type".to_string(),
        Type::Tuple(_) => "tuple".to_string(),
        Type::Object(_) => "object".to_string(),
        Type::List(_) | Type::Set(_) | Type::Map(_) => collection_word(ty),
        other => other.to_string(),
    }
}

/// Whether a value of type `from` can be converted to `to` (unsafe conversions included:
/// a string may become a number if its text is one).
pub fn can_convert_type(from: &Type, to: &Type) -> bool {
    match (from, to) {
        (_, Type::Dynamic) | (Type::Dynamic, _) => true,
        (a, b) if a == b => true,
        (a, b) if a.is_primitive() && b.is_primitive() => {
            // number ↔ bool has no conversion; everything else goes through string.
            !matches!((a, b), (Type::Number, Type::Bool) | (Type::Bool, Type::Number))
        }
        (Type::List(a) | Type::Set(a), Type::List(b) | Type::Set(b)) => can_convert_type(a, b),
        (Type::Tuple(elems), Type::List(b) | Type::Set(b)) => elems.iter().all(|e| can_convert_type(e, b)),
        (Type::List(a), Type::Tuple(elems)) => elems.iter().all(|e| can_convert_type(a, e)),
        (Type::Tuple(a), Type::Tuple(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| can_convert_type(x, y)),
        (Type::Map(a), Type::Map(b)) => can_convert_type(a, b),
        (Type::Object(attrs), Type::Map(b)) => attrs.values().all(|t| can_convert_type(t, b)),
        (Type::Map(a), Type::Object(attrs)) => attrs.values().all(|t| can_convert_type(a, t)),
        (Type::Object(a), Type::Object(b)) => {
            b.iter().all(|(k, t)| a.get(k).is_some_and(|from| can_convert_type(from, t)))
        }
        _ => false,
    }
}

/// Whether a value of type `from` converts to `to` without possible failure (no string →
/// number or string → bool).
fn can_convert_safely(from: &Type, to: &Type) -> bool {
    match (from, to) {
        (_, Type::Dynamic) | (Type::Dynamic, _) => true,
        (a, b) if a == b => true,
        (Type::Number | Type::Bool, Type::String) => true,
        (a, b) if a.is_primitive() && b.is_primitive() => false,
        (Type::List(a) | Type::Set(a), Type::List(b) | Type::Set(b)) => can_convert_safely(a, b),
        (Type::Tuple(elems), Type::List(b) | Type::Set(b)) => elems.iter().all(|e| can_convert_safely(e, b)),
        (Type::Tuple(a), Type::Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| can_convert_safely(x, y))
        }
        (Type::Map(a), Type::Map(b)) => can_convert_safely(a, b),
        (Type::Object(attrs), Type::Map(b)) => attrs.values().all(|t| can_convert_safely(t, b)),
        (Type::Object(a), Type::Object(b)) => {
            b.iter().all(|(k, t)| a.get(k).is_some_and(|from| can_convert_safely(from, t)))
        }
        _ => false,
    }
}

/// The type a set of types can all be converted to, as cty's `Unify`: structural kinds
/// unify element-wise (objects with different attributes become maps, tuples of different
/// lengths become lists), primitives unify to `string` when one of them is a string.
/// `None` when there is none.
pub fn unify(types: &[Type]) -> Option<Type> {
    if types.is_empty() {
        return Some(Type::Dynamic);
    }
    let count = |f: fn(&Type) -> bool| types.iter().filter(|t| f(t)).count();
    let n = types.len();
    let dynamic = count(|t| *t == Type::Dynamic);
    let maps = count(|t| matches!(t, Type::Map(_)));
    let lists = count(|t| matches!(t, Type::List(_)));
    let sets = count(|t| matches!(t, Type::Set(_)));
    let objects = count(|t| matches!(t, Type::Object(_)));
    let tuples = count(|t| matches!(t, Type::Tuple(_)));
    let non_dynamic: Vec<&Type> = types.iter().filter(|t| **t != Type::Dynamic).collect();
    if dynamic == n {
        return Some(Type::Dynamic);
    }
    let element_types = |ts: &[&Type]| -> Vec<Type> {
        let mut out = Vec::new();
        for t in ts {
            match t {
                Type::List(e) | Type::Set(e) | Type::Map(e) => out.push((**e).clone()),
                Type::Tuple(elems) => out.extend(elems.iter().cloned()),
                Type::Object(attrs) => out.extend(attrs.values().cloned()),
                _ => {}
            }
        }
        out
    };
    if maps > 0 && maps + objects + dynamic == n {
        return unify(&element_types(&non_dynamic)).map(Type::map);
    }
    if lists > 0 && lists + tuples + dynamic == n {
        return unify(&element_types(&non_dynamic)).map(Type::list);
    }
    if sets > 0 && sets + dynamic == n {
        return unify(&element_types(&non_dynamic)).map(Type::set);
    }
    if objects > 0 && objects + dynamic == n {
        if dynamic > 0 {
            return Some(Type::Dynamic);
        }
        let first = match non_dynamic[0] {
            Type::Object(attrs) => attrs,
            _ => return None,
        };
        let same_attrs = non_dynamic.iter().all(|t| match t {
            Type::Object(attrs) => attrs.len() == first.len() && attrs.keys().all(|k| first.contains_key(k)),
            _ => false,
        });
        if !same_attrs {
            return unify(&element_types(&non_dynamic)).map(Type::map);
        }
        let mut out = BTreeMap::new();
        for name in first.keys() {
            let attr_types: Vec<Type> = non_dynamic
                .iter()
                .filter_map(|t| match t {
                    Type::Object(attrs) => attrs.get(name).cloned(),
                    _ => None,
                })
                .collect();
            out.insert(name.clone(), unify(&attr_types)?);
        }
        return Some(Type::Object(out));
    }
    if tuples > 0 && tuples + dynamic == n {
        if dynamic > 0 {
            return Some(Type::Dynamic);
        }
        let len = match non_dynamic[0] {
            Type::Tuple(elems) => elems.len(),
            _ => return None,
        };
        let same_len = non_dynamic.iter().all(|t| matches!(t, Type::Tuple(e) if e.len() == len));
        if !same_len {
            return unify(&element_types(&non_dynamic)).map(Type::list);
        }
        let mut out = Vec::with_capacity(len);
        for i in 0..len {
            let elem_types: Vec<Type> = non_dynamic
                .iter()
                .filter_map(|t| match t {
                    Type::Tuple(elems) => elems.get(i).cloned(),
                    _ => None,
                })
                .collect();
            out.push(unify(&elem_types)?);
        }
        return Some(Type::Tuple(out));
    }
    if objects > 0 && tuples > 0 {
        return None;
    }
    // General case: the first type, in preference order, that every other converts to.
    let mut candidates: Vec<&Type> = types.iter().collect();
    candidates.sort_by_key(|t| preference(t));
    for want in candidates {
        if types.iter().all(|t| can_convert_safely(t, want)) {
            return Some(want.clone());
        }
    }
    None
}

/// Lower is preferred as a unification target: strings over numbers over bools, concrete
/// types over `any`.
fn preference(ty: &Type) -> u8 {
    match ty {
        Type::String => 0,
        Type::Number => 1,
        Type::Bool => 2,
        Type::Dynamic => 9,
        _ => 5,
    }
}

/// Converts each value to the unified type of all of them.
pub fn unify_values(values: Vec<Value>) -> Result<(Type, Vec<Value>), String> {
    let types: Vec<Type> = values.iter().map(Value::ty).collect();
    let ty = unify(&types).ok_or_else(|| "all values must have the same type".to_string())?;
    let values = values.into_iter().map(|v| convert(v, &ty)).collect::<Result<Vec<_>, _>>()?;
    Ok((ty, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(items)
    }

    #[test]
    fn primitives_convert_through_strings() {
        assert_eq!(convert(Value::int(1), &Type::String), Ok(Value::string("1")));
        assert_eq!(convert(Value::string("1.5"), &Type::Number), Ok(Value::Number(Number::parse("1.5").unwrap())));
        assert_eq!(convert(Value::string("true"), &Type::Bool), Ok(Value::Bool(true)));
        assert!(convert(Value::Bool(true), &Type::Number).is_err());
        assert!(convert(Value::string("x"), &Type::Number).is_err());
    }

    #[test]
    fn structural_values_convert_to_collections() {
        let value = tuple(vec![Value::string("a"), Value::int(1)]);
        assert_eq!(
            convert(value.clone(), &Type::list(Type::Dynamic)),
            Ok(Value::List(Type::String, vec![Value::string("a"), Value::string("1")]))
        );
        assert_eq!(
            convert(tuple(vec![Value::int(2), Value::int(1), Value::int(2)]), &Type::set(Type::Number)),
            Ok(Value::Set(Type::Number, vec![Value::int(1), Value::int(2)]))
        );
        let object = Value::object([("a".to_string(), Value::int(1))]);
        let map = convert(object.clone(), &Type::map(Type::String)).unwrap();
        assert_eq!(map.ty(), Type::map(Type::String));
        let back = convert(map, &Type::Object([("a".to_string(), Type::Number)].into())).unwrap();
        assert_eq!(back, object);
    }

    #[test]
    fn errors_say_where() {
        let value = Value::object([("a".to_string(), tuple(vec![Value::string("x")]))]);
        let ty = Type::Object([("a".to_string(), Type::list(Type::Number))].into());
        assert_eq!(convert(value, &ty), Err(".a[0]: a number is required".to_string()));
        let missing = Type::Object([("b".to_string(), Type::Number)].into());
        assert_eq!(convert(Value::empty_object(), &missing), Err("attribute \"b\" is required".to_string()));
    }

    #[test]
    fn nulls_unknowns_and_marks_are_kept() {
        assert_eq!(convert(Value::null(), &Type::Number), Ok(Value::Null(Type::Number)));
        assert_eq!(convert(Value::unknown(), &Type::String), Ok(Value::Unknown(Type::String)));
        let secret = Value::int(1).mark_sensitive();
        assert_eq!(convert(secret, &Type::String), Ok(Value::string("1").mark_sensitive()));
    }

    #[test]
    fn unification() {
        assert_eq!(unify(&[Type::Number, Type::String]), Some(Type::String));
        assert_eq!(unify(&[Type::Number, Type::Bool]), None);
        assert_eq!(unify(&[Type::Dynamic, Type::Number]), Some(Type::Number));
        let a = Type::Object([("x".to_string(), Type::Number)].into());
        let b = Type::Object([("y".to_string(), Type::Number)].into());
        assert_eq!(unify(&[a, b]), Some(Type::map(Type::Number)));
    }
}
