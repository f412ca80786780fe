//! Addresses of modules, resources and resource instances. Immutable values whose text form
//! round-trips: `module.net["a"].testing_thing.web[0]` parses back to the same address.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceMode {
    Managed,
    Data,
}

/// A resource block's address inside its module: `testing_thing.web` or `data.x.y`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceAddr {
    pub mode: ResourceMode,
    pub type_name: String,
    pub name: String,
}

impl ResourceAddr {
    pub fn managed(type_name: impl Into<String>, name: impl Into<String>) -> ResourceAddr {
        ResourceAddr { mode: ResourceMode::Managed, type_name: type_name.into(), name: name.into() }
    }

    pub fn data(type_name: impl Into<String>, name: impl Into<String>) -> ResourceAddr {
        ResourceAddr { mode: ResourceMode::Data, type_name: type_name.into(), name: name.into() }
    }

    /// The provider's local name implied by the type: `kmr_cluster` → `kmr`.
    pub fn implied_provider(&self) -> &str {
        self.type_name.split('_').next().unwrap_or(&self.type_name)
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mode == ResourceMode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)
    }
}

/// The key of one instance of a `count` (Int) or `for_each` (Str) resource or module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKey {
    None,
    Int(i64),
    Str(String),
}

impl InstanceKey {
    pub fn is_none(&self) -> bool {
        matches!(self, InstanceKey::None)
    }
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => {
                f.write_str("[")?;
                write_quoted(f, s)?;
                f.write_str("]")
            }
        }
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// A static module path, as written in configuration: `module.a.module.b` (root = empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModulePath(pub Vec<String>);

impl ModulePath {
    pub fn root() -> ModulePath {
        ModulePath(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn child(&self, name: &str) -> ModulePath {
        let mut steps = self.0.clone();
        steps.push(name.to_string());
        ModulePath(steps)
    }

    pub fn parent(&self) -> Option<ModulePath> {
        if self.0.is_empty() { None } else { Some(ModulePath(self.0[..self.0.len() - 1].to_vec())) }
    }
}

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "module.{step}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleInstanceStep {
    pub name: String,
    pub key: InstanceKey,
}

/// An expanded module instance: `module.a[0].module.b` (root = empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleInstance(pub Vec<ModuleInstanceStep>);

impl ModuleInstance {
    pub fn root() -> ModuleInstance {
        ModuleInstance(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn child(&self, name: &str, key: InstanceKey) -> ModuleInstance {
        let mut steps = self.0.clone();
        steps.push(ModuleInstanceStep { name: name.to_string(), key });
        ModuleInstance(steps)
    }

    /// The static path this instance is an expansion of.
    pub fn path(&self) -> ModulePath {
        ModulePath(self.0.iter().map(|s| s.name.clone()).collect())
    }

    pub fn parent(&self) -> Option<ModuleInstance> {
        if self.0.is_empty() { None } else { Some(ModuleInstance(self.0[..self.0.len() - 1].to_vec())) }
    }
}

impl fmt::Display for ModuleInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "module.{}{}", step.name, step.key)?;
        }
        Ok(())
    }
}

/// A resource block inside an expanded module instance (all its instances).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AbsResource {
    pub module: ModuleInstance,
    pub resource: ResourceAddr,
}

impl AbsResource {
    pub fn instance(&self, key: InstanceKey) -> AbsResourceInstance {
        AbsResourceInstance { module: self.module.clone(), resource: self.resource.clone(), key }
    }
}

impl fmt::Display for AbsResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "{}", self.resource)
    }
}

/// A resource block in the static module tree (before module expansion).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigResource {
    pub module: ModulePath,
    pub resource: ResourceAddr,
}

impl fmt::Display for ConfigResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "{}", self.resource)
    }
}

/// One instance of a resource: the unit the plan acts on and the state records.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AbsResourceInstance {
    pub module: ModuleInstance,
    pub resource: ResourceAddr,
    pub key: InstanceKey,
}

impl AbsResourceInstance {
    pub fn resource(&self) -> AbsResource {
        AbsResource { module: self.module.clone(), resource: self.resource.clone() }
    }

    pub fn config_resource(&self) -> ConfigResource {
        ConfigResource { module: self.module.path(), resource: self.resource.clone() }
    }
}

impl fmt::Display for AbsResourceInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource(), self.key)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid address `{input}`: {reason}")]
pub struct AddrParseError {
    pub input: String,
    pub reason: String,
}

/// A target as given to `--target`/`--replace`/`state mv`: a module instance, a whole
/// resource, or a single resource instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Module(ModuleInstance),
    Resource(AbsResource),
    Instance(AbsResourceInstance),
}

