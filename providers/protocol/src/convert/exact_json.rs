//! The wire's value encoding, written and read straight between [`Value`] and bytes.
//!
//! The encoding is [`codec`](corral_core::value::codec)'s: exact JSON (whole numbers in
//! i64 range are JSON numbers, any other number its decimal text), an unknown mask shaped
//! like the value, sensitive paths, and the type in schema notation. `codec::encode` and
//! `codec::decode` go through a `serde_json::Value` tree and a deep clone of the value on
//! the way; a plan of 10k instances moves some 80k values through here, and that tree was
//! most of what the protocol cost (malloc-bound). These serialisers walk the `Value` by
//! reference and the readers build the `Value` as the parser goes, so the only
//! allocations are the output bytes and the decoded value itself. The bytes differ from
//! `codec`'s at most in leaving out an all-`false` mask, which means the same.

use std::collections::BTreeMap;
use std::fmt;

use corral_core::value::{Number, Path, PathStep, Type, Value};
use serde::Deserialize as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value as J;

/// A value's exact JSON: unknowns are `null`, sensitive marks are dropped (the paths travel
/// beside it).
pub(crate) struct ExactJson<'a>(pub(crate) &'a Value);

impl Serialize for ExactJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null(_) | Value::Unknown(_) => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => match json_integer(n) {
                Some(i) => s.serialize_i64(i),
                None => s.collect_str(n),
            },
            Value::String(text) => s.serialize_str(text),
            Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&ExactJson(item))?;
                }
                seq.end()
            }
            Value::Map(_, entries) | Value::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (key, item) in entries {
                    map.serialize_entry(key, &ExactJson(item))?;
                }
                map.end()
            }
            Value::Sensitive(inner) => ExactJson(inner).serialize(s),
        }
    }
}

/// The number as a JSON integer, when it is one that every JSON reader keeps exactly.
fn json_integer(n: &Number) -> Option<i64> {
    // `-0` is whole and fits, but a JSON `0` would lose its sign. Only zeros can be `-0`,
    // so the text is built for them alone.
    if n.is_zero() && n.to_string() == "-0" {
        return None;
    }
    n.to_i64()
}

/// Reads a number's decimal text as `ExactJson` writes it.
fn number_from_text(text: &str) -> Option<Number> {
    match text {
        "-0" => Some(Number::from_f64(-0.0)),
        "+Inf" => Some(Number::from_f64(f64::INFINITY)),
        "-Inf" => Some(Number::from_f64(f64::NEG_INFINITY)),
        other => Number::parse(other),
    }
}

/// Terraform's `after_unknown` for a value: `true` where unknown, containers mirrored,
/// object and map entries that are plainly known left out. Only written for a value that
/// has an unknown somewhere (see [`has_unknown`]).
pub(crate) struct UnknownMask<'a>(pub(crate) &'a Value);

impl Serialize for UnknownMask<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Unknown(_) => s.serialize_bool(true),
            Value::Sensitive(inner) => UnknownMask(inner).serialize(s),
            Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&UnknownMask(item))?;
                }
                seq.end()
            }
            Value::Map(_, entries) | Value::Object(entries) => {
                let mut map = s.serialize_map(None)?;
                for (key, item) in entries.iter().filter(|(_, item)| mask_is_written(item)) {
                    map.serialize_entry(key, &UnknownMask(item))?;
                }
                map.end()
            }
            _ => s.serialize_bool(false),
        }
    }
}

/// Whether an entry's mask is anything but `false` (as `Value::unknown_mask` keeps them).
fn mask_is_written(value: &Value) -> bool {
    matches!(
        value.unmarked(),
        Value::Unknown(_) | Value::List(..) | Value::Set(..) | Value::Tuple(_) | Value::Map(..) | Value::Object(_)
    )
}

/// Whether a mask must be sent at all.
pub(crate) fn has_unknown(value: &Value) -> bool {
    !value.is_wholly_known()
}

/// The paths marked sensitive, as `Value::unmark_deep` finds them, without cloning the
/// value to find them.
pub(crate) fn sensitive_paths(value: &Value) -> Vec<Path> {
    let mut paths = Vec::new();
    if value.contains_sensitive() {
        collect_sensitive(value, &mut Path::root(), &mut paths);
    }
    paths
}

fn collect_sensitive(value: &Value, at: &mut Path, paths: &mut Vec<Path>) {
    match value {
        Value::Sensitive(inner) => {
            paths.push(at.clone());
            collect_sensitive(inner, at, paths);
        }
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.contains_sensitive() {
                    at.0.push(PathStep::Index(i as i64));
                    collect_sensitive(item, at, paths);
                    at.0.pop();
                }
            }
        }
        Value::Map(_, entries) | Value::Object(entries) => {
            let object = matches!(value, Value::Object(_));
            for (key, item) in entries {
                if item.contains_sensitive() {
                    at.0.push(if object { PathStep::Attr(key.clone()) } else { PathStep::Key(key.clone()) });
                    collect_sensitive(item, at, paths);
                    at.0.pop();
                }
            }
        }
        _ => {}
    }
}

