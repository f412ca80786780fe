use super::*;

fn change(action: Action, before: Option<Value>, after: Option<Value>) -> ResourceChange {
    ResourceChange {
        addr: "mrs_cluster.main".parse().unwrap(),
        provider: "mrs".to_string(),
        type_name: "mrs_cluster".to_string(),
        action,
        reason: None,
        before,
        after,
        replace_paths: Vec::new(),
        create_before_destroy: false,
        private: None,
        deposed: None,
        dependencies: Vec::new(),
    }
}

fn object(pairs: &[(&str, Value)]) -> Value {
    Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

fn map() -> ActionMap {
    ActionMap::new()
        .create(&["mrs:cluster:create", "mrs:cluster:get"])
        .update(&["mrs:cluster:get"])
        .update_attribute("core_count", &["mrs:cluster:resize"])
        .update_attribute("name", &["mrs:cluster:update"])
        .delete(&["mrs:cluster:delete", "mrs:cluster:get"])
}

fn names(actions: Vec<(String, Option<String>)>) -> Vec<String> {
    actions.into_iter().map(|(a, _)| a).collect()
}

#[test]
fn a_create_needs_the_create_actions_and_a_delete_the_delete_actions() {
    let after = object(&[("name", Value::string("a"))]);
    assert_eq!(
        names(actions_of(&change(Action::Create, None, Some(after.clone())), &map())),
        ["mrs:cluster:create", "mrs:cluster:get"]
    );
    assert_eq!(
        names(actions_of(&change(Action::Delete, Some(after), None), &map())),
        ["mrs:cluster:delete", "mrs:cluster:get"]
    );
}

#[test]
fn a_replacement_needs_both_each_action_once() {
    let v = object(&[("name", Value::string("a"))]);
    assert_eq!(
        names(actions_of(&change(Action::DeleteThenCreate, Some(v.clone()), Some(v)), &map())),
        ["mrs:cluster:delete", "mrs:cluster:get", "mrs:cluster:create"]
    );
}

#[test]
fn an_update_needs_the_actions_of_the_attributes_it_changes_and_names_them() {
    let before = object(&[("name", Value::string("a")), ("core_count", Value::int(3))]);
    let after = object(&[("name", Value::string("a")), ("core_count", Value::int(5))]);
    let actions = actions_of(&change(Action::Update, Some(before.clone()), Some(after)), &map());
    assert_eq!(
        actions,
        [("mrs:cluster:get".to_string(), None), ("mrs:cluster:resize".to_string(), Some("core_count".to_string()))]
    );
    // A sensitive mark is no change; an unknown value is.
    let marked = object(&[("name", Value::string("a").mark_sensitive()), ("core_count", Value::int(3))]);
    assert_eq!(
        names(actions_of(&change(Action::Update, Some(before.clone()), Some(marked)), &map())),
        ["mrs:cluster:get"]
    );
    let unknown = object(&[("name", Value::unknown()), ("core_count", Value::int(3))]);
    assert_eq!(
        names(actions_of(&change(Action::Update, Some(before), Some(unknown)), &map())),
        ["mrs:cluster:get", "mrs:cluster:update"]
    );
}

#[test]
fn no_ops_and_forgotten_instances_need_nothing() {
    let v = object(&[("name", Value::string("a"))]);
    assert!(actions_of(&change(Action::NoOp, Some(v.clone()), Some(v.clone())), &map()).is_empty());
    assert!(actions_of(&change(Action::Forget, Some(v), None), &map()).is_empty());
}
