//! `removed` blocks: an instance in state whose resource (or module) is gone from the
//! configuration and is named by a `removed` block with `lifecycle { destroy = false }` is
//! forgotten rather than destroyed, as Terraform 1.7 does; with `destroy = true` (the
//! default) it is destroyed like any orphan.

use crate::addr::{AbsResourceInstance, Target};
use crate::diag::Diagnostic;
use crate::value::Type;

use super::decide::Decision;
use super::orphans::delete_change;
use super::planner::Planner;
use super::values::decode_state;
use super::{Action, ResourceChange};

impl Planner<'_> {
    /// Whether a `removed` block says to forget this orphan instead of destroying it.
    pub(super) fn forgotten(&self, addr: &AbsResourceInstance) -> bool {
        self.input.config.root.removed.iter().any(|removed| !removed.destroy && removes(&removed.from, addr))
    }

    /// Plans an orphan's removal from state, its object left alone.
    pub(super) fn plan_forget(&mut self, addr: AbsResourceInstance, ty: Type) {
        let Some(state) = self.state.instances.get(&addr) else { return };
        let before = decode_state(state, &ty);
        let decision =
            Decision { action: Action::Forget, reason: None, create_before_destroy: false, prevented: false };
        let change = delete_change(&addr, state.provider.clone(), before, state, &decision);
        self.changes.insert((addr, None), change);
    }

    /// Terraform's warning for a plan that forgets objects, listing them.
    pub(super) fn warn_forgotten(&mut self) {
        let forgotten: Vec<&ResourceChange> = self.changes.values().filter(|c| c.action == Action::Forget).collect();
        if forgotten.is_empty() {
            return;
        }
        let list: Vec<String> = forgotten.iter().map(|c| format!(" - {}", c.addr)).collect();
        self.diags.push(Diagnostic::warning("Some objects will no longer be managed by Corral").with_detail(format!(
            "If you apply this plan, Corral will discard its tracking information for the following objects, but it will not delete them:\n{}\n\nAfter applying this plan, Corral will no longer manage these objects. You will need to import them into Corral to manage them again.",
            list.join("\n")
        )));
    }
}

/// Whether a `removed` block's `from` covers an instance: its resource in any instance of
/// the module, or anything in a module.
fn removes(from: &Target, addr: &AbsResourceInstance) -> bool {
    match from {
        Target::Resource(r) => r.module.path() == addr.module.path() && r.resource == addr.resource,
        Target::Module(m) => addr.module.path().0.starts_with(&m.path().0),
        Target::Instance(i) => i == addr,
    }
}
