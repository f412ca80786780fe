//! Values and types of the language, as Terraform's (cty's): null, bool, number (arbitrary
//! precision), string, list, set, map, object, tuple — plus **unknown** (known after apply,
//! typed) and the **sensitive** mark, which may sit on any value at any depth.
//!
//! This module knows nothing about expressions (that is `lang`) or about storage (state
//! keeps JSON made by [`Value::to_json`]).

pub mod codec;
mod json;
mod number;
mod path;
mod serde_type;

use std::collections::BTreeMap;
use std::fmt;

pub use json::JsonDecodeError;
pub use number::Number;
pub use path::{Path, PathStep, get_path, set_path};

/// A type constraint or the type of a value. `Dynamic` is Terraform's `any`: "not yet known"
/// as a value's type, "anything" as a constraint.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    Dynamic,
    Bool,
    Number,
    String,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(elem: Type) -> Type {
        Type::List(Box::new(elem))
    }
    pub fn set(elem: Type) -> Type {
        Type::Set(Box::new(elem))
    }
    pub fn map(elem: Type) -> Type {
        Type::Map(Box::new(elem))
    }

    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::Bool | Type::Number | Type::String)
    }

    /// The element type of a list, set or map.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::List(e) | Type::Set(e) | Type::Map(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for Type {
    /// Terraform's type-expression syntax: `list(string)`, `object({a=number})`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Dynamic => f.write_str("any"),
            Type::Bool => f.write_str("bool"),
            Type::Number => f.write_str("number"),
            Type::String => f.write_str("string"),
            Type::List(e) => write!(f, "list({e})"),
            Type::Set(e) => write!(f, "set({e})"),
            Type::Map(e) => write!(f, "map({e})"),
            Type::Object(attrs) => {
                f.write_str("object({")?;
                for (i, (k, t)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{k}={t}")?;
                }
                f.write_str("})")
            }
            Type::Tuple(elems) => {
                f.write_str("tuple([")?;
                for (i, t) in elems.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
        }
    }
}

/// A value. Collections carry their element type so that empty ones keep it.
///
/// Invariants: a `Set`'s elements are distinct and sorted by [`Value::set_order`]; an
/// `Unknown` never wraps a `Sensitive`; `Sensitive` never directly wraps `Sensitive`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null(Type),
    Unknown(Type),
    Bool(bool),
    Number(Number),
    String(String),
    List(Type, Vec<Value>),
    Set(Type, Vec<Value>),
    Map(Type, BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    Sensitive(Box<Value>),
}

impl Value {
    pub fn null() -> Value {
        Value::Null(Type::Dynamic)
    }

