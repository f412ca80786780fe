//! `moved` blocks: state entries are renamed before anything else looks at state.

use tracing::debug;

use crate::addr::{AbsResourceInstance, InstanceKey, ModuleInstance, Target};
use crate::diag::Diagnostic;
use crate::state::StateChange;

use super::planner::Planner;

impl Planner<'_> {
    /// Renames the state entries every `moved` block selects, recording the renames as
    /// state changes; a move onto an address state already has is refused with a warning.
    pub(super) fn apply_moved(&mut self) {
        for module in self.input.config.modules() {
            for moved in &module.moved {
                let renames: Vec<(AbsResourceInstance, AbsResourceInstance)> = self
                    .state
                    .instances
                    .keys()
                    .filter_map(|addr| moved_target(&moved.from, &moved.to, addr).map(|to| (addr.clone(), to)))
                    .collect();
                for (from, to) in renames {
                    if self.state.instances.contains_key(&to) {
                        self.diags.push(
                            Diagnostic::warning("Ambiguous move statements")
                                .with_span(moved.span)
                                .with_detail(format!("Both {from} and {to} exist in state, so {from} was not moved")),
                        );
                        continue;
                    }
                    if let Some(mut instance) = self.state.instances.remove(&from) {
                        debug!(%from, %to, "moved in state");
                        instance.addr = to.to_string();
                        self.recovered.push(StateChange::RemoveInstance(from.clone()));
                        self.recovered.push(StateChange::PutInstance(instance.clone()));
                        self.state.instances.insert(to, instance);
                    }
                }
            }
        }
    }
}

/// The instance a `moved` block sends `addr` to, if it applies.
fn moved_target(from: &Target, to: &Target, addr: &AbsResourceInstance) -> Option<AbsResourceInstance> {
    match (from, to) {
        (Target::Instance(f), Target::Instance(t)) if f == addr => Some(t.clone()),
        (Target::Resource(f), Target::Resource(t)) if f.module == addr.module && f.resource == addr.resource => {
            Some(AbsResourceInstance { module: t.module.clone(), resource: t.resource.clone(), key: addr.key.clone() })
        }
        (Target::Resource(f), Target::Instance(t))
            if f.module == addr.module && f.resource == addr.resource && addr.key.is_none() =>
        {
            Some(t.clone())
        }
        (Target::Instance(f), Target::Resource(t)) if f == addr => {
            Some(AbsResourceInstance { module: t.module.clone(), resource: t.resource.clone(), key: InstanceKey::None })
        }
        (Target::Module(f), Target::Module(t)) if addr.module.0.starts_with(&f.0) => {
            let mut steps = t.0.clone();
            steps.extend(addr.module.0[f.0.len()..].iter().cloned());
            Some(AbsResourceInstance {
                module: ModuleInstance(steps),
                resource: addr.resource.clone(),
                key: addr.key.clone(),
            })
        }
        _ => None,
    }
}
