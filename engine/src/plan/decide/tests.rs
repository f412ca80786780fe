use super::*;
use crate::plan::{Action, ActionReason};
use crate::value::Type;

fn obj(name: &str) -> Value {
    Value::object([("name".to_string(), Value::string(name))])
}

const NO_FLAGS: Flags = Flags { replace_requested: false, tainted: false, triggered: false };
const REQUESTED: Flags = Flags { replace_requested: true, ..NO_FLAGS };
const TAINTED: Flags = Flags { tainted: true, ..NO_FLAGS };
const TRIGGERED: Flags = Flags { triggered: true, ..NO_FLAGS };
const PLAIN: Lifecycle = Lifecycle { create_before_destroy: false, prevent_destroy: false };
const CBD: Lifecycle = Lifecycle { create_before_destroy: true, prevent_destroy: false };
const PREVENT: Lifecycle = Lifecycle { create_before_destroy: false, prevent_destroy: true };

/// One row of the decision table for a managed instance with configuration.
struct Row {
    name: &'static str,
    prior: Option<&'static str>,
    planned: &'static str,
    replace: bool,
    lifecycle: Lifecycle,
    flags: Flags,
    action: Action,
    reason: Option<ActionReason>,
    prevented: bool,
}

const fn row(name: &'static str, prior: Option<&'static str>, planned: &'static str, replace: bool) -> Row {
    Row {
        name,
        prior,
        planned,
        replace,
        lifecycle: PLAIN,
        flags: NO_FLAGS,
        action: Action::NoOp,
        reason: None,
        prevented: false,
    }
}

const fn expect(mut r: Row, action: Action, reason: Option<ActionReason>) -> Row {
    r.action = action;
    r.reason = reason;
    r
}

const fn with(mut r: Row, lifecycle: Lifecycle, flags: Flags) -> Row {
    r.lifecycle = lifecycle;
    r.flags = flags;
    r
}

const fn prevented(mut r: Row) -> Row {
    r.prevented = true;
    r
}

use Action::{Create, CreateThenDelete, DeleteThenCreate, NoOp, Update};
use ActionReason::{ReplaceBecauseCannotUpdate, ReplaceBecauseTainted, ReplaceByRequest, ReplaceByTriggers};

const ROWS: &[Row] = &[
    expect(row("no prior object: create", None, "a", false), Create, None),
    expect(with(row("no prior object, even when asked to replace", None, "a", false), PLAIN, REQUESTED), Create, None),
    expect(with(row("no prior object, even if tainted", None, "a", false), PLAIN, TAINTED), Create, None),
    expect(
        with(row("no prior object, prevent_destroy allows the create", None, "a", false), PREVENT, NO_FLAGS),
        Create,
        None,
    ),
    expect(row("plan equals prior: no-op", Some("a"), "a", false), NoOp, None),
    expect(row("plan differs: update in place", Some("a"), "b", false), Update, None),
    expect(
        with(row("update under prevent_destroy is allowed", Some("a"), "b", false), PREVENT, NO_FLAGS),
        Update,
        None,
    ),
    expect(
        row("a change that cannot be made in place", Some("a"), "b", true),
        DeleteThenCreate,
        Some(ReplaceBecauseCannotUpdate),
    ),
    expect(
        with(row("... under create_before_destroy", Some("a"), "b", true), CBD, NO_FLAGS),
        CreateThenDelete,
        Some(ReplaceBecauseCannotUpdate),
    ),
    prevented(expect(
        with(row("... under prevent_destroy", Some("a"), "b", true), PREVENT, NO_FLAGS),
        DeleteThenCreate,
        Some(ReplaceBecauseCannotUpdate),
    )),
    expect(
        with(row("--replace of an unchanged object", Some("a"), "a", false), PLAIN, REQUESTED),
        DeleteThenCreate,
        Some(ReplaceByRequest),
    ),
    expect(
        with(row("--replace wins over replace paths", Some("a"), "b", true), PLAIN, REQUESTED),
        DeleteThenCreate,
        Some(ReplaceByRequest),
    ),
    expect(
        with(row("--replace wins over tainted", Some("a"), "a", false), PLAIN, Flags { tainted: true, ..REQUESTED }),
        DeleteThenCreate,
        Some(ReplaceByRequest),
    ),
    expect(
        with(row("--replace under create_before_destroy", Some("a"), "a", false), CBD, REQUESTED),
        CreateThenDelete,
        Some(ReplaceByRequest),
    ),
    expect(
        with(row("tainted object", Some("a"), "a", false), PLAIN, TAINTED),
        DeleteThenCreate,
        Some(ReplaceBecauseTainted),
    ),
    expect(
        with(row("tainted wins over replace paths", Some("a"), "b", true), PLAIN, TAINTED),
        DeleteThenCreate,
        Some(ReplaceBecauseTainted),
    ),
    expect(
        with(row("replace paths win over triggers", Some("a"), "b", true), PLAIN, TRIGGERED),
        DeleteThenCreate,
        Some(ReplaceBecauseCannotUpdate),
    ),
    expect(
        with(row("replace_triggered_by fired", Some("a"), "a", false), PLAIN, TRIGGERED),
        DeleteThenCreate,
        Some(ReplaceByTriggers),
    ),
    expect(
        with(row("... under create_before_destroy", Some("a"), "b", false), CBD, TRIGGERED),
        CreateThenDelete,
        Some(ReplaceByTriggers),
    ),
    expect(with(row("create_before_destroy alone changes nothing", Some("a"), "a", false), CBD, NO_FLAGS), NoOp, None),
];

