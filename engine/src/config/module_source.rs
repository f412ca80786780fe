//! What a `module` block's `source` names, read as Terraform reads it: a local path, a
//! module registry address (`[HOST/]NAMESPACE/NAME/SYSTEM[//SUBDIR]`, the only kind that
//! takes a `version`), or a remote package (git, a GitHub shorthand, an HTTP archive) that
//! `corral init` fetches. Also Terraform's version constraints (`>= 1.2, < 2.0`, `~> 1.2`),
//! over the `semver` crate's versions.

use std::fmt;

use semver::Version;

/// The host a registry address without one means, as in Terraform.
pub const DEFAULT_REGISTRY_HOST: &str = "registry.terraform.io";

/// A module source, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleSource {
    /// `./x` or `../x`: a directory beside the calling module.
    Local(String),
    /// A module registry address.
    Registry(RegistryAddr),
    /// Anything else: a package address `corral init` fetches (git, GitHub, HTTP).
    Remote(String),
}

/// `[HOST/]NAMESPACE/NAME/SYSTEM[//SUBDIR]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryAddr {
    pub host: String,
    pub namespace: String,
    pub name: String,
    pub system: String,
    pub subdir: Option<String>,
}

impl fmt::Display for RegistryAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}/{}", self.host, self.namespace, self.name, self.system)?;
        if let Some(subdir) = &self.subdir {
            write!(f, "//{subdir}")?;
        }
        Ok(())
    }
}

/// Whether a module source is a local path.
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

impl ModuleSource {
    pub fn parse(source: &str) -> ModuleSource {
        if is_local_source(source) {
            return ModuleSource::Local(source.to_string());
        }
        match parse_registry(source) {
            Some(addr) => ModuleSource::Registry(addr),
            None => ModuleSource::Remote(source.to_string()),
        }
    }
}

/// A registry address, or `None` when `source` is not one (go-getter's addresses, such as
/// `github.com/org/repo`, fail because a namespace has no dots).
fn parse_registry(source: &str) -> Option<RegistryAddr> {
    if source.contains("::") || source.contains("://") || source.contains('?') {
        return None;
    }
    let (package, subdir) = match source.split_once("//") {
        Some((package, subdir)) if !subdir.is_empty() => (package, Some(subdir.trim_matches('/').to_string())),
        Some(_) => return None,
        None => (source, None),
    };
    let parts: Vec<&str> = package.split('/').collect();
    let (host, rest) = match parts.len() {
        3 => (DEFAULT_REGISTRY_HOST.to_string(), &parts[..]),
        4 if is_host(parts[0]) => (parts[0].to_ascii_lowercase(), &parts[1..]),
        _ => return None,
    };
    let [namespace, name, system] = rest else { return None };
    let ok = is_registry_name(namespace)
        && is_registry_name(name)
        && !system.is_empty()
        && system.chars().all(|c| c.is_ascii_alphanumeric());
    ok.then(|| RegistryAddr {
        host,
        namespace: namespace.to_string(),
        name: name.to_string(),
        system: system.to_ascii_lowercase(),
        subdir,
    })
}

/// A hostname (with an optional port) as a registry address's first part.
fn is_host(part: &str) -> bool {
    let (name, port) = match part.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (part, None),
    };
    port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && (name.contains('.') || name == "localhost")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// Terraform's rule for a registry namespace or module name.
fn is_registry_name(part: &str) -> bool {
    let bytes = part.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
}

/// A Terraform version constraint: comma-separated `OP VERSION` terms, all of which must
/// hold. Operators: `=` (or none), `!=`, `>`, `>=`, `<`, `<=` and `~>` (the rightmost
/// given part may grow: `~> 1.2` is `>= 1.2, < 2.0`, `~> 1.2.0` is `>= 1.2.0, < 1.3.0`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionConstraint {
    terms: Vec<Term>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Term {
    op: Op,
    version: Version,
    /// How many of major.minor.patch were written (for `~>`).
    parts: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Pessimistic,
}

