//! Plans: what will change, per resource instance, and why. `planner` makes a plan from
//! configuration, state and providers, and `decide` is the one place that chooses each
//! instance's action; `format` holds the saved-plan file and the JSON output (versioned,
//! separate from these in-memory types).

mod authz;
mod cbd;
mod check;
mod console;
mod data;
mod data_uses;
mod decide;
mod deferred;
mod deletes;
mod destroy;
pub mod format;
mod generate;
mod identity;
mod import;
mod instances;
mod locate;
mod managed;
mod moved;
mod orphans;
mod parallel;
mod planner;
mod recovery;
mod refresh_only;
mod removed;
mod targeting;
mod values;
mod variables;
mod write_only_vars;

pub use console::{ConsoleInput, evaluate_for_console};
pub(crate) use data_uses::used_attributes;
pub use generate::{GENERATED_HEADER, Generated};
pub use import::imported_instances;
pub(crate) use locate::locate;
pub use planner::{PlanInput, PlanOutcome, plan, resource_dependencies};
pub use refresh_only::{refreshed_outputs, refreshed_state};
pub use values::decode_state as decode_state_value;
pub use variables::{InputValue, InputValues, RawInput, supply_write_only_variables};
pub use write_only_vars::{variable_digest, write_only_variables};

use std::collections::BTreeMap;

use crate::addr::{AbsResourceInstance, Target};
use crate::value::{Path, Value};

/// What a change does to an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    NoOp,
    Create,
    Read,
    Update,
    /// Replace: delete the old object, then create the new one.
    DeleteThenCreate,
    /// Replace under `create_before_destroy`.
    CreateThenDelete,
    Delete,
    /// Drop the instance from state and leave the object alone (`removed` with
    /// `lifecycle { destroy = false }`).
    Forget,
}

impl Action {
    /// Terraform's JSON form: `["delete","create"]`.
    pub fn json_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Read => &["read"],
            Action::Update => &["update"],
            Action::DeleteThenCreate => &["delete", "create"],
            Action::CreateThenDelete => &["create", "delete"],
            Action::Delete => &["delete"],
            Action::Forget => &["forget"],
        }
    }

    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }

    /// Whether applying it calls the provider.
    pub fn is_change(self) -> bool {
        !matches!(self, Action::NoOp | Action::Read)
    }
}

/// Why an action was chosen, where it is not obvious (Terraform's `action_reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionReason {
    ReplaceBecauseCannotUpdate,
    ReplaceBecauseTainted,
    ReplaceByRequest,
    ReplaceByTriggers,
    DeleteBecauseNoResourceConfig,
    DeleteBecauseCountIndex,
    DeleteBecauseEachKey,
    DeleteBecauseWrongRepetition,
    DeleteBecauseNoModule,
    ReadBecauseConfigUnknown,
    ReadBecauseDependencyPending,
    /// Read while planning although a dependency has pending changes (its configuration is
    /// known), and read again during apply: a different result stops the data source's
    /// dependents ("data changed since the plan").
    ReadToConfirm,
}

