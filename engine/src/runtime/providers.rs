//! Which provider configuration manages a resource: the module's own `provider` block, one
//! passed down by a module call's `providers` map, or the parent's (inherited), up to an
//! implied empty configuration in the root module.

use std::fmt;

use crate::addr::ModulePath;
use crate::config::{Config, ProviderRef};

/// A provider configuration: where it is declared and its key (`kmr`, `kmr.west`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderAddr {
    pub module: ModulePath,
    pub key: String,
}

impl ProviderAddr {
    /// The provider's type name (`kmr` of `kmr.west`).
    pub fn name(&self) -> &str {
        self.key.split('.').next().unwrap_or(&self.key)
    }
}

impl fmt::Display for ProviderAddr {
    /// The form recorded in state: `kmr.west`, or `module.a:kmr.west` inside a module.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.module.is_root() { write!(f, "{}", self.key) } else { write!(f, "{}:{}", self.module, self.key) }
    }
}

/// Parses the state form back.
pub fn provider_key(text: &str) -> ProviderAddr {
    match text.rsplit_once(':') {
        Some((module, key)) => ProviderAddr {
            module: ModulePath(module.split('.').filter(|s| *s != "module").map(str::to_string).collect()),
            key: key.to_string(),
        },
        None => ProviderAddr { module: ModulePath::root(), key: text.to_string() },
    }
}

/// Finds the provider configuration a reference made in `module` resolves to.
pub fn resolve_provider(config: &Config, module: &ModulePath, reference: &ProviderRef) -> ProviderAddr {
    let mut path = module.clone();
    let mut key = reference.key();
    loop {
        if let Some(m) = config.module(&path)
            && m.providers.iter().any(|p| p.key() == key)
        {
            return ProviderAddr { module: path, key };
        }
        let Some(parent) = path.parent() else { return ProviderAddr { module: path, key } };
        let call_name = path.0.last().cloned().unwrap_or_default();
        if let Some(call) = config.module(&parent).and_then(|p| p.module_calls.get(&call_name))
            && let Some((_, parent_ref)) = call.providers.iter().find(|(child, _)| *child == key)
        {
            key = parent_ref.key();
        }
        path = parent;
    }
}

/// The registry host of a provider source address that names none (`corral/kmr`), as in
/// Terraform.
pub const DEFAULT_PROVIDER_HOST: &str = "registry.terraform.io";

/// The namespace of a provider named without a source (no `required_providers` entry, or a
/// source of the type alone). Terraform implies `hashicorp`; Corral's providers are its own,
/// so it implies `corral` (`registry.terraform.io/corral/kmr`), the same address as
/// `source = "corral/kmr"`.
pub const DEFAULT_PROVIDER_NAMESPACE: &str = "corral";

/// The full source address (`registry.terraform.io/corral/kmr`) of the provider of a
/// configuration, as Terraform writes `provider_name` in its JSON: the `source` of the
/// provider's local name in `required_providers` of the configuration's module or the
/// nearest ancestor declaring it, else the default namespace. Without a configuration, the
/// default.
pub fn provider_source(config: Option<&Config>, addr: &ProviderAddr) -> String {
    // Terraform's own form (`provider["registry.terraform.io/hashicorp/aws"].west`), as a
    // state made elsewhere may hold: the source is in it.
    if let Some(rest) = addr.key.strip_prefix("provider[\"")
        && let Some((source, _)) = rest.split_once("\"]")
    {
        return full_source(source);
    }
    let name = addr.name();
    let mut path = Some(addr.module.clone());
    while let Some(module) = path {
        let source = config
            .and_then(|c| c.module(&module))
            .and_then(|m| m.terraform.as_ref())
            .and_then(|t| t.required_providers.get(name))
            .and_then(|r| r.source.as_deref());
        if let Some(source) = source {
            return full_source(source);
        }
        path = module.parent();
    }
    full_source(name)
}

/// A `source` in its full form: `kmr` → `registry.terraform.io/corral/kmr`, `corral/kmr` →
/// `registry.terraform.io/corral/kmr`; a three-part address is kept (its host lowercased).
pub fn full_source(source: &str) -> String {
    let parts: Vec<&str> = source.split('/').collect();
    match parts.as_slice() {
        [name] => format!("{DEFAULT_PROVIDER_HOST}/{DEFAULT_PROVIDER_NAMESPACE}/{}", name.to_lowercase()),
        [namespace, name] => format!("{DEFAULT_PROVIDER_HOST}/{}/{}", namespace.to_lowercase(), name.to_lowercase()),
        [host, rest @ ..] => format!("{}/{}", host.to_lowercase(), rest.join("/").to_lowercase()),
        [] => source.to_string(),
    }
}
