//! Tests of what the apply walk decides without a provider: whether a final plan agrees with
//! the saved one.

use crate::value::{Type, Value};

use super::final_plan::consistent;

fn object(attrs: &[(&str, Value)]) -> Value {
    Value::object(attrs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

#[test]
fn an_unknown_saved_value_accepts_anything() {
    assert!(consistent(&Value::Unknown(Type::String), &Value::string("x")));
    let saved = object(&[("id", Value::Unknown(Type::String)), ("name", Value::string("a"))]);
    assert!(consistent(&saved, &object(&[("id", Value::string("i-1")), ("name", Value::string("a"))])));
}

#[test]
fn a_known_saved_value_must_stay() {
    let saved = object(&[("name", Value::string("a"))]);
    assert!(!consistent(&saved, &object(&[("name", Value::string("b"))])));
    assert!(!consistent(&saved, &object(&[("name", Value::string("a")), ("extra", Value::int(1))])));
    let list = Value::List(Type::String, vec![Value::string("a"), Value::Unknown(Type::String)]);
    assert!(consistent(&list, &Value::List(Type::String, vec![Value::string("a"), Value::string("b")])));
    assert!(!consistent(&list, &Value::List(Type::String, vec![Value::string("a")])));
}

#[test]
fn sensitive_marks_do_not_count_and_sets_with_unknowns_are_not_matched() {
    let saved = Value::Sensitive(Box::new(Value::string("p")));
    assert!(consistent(&saved, &Value::string("p")));
    let partly_unknown = Value::Set(Type::String, vec![Value::Unknown(Type::String)]);
    assert!(consistent(&partly_unknown, &Value::Set(Type::String, vec![Value::string("a"), Value::string("b")])));
    let known = Value::Set(Type::String, vec![Value::string("a")]);
    assert!(!consistent(&known, &Value::Set(Type::String, vec![Value::string("b")])));
}

#[tokio::test]
async fn a_waiting_report_gives_the_slot_back_once_and_reports_each_new_status() {
    use std::sync::Arc;

    use super::events::ApplyEvent;
    use super::slot::Slot;
    use crate::plan::Action;

    let semaphore = Arc::new(tokio::sync::Semaphore::new(1));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let slot = Slot::new(semaphore.clone().acquire_owned().await.ok(), Some(tx));
    let addr: crate::addr::AbsResourceInstance = "testing_thing.a".parse().unwrap();
    let progress = slot.progress(&addr, Action::Create);
    assert_eq!(semaphore.available_permits(), 0);
    progress.waiting("creating");
    assert_eq!(semaphore.available_permits(), 1, "waiting frees the slot");
    progress.waiting("creating");
    progress.waiting("configuring");
    // Never re-taken, nor released twice.
    drop(slot);
    assert_eq!(semaphore.available_permits(), 1);
    let mut statuses = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let ApplyEvent::Waiting { status, .. } = event {
            statuses.push(status);
        }
    }
    assert_eq!(statuses, ["creating", "configuring"]);
    // A handle kept past the operation reports nowhere.
    progress.waiting("late");
    assert!(rx.try_recv().is_err());
}
