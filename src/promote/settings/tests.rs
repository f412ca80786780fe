//! Reading `corral.promotion`: gates with their settings, and errors at their line.

use corral_engine::diag::{Diagnostics, SourceMap};

use super::{GateKind, Settings, parse_hours};

fn load(text: &str) -> (Settings, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("corral.promotion"), text).unwrap();
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::new();
    let settings = Settings::load(dir.path(), &mut sources, &mut diags);
    (settings, diags.iter().map(|d| d.summary.clone()).collect())
}

#[test]
fn every_gate_reads_with_its_settings() {
    let (settings, errors) = load(
        r#"
from = "staging"
keep = ["backend.hcl", "*.local.hcl"]
gate "no_destroy" {}
gate "no_replace_persistent" { types = ["kmr_cluster"] }
gate "no_core_shrink" {}
gate "change_window" {
  weekdays  = ["mon", "tue"]
  hours     = "22:00-02:00"
  time_zone = "Asia/Shanghai"
}
"#,
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(settings.from.unwrap().0, "staging");
    assert_eq!(settings.keep, ["backend.hcl", "*.local.hcl"]);
    let names: Vec<&str> = settings.gates.iter().map(|g| g.kind.name()).collect();
    assert_eq!(names, ["no_destroy", "no_replace_persistent", "no_core_shrink", "change_window"]);
    assert_eq!(settings.gates[1].kind, GateKind::NoReplacePersistent { types: vec!["kmr_cluster".to_string()] });
    let GateKind::ChangeWindow(window) = &settings.gates[3].kind else { panic!("not a window") };
    assert_eq!((window.start, window.end), (22 * 60, 2 * 60));
    assert_eq!(window.weekdays, [chrono::Weekday::Mon, chrono::Weekday::Tue]);
    assert_eq!(window.time_zone, chrono_tz::Asia::Shanghai);
}

#[test]
fn no_file_is_no_gates_and_the_default_keep() {
    let dir = tempfile::tempdir().unwrap();
    let mut diags = Diagnostics::new();
    let settings = Settings::load(dir.path(), &mut SourceMap::default(), &mut diags);
    assert!(diags.is_empty());
    assert!(settings.gates.is_empty() && settings.from.is_none());
    assert_eq!(settings.keep, ["backend.hcl", "backend.tf"]);
}

#[test]
fn mistakes_are_errors_never_ignored() {
    for (text, expected) in [
        ("gate \"no_deletes\" {}", "unknown gate `no_deletes`"),
        ("gate \"no_destroy\" { except = [] }", "gate `no_destroy` has no setting `except`"),
        ("gate \"change_window\" { hours = \"9-17\" }", "`hours` must be a range"),
        ("gate \"change_window\" { time_zone = \"Mars/Olympus\" }", "`time_zone` must be an IANA time zone"),
        ("gate \"change_window\" { weekdays = [\"someday\"] }", "`weekdays` must be a non-empty list"),
        ("gate {}", "a `gate` block takes one label"),
        ("form = \"dev\"", "unknown promotion setting `form`"),
        ("from = 3", "`from` must be an environment name"),
        ("policy {}", "unknown block `policy`"),
        ("gate \"no_destroy\" {", "the promotion settings are not HCL"),
    ] {
        let (_, errors) = load(text);
        assert!(errors.iter().any(|e| e.starts_with(expected)), "{text}: {errors:?}");
    }
}

#[test]
fn hours_are_minutes_with_an_exclusive_end() {
    assert_eq!(parse_hours("09:00-17:30"), Some((540, 1050)));
    assert_eq!(parse_hours("00:00-24:00"), Some((0, 1440)));
    assert_eq!(parse_hours("23:00-01:00"), Some((1380, 60)));
    assert_eq!(parse_hours("10:00-10:00"), None);
    assert_eq!(parse_hours("24:00-01:00"), None);
    assert_eq!(parse_hours("10:60-11:00"), None);
}
