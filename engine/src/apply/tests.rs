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
    use super::events::ApplyEvent;
    use super::slot::Slot;
    use super::slots::{Expect, Slots};
    use crate::plan::Action;

    let slots = Slots::new(1);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let slot = Slot::new(Some(slots.acquire(Expect::Quick).await), Some(tx));
    let addr: crate::addr::AbsResourceInstance = "testing_thing.a".parse().unwrap();
    let progress = slot.progress(&addr, Action::Create);
    assert_eq!(slots.available(), 0);
    progress.waiting("creating");
    assert_eq!(slots.available(), 1, "waiting frees the slot");
    progress.waiting("creating");
    progress.waiting("configuring");
    // Never re-taken, nor released twice.
    drop(slot);
    assert_eq!(slots.available(), 1);
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

#[tokio::test]
async fn a_long_running_operation_gets_the_next_slot_before_quick_ones_queued_earlier() {
    use futures::FutureExt;

    use super::slots::{Expect, Slots};

    let slots = Slots::new(1);
    let held = slots.acquire(Expect::Quick).await;
    let mut quick = Box::pin(slots.acquire(Expect::Quick));
    let mut second_quick = Box::pin(slots.acquire(Expect::Quick));
    let mut long = Box::pin(slots.acquire(Expect::LongRunning));
    assert!(quick.as_mut().now_or_never().is_none());
    assert!(second_quick.as_mut().now_or_never().is_none());
    assert!(long.as_mut().now_or_never().is_none());
    drop(held);
    let long = long.as_mut().now_or_never().expect("the long-running operation is served first");
    assert!(quick.as_mut().now_or_never().is_none());
    assert!(second_quick.as_mut().now_or_never().is_none());
    // Then the quick ones, first come first served; one that gave up passes its turn on.
    drop(quick);
    drop(long);
    let next = second_quick.as_mut().now_or_never().expect("the next quick one is served");
    drop(next);
    assert_eq!(slots.available(), 1, "every permit came back");
}

#[tokio::test]
async fn the_next_to_be_served_learn_they_are_near_while_the_permits_are_held() {
    use futures::FutureExt;

    use super::slots::{Expect, Slots};

    let slots = Slots::new(2);
    let first = slots.acquire(Expect::Quick).await;
    let second = slots.acquire(Expect::Quick).await;
    let mut a = slots.enqueue(Expect::Quick);
    let mut b = slots.enqueue(Expect::Quick);
    let mut c = slots.enqueue(Expect::Quick);
    assert!(a.near().now_or_never().is_some(), "first in the queue: near");
    assert!(b.near().now_or_never().is_some(), "second of two permits: near");
    assert!(c.near().now_or_never().is_none(), "third: not yet");
    // One that gives its place up lets the next one in.
    drop(a);
    assert!(c.near().now_or_never().is_some(), "c moved up");
    // A long-running one goes to the front, and is near at once.
    let mut long = slots.enqueue(Expect::LongRunning);
    assert!(long.near().now_or_never().is_some());
    drop(first);
    let long = long.permit().now_or_never().expect("the long-running one is served first");
    drop(second);
    let b = b.permit().now_or_never().expect("then b, in order");
    let mut c = Box::pin(c.permit());
    assert!(c.as_mut().now_or_never().is_none());
    drop(long);
    let c = c.as_mut().now_or_never().expect("then c");
    drop((b, c));
    assert_eq!(slots.available(), 2, "every permit came back");
}

#[tokio::test]
async fn an_interrupt_wakes_whoever_waits_for_it() {
    use futures::FutureExt;

    let interrupt = super::Interrupt::new();
    let clone = interrupt.clone();
    let mut waiting = Box::pin(async move { clone.triggered().await });
    assert!(waiting.as_mut().now_or_never().is_none());
    interrupt.trigger();
    assert!(waiting.as_mut().now_or_never().is_some(), "woken by the trigger");
    assert!(interrupt.triggered().now_or_never().is_some(), "and at once after it");
}
