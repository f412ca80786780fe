//! Paths into a value: `nodes.core.count`, `tags["env"]`, `rules[2]`.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum PathStep {
    Attr(String),
    Key(String),
    Index(i64),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Path(pub Vec<PathStep>);

impl Path {
    pub fn root() -> Path {
        Path(Vec::new())
    }

    pub fn attr(name: &str) -> Path {
        Path(vec![PathStep::Attr(name.to_string())])
    }

    pub fn join_attr(&self, name: &str) -> Path {
        let mut steps = self.0.clone();
        steps.push(PathStep::Attr(name.to_string()));
        Path(steps)
    }

    /// This path, then the `index`th element (`core[0]`).
    pub fn index(mut self, index: i64) -> Path {
        self.0.push(PathStep::Index(index));
        self
    }

    /// This path, then the element with key `key` (`tags["env"]`).
    pub fn key(mut self, key: &str) -> Path {
        self.0.push(PathStep::Key(key.to_string()));
        self
    }

    /// This path, then attribute `name` (`core[0].count`).
    pub fn then(mut self, name: &str) -> Path {
        self.0.push(PathStep::Attr(name.to_string()));
        self
    }

    pub fn starts_with(&self, prefix: &Path) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attr(name) if i == 0 => f.write_str(name)?,
                PathStep::Attr(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// The value at `steps` inside `value`, looking through marks; `None` where the path
/// leaves the value.
pub fn get_path<'v>(value: &'v super::Value, steps: &[PathStep]) -> Option<&'v super::Value> {
    use super::Value;
    let Some((first, rest)) = steps.split_first() else { return Some(value) };
    let next = match (value.unmarked(), first) {
        (Value::Object(attrs) | Value::Map(_, attrs), PathStep::Attr(k) | PathStep::Key(k)) => attrs.get(k)?,
        (Value::List(_, items) | Value::Tuple(items) | Value::Set(_, items), PathStep::Index(i)) => {
            items.get(usize::try_from(*i).ok()?)?
        }
        _ => return None,
    };
    get_path(next, rest)
}

/// `value` with the value at `steps` replaced by `new`, keeping marks on the way. A path
/// into a list element that does not exist, or through a value that is no object, map or
/// list, changes nothing.
pub fn set_path(value: super::Value, steps: &[PathStep], new: super::Value) -> super::Value {
    use super::Value;
    let Some((first, rest)) = steps.split_first() else { return new };
    let (bare, marked) = value.unmark();
    let updated = match (bare, first) {
        (Value::Object(mut attrs), PathStep::Attr(k) | PathStep::Key(k)) => {
            let inner = attrs.remove(k).unwrap_or(Value::null());
            attrs.insert(k.clone(), set_path(inner, rest, new));
            Value::Object(attrs)
        }
        (Value::Map(t, mut attrs), PathStep::Attr(k) | PathStep::Key(k)) => {
            let inner = attrs.remove(k).unwrap_or(Value::null());
            attrs.insert(k.clone(), set_path(inner, rest, new));
            Value::Map(t, attrs)
        }
        (Value::List(t, mut items), PathStep::Index(i)) => {
            if let Some(slot) = usize::try_from(*i).ok().and_then(|i| items.get_mut(i)) {
                let inner = std::mem::replace(slot, Value::null());
                *slot = set_path(inner, rest, new);
            }
            Value::List(t, items)
        }
        (other, _) => other,
    };
    updated.marked_if(marked)
}