    pub fn unknown() -> Value {
        Value::Unknown(Type::Dynamic)
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn int(i: i64) -> Value {
        Value::Number(Number::from(i))
    }

    pub fn object(attrs: impl IntoIterator<Item = (String, Value)>) -> Value {
        Value::Object(attrs.into_iter().collect())
    }

    pub fn empty_object() -> Value {
        Value::Object(BTreeMap::new())
    }

    /// The value's type (for `Sensitive`, the type of what it wraps).
    pub fn ty(&self) -> Type {
        match self {
            Value::Null(t) | Value::Unknown(t) => t.clone(),
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(t, _) => Type::list(t.clone()),
            Value::Set(t, _) => Type::set(t.clone()),
            Value::Map(t, _) => Type::map(t.clone()),
            Value::Object(attrs) => Type::Object(attrs.iter().map(|(k, v)| (k.clone(), v.ty())).collect()),
            Value::Tuple(items) => Type::Tuple(items.iter().map(Value::ty).collect()),
            Value::Sensitive(inner) => inner.ty(),
        }
    }

    /// Null, looking through a sensitive mark.
    pub fn is_null(&self) -> bool {
        match self {
            Value::Null(_) => true,
            Value::Sensitive(inner) => inner.is_null(),
            _ => false,
        }
    }

    /// Known at this level (the value itself is not unknown; its elements may be).
    pub fn is_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::Sensitive(inner) => inner.is_known(),
            _ => true,
        }
    }

    /// Known at every depth.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::Sensitive(inner) => inner.is_wholly_known(),
            Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(_, items) | Value::Object(items) => items.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// Marked sensitive at this level.
    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// Marked sensitive at any depth.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
                items.iter().any(Value::contains_sensitive)
            }
            Value::Map(_, items) | Value::Object(items) => items.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    /// Adds the sensitive mark (idempotent).
    pub fn mark_sensitive(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            other => Value::Sensitive(Box::new(other)),
        }
    }

    /// Marks the result sensitive when `sensitive` is true.
    pub fn marked_if(self, sensitive: bool) -> Value {
        if sensitive { self.mark_sensitive() } else { self }
    }

    /// Removes a top-level mark: the bare value and whether it was sensitive.
    pub fn unmark(self) -> (Value, bool) {
        match self {
            Value::Sensitive(inner) => (*inner, true),
            other => (other, false),
        }
    }

    /// A reference to the value without its top-level mark.
    pub fn unmarked(&self) -> &Value {
        match self {
            Value::Sensitive(inner) => inner,
            other => other,
        }
    }

    /// Equality with every sensitive mark ignored: the same answer as comparing the two
    /// values after [`Value::unmark_deep`], without copying either.
    pub fn eq_unmarked(&self, other: &Value) -> bool {
        fn bare(mut value: &Value) -> &Value {
            while let Value::Sensitive(inner) = value {
                value = inner;
            }
            value
        }
        fn items_eq(a: &[Value], b: &[Value]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_unmarked(y))
        }
        fn entries_eq(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && va.eq_unmarked(vb))
        }
        match (bare(self), bare(other)) {
            (Value::List(ta, a), Value::List(tb, b)) | (Value::Set(ta, a), Value::Set(tb, b)) => {
                ta == tb && items_eq(a, b)
            }
            (Value::Tuple(a), Value::Tuple(b)) => items_eq(a, b),
            (Value::Map(ta, a), Value::Map(tb, b)) => ta == tb && entries_eq(a, b),
            (Value::Object(a), Value::Object(b)) => entries_eq(a, b),
            (a, b) => a == b,
        }
    }

    /// Removes every mark and returns the paths that were sensitive.
    pub fn unmark_deep(mut self) -> (Value, Vec<Path>) {
        // Most values carry no mark: a read-only walk spares the paths.
        if !self.contains_sensitive() {
            return (self, Vec::new());
        }
        let mut paths = Vec::new();
        unmark_in_place(&mut self, &mut Path::root(), &mut paths);
        (self, paths)
    }

    /// The value with every mark taken off: [`Value::unmark_deep`] for callers that do not
    /// need the paths (a provider request), so no path or key is copied.
    pub fn without_marks(mut self) -> Value {
        if self.contains_sensitive() {
            strip_in_place(&mut self);
        }
        self
    }

    /// The paths [`Value::unmark_deep`] would report, in its order, without copying the value.
    pub fn marked_paths(&self) -> Vec<Path> {
        let mut paths = Vec::new();
        if self.contains_sensitive() {
            collect_marks(self, &mut Path::root(), &mut paths);
        }
        paths
    }

    /// Re-applies marks at the given paths (paths that do not exist are ignored).
    pub fn mark_paths(self, paths: &[Path]) -> Value {
        let mut value = self;
        for path in paths {
            value = mark_at(value, &path.0);
        }
        value
    }

    /// An object attribute (through a sensitive mark, which is lost: use it for plumbing,
    /// not for evaluation).
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        match self.unmarked() {
            Value::Object(attrs) => attrs.get(name),
            _ => None,
        }
    }

    /// A string's text, if this is a known, non-null string.
    pub fn as_str(&self) -> Option<&str> {
        match self.unmarked() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.unmarked() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self.unmarked() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// Elements of a list, set or tuple.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self.unmarked() {
            Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// Entries of a map or object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self.unmarked() {
            Value::Map(_, items) | Value::Object(items) => Some(items),
            _ => None,
        }
    }

    /// A set built from arbitrary elements: sorted and deduplicated.
    pub fn new_set(elem: Type, mut items: Vec<Value>) -> Value {
        items.sort_by(Value::set_order);
        items.dedup();
        Value::Set(elem, items)
    }

    /// The order of set elements, as cty's: numbers ascending, strings lexically, other
    /// kinds by their JSON text (stable, if arbitrary).
    pub fn set_order(a: &Value, b: &Value) -> std::cmp::Ordering {
        match (a.unmarked(), b.unmarked()) {
            (Value::Number(x), Value::Number(y)) => x.cmp(y),
            (Value::String(x), Value::String(y)) => x.cmp(y),
            (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
            (x, y) => {
                let kx = x.is_known() && !x.is_null();
                let ky = y.is_known() && !y.is_null();
                ky.cmp(&kx).then_with(|| x.to_json().to_string().cmp(&y.to_json().to_string()))
            }
        }
    }
}

