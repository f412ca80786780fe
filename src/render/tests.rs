use corral_engine::addr::AbsResourceInstance;
use corral_engine::plan::{Action, ActionReason, OutputChange, Plan, PlanBasis, PlanOptions, ResourceChange};
use corral_engine::value::{Number, Path, Type, Value};

use super::*;

fn obj(attrs: &[(&str, Value)]) -> Value {
    Value::object(attrs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn s(text: &str) -> Value {
    Value::string(text)
}

fn strings(items: &[&str]) -> Value {
    Value::List(Type::String, items.iter().map(|i| s(i)).collect())
}

fn tags(entries: &[(&str, &str)]) -> Value {
    Value::Map(Type::String, entries.iter().map(|(k, v)| (k.to_string(), s(v))).collect())
}

fn change(addr: &str, action: Action, before: Option<Value>, after: Option<Value>) -> ResourceChange {
    let addr: AbsResourceInstance = addr.parse().unwrap();
    ResourceChange {
        provider: "testing".to_string(),
        type_name: addr.resource.type_name.clone(),
        addr,
        action,
        reason: None,
        before,
        after,
        replace_paths: Vec::new(),
        create_before_destroy: action == Action::CreateThenDelete,
        private: None,
        deposed: None,
        dependencies: Vec::new(),
    }
}

fn plan(changes: Vec<ResourceChange>, output_changes: Vec<OutputChange>) -> Plan {
    Plan {
        basis: PlanBasis {
            workspace: "default".to_string(),
            state_lineage: Default::default(),
            state_serial: 1,
            config_hash: String::new(),
        },
        options: PlanOptions::default(),
        timestamp: None,
        variables: Default::default(),
        write_only_variables: Default::default(),
        imports: Default::default(),
        changes,
        output_changes,
        drift: Vec::new(),
        checks: Vec::new(),
        deferred: Vec::new(),
    }
}

fn thing(id: Value, name: &str, payload: &str) -> Value {
    obj(&[
        ("id", id),
        ("name", s(name)),
        ("payload", s(payload)),
        ("delay_ms", Value::Null(Type::Number)),
        ("secret", Value::Null(Type::String)),
    ])
}

#[test]
fn create_shows_every_set_attribute_and_unknowns() {
    let after = obj(&[
        ("id", Value::Unknown(Type::String)),
        ("name", s("a")),
        ("payload", Value::Null(Type::String)),
        ("delay_ms", Value::int(20)),
        ("fail", Value::Bool(false)),
        ("tags", tags(&[("env", "dev"), ("team", "data")])),
        ("secret", s("hunter2").mark_sensitive()),
        ("ports", Value::List(Type::Number, vec![Value::int(80), Value::int(443)])),
        ("empty", Value::List(Type::String, vec![])),
        ("config", obj(&[("size", Value::Number(Number::from_f64(1.5))), ("mode", s("fast"))])),
    ]);
    let p = plan(vec![change("testing_thing.a", Action::Create, None, Some(after))], vec![]);
    insta::assert_snapshot!(render_plan(&p, false));
}

#[test]
fn update_shows_changed_attributes_and_counts_the_rest() {
    let before = obj(&[
        ("id", s("i-1")),
        ("name", s("a")),
        ("payload", s("old")),
        ("size", Value::int(3)),
        ("note", s("gone soon")),
        ("extra", Value::Null(Type::String)),
        ("zone", s("z1")),
        ("tags", tags(&[("env", "dev"), ("team", "data"), ("tier", "1")])),
        ("list", strings(&["a", "b", "c", "d"])),
        (
            "rules",
            Value::List(
                Type::Dynamic,
                vec![
                    obj(&[("port", Value::int(80)), ("cidr", s("0.0.0.0/0"))]),
                    obj(&[("port", Value::int(22)), ("cidr", s("10.0.0.0/8"))]),
                ],
            ),
        ),
    ]);
    let after = obj(&[
        ("id", s("i-1")),
        ("name", s("a")),
        ("payload", s("new")),
        ("size", Value::int(5)),
        ("note", Value::Null(Type::String)),
        ("extra", s("added")),
        ("zone", s("z1")),
        ("tags", tags(&[("env", "prod"), ("team", "data"), ("owner", "me")])),
        ("list", strings(&["a", "c", "d", "e"])),
        (
            "rules",
            Value::List(
                Type::Dynamic,
                vec![
                    obj(&[("port", Value::int(80)), ("cidr", s("0.0.0.0/0"))]),
                    obj(&[("port", Value::int(2222)), ("cidr", s("10.0.0.0/8"))]),
                ],
            ),
        ),
    ]);
    let p = plan(vec![change("testing_thing.a", Action::Update, Some(before), Some(after))], vec![]);
    insta::assert_snapshot!(render_plan(&p, false));
}

#[test]
fn replacement_marks_the_attributes_that_force_it() {
    let mut replaced = change(
        "module.net[\"eu\"].testing_thing.b[0]",
        Action::DeleteThenCreate,
        Some(thing(s("i-1"), "old-name", "p")),
        Some(thing(Value::Unknown(Type::String), "new-name", "p")),
    );
    replaced.reason = Some(ActionReason::ReplaceBecauseCannotUpdate);
    replaced.replace_paths = vec![Path::attr("name")];
    let mut cbd = change(
        "corral_data.c",
        Action::CreateThenDelete,
        Some(obj(&[
            ("id", s("u-1")),
            ("input", s("x")),
            ("output", s("x")),
            ("triggers_replace", tags(&[("version", "1")])),
        ])),
        Some(obj(&[
            ("id", Value::Unknown(Type::String)),
            ("input", s("x")),
            ("output", Value::Unknown(Type::String)),
            ("triggers_replace", tags(&[("version", "2")])),
        ])),
    );
    cbd.reason = Some(ActionReason::ReplaceByTriggers);
    cbd.replace_paths = vec![Path::attr("triggers_replace")];
    let mut requested = change(
        "testing_thing.r",
        Action::DeleteThenCreate,
        Some(thing(s("i-9"), "r", "p")),
        Some(thing(Value::Unknown(Type::String), "r", "p")),
    );
    requested.reason = Some(ActionReason::ReplaceByRequest);
    let p = plan(vec![cbd, replaced, requested], vec![]);
    insta::assert_snapshot!(render_plan(&p, false));
}

#[test]
fn deletes_say_why() {
    let mut gone = change(
        "testing_thing.gone",
        Action::Delete,
        Some(obj(&[
            ("id", s("i-1")),
            ("name", s("gone")),
            ("tags", tags(&[("env", "dev")])),
            ("secret", s("x").mark_sensitive()),
        ])),
        None,
    );
    gone.reason = Some(ActionReason::DeleteBecauseNoResourceConfig);
    let mut counted = change("testing_thing.many[3]", Action::Delete, Some(thing(s("i-3"), "m3", "p")), None);
    counted.reason = Some(ActionReason::DeleteBecauseCountIndex);
    let mut keyed = change("testing_thing.each[\"b\"]", Action::Delete, Some(thing(s("i-b"), "b", "p")), None);
    keyed.reason = Some(ActionReason::DeleteBecauseEachKey);
    let mut module = change("module.old.testing_thing.x", Action::Delete, Some(thing(s("i-x"), "x", "p")), None);
    module.reason = Some(ActionReason::DeleteBecauseNoModule);
    let p = plan(vec![counted, keyed, gone, module], vec![]);
    insta::assert_snapshot!(render_plan(&p, false));
}

#[test]
fn reads_sensitive_values_and_unknown_containers() {
    let mut read = change(
        "data.testing_thing.lookup",
        Action::Read,
        None,
        Some(obj(&[("id", Value::Unknown(Type::String)), ("name", s("a"))])),
    );
    read.reason = Some(ActionReason::ReadBecauseConfigUnknown);
    let update = change(
        "testing_thing.s",
        Action::Update,
        Some(obj(&[
            ("id", s("i-1")),
            ("secret", s("old").mark_sensitive()),
            ("tags", tags(&[("a", "1")])),
            ("list", strings(&["x", "y"])),
            ("nested", obj(&[("inner", obj(&[("deep", Value::int(1)), ("same", Value::Bool(true))]))])),
        ])),
        Some(obj(&[
            ("id", s("i-1")),
            ("secret", s("new").mark_sensitive()),
            ("tags", Value::Unknown(Type::map(Type::String))),
            ("list", Value::Unknown(Type::list(Type::String))),
            ("nested", obj(&[("inner", obj(&[("deep", Value::int(2)), ("same", Value::Bool(true))]))])),
        ])),
    );
    let p = plan(vec![read, update], vec![]);
    insta::assert_snapshot!(render_plan(&p, false));
}

/// A data source read while planning and again during apply, to confirm: its block shows
/// the value read, and it is no change in the summary.
#[test]
fn a_read_to_confirm_shows_the_value_read() {
    let mut read =
        change("data.testing_thing.group", Action::Read, None, Some(obj(&[("id", s("sg-1")), ("name", s("KSCKMR"))])));
    read.reason = Some(ActionReason::ReadToConfirm);
    let update = change(
        "testing_thing.cluster",
        Action::Update,
        Some(obj(&[("id", s("i-1")), ("payload", s("3"))])),
        Some(obj(&[("id", s("i-1")), ("payload", s("5"))])),
    );
    let p = plan(vec![read, update], vec![]);
    let text = render_plan(&p, false);
    assert!(text.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn multi_line_strings_are_diffed_by_line() {
    let before = obj(&[("id", s("i-1")), ("policy", s("line one\nline two\nline three\n"))]);
    let after = obj(&[("id", s("i-1")), ("policy", s("line one\nline 2\nline three\nline four\n"))]);
    let created = obj(&[("id", Value::Unknown(Type::String)), ("script", s("#!/bin/sh\necho hi\n"))]);
    let p = plan(
        vec![
            change("testing_thing.doc", Action::Update, Some(before), Some(after)),
            change("testing_thing.new", Action::Create, None, Some(created)),
        ],
        vec![],
    );
    insta::assert_snapshot!(render_plan(&p, false));
}

#[test]
fn outputs_follow_the_summary() {
    let p = plan(
        vec![change("testing_thing.a", Action::Create, None, Some(thing(Value::Unknown(Type::String), "a", "p")))],
        vec![
            OutputChange {
                name: "id".to_string(),
                action: Action::Create,
                before: None,
                after: Some(Value::Unknown(Type::String)),
                sensitive: false,
            },
            OutputChange {
                name: "greeting".to_string(),
                action: Action::Update,
                before: Some(s("hello")),
                after: Some(s("hi")),
                sensitive: false,
            },
            OutputChange {
                name: "password".to_string(),
                action: Action::Update,
                before: Some(s("a")),
                after: Some(s("b")),
                sensitive: true,
            },
            OutputChange {
                name: "old".to_string(),
                action: Action::Delete,
                before: Some(s("x")),
                after: None,
                sensitive: false,
            },
            OutputChange {
                name: "same".to_string(),
                action: Action::NoOp,
                before: Some(s("x")),
                after: Some(s("x")),
                sensitive: false,
            },
        ],
    );
    insta::assert_snapshot!(render_plan(&p, false));
}

#[test]
fn no_changes_and_output_only_plans() {
    let unchanged = thing(s("i-1"), "a", "p");
    let mut p = plan(vec![change("testing_thing.a", Action::NoOp, Some(unchanged.clone()), Some(unchanged))], vec![]);
    let no_changes = render_plan(&p, false);
    p.output_changes.push(OutputChange {
        name: "greeting".to_string(),
        action: Action::Create,
        before: None,
        after: Some(s("hi")),
        sensitive: false,
    });
    let outputs_only = render_plan(&p, false);
    insta::assert_snapshot!(format!("{no_changes}\n=====\n\n{outputs_only}"));
}

#[test]
fn drift_comes_first_as_a_note() {
    let mut p = plan(
        vec![change(
            "testing_thing.a",
            Action::Update,
            Some(thing(s("i-1"), "a", "edited")),
            Some(thing(s("i-1"), "a", "p")),
        )],
        vec![],
    );
    p.drift = vec![
        change(
            "testing_thing.a",
            Action::Update,
            Some(thing(s("i-1"), "a", "p")),
            Some(thing(s("i-1"), "a", "edited")),
        ),
        change("testing_thing.b", Action::Delete, Some(thing(s("i-2"), "b", "p")), None),
    ];
    insta::assert_snapshot!(render_plan(&p, false));
}

#[test]
fn colour_is_added_only_when_asked() {
    let before = obj(&[("id", s("i-1")), ("size", Value::int(3))]);
    let after = obj(&[("id", s("i-1")), ("size", Value::int(5))]);
    let mut replaced = change(
        "testing_thing.r",
        Action::DeleteThenCreate,
        Some(thing(s("i-9"), "r", "p")),
        Some(thing(Value::Unknown(Type::String), "r2", "p")),
    );
    replaced.replace_paths = vec![Path::attr("name")];
    let p = plan(vec![change("testing_thing.a", Action::Update, Some(before), Some(after)), replaced], vec![]);
    let plain = render_plan(&p, false);
    assert!(!plain.contains('\x1b'));
    let coloured = render_plan(&p, true);
    insta::assert_snapshot!(coloured.replace('\x1b', "\\e"));
    // Removing the escapes gives the plain text back.
    let stripped = regex_free_strip(&coloured);
    assert_eq!(stripped, plain);
}

fn regex_free_strip(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn summaries() {
    let applied = Applied { added: 1, changed: 2, destroyed: 3, ..Applied::default() };
    assert_eq!(render_apply_summary(applied, false), "Apply complete! Resources: 1 added, 2 changed, 3 destroyed.\n");
    let applied = Applied { imported: 2, forgotten: 1, ..Applied::default() };
    assert_eq!(
        render_apply_summary(applied, false),
        "Apply complete! Resources: 2 imported, 0 added, 0 changed, 0 destroyed, 1 forgotten.\n"
    );
    assert_eq!(render_destroy_summary(2, false), "Destroy complete! Resources: 2 destroyed.\n");
}

#[test]
fn imports_and_forgotten_objects_read_as_terraform_words_them() {
    let object = thing(s("t-1"), "a", "p");
    let mut p = plan(
        vec![
            change("testing_thing.a", Action::NoOp, Some(object.clone()), Some(object.clone())),
            change("testing_thing.b", Action::Update, Some(object.clone()), Some(thing(s("t-1"), "a", "q"))),
            change("testing_thing.c", Action::Forget, Some(object), None),
        ],
        vec![],
    );
    p.imports = [
        ("testing_thing.a".parse().unwrap(), "t-1".to_string()),
        ("testing_thing.b".parse().unwrap(), "t-2".to_string()),
    ]
    .into();
    let out = render_plan(&p, false);
    assert!(out.contains("  # testing_thing.a will be imported\n    resource \"testing_thing\" \"a\" {\n"), "{out}");
    assert!(
        out.contains("  # testing_thing.b will be updated in-place\n  # (imported from \"t-2\")\n  ~ resource"),
        "{out}"
    );
    assert!(out.contains("  # testing_thing.c will no longer be managed by Corral\n"), "{out}");
    assert!(out.contains("Plan: 2 to import, 0 to add, 1 to change, 0 to destroy, 1 to forget.\n"), "{out}");
}