impl VersionConstraint {
    pub fn parse(text: &str) -> Result<VersionConstraint, String> {
        let mut terms = Vec::new();
        for raw in text.split(',') {
            let raw = raw.trim();
            if raw.is_empty() {
                return Err(format!("`{text}` has an empty term: write terms such as `>= 1.2.0, < 2.0.0`"));
            }
            let (op, rest) = [
                ("~>", Op::Pessimistic),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .into_iter()
            .find_map(|(prefix, op)| raw.strip_prefix(prefix).map(|rest| (op, rest.trim())))
            .unwrap_or((Op::Eq, raw));
            let (version, parts) = parse_version(rest.strip_prefix('v').unwrap_or(rest))
                .ok_or_else(|| format!("`{rest}` in `{text}` is not a version such as `1.2.0`"))?;
            terms.push(Term { op, version, parts });
        }
        Ok(VersionConstraint { terms })
    }

    /// Whether `version` satisfies every term. A pre-release matches only a term that names
    /// it exactly, as in Terraform.
    pub fn matches(&self, version: &Version) -> bool {
        if !version.pre.is_empty() && !self.terms.iter().any(|t| t.op == Op::Eq && t.version == *version) {
            return false;
        }
        self.terms.iter().all(|term| term.matches(version))
    }
}

impl Term {
    fn matches(&self, v: &Version) -> bool {
        let c = &self.version;
        match self.op {
            Op::Eq => v == c,
            Op::Ne => v != c,
            Op::Gt => v > c,
            Op::Ge => v >= c,
            Op::Lt => v < c,
            Op::Le => v <= c,
            Op::Pessimistic => {
                let upper = match self.parts {
                    1 => Version::new(c.major + 1, 0, 0),
                    2 => Version::new(c.major + 1, 0, 0),
                    _ => Version::new(c.major, c.minor + 1, 0),
                };
                v >= c && *v < upper
            }
        }
    }
}

/// `1`, `1.2` or `1.2.3[-pre][+build]`, and how many numeric parts were written.
fn parse_version(text: &str) -> Option<(Version, usize)> {
    if let Ok(version) = Version::parse(text) {
        return Some((version, 3));
    }
    let numbers: Vec<u64> = text.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    match numbers[..] {
        [major] => Some((Version::new(major, 0, 0), 1)),
        [major, minor] => Some((Version::new(major, minor, 0), 2)),
        _ => None,
    }
}

/// The newest of `versions` (as a registry lists them) that `constraint` allows (any
/// release when there is none); texts that are not versions are skipped.
pub fn newest_matching<'a>(
    versions: impl IntoIterator<Item = &'a str>,
    constraint: Option<&VersionConstraint>,
) -> Option<Version> {
    versions
        .into_iter()
        .filter_map(|text| Version::parse(text.strip_prefix('v').unwrap_or(text)).ok())
        .filter(|v| match constraint {
            Some(c) => c.matches(v),
            None => v.pre.is_empty(),
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn sources_are_classified_as_terraform_does() {
        assert_eq!(ModuleSource::parse("./net"), ModuleSource::Local("./net".into()));
        let ModuleSource::Registry(addr) = ModuleSource::parse("terraform-aws-modules/vpc/aws") else {
            panic!("not a registry address")
        };
        assert_eq!(addr.host, DEFAULT_REGISTRY_HOST);
        assert_eq!(
            (addr.namespace.as_str(), addr.name.as_str(), addr.system.as_str()),
            ("terraform-aws-modules", "vpc", "aws")
        );
        let ModuleSource::Registry(addr) = ModuleSource::parse("127.0.0.1:8080/corral/net/kmr//modules/sg") else {
            panic!("not a registry address")
        };
        assert_eq!(addr.host, "127.0.0.1:8080");
        assert_eq!(addr.subdir.as_deref(), Some("modules/sg"));
        for remote in [
            "github.com/org/repo",
            "github.com/org/repo//sub?ref=v1",
            "git::https://example.com/x.git?ref=v1.2.0",
            "https://example.com/x.zip",
            "a/b",
            "a/b/c/d/e",
        ] {
            assert_eq!(ModuleSource::parse(remote), ModuleSource::Remote(remote.into()), "{remote}");
        }
    }

    #[test]
    fn constraints_follow_terraform() {
        let c = |t: &str| VersionConstraint::parse(t).unwrap_or_else(|e| panic!("{e}"));
        assert!(c("~> 1.2").matches(&v("1.9.0")));
        assert!(!c("~> 1.2").matches(&v("2.0.0")));
        assert!(c("~> 1.2.0").matches(&v("1.2.9")));
        assert!(!c("~> 1.2.0").matches(&v("1.3.0")));
        assert!(c(">= 1.0, < 2.0").matches(&v("1.5.1")));
        assert!(!c(">= 1.0, < 2.0, != 1.5.1").matches(&v("1.5.1")));
        assert!(c("1.2.3").matches(&v("1.2.3")));
        assert!(!c(">= 1.0").matches(&v("2.0.0-beta1")));
        assert!(c("= 2.0.0-beta1").matches(&v("2.0.0-beta1")));
        assert!(VersionConstraint::parse(">= banana").is_err());
        assert!(VersionConstraint::parse(">= 1.0,").is_err());
        let versions = ["1.0.0", "1.1.0", "2.0.0", "2.1.0-rc1", "junk"];
        assert_eq!(newest_matching(versions, Some(&c("~> 1.0"))), Some(v("1.1.0")));
        assert_eq!(newest_matching(versions, None), Some(v("2.0.0")));
        assert_eq!(newest_matching(versions, Some(&c("> 3"))), None);
    }
}