/// A type in schema notation (`"string"`, `["list","string"]`, `["object",{..}]`), as
/// `Type::to_json` writes it.
pub(crate) struct TypeJson<'a>(pub(crate) &'a Type);

impl Serialize for TypeJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Type::Dynamic => s.serialize_str("dynamic"),
            Type::Bool => s.serialize_str("bool"),
            Type::Number => s.serialize_str("number"),
            Type::String => s.serialize_str("string"),
            Type::List(e) => kind_pair(s, "list", &TypeJson(e)),
            Type::Set(e) => kind_pair(s, "set", &TypeJson(e)),
            Type::Map(e) => kind_pair(s, "map", &TypeJson(e)),
            Type::Object(attrs) => kind_pair(s, "object", &AttrTypes(attrs)),
            Type::Tuple(elems) => kind_pair(s, "tuple", &ElemTypes(elems)),
        }
    }
}

fn kind_pair<S: Serializer, T: Serialize>(s: S, kind: &str, inner: &T) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(2))?;
    seq.serialize_element(kind)?;
    seq.serialize_element(inner)?;
    seq.end()
}

struct AttrTypes<'a>(&'a BTreeMap<String, Type>);

impl Serialize for AttrTypes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, t)| (k, TypeJson(t))))
    }
}

struct ElemTypes<'a>(&'a [Type]);

impl Serialize for ElemTypes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(TypeJson))
    }
}

/// A value's type in schema notation, written from the value itself: the same text as
/// `TypeJson(&value.ty())` without building the `Type` (for an object, a map of every
/// attribute name) only to write it and drop it.
pub(crate) struct ValueTypeJson<'a>(pub(crate) &'a Value);

impl Serialize for ValueTypeJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null(ty) | Value::Unknown(ty) => TypeJson(ty).serialize(s),
            Value::Bool(_) => s.serialize_str("bool"),
            Value::Number(_) => s.serialize_str("number"),
            Value::String(_) => s.serialize_str("string"),
            Value::List(elem, _) => kind_pair(s, "list", &TypeJson(elem)),
            Value::Set(elem, _) => kind_pair(s, "set", &TypeJson(elem)),
            Value::Map(elem, _) => kind_pair(s, "map", &TypeJson(elem)),
            Value::Object(attrs) => kind_pair(s, "object", &AttrValueTypes(attrs)),
            Value::Tuple(items) => kind_pair(s, "tuple", &ItemTypes(items)),
            Value::Sensitive(inner) => ValueTypeJson(inner).serialize(s),
        }
    }
}

struct AttrValueTypes<'a>(&'a BTreeMap<String, Value>);

impl Serialize for AttrValueTypes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, ValueTypeJson(v))))
    }
}

struct ItemTypes<'a>(&'a [Value]);

impl Serialize for ItemTypes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(ValueTypeJson))
    }
}

/// Whether `value.ty() == *ty`, found without building the value's type.
pub(crate) fn has_type(value: &Value, ty: &Type) -> bool {
    match (value, ty) {
        (Value::Sensitive(inner), _) => has_type(inner, ty),
        (Value::Null(own) | Value::Unknown(own), _) => own == ty,
        (Value::Bool(_), Type::Bool) | (Value::Number(_), Type::Number) | (Value::String(_), Type::String) => true,
        (Value::List(own, _), Type::List(elem))
        | (Value::Set(own, _), Type::Set(elem))
        | (Value::Map(own, _), Type::Map(elem)) => own == &**elem,
        (Value::Object(attrs), Type::Object(types)) => {
            attrs.len() == types.len()
                && attrs.iter().zip(types).all(|((name, v), (type_name, t))| name == type_name && has_type(v, t))
        }
        (Value::Tuple(items), Type::Tuple(types)) => {
            items.len() == types.len() && items.iter().zip(types).all(|(v, t)| has_type(v, t))
        }
        _ => false,
    }
}

/// Reads a value's exact JSON as a value of `ty`, with `mask` saying where it is unknown
/// (`Null` for nowhere).
pub(crate) fn read_value(json: &[u8], ty: &Type, mask: &J) -> serde_json::Result<Value> {
    let mut at = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let value = Typed { ty, mask, at: &mut at }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// Reads a type in schema notation.
pub(crate) fn read_type(text: &str) -> serde_json::Result<Type> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let ty = TypeSeed.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(ty)
}

/// One step of the path being decoded, kept only to name where a value is wrong.
enum Step<'t> {
    Attr(&'t str),
    Key(String),
    Index(usize),
}

