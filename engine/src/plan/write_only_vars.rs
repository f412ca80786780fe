//! Which root variables feed write-only attributes.
//!
//! Their values are secrets that must never be written down, like Terraform's ephemeral
//! variables: a saved plan leaves them out (apply takes them again from the usual sources)
//! and `--json` does not show them. A variable feeds a write-only attribute when the
//! attribute's expression refers to it, directly or through locals, module arguments and
//! module outputs, in any module.

use std::collections::{BTreeSet, HashSet};

use crate::addr::ResourceMode;
use crate::config::{Config, Expr, Module};
use crate::lang::{Subject, references};
use crate::provider::ProviderRegistry;
use crate::secret::WorkspaceKey;
use crate::value::{PathStep, Value, codec};

/// The names of the root variables that feed some write-only attribute.
pub fn write_only_variables(config: &Config, registry: &ProviderRegistry) -> BTreeSet<String> {
    let mut walk = Walk { out: BTreeSet::new(), seen: HashSet::new() };
    walk.module(&mut vec![(&config.root, String::new())], registry);
    walk.out
}

/// The keyed digest of a write-only variable's value, which a saved plan keeps in place of
/// the value so that apply can refuse a different one before changing anything.
pub fn variable_digest(key: &WorkspaceKey, name: &str, value: &Value) -> String {
    // Encoding a value cannot fail (string keys only); an empty encoding still differs from
    // any real value's.
    let encoded = serde_json::to_vec(&codec::encode(value)).unwrap_or_default();
    format!("hmac-sha256:{}", hex::encode(key.mac("corral write-only variable v1", &[name.as_bytes(), &encoded])))
}

/// The modules from the root down to the current one, each with its call name.
type Stack<'c> = Vec<(&'c Module, String)>;

struct Walk {
    out: BTreeSet<String>,
    /// (module path, what) already followed, so reference cycles end.
    seen: HashSet<(String, String)>,
}

impl Walk {
    fn module<'c>(&mut self, stack: &mut Stack<'c>, registry: &ProviderRegistry) {
        let Some(&(module, _)) = stack.last() else { return };
        for resource in module.resources.values() {
            if resource.addr.mode != ResourceMode::Managed {
                continue;
            }
            // Only providers the configuration uses are asked (a schema may launch a plugin).
            let Some(factory) = registry.get(&resource.provider.name) else { continue };
            let schema = factory.schema();
            let Some(resource_schema) = schema.resources.get(&resource.addr.type_name) else { continue };
            for (name, attribute) in &resource_schema.block.attributes {
                if let (true, Some(set)) = (attribute.write_only, resource.body.attributes.get(name)) {
                    self.expr(stack, &set.value);
                }
            }
        }
        for (name, child) in &module.children {
            stack.push((child, name.clone()));
            self.module(stack, registry);
            stack.pop();
        }
    }

    fn expr<'c>(&mut self, stack: &mut Stack<'c>, expr: &Expr) {
        let path: String = stack.iter().map(|(_, name)| format!("{name}/")).collect();
        let Some(&(module, _)) = stack.last() else { return };
        for reference in references(expr) {
            match &reference.subject {
                Subject::Var(name) => {
                    if stack.len() == 1 {
                        self.out.insert(name.clone());
                    } else if self.seen.insert((path.clone(), format!("var.{name}"))) {
                        // The argument the calling module passes for it.
                        let (_, call) = stack[stack.len() - 1].clone();
                        let parent = stack[stack.len() - 2].0;
                        if let Some(argument) = parent.module_calls.get(&call).and_then(|c| c.arguments.get(name)) {
                            let child = stack.pop();
                            self.expr(stack, &argument.value);
                            stack.extend(child);
                        }
                    }
                }
                Subject::Local(name) => {
                    if let Some(local) = module.locals.get(name)
                        && self.seen.insert((path.clone(), format!("local.{name}")))
                    {
                        self.expr(stack, &local.value);
                    }
                }
                Subject::ModuleCall(call) => {
                    let Some(child) = module.children.get(call) else { continue };
                    // `module.x.out` (or `module.x[k].out`) is one output; a bare `module.x` is all.
                    let named = reference.rest.iter().find_map(|step| match step {
                        PathStep::Attr(name) => Some(name.clone()),
                        _ => None,
                    });
                    let outputs: Vec<_> = match &named {
                        Some(name) => child.outputs.get(name).into_iter().collect(),
                        None => child.outputs.values().collect(),
                    };
                    for out in outputs {
                        if self.seen.insert((format!("{path}{call}/"), format!("output.{}", out.name))) {
                            stack.push((child, call.clone()));
                            self.expr(stack, &out.value);
                            stack.pop();
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