impl Target {
    /// Whether this target selects the given instance.
    pub fn contains(&self, instance: &AbsResourceInstance) -> bool {
        match self {
            Target::Module(m) => instance.module.0.starts_with(&m.0),
            Target::Resource(r) => instance.module == r.module && instance.resource == r.resource,
            Target::Instance(i) => i == instance,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Module(m) => write!(f, "{m}"),
            Target::Resource(r) => write!(f, "{r}"),
            Target::Instance(i) => write!(f, "{i}"),
        }
    }
}

impl FromStr for Target {
    type Err = AddrParseError;

    fn from_str(input: &str) -> Result<Target, AddrParseError> {
        let err = |reason: &str| AddrParseError { input: input.to_string(), reason: reason.to_string() };
        let mut parser = Parser { rest: input.trim() };
        let mut module = ModuleInstance::root();
        loop {
            if parser.rest.is_empty() {
                return if module.is_root() { Err(err("empty address")) } else { Ok(Target::Module(module)) };
            }
            let word = parser.ident().ok_or_else(|| err("expected a name"))?;
            if word == "module" {
                parser.dot().ok_or_else(|| err("expected `.` after `module`"))?;
                let name = parser.ident().ok_or_else(|| err("expected a module name"))?;
                let key = parser.key().map_err(|r| err(&r))?;
                module = module.child(&name, key);
                if parser.rest.is_empty() {
                    continue;
                }
                parser.dot().ok_or_else(|| err("expected `.`"))?;
                continue;
            }
            let (mode, type_name) = if word == "data" {
                parser.dot().ok_or_else(|| err("expected `.` after `data`"))?;
                (ResourceMode::Data, parser.ident().ok_or_else(|| err("expected a data source type"))?)
            } else {
                (ResourceMode::Managed, word)
            };
            parser.dot().ok_or_else(|| err("expected `.` and a resource name"))?;
            let name = parser.ident().ok_or_else(|| err("expected a resource name"))?;
            let resource = ResourceAddr { mode, type_name, name };
            let has_key = parser.rest.starts_with('[');
            let key = parser.key().map_err(|r| err(&r))?;
            if !parser.rest.is_empty() {
                return Err(err("unexpected text after the resource address"));
            }
            return Ok(if has_key {
                Target::Instance(AbsResourceInstance { module, resource, key })
            } else {
                Target::Resource(AbsResource { module, resource })
            });
        }
    }
}

impl FromStr for AbsResourceInstance {
    type Err = AddrParseError;

    fn from_str(input: &str) -> Result<AbsResourceInstance, AddrParseError> {
        match input.parse::<Target>()? {
            Target::Instance(i) => Ok(i),
            Target::Resource(r) => Ok(r.instance(InstanceKey::None)),
            Target::Module(_) => Err(AddrParseError {
                input: input.to_string(),
                reason: "a module is not a resource instance".to_string(),
            }),
        }
    }
}

struct Parser<'a> {
    rest: &'a str,
}

impl Parser<'_> {
    fn ident(&mut self) -> Option<String> {
        let end = self
            .rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
            .map(|(i, _)| i)
            .unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let word = self.rest[..end].to_string();
        self.rest = &self.rest[end..];
        Some(word)
    }

    fn dot(&mut self) -> Option<()> {
        self.rest = self.rest.strip_prefix('.')?;
        Some(())
    }

    fn key(&mut self) -> Result<InstanceKey, String> {
        let Some(rest) = self.rest.strip_prefix('[') else { return Ok(InstanceKey::None) };
        if let Some(rest) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = rest.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, c)) => value.push(c),
                        None => return Err("unterminated string key".into()),
                    },
                    '"' => {
                        let after = &rest[i + 1..];
                        let after = after.strip_prefix(']').ok_or("expected `]` after the key")?;
                        self.rest = after;
                        return Ok(InstanceKey::Str(value));
                    }
                    c => value.push(c),
                }
            }
            Err("unterminated string key".into())
        } else {
            let end = rest.find(']').ok_or("expected `]`")?;
            let number: i64 =
                rest[..end].trim().parse().map_err(|_| "an index must be a whole number or a quoted string")?;
            self.rest = &rest[end + 1..];
            Ok(InstanceKey::Int(number))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        for text in [
            "testing_thing.a",
            "testing_thing.a[0]",
            "testing_thing.a[\"x y\"]",
            "data.corral_data.b",
            "module.net.testing_thing.a",
            "module.net[\"eu\"].module.sub[2].testing_thing.a[\"k\"]",
            "module.net",
        ] {
            let target: Target = text.parse().unwrap();
            assert_eq!(target.to_string(), text);
        }
    }

    #[test]
    fn bad_addresses_are_errors() {
        for text in ["", "module", "testing_thing", "a.b[", "a.b[x]", "a.b.c"] {
            assert!(text.parse::<Target>().is_err(), "{text}");
        }
    }
}