fn path_of(steps: &[Step<'_>]) -> Path {
    Path(
        steps
            .iter()
            .map(|step| match step {
                Step::Attr(name) => PathStep::Attr((*name).to_string()),
                Step::Key(key) => PathStep::Key(key.clone()),
                Step::Index(i) => PathStep::Index(*i as i64),
            })
            .collect(),
    )
}

const NOT_UNKNOWN: &J = &J::Bool(false);

fn mask_at_index(mask: &J, i: usize) -> &J {
    match mask {
        J::Array(items) => items.get(i).unwrap_or(NOT_UNKNOWN),
        _ => NOT_UNKNOWN,
    }
}

fn mask_at_key<'m>(mask: &'m J, key: &str) -> &'m J {
    match mask {
        J::Object(entries) => entries.get(key).unwrap_or(NOT_UNKNOWN),
        _ => NOT_UNKNOWN,
    }
}

fn is_unknown(mask: &J) -> bool {
    matches!(mask, J::Bool(true))
}

/// Decodes one value of a known type as the parser reaches it.
struct Typed<'t, 'p> {
    ty: &'t Type,
    mask: &'t J,
    at: &'p mut Vec<Step<'t>>,
}

impl<'t> Typed<'t, '_> {
    fn wrong<E: de::Error>(&self, expected: &str) -> E {
        E::custom(format!("value at `{}` is not {expected}", path_of(self.at)))
    }

    fn child<'c>(&'c mut self, ty: &'t Type, mask: &'t J) -> Typed<'t, 'c> {
        Typed { ty, mask, at: self.at }
    }
}

impl<'de> DeserializeSeed<'de> for Typed<'_, '_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if is_unknown(self.mask) {
            IgnoredAny::deserialize(deserializer)?;
            return Ok(Value::Unknown(self.ty.clone()));
        }
        if *self.ty == Type::Dynamic {
            // Only nulls and unknowns have the dynamic type; anything else was written by
            // hand, and is read as `jsondecode` would.
            let json = J::deserialize(deserializer)?;
            return Value::from_json(&json, &Type::Dynamic).map_err(de::Error::custom);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Typed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a value of type {}", self.ty)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null(self.ty.clone()))
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        match self.ty {
            Type::Bool => Ok(Value::Bool(b)),
            _ => Err(self.wrong(&self.ty.to_string())),
        }
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        match self.ty {
            Type::Number => Ok(Value::Number(Number::from(i))),
            _ => Err(self.wrong(&self.ty.to_string())),
        }
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        match self.ty {
            Type::Number => Number::parse(&u.to_string()).map(Value::Number).ok_or_else(|| self.wrong("a number")),
            _ => Err(self.wrong(&self.ty.to_string())),
        }
    }

    /// Never written by Corral (fractions travel as text); read as JSON readers print it.
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        match self.ty {
            Type::Number => serde_json::Number::from_f64(f)
                .and_then(|n| Number::parse(&n.to_string()))
                .map(Value::Number)
                .ok_or_else(|| self.wrong("a number")),
            _ => Err(self.wrong(&self.ty.to_string())),
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Value, E> {
        match self.ty {
            Type::String => Ok(Value::String(text.to_string())),
            Type::Number => number_from_text(text).map(Value::Number).ok_or_else(|| self.wrong("a number")),
            _ => Err(self.wrong(&self.ty.to_string())),
        }
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Value, E> {
        match self.ty {
            Type::String => Ok(Value::String(text)),
            _ => self.visit_str(&text),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        match self.ty {
            Type::List(elem) | Type::Set(elem) => {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                loop {
                    let i = items.len();
                    self.at.push(Step::Index(i));
                    let item = seq.next_element_seed(self.child(elem, mask_at_index(self.mask, i)))?;
                    self.at.pop();
                    match item {
                        Some(item) => items.push(item),
                        None => break,
                    }
                }
                // A set keeps the order it was written in: it was already in set order,
                // and re-sorting would merge distinct unknown elements.
                Ok(if matches!(self.ty, Type::Set(_)) {
                    Value::Set((**elem).clone(), items)
                } else {
                    Value::List((**elem).clone(), items)
                })
            }
            Type::Tuple(elems) => {
                let mut items = Vec::with_capacity(elems.len());
                loop {
                    let i = items.len();
                    let Some(elem) = elems.get(i) else {
                        if seq.next_element::<IgnoredAny>()?.is_some() {
                            return Err(self.wrong(&format!("a tuple of {} elements", elems.len())));
                        }
                        break;
                    };
                    self.at.push(Step::Index(i));
                    let item = seq.next_element_seed(self.child(elem, mask_at_index(self.mask, i)))?;
                    self.at.pop();
                    match item {
                        Some(item) => items.push(item),
                        None => return Err(self.wrong(&format!("a tuple of {} elements", elems.len()))),
                    }
                }
                Ok(Value::Tuple(items))
            }
            Type::Object(_) | Type::Map(_) => Err(self.wrong("an object")),
            _ => Err(self.wrong(&self.ty.to_string())),
        }
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        match self.ty {
            Type::Map(elem) => {
                let mut entries = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    self.at.push(Step::Key(key));
                    let mask = match self.at.last() {
                        Some(Step::Key(key)) => mask_at_key(self.mask, key),
                        _ => NOT_UNKNOWN,
                    };
                    let item = map.next_value_seed(self.child(elem, mask))?;
                    if let Some(Step::Key(key)) = self.at.pop() {
                        entries.insert(key, item);
                    }
                }
                Ok(Value::Map((**elem).clone(), entries))
            }
            Type::Object(attrs) => {
                let mut entries = BTreeMap::new();
                while let Some(attr) = map.next_key_seed(AttrKey(attrs))? {
                    let Some((name, attr_ty)) = attr else {
                        // Not an attribute of the type: read past it.
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    };
                    self.at.push(Step::Attr(name));
                    let item = map.next_value_seed(self.child(attr_ty, mask_at_key(self.mask, name)))?;
                    self.at.pop();
                    entries.insert(name.clone(), item);
                }
                if entries.len() < attrs.len() {
                    for (name, attr_ty) in attrs {
                        if !entries.contains_key(name) {
                            let missing = if is_unknown(mask_at_key(self.mask, name)) {
                                Value::Unknown(attr_ty.clone())
                            } else {
                                Value::Null(attr_ty.clone())
                            };
                            entries.insert(name.clone(), missing);
                        }
                    }
                }
                Ok(Value::Object(entries))
            }
            Type::List(_) | Type::Set(_) | Type::Tuple(_) => Err(self.wrong("an array")),
            _ => Err(self.wrong(&self.ty.to_string())),
        }
    }
}

/// An object key, looked up among the type's attributes without allocating it: the
/// attribute's name and type, or `None` for a key the type does not have.
struct AttrKey<'t>(&'t BTreeMap<String, Type>);