impl ActionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionReason::ReplaceBecauseCannotUpdate => "replace_because_cannot_update",
            ActionReason::ReplaceBecauseTainted => "replace_because_tainted",
            ActionReason::ReplaceByRequest => "replace_by_request",
            ActionReason::ReplaceByTriggers => "replace_by_triggers",
            ActionReason::DeleteBecauseNoResourceConfig => "delete_because_no_resource_config",
            ActionReason::DeleteBecauseCountIndex => "delete_because_count_index",
            ActionReason::DeleteBecauseEachKey => "delete_because_each_key",
            ActionReason::DeleteBecauseWrongRepetition => "delete_because_wrong_repetition",
            ActionReason::DeleteBecauseNoModule => "delete_because_no_module",
            ActionReason::ReadBecauseConfigUnknown => "read_because_config_unknown",
            ActionReason::ReadBecauseDependencyPending => "read_because_dependency_pending",
            ActionReason::ReadToConfirm => "read_to_confirm",
        }
    }

    pub fn parse(text: &str) -> Option<ActionReason> {
        [
            ActionReason::ReplaceBecauseCannotUpdate,
            ActionReason::ReplaceBecauseTainted,
            ActionReason::ReplaceByRequest,
            ActionReason::ReplaceByTriggers,
            ActionReason::DeleteBecauseNoResourceConfig,
            ActionReason::DeleteBecauseCountIndex,
            ActionReason::DeleteBecauseEachKey,
            ActionReason::DeleteBecauseWrongRepetition,
            ActionReason::DeleteBecauseNoModule,
            ActionReason::ReadBecauseConfigUnknown,
            ActionReason::ReadBecauseDependencyPending,
            ActionReason::ReadToConfirm,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}

/// The planned change of one resource instance.
#[derive(Clone, Debug)]
pub struct ResourceChange {
    pub addr: AbsResourceInstance,
    /// The provider configuration key, as recorded in state.
    pub provider: String,
    pub type_name: String,
    pub action: Action,
    pub reason: Option<ActionReason>,
    /// The prior (refreshed) state; `None` for a create, and for a no-op whose prior
    /// state is its planned state, marks and all (the two are not held twice: a plan of a
    /// hundred thousand unchanged objects held a hundred megabytes of copies). Read it
    /// through [`ResourceChange::before`], which answers for both.
    pub before: Option<Value>,
    /// The planned state, with unknowns; `None` for a delete. Sensitive attributes carry
    /// the sensitive mark.
    pub after: Option<Value>,
    /// Attribute paths whose change forces the replacement.
    pub replace_paths: Vec<Path>,
    pub create_before_destroy: bool,
    pub private: Option<Vec<u8>>,
    /// For the deletion of an object left over by an interrupted replacement (Terraform's
    /// "deposed" object): the intent that records it. The current object at `addr`, if any,
    /// has a change of its own.
    pub deposed: Option<uuid::Uuid>,
    /// Resources this instance depends on (nearest ones), recorded in state when applied.
    pub dependencies: Vec<String>,
}

/// Equal when they say the same, however the prior state is held. (Every field is named,
/// so a new one cannot be left out of the comparison.)
impl PartialEq for ResourceChange {
    fn eq(&self, other: &Self) -> bool {
        let ResourceChange {
            addr,
            provider,
            type_name,
            action,
            reason,
            before: _,
            after,
            replace_paths,
            create_before_destroy,
            private,
            deposed,
            dependencies,
        } = self;
        *addr == other.addr
            && *provider == other.provider
            && *type_name == other.type_name
            && *action == other.action
            && *reason == other.reason
            && self.before() == other.before()
            && *after == other.after
            && *replace_paths == other.replace_paths
            && *create_before_destroy == other.create_before_destroy
            && *private == other.private
            && *deposed == other.deposed
            && *dependencies == other.dependencies
    }
}

impl ResourceChange {
    /// The prior (refreshed) state; `None` for a create.
    pub fn before(&self) -> Option<&Value> {
        match (&self.before, self.action) {
            (None, Action::NoOp) => self.after.as_ref(),
            (before, _) => before.as_ref(),
        }
    }
}

/// Why an object is deferred to a later round (Terraform 1.9+'s `deferred_changes[].reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeferredReason {
    /// Its own `count`/`for_each` is known only after apply.
    InstanceCountUnknown,
    /// It depends on a deferred object.
    DeferredPrereq,
}

impl DeferredReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DeferredReason::InstanceCountUnknown => "instance_count_unknown",
            DeferredReason::DeferredPrereq => "deferred_prereq",
        }
    }

    pub fn parse(text: &str) -> Option<DeferredReason> {
        [DeferredReason::InstanceCountUnknown, DeferredReason::DeferredPrereq].into_iter().find(|r| r.as_str() == text)
    }
}