/// Takes every mark off in place: the maps and vectors stay where they are (rebuilding
/// them was most of what a plan's unmarking cost), and only children that hold a mark are
/// visited, so only their keys are copied into paths.
fn unmark_in_place(value: &mut Value, at: &mut Path, paths: &mut Vec<Path>) {
    while let Value::Sensitive(inner) = value {
        paths.push(at.clone());
        let bare = std::mem::replace(&mut **inner, Value::Null(Type::Dynamic));
        *value = bare;
    }
    let object = matches!(value, Value::Object(_));
    match value {
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
            for (i, item) in items.iter_mut().enumerate().filter(|(_, v)| v.contains_sensitive()) {
                at.0.push(PathStep::Index(i as i64));
                unmark_in_place(item, at, paths);
                at.0.pop();
            }
        }
        Value::Map(_, items) | Value::Object(items) => {
            for (key, item) in items.iter_mut().filter(|(_, v)| v.contains_sensitive()) {
                at.0.push(if object { PathStep::Attr(key.clone()) } else { PathStep::Key(key.clone()) });
                unmark_in_place(item, at, paths);
                at.0.pop();
            }
        }
        _ => {}
    }
}

/// [`unmark_in_place`] without the paths.
fn strip_in_place(value: &mut Value) {
    while let Value::Sensitive(inner) = value {
        let bare = std::mem::replace(&mut **inner, Value::Null(Type::Dynamic));
        *value = bare;
    }
    match value {
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
            items.iter_mut().filter(|v| v.contains_sensitive()).for_each(strip_in_place);
        }
        Value::Map(_, items) | Value::Object(items) => {
            items.values_mut().filter(|v| v.contains_sensitive()).for_each(strip_in_place);
        }
        _ => {}
    }
}

/// The paths [`unmark_in_place`] reports, in the same order, read through a reference.
fn collect_marks(mut value: &Value, at: &mut Path, paths: &mut Vec<Path>) {
    while let Value::Sensitive(inner) = value {
        paths.push(at.clone());
        value = inner;
    }
    let object = matches!(value, Value::Object(_));
    match value {
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
            for (i, item) in items.iter().enumerate().filter(|(_, v)| v.contains_sensitive()) {
                at.0.push(PathStep::Index(i as i64));
                collect_marks(item, at, paths);
                at.0.pop();
            }
        }
        Value::Map(_, items) | Value::Object(items) => {
            for (key, item) in items.iter().filter(|(_, v)| v.contains_sensitive()) {
                at.0.push(if object { PathStep::Attr(key.clone()) } else { PathStep::Key(key.clone()) });
                collect_marks(item, at, paths);
                at.0.pop();
            }
        }
        _ => {}
    }
}

fn mark_at(value: Value, steps: &[PathStep]) -> Value {
    let Some((first, rest)) = steps.split_first() else { return value.mark_sensitive() };
    let (value, was_marked) = value.unmark();
    let updated = match (value, first) {
        (Value::Object(mut attrs), PathStep::Attr(name) | PathStep::Key(name)) => {
            if let Some(slot) = attrs.get_mut(name) {
                mark_slot(slot, rest);
            }
            Value::Object(attrs)
        }
        (Value::Map(t, mut items), PathStep::Key(name) | PathStep::Attr(name)) => {
            if let Some(slot) = items.get_mut(name) {
                mark_slot(slot, rest);
            }
            Value::Map(t, items)
        }
        (Value::List(t, mut items), PathStep::Index(i)) => {
            mark_index(&mut items, *i, rest);
            Value::List(t, items)
        }
        (Value::Set(t, mut items), PathStep::Index(i)) => {
            mark_index(&mut items, *i, rest);
            Value::Set(t, items)
        }
        (Value::Tuple(mut items), PathStep::Index(i)) => {
            mark_index(&mut items, *i, rest);
            Value::Tuple(items)
        }
        (other, _) => other,
    };
    updated.marked_if(was_marked)
}

fn mark_index(items: &mut [Value], index: i64, rest: &[PathStep]) {
    if let Some(slot) = usize::try_from(index).ok().and_then(|i| items.get_mut(i)) {
        mark_slot(slot, rest);
    }
}

/// Marks in place: the entry keeps its key and its place in the map.
fn mark_slot(slot: &mut Value, rest: &[PathStep]) {
    let v = std::mem::replace(slot, Value::null());
    *slot = mark_at(v, rest);
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::int(i)
    }
}

#[cfg(test)]
mod tests;
