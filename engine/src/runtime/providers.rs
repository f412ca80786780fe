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