impl<'de, 't> DeserializeSeed<'de> for AttrKey<'t> {
    type Value = Option<(&'t String, &'t Type)>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'t> Visitor<'_> for AttrKey<'t> {
    type Value = Option<(&'t String, &'t Type)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.get_key_value(key))
    }
}

/// Decodes a type in schema notation.
struct TypeSeed;

impl<'de> DeserializeSeed<'de> for TypeSeed {
    type Value = Type;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Type, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TypeSeed {
    type Value = Type;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a type (`\"string\"`, `[\"list\", \"string\"]`, ...)")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Type, E> {
        match name {
            "dynamic" => Ok(Type::Dynamic),
            "bool" => Ok(Type::Bool),
            "number" => Ok(Type::Number),
            "string" => Ok(Type::String),
            other => Err(E::custom(format!("unknown type `{other}`"))),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Type, A::Error> {
        let kind: String = seq.next_element()?.ok_or_else(|| de::Error::custom("expected a type kind"))?;
        let ty = match kind.as_str() {
            "list" => seq.next_element_seed(TypeSeed)?.map(Type::list),
            "set" => seq.next_element_seed(TypeSeed)?.map(Type::set),
            "map" => seq.next_element_seed(TypeSeed)?.map(Type::map),
            "object" => seq.next_element_seed(AttrTypesSeed)?.map(Type::Object),
            "tuple" => seq.next_element_seed(ElemTypesSeed)?.map(Type::Tuple),
            other => return Err(de::Error::custom(format!("unknown type kind `{other}`"))),
        };
        let ty = ty.ok_or_else(|| de::Error::custom(format!("`{kind}` needs its element types")))?;
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("a type is `[kind, element types]`"));
        }
        Ok(ty)
    }
}

struct AttrTypesSeed;

impl<'de> DeserializeSeed<'de> for AttrTypesSeed {
    type Value = BTreeMap<String, Type>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AttrTypesSeed {
    type Value = BTreeMap<String, Type>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("object attributes")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut attrs = BTreeMap::new();
        while let Some(name) = map.next_key::<String>()? {
            let ty = map.next_value_seed(TypeSeed)?;
            attrs.insert(name, ty);
        }
        Ok(attrs)
    }
}

struct ElemTypesSeed;

impl<'de> DeserializeSeed<'de> for ElemTypesSeed {
    type Value = Vec<Type>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ElemTypesSeed {
    type Value = Vec<Type>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tuple element types")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut elems = Vec::new();
        while let Some(ty) = seq.next_element_seed(TypeSeed)? {
            elems.push(ty);
        }
        Ok(elems)
    }
}