#[test]
fn managed_instances_follow_the_decision_table() {
    for r in ROWS {
        let prior = r.prior.map(obj);
        let planned = obj(r.planned);
        let paths = if r.replace { vec![Path::attr("name")] } else { Vec::new() };
        let decision = managed(Facts {
            refreshed: prior.as_ref(),
            planned: &planned,
            replace_paths: &paths,
            lifecycle: r.lifecycle,
            flags: r.flags,
        });
        assert_eq!(decision.action, r.action, "{}", r.name);
        assert_eq!(decision.reason, r.reason, "{}", r.name);
        assert_eq!(decision.prevented, r.prevented, "{}", r.name);
        assert_eq!(decision.create_before_destroy, r.lifecycle.create_before_destroy, "{}", r.name);
        assert_eq!(decision.plans_create(), r.action.is_replace(), "{}", r.name);
        assert_eq!(decision.cannot_update(), r.reason == Some(ReplaceBecauseCannotUpdate), "{}", r.name);
    }
}

#[test]
fn a_plan_that_only_marks_differently_is_no_change() {
    let prior = obj("a");
    let planned = obj("a").marked_if(true);
    let decision = managed(Facts {
        refreshed: Some(&prior),
        planned: &planned,
        replace_paths: &[],
        lifecycle: PLAIN,
        flags: NO_FLAGS,
    });
    assert_eq!(decision.action, NoOp);
}

#[test]
fn an_unknown_planned_value_is_an_update() {
    let prior = obj("a");
    let planned = Value::object([("name".to_string(), Value::Unknown(Type::String))]);
    let decision = managed(Facts {
        refreshed: Some(&prior),
        planned: &planned,
        replace_paths: &[],
        lifecycle: PLAIN,
        flags: NO_FLAGS,
    });
    assert_eq!(decision.action, Update);
}

