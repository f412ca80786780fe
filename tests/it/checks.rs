//! `check` blocks (Terraform 1.5): assertions run at the end of every plan and apply, whose
//! failures are warnings that never change the exit code; a scoped data source waits for
//! the changes it depends on and its errors are warnings too; plan JSON has `checks`.

use crate::support::Workdir;

fn checks_of(json: &serde_json::Value) -> Vec<(String, String, Vec<String>)> {
    json["checks"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|c| {
            let problems = c["instances"][0]["problems"]
                .as_array()
                .map(|p| p.iter().map(|m| m["message"].as_str().unwrap_or_default().to_string()).collect())
                .unwrap_or_default();
            (
                c["address"]["to_display"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
                problems,
            )
        })
        .collect()
}

fn check(name: &str, status: &str, problems: &[&str]) -> (String, String, Vec<String>) {
    (name.to_string(), status.to_string(), problems.iter().map(|p| p.to_string()).collect())
}

#[test]
fn failed_assertions_are_warnings_in_plan_and_apply_and_are_in_plan_json() {
    let w = Workdir::fixture("checks");
    // Nothing exists yet: the scoped data source waits for the create, its check is unknown.
    let plan = w.ok(&["plan", "-out=tfplan"]);
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(!plan.stderr.contains("Check block assertion failed"), "{}", plan.stderr);
    let json: serde_json::Value = serde_json::from_str(&w.ok(&["show", "-json", "tfplan"]).stdout).unwrap();
    assert_eq!(json["format_version"], "1.2");
    assert_eq!(
        checks_of(&json),
        vec![check("check.app_payload", "unknown", &[]), check("check.payload_allowed", "pass", &[])]
    );
    let applied = w.ok(&["apply", "tfplan"]);
    assert!(!applied.stderr.contains("Check block assertion failed"), "{}", applied.stderr);

    // A change the check dislikes: unknown while planned, a warning once applied.
    let plan = w.ok(&["plan", "-var", "payload=bad"]);
    assert!(!plan.stderr.contains("Check block assertion failed"), "{}", plan.stderr);
    let applied = w.ok(&["apply", "-auto-approve", "-var", "payload=bad"]);
    assert!(applied.stdout.contains("Resources: 0 added, 1 changed, 0 destroyed."), "{}", applied.stdout);
    assert!(applied.stderr.contains("Check block assertion failed"), "{}", applied.stderr);
    assert!(applied.stderr.contains("the app's payload is bad, not ok"), "{}", applied.stderr);

    // With nothing to change, the data source is read at plan time and the check fails
    // there: a warning, and --detailed-exitcode still says "no changes".
    let plan = w.corral(&["plan", "-var", "payload=bad", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stderr.contains("⚠ Check block assertion failed"), "{}", plan.stderr);
    assert!(plan.stderr.contains("the app's payload is bad, not ok"), "{}", plan.stderr);
    let json: serde_json::Value =
        serde_json::from_str(&w.ok(&["plan", "-var", "payload=bad", "-json"]).stdout).unwrap();
    assert_eq!(
        checks_of(&json),
        vec![
            check("check.app_payload", "fail", &["the app's payload is bad, not ok"]),
            check("check.payload_allowed", "pass", &[])
        ]
    );

    // A check without data fails at plan time as soon as its values are known.
    let plan = w.ok(&["plan", "-var", "payload=forbidden"]);
    assert!(plan.stderr.contains("the payload must not be forbidden"), "{}", plan.stderr);
    assert!(plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
}

#[test]
fn a_scoped_data_source_that_fails_is_a_warning_and_cannot_be_referred_to_outside() {
    let w = Workdir::fixture("checks");
    let main = std::fs::read_to_string(w.path().join("main.hcl")).unwrap();
    w.write(
        "main.hcl",
        &main.replace("name       = \"app\"\n    depends_on = [testing_thing.app]", "name = \"nosuch\""),
    );
    let plan = w.ok(&["plan", "-json"]);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(checks_of(&json)[0], check("check.app_payload", "error", &[]));
    assert!(plan.stderr.contains("⚠ no testing_thing has name `nosuch`"), "{}", plan.stderr);
    w.ok(&["apply", "-auto-approve"]);

    w.write("outside.hcl", "output \"leak\" {\n  value = data.testing_thing.live.payload\n}\n");
    let refused = w.corral(&["plan"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(refused.stderr.contains("Reference to scoped data source `data.testing_thing.live`"), "{}", refused.stderr);
    assert!(refused.stderr.contains("inside check \"app_payload\""), "{}", refused.stderr);
}

#[test]
fn a_check_needs_an_assert_and_at_most_one_data_source() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        "check \"empty\" {\n}\n\ncheck \"two\" {\n  data \"testing_thing\" \"a\" {\n    name = \"a\"\n  }\n  data \"testing_thing\" \"b\" {\n    name = \"b\"\n  }\n  assert {\n    condition     = true\n    error_message = \"never\"\n  }\n}\n",
    );
    let refused = w.corral(&["validate"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(refused.stderr.contains("check \"empty\" has no `assert` block"), "{}", refused.stderr);
    assert!(refused.stderr.contains("duplicate `data` block in check \"two\""), "{}", refused.stderr);

    // A scoped data source's body is checked against its schema like any data source's.
    w.write(
        "main.hcl",
        "check \"c\" {\n  data \"testing_thing\" \"a\" {\n    nmae = \"a\"\n  }\n  assert {\n    condition     = true\n    error_message = \"never\"\n  }\n}\n",
    );
    let refused = w.corral(&["validate"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(refused.stderr.contains("nmae"), "{}", refused.stderr);
}
