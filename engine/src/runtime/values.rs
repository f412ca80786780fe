//! The table of evaluated values, per module instance.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::addr::{InstanceKey, ModuleInstance, ResourceAddr};
use crate::value::{Type, Value};

use super::expansion::{Expansion, RepetitionData};

/// Values of one module instance.
#[derive(Debug, Default)]
pub struct ModuleValues {
    pub dir: PathBuf,
    pub variables: HashMap<String, Value>,
    pub locals: HashMap<String, Value>,
    pub outputs: HashMap<String, Value>,
    /// How each resource expanded, and each instance's value (planned or applied).
    pub resources: HashMap<ResourceAddr, (Expansion, BTreeMap<InstanceKey, Value>)>,
    /// How each module call expanded.
    pub calls: HashMap<String, Expansion>,
    /// `count.index` / `each.*` of this module instance within its parent's call.
    pub repetition: RepetitionData,
}

/// Every module instance's values, plus run-wide facts.
#[derive(Debug, Default)]
pub struct Values {
    pub modules: HashMap<ModuleInstance, ModuleValues>,
    pub workspace: String,
    pub root_dir: PathBuf,
    /// `path.cwd`: where Corral was started (before `-C`, as Terraform's `-chdir`).
    pub cwd: PathBuf,
    /// The process's working directory (after `-C`): `path.module` and `path.root` are
    /// relative to it, as in Terraform.
    pub relative_to: PathBuf,
    /// Set by the planner: impure functions are unknown (see [`Scope::pure_only`]).
    ///
    /// [`Scope::pure_only`]: crate::lang::Scope::pure_only
    pub pure_only: bool,
    /// `plantimestamp()`: set by the planner to the plan's time, and by the apply to the
    /// time its plan recorded.
    pub plan_timestamp: Option<String>,
}

impl Values {
    pub fn new(workspace: &str, root_dir: PathBuf, cwd: PathBuf) -> Values {
        let mut modules = HashMap::new();
        modules.insert(ModuleInstance::root(), ModuleValues { dir: root_dir.clone(), ..ModuleValues::default() });
        let relative_to = std::env::current_dir().unwrap_or_else(|_| cwd.clone());
        Values {
            modules,
            workspace: workspace.to_string(),
            root_dir,
            cwd,
            relative_to,
            pure_only: false,
            plan_timestamp: None,
        }
    }

    pub fn module(&self, module: &ModuleInstance) -> Option<&ModuleValues> {
        self.modules.get(module)
    }

    pub fn module_mut(&mut self, module: &ModuleInstance) -> &mut ModuleValues {
        self.modules.entry(module.clone()).or_default()
    }

    /// The value of a whole resource as references see it: the object itself without
    /// repetition, a tuple by `count`, an object by `for_each`.
    pub fn resource_value(&self, module: &ModuleInstance, resource: &ResourceAddr) -> Option<Value> {
        let (expansion, instances) = self.module(module)?.resources.get(resource)?;
        Some(match expansion {
            Expansion::Single => instances.get(&InstanceKey::None).cloned().unwrap_or(Value::Unknown(Type::Dynamic)),
            Expansion::Count(_) => Value::Tuple(instances.values().cloned().collect()),
            Expansion::ForEach(_) => Value::Object(
                instances
                    .iter()
                    .filter_map(|(k, v)| match k {
                        InstanceKey::Str(s) => Some((s.clone(), v.clone())),
                        _ => None,
                    })
                    .collect(),
            ),
            Expansion::Unknown | Expansion::Deferred { .. } => Value::Unknown(Type::Dynamic),
        })
    }

    /// The value of `module.NAME` as references see it: an object of its outputs, or a
    /// tuple/object of such by `count`/`for_each`.
    pub fn module_call_value(&self, module: &ModuleInstance, name: &str) -> Option<Value> {
        let expansion = self.module(module)?.calls.get(name)?;
        let outputs_of = |key: InstanceKey| -> Value {
            let child = module.child(name, key);
            match self.module(&child) {
                Some(m) => Value::Object(m.outputs.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
                None => Value::Unknown(Type::Dynamic),
            }
        };
        Some(match expansion {
            Expansion::Single => outputs_of(InstanceKey::None),
            Expansion::Count(n) => Value::Tuple((0..*n).map(|i| outputs_of(InstanceKey::Int(i as i64))).collect()),
            Expansion::ForEach(keys) => {
                Value::Object(keys.iter().map(|k| (k.clone(), outputs_of(InstanceKey::Str(k.clone())))).collect())
            }
            Expansion::Unknown | Expansion::Deferred { .. } => Value::Unknown(Type::Dynamic),
        })
    }

    /// Module instances that are expansions of a static path, in address order.
    pub fn instances_of(&self, path: &crate::addr::ModulePath) -> Vec<ModuleInstance> {
        let mut out: Vec<ModuleInstance> = self.modules.keys().filter(|m| &m.path() == path).cloned().collect();
        out.sort();
        out
    }
}