#[test]
fn deletions_give_terraforms_reasons() {
    let count = Expansion::Count(2);
    let for_each = Expansion::ForEach(vec!["a".to_string()]);
    let single = Expansion::Single;
    let int = InstanceKey::Int(3);
    let string = InstanceKey::Str("b".to_string());
    let none = InstanceKey::None;
    let rows: &[(Orphan<'_>, Option<ActionReason>)] = &[
        (Orphan::Destroy, None),
        (Orphan::NotExpanded { expansion: &count, key: &int }, Some(ActionReason::DeleteBecauseCountIndex)),
        (Orphan::NotExpanded { expansion: &for_each, key: &string }, Some(ActionReason::DeleteBecauseEachKey)),
        (Orphan::NotExpanded { expansion: &single, key: &int }, Some(ActionReason::DeleteBecauseWrongRepetition)),
        (Orphan::NotExpanded { expansion: &count, key: &string }, Some(ActionReason::DeleteBecauseWrongRepetition)),
        (Orphan::NotExpanded { expansion: &for_each, key: &none }, Some(ActionReason::DeleteBecauseWrongRepetition)),
        (Orphan::NoResourceConfig, Some(ActionReason::DeleteBecauseNoResourceConfig)),
        (Orphan::NoModule, Some(ActionReason::DeleteBecauseNoModule)),
    ];
    for (orphan, reason) in rows {
        let decision = delete(*orphan, false, PLAIN);
        assert_eq!(
            (decision.action, decision.reason, decision.prevented),
            (Action::Delete, *reason, false),
            "{orphan:?}"
        );
        // A destroy plan gives no reasons.
        assert_eq!(delete(*orphan, true, PLAIN).reason, None, "{orphan:?}");
    }
}

#[test]
fn prevent_destroy_forbids_deletions_and_the_state_records_create_before_destroy() {
    let decision = delete(Orphan::Destroy, true, PREVENT);
    assert!(decision.prevented);
    let decision = delete(Orphan::NoResourceConfig, false, CBD);
    assert!(!decision.prevented && decision.create_before_destroy);
    assert!(!decision.plans_create());
}

#[test]
fn deposed_objects_are_deleted_without_reason() {
    let decision = delete_deposed();
    assert_eq!((decision.action, decision.reason), (Action::Delete, None));
    assert!(decision.create_before_destroy && !decision.prevented);
}

/// One row of the table of data source reads.
struct ReadRow {
    name: &'static str,
    config_known: bool,
    pending: PendingDependency,
    expected: DataRead,
}

const fn during_apply(reason: ActionReason) -> DataRead {
    DataRead::DuringApply(Decision {
        action: Action::Read,
        reason: Some(reason),
        create_before_destroy: false,
        prevented: false,
    })
}

const READS: &[ReadRow] = &[
    ReadRow {
        name: "known, nothing pending: read now",
        config_known: true,
        pending: PendingDependency::None,
        expected: DataRead::Now,
    },
    ReadRow {
        name: "known, waits for a pending change: read now and confirm during apply",
        config_known: true,
        pending: PendingDependency::Waited,
        expected: DataRead::NowAndConfirm,
    },
    ReadRow {
        name: "known, reads back a resource with a pending change: during apply, as Terraform",
        config_known: true,
        pending: PendingDependency::ReadsBack,
        expected: during_apply(ActionReason::ReadBecauseDependencyPending),
    },
    ReadRow {
        name: "known, waits for a create or a replacement: during apply, as Terraform",
        config_known: true,
        pending: PendingDependency::NewObjects,
        expected: during_apply(ActionReason::ReadBecauseDependencyPending),
    },
    ReadRow {
        name: "unknown config, waits for a create: during apply, for the config",
        config_known: false,
        pending: PendingDependency::NewObjects,
        expected: during_apply(ActionReason::ReadBecauseConfigUnknown),
    },
    ReadRow {
        name: "unknown config: during apply",
        config_known: false,
        pending: PendingDependency::None,
        expected: during_apply(ActionReason::ReadBecauseConfigUnknown),
    },
    ReadRow {
        name: "unknown config, waits for a pending change: during apply, for the config",
        config_known: false,
        pending: PendingDependency::Waited,
        expected: during_apply(ActionReason::ReadBecauseConfigUnknown),
    },
    ReadRow {
        name: "unknown config, names a pending resource: during apply, for the config",
        config_known: false,
        pending: PendingDependency::ReadsBack,
        expected: during_apply(ActionReason::ReadBecauseConfigUnknown),
    },
];

#[test]
fn data_source_reads() {
    for row in READS {
        assert_eq!(read(row.config_known, row.pending), row.expected, "{}", row.name);
    }
}

#[test]
fn a_read_to_confirm_is_a_read_whose_failure_defers_it() {
    let confirm = confirm_read();
    assert_eq!((confirm.action, confirm.reason), (Action::Read, Some(ActionReason::ReadToConfirm)));
    let failed = confirm_failed();
    assert_eq!((failed.action, failed.reason), (Action::Read, Some(ActionReason::ReadBecauseDependencyPending)));
    assert!(!confirm.prevented && !failed.prevented && !confirm.create_before_destroy);
}
