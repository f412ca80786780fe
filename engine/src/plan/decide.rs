//! The one place that decides what happens to a resource instance, and why: create,
//! update, replace (delete-then-create or create-then-delete), delete, no-op, or when a data
//! source is read (while planning, while planning and again during apply, or during apply). Pure: callers gather the facts (the refreshed prior,
//! the provider's plan, the attributes whose change class forbids an in-place change, the
//! lifecycle and the flags) and turn the decision into changes and diagnostics.
//!
//! Follows Terraform's `plan()` in `node_resource_abstract_instance.go`: no prior object
//! means create; a requested replacement (`--replace`), a tainted object, a change that
//! cannot be made in place, or a `replace_triggered_by` reference that changed means
//! replace (the first of these that holds is the reason); otherwise update, or no-op when
//! the plan equals the prior. `ignore_changes` acts earlier, on the configuration sent to
//! the provider, so the decision never sees it.

use crate::addr::InstanceKey;
use crate::runtime::Expansion;
use crate::value::{Path, Value};

use super::{Action, ActionReason};

/// The lifecycle settings a decision reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Lifecycle {
    /// Replace by creating the new object first: the resource asks for it, or Terraform's
    /// rule forces it (a create-before-destroy resource depends on this one), or the
    /// object in state was created that way.
    pub(crate) create_before_destroy: bool,
    pub(crate) prevent_destroy: bool,
}

/// Reasons to replace that are not in the plan itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    /// `--replace` names the instance.
    pub(crate) replace_requested: bool,
    /// State marks the object tainted (a create that failed half-way).
    pub(crate) tainted: bool,
    /// A `replace_triggered_by` reference points at an instance with a change.
    pub(crate) triggered: bool,
}

/// What planning a managed instance with configuration found.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facts<'a> {
    /// The prior object as refresh found it (as state has it without refresh); `None` when
    /// there is none, or refresh found it gone.
    pub(crate) refreshed: Option<&'a Value>,
    /// The provider's planned state (from `refreshed`).
    pub(crate) planned: &'a Value,
    /// Attributes whose change forces replacement: the provider's `requires_replace` and the
    /// schema's change classes that changed.
    pub(crate) replace_paths: &'a [Path],
    pub(crate) lifecycle: Lifecycle,
    pub(crate) flags: Flags,
}

/// An instance's action, its reason, and what the caller must do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) action: Action,
    pub(crate) reason: Option<ActionReason>,
    /// Recorded on the change (and in state after apply).
    pub(crate) create_before_destroy: bool,
    /// `prevent_destroy` forbids this action: the caller reports an error.
    pub(crate) prevented: bool,
}

impl Decision {
    fn new(action: Action, reason: Option<ActionReason>, lifecycle: Lifecycle) -> Decision {
        let action = match action {
            Action::DeleteThenCreate if lifecycle.create_before_destroy => Action::CreateThenDelete,
            other => other,
        };
        let destroys = action == Action::Delete || action.is_replace();
        Decision {
            action,
            reason,
            create_before_destroy: lifecycle.create_before_destroy,
            prevented: destroys && lifecycle.prevent_destroy,
        }
    }

    /// The create half of a replacement needs a plan of its own, from no prior object:
    /// computed attributes become unknown again.
    pub(crate) fn plans_create(&self) -> bool {
        self.action.is_replace()
    }

    /// A replacement because the change cannot be made in place (and no other reason came
    /// first): attributes that are immutable make it an error.
    pub(crate) fn cannot_update(&self) -> bool {
        self.reason == Some(ActionReason::ReplaceBecauseCannotUpdate)
    }
}

/// The action for a managed instance that the configuration has.
pub(crate) fn managed(facts: Facts<'_>) -> Decision {
    let Facts { refreshed, planned, replace_paths, lifecycle, flags } = facts;
    let Some(prior) = refreshed else { return Decision::new(Action::Create, None, lifecycle) };
    let replace = |reason| Decision::new(Action::DeleteThenCreate, Some(reason), lifecycle);
    if flags.replace_requested {
        return replace(ActionReason::ReplaceByRequest);
    }
    if flags.tainted {
        return replace(ActionReason::ReplaceBecauseTainted);
    }
    if !replace_paths.is_empty() {
        return replace(ActionReason::ReplaceBecauseCannotUpdate);
    }
    if flags.triggered {
        return replace(ActionReason::ReplaceByTriggers);
    }
    // Marks (sensitivity) are not part of the object: a plan that only marks differently
    // changes nothing.
    let action = if prior.eq_unmarked(planned) { Action::NoOp } else { Action::Update };
    Decision::new(action, None, lifecycle)
}

