//! The gates on plan JSON: each refusal names its gate and the instance that tripped it.

use chrono::TimeZone;
use corral_engine::diag::{SourceMap, Span};
use serde_json::json;

use super::super::settings::{DEFAULT_PERSISTENT_TYPES, Gate, GateKind, Window};
use super::{judge, outside};

fn gate(kind: GateKind) -> Gate {
    let file = SourceMap::default().add("corral.promotion".into(), "");
    Gate { kind, span: Span::new(file, 0..0) }
}

fn change(
    address: &str,
    kind: &str,
    actions: &[&str],
    before: serde_json::Value,
    after: serde_json::Value,
) -> serde_json::Value {
    json!({"address": address, "type": kind, "change": {"actions": actions, "before": before, "after": after}})
}

fn plan(changes: Vec<serde_json::Value>) -> serde_json::Value {
    json!({ "resource_changes": changes })
}

fn noon_utc() -> chrono::DateTime<chrono::Utc> {
    // A Wednesday.
    chrono::Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()
}

#[test]
fn no_core_shrink_refuses_a_smaller_core_count_only() {
    let gates = [gate(GateKind::NoCoreShrink)];
    let shrink = change(
        "module.p.kmr_cluster.w",
        "kmr_cluster",
        &["update"],
        json!({"core_count": 5}),
        json!({"core_count": 4}),
    );
    let grow = change("kmr_cluster.x", "kmr_cluster", &["update"], json!({"core_count": 3}), json!({"core_count": 4}));
    let refusals = judge(&gates, &plan(vec![shrink, grow]), noon_utc());
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(refusals[0].gate, "no_core_shrink");
    assert_eq!(refusals[0].address.as_deref(), Some("module.p.kmr_cluster.w"));
    assert!(refusals[0].reason.contains("from 5 to 4"), "{}", refusals[0].reason);
}

#[test]
fn no_replace_persistent_spares_transient_clusters_and_other_types() {
    let types: Vec<String> = DEFAULT_PERSISTENT_TYPES.iter().map(|s| s.to_string()).collect();
    let gates = [gate(GateKind::NoReplacePersistent { types })];
    let mut persistent = change(
        "kmr_cluster.w",
        "kmr_cluster",
        &["delete", "create"],
        json!({"type": "persistent"}),
        json!({"type": "persistent"}),
    );
    persistent["replace_paths"] = json!([["core_instance_type"]]);
    let transient = change(
        "kmr_cluster.t",
        "kmr_cluster",
        &["delete", "create"],
        json!({"type": "transient"}),
        json!({"type": "transient"}),
    );
    let vpc = change("kmr_vpc.v", "kmr_vpc", &["delete", "create"], json!({}), json!({}));
    let stack = change("kyligence_stack.s", "kyligence_stack", &["create", "delete"], json!({}), json!({}));
    let refusals = judge(&gates, &plan(vec![persistent, transient, vpc, stack]), noon_utc());
    let addresses: Vec<&str> = refusals.iter().filter_map(|r| r.address.as_deref()).collect();
    assert_eq!(addresses, ["kmr_cluster.w", "kyligence_stack.s"]);
    assert!(refusals[0].reason.contains("because core_instance_type changed"), "{}", refusals[0].reason);
}

#[test]
fn no_destroy_refuses_deletes_and_replacements() {
    let gates = [gate(GateKind::NoDestroy)];
    let refusals = judge(
        &gates,
        &plan(vec![
            change("a.x", "a", &["delete"], json!({}), json!(null)),
            change("a.y", "a", &["delete", "create"], json!({}), json!({})),
            change("a.z", "a", &["create"], json!(null), json!({})),
        ]),
        noon_utc(),
    );
    let reasons: Vec<(String, String)> =
        refusals.iter().map(|r| (r.address.clone().unwrap(), r.reason.clone())).collect();
    assert_eq!(reasons[0], ("a.x".to_string(), "would be destroyed".to_string()));
    assert!(reasons[1].1.contains("replaced"));
    assert_eq!(reasons.len(), 2);
}

#[test]
fn a_plan_without_changes_trips_nothing() {
    let window = Window { weekdays: vec![chrono::Weekday::Sat], start: 0, end: 60, time_zone: chrono_tz::UTC };
    let gates = [gate(GateKind::NoDestroy), gate(GateKind::ChangeWindow(window))];
    let noop = change("a.x", "a", &["no-op"], json!({}), json!({}));
    assert!(judge(&gates, &plan(vec![noop]), noon_utc()).is_empty());
    let create = change("a.y", "a", &["create"], json!(null), json!({}));
    let refusals = judge(&gates, &plan(vec![create]), noon_utc());
    assert_eq!(refusals.len(), 1);
    assert_eq!((refusals[0].gate, refusals[0].address.clone()), ("change_window", None));
}

#[test]
fn change_windows_follow_their_time_zone_and_wrap_past_midnight() {
    use chrono::Weekday::*;
    let shanghai =
        Window { weekdays: vec![Mon, Tue, Wed, Thu], start: 600, end: 960, time_zone: chrono_tz::Asia::Shanghai };
    // Wednesday 12:00 UTC is 20:00 in Shanghai: after hours.
    let reason = outside(&shanghai, noon_utc()).unwrap();
    assert!(reason.contains("it is Wed 20:00 in Asia/Shanghai"), "{reason}");
    assert!(reason.contains("Mon Tue Wed Thu, 10:00-16:00"), "{reason}");
    // Wednesday 03:00 UTC is 11:00 there: inside.
    assert_eq!(outside(&shanghai, chrono::Utc.with_ymd_and_hms(2026, 12, 2, 3, 0, 0).unwrap()), None);

    // Friday 22:00 to Saturday 02:00 belongs to Friday.
    let night = Window { weekdays: vec![Fri], start: 22 * 60, end: 120, time_zone: chrono_tz::UTC };
    assert_eq!(outside(&night, chrono::Utc.with_ymd_and_hms(2026, 12, 5, 1, 0, 0).unwrap()), None);
    assert_eq!(outside(&night, chrono::Utc.with_ymd_and_hms(2026, 12, 4, 23, 0, 0).unwrap()), None);
    assert!(outside(&night, chrono::Utc.with_ymd_and_hms(2026, 12, 5, 23, 0, 0).unwrap()).is_some());
    assert!(outside(&night, chrono::Utc.with_ymd_and_hms(2026, 12, 4, 21, 59, 0).unwrap()).is_some());
}