/// An object the plan leaves to a later round: it plans no instances now, the instances
/// state already has are left alone, and nothing is applied for it this round.
#[derive(Clone, Debug, PartialEq)]
pub struct DeferredChange {
    /// `kmr_cluster.c`, `module.m["a"].testing_thing.t`, `module.m` (a module call),
    /// `output.ids`. A resource deferred only because of what it depends on is named by its
    /// static address (`module.m.testing_thing.t`), which covers all its module instances.
    pub address: String,
    /// The module (instance or static path) text, empty for the root module.
    pub module: String,
    /// The resource, when the object is one.
    pub resource: Option<crate::addr::ResourceAddr>,
    pub reason: DeferredReason,
    /// What the user reads: `for_each depends on kmr_cluster.c, known after apply`, or
    /// `depends on deferred testing_thing.t`.
    pub detail: String,
    /// Instances state already has, left as they are this round.
    pub existing: Vec<AbsResourceInstance>,
}

/// The planned change of an output of the root module.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputChange {
    pub name: String,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

/// What a plan was made from, so a saved plan is refused once it is stale.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanBasis {
    pub workspace: String,
    pub state_lineage: uuid::Uuid,
    pub state_serial: u64,
    pub config_hash: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct PlanOptions {
    pub destroy: bool,
    pub refresh: bool,
    pub targets: Vec<Target>,
    /// `-exclude` (OpenTofu's): these, and everything that depends on them (in destroy
    /// mode: everything they depend on), are left as they are.
    pub excludes: Vec<Target>,
    pub replace: Vec<AbsResourceInstance>,
    /// Imports whose resource has no configuration are planned and their configuration
    /// generated (`-generate-config-out`), instead of being errors. Not kept in plan files.
    pub generate_config: bool,
    /// `-refresh-only`: the plan only brings state up to date with the remote objects (its
    /// `drift`); it changes nothing, and applying it writes the refreshed objects to state.
    pub refresh_only: bool,
    /// `--skip-authz-check`: no plan-time authorization (the `authz` step). Not kept in plan
    /// files: the check belongs to the plan, not to its apply.
    pub skip_authz_check: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub basis: PlanBasis,
    pub options: PlanOptions,
    /// When the plan was made, RFC 3339 in UTC: what `plantimestamp()` gives during the plan
    /// and its apply. `None` in a plan file written before Corral recorded it.
    pub timestamp: Option<String>,
    /// Root variable values the plan was made with (apply uses the same).
    pub variables: BTreeMap<String, Value>,
    /// The root variables that feed write-only attributes, with the keyed digest of each
    /// one's value ([`variable_digest`]). Their values are secrets: a saved plan leaves them
    /// out of `variables` and apply takes them again from the usual sources, refusing a value
    /// whose digest differs ([`supply_write_only_variables`]); `--json` never shows them.
    pub write_only_variables: BTreeMap<String, String>,
    /// Instances the plan imports (`import` blocks), with the id each is imported by; each
    /// also has its change (a no-op, or the update the configuration asks for).
    pub imports: BTreeMap<AbsResourceInstance, String>,
    /// Every instance the plan looked at, including no-ops, in address order.
    pub changes: Vec<ResourceChange>,
    pub output_changes: Vec<OutputChange>,
    /// Drift found by refresh: instances whose remote object changed or vanished.
    pub drift: Vec<ResourceChange>,
    /// Results of `check` blocks (failures are warnings, never errors).
    pub checks: Vec<crate::runtime::CheckResult>,
    /// Objects left to a later round (`count`/`for_each` known only after apply, and what
    /// depends on them), in address order.
    pub deferred: Vec<DeferredChange>,
}

impl Plan {
    /// Whether applying it would change anything.
    pub fn has_changes(&self) -> bool {
        if self.options.refresh_only {
            return !self.drift.is_empty();
        }
        !self.imports.is_empty()
            || self.changes.iter().any(|c| c.action.is_change())
            || self.output_changes.iter().any(|o| o.action != Action::NoOp)
    }

    /// Whether the plan leaves work to a later round.
    pub fn has_deferred(&self) -> bool {
        !self.deferred.is_empty()
    }

    /// Whether the deferred list names `address` (a resource's static or module-instance
    /// address, a module call, `output.NAME`).
    pub fn is_deferred(&self, address: &str) -> bool {
        self.deferred.iter().any(|d| d.address == address)
    }

    /// The id an instance is imported by, when the plan imports it.
    pub fn importing(&self, addr: &AbsResourceInstance) -> Option<&str> {
        self.imports.get(addr).map(String::as_str)
    }

    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }
}
