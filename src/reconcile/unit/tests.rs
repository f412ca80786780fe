//! Unit files and the dependency order.

use super::*;

fn write(root: &Path, dir: &str, text: &str) {
    let dir = root.join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(UNIT_FILE), text).unwrap();
}

#[test]
fn units_come_after_what_they_depend_on() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "apps", "depends_on = [\"network\", \"data/lake\"]\napproval = \"plan-only\"\n");
    write(root.path(), "network", "drift = \"correct\"\n");
    write(root.path(), "data/lake", "depends_on = [\"network\"]\nworkspace = \"prod\"\n");
    std::fs::create_dir_all(root.path().join("modules/x")).unwrap();
    let units = discover(root.path()).unwrap();
    let ids: Vec<&str> = units.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["network", "data/lake", "apps"]);
    assert_eq!(units[0].drift, DriftMode::Correct);
    assert_eq!(units[2].approval, Approval::PlanOnly);
    assert_eq!(units[1].workspace.as_deref(), Some("prod"));
}

#[test]
fn a_cycle_or_a_missing_dependency_or_a_bad_setting_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "a", "depends_on = [\"b\"]\n");
    write(root.path(), "b", "depends_on = [\"a\"]\n");
    let err = discover(root.path()).unwrap_err().to_string();
    assert!(err.contains("cycle among: a, b"), "{err}");

    let root = tempfile::tempdir().unwrap();
    write(root.path(), "a", "depends_on = [\"nowhere\"]\n");
    let err = discover(root.path()).unwrap_err().to_string();
    assert!(err.contains("depends on `nowhere`, which is no unit"), "{err}");

    let root = tempfile::tempdir().unwrap();
    write(root.path(), ".", "approval = \"sometimes\"\n");
    let err = discover(root.path()).unwrap_err().to_string();
    assert!(err.contains("`approval` must be \"auto\", \"manual\" or \"plan-only\""), "{err}");
}