/// Why an instance in state is deleted although its resource is planned or gone.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Orphan<'a> {
    /// `plan --destroy` deletes everything (no reason is given).
    Destroy,
    /// The resource's expansion no longer has the instance's key.
    NotExpanded { expansion: &'a Expansion, key: &'a InstanceKey },
    /// The configuration no longer has the resource.
    NoResourceConfig,
    /// The configuration no longer has the module (instance) around it.
    NoModule,
}

/// The deletion of an object in state. A destroy plan gives no reasons, even for objects
/// whose configuration is gone.
pub(crate) fn delete(orphan: Orphan<'_>, destroy: bool, lifecycle: Lifecycle) -> Decision {
    let reason = match orphan {
        _ if destroy => None,
        Orphan::Destroy => None,
        Orphan::NotExpanded { expansion, key } => Some(match (expansion, key) {
            (Expansion::Count(_), InstanceKey::Int(_)) => ActionReason::DeleteBecauseCountIndex,
            (Expansion::ForEach(_), InstanceKey::Str(_)) => ActionReason::DeleteBecauseEachKey,
            _ => ActionReason::DeleteBecauseWrongRepetition,
        }),
        Orphan::NoResourceConfig => Some(ActionReason::DeleteBecauseNoResourceConfig),
        Orphan::NoModule => Some(ActionReason::DeleteBecauseNoModule),
    };
    Decision::new(Action::Delete, reason, lifecycle)
}

/// The deletion of a deposed object (the old half of an interrupted create-before-destroy
/// replacement): always allowed, since its replacement exists already.
pub(crate) fn delete_deposed() -> Decision {
    Decision::new(Action::Delete, None, Lifecycle { create_before_destroy: true, prevent_destroy: false })
}

/// When a data source is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataRead {
    /// While planning; no change is recorded, and dependents plan with the value.
    Now,
    /// While planning, and again during apply to confirm it: the configuration is known and
    /// it waits for pending changes that may or may not change what it reads. Dependents plan with the plan-time value; apply stops the data source's branch
    /// if the second read differs ([`confirm_read`] is the change to record). If the
    /// plan-time read fails (the object may exist only once the dependency is applied), it
    /// is read during apply only ([`confirm_failed`]).
    NowAndConfirm,
    /// During apply only: the configuration is not known yet, or it reads back what a
    /// pending change changes.
    DuringApply(Decision),
}

/// How a data source depends on resources with pending changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PendingDependency {
    /// On none.
    None,
    /// Only through `depends_on`, or through locals, outputs and modules, on in-place
    /// updates: what it reads is usually not what the change changes (KMR's `KSCKMR` group,
    /// read after a cluster is scaled).
    Waited,
    /// On a create or a replacement (or a data source read during apply only): what it reads
    /// may not exist yet (KMR's `KSCKMR` group, made with the first cluster), and an empty
    /// result now would fail its dependents' plan.
    NewObjects,
    /// Its configuration names a resource with a pending change, or it is of the type of one
    /// it waits for (`data "t"` after `resource "t"`): it most likely reads back the very
    /// object being changed, so the plan-time value would not survive the apply.
    ReadsBack,
}

/// When a data source is read, from whether its configuration is wholly known and how it
/// depends on resources with pending changes. Terraform defers both pending cases to apply,
/// so every dependent sees unknown values (and an unknown `id` forces replacements:
/// hashicorp/terraform#28925); reading now and confirming during apply keeps the plan exact
/// where the read is unlikely to change.
pub(crate) fn read(config_known: bool, pending: PendingDependency) -> DataRead {
    let during_apply = |reason| DataRead::DuringApply(Decision::new(Action::Read, Some(reason), Lifecycle::default()));
    match pending {
        _ if !config_known => during_apply(ActionReason::ReadBecauseConfigUnknown),
        PendingDependency::ReadsBack | PendingDependency::NewObjects => {
            during_apply(ActionReason::ReadBecauseDependencyPending)
        }
        PendingDependency::Waited => DataRead::NowAndConfirm,
        PendingDependency::None => DataRead::Now,
    }
}

/// The change of a data source read while planning that apply reads again to confirm.
pub(crate) fn confirm_read() -> Decision {
    Decision::new(Action::Read, Some(ActionReason::ReadToConfirm), Lifecycle::default())
}

/// A data source whose plan-time read (of [`DataRead::NowAndConfirm`]) failed: read during
/// apply only, as Terraform does, once what it depends on is applied.
pub(crate) fn confirm_failed() -> Decision {
    Decision::new(Action::Read, Some(ActionReason::ReadBecauseDependencyPending), Lifecycle::default())
}

#[cfg(test)]
mod tests;
