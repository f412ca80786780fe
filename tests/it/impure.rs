//! Instance keys that change between plan and apply, and impure functions (`uuid()`,
//! `timestamp()`, `bcrypt()`, `plantimestamp()`). Fixtures: `tests/fixtures/impure/*`.

use crate::support::{Output, Workdir};

fn all(out: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr)
}

fn state_list(w: &Workdir) -> Vec<String> {
    w.ok(&["state", "list"]).stdout.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// A saved plan's `for_each` keys come from a file that changes before the apply: the
/// planned instance is not silently skipped, nor the new one silently ignored.
#[test]
fn keys_that_change_between_plan_and_apply_are_an_error() {
    let w = Workdir::fixture("impure/file_keys");
    w.ok(&["plan", "-out", "p"]);
    w.write("keys.txt", "b\n");
    let apply = w.corral(&["apply", "p"]);
    assert_eq!(apply.code, 1, "{}", all(&apply));
    let text = all(&apply);
    // miette wraps long messages: compare with the frame and line breaks taken out.
    let flat = text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "the for_each of testing_thing.stamp gave other keys during apply than during the plan: planned [\"a\"] missing, [\"b\"] new; instance keys must not depend on values that change between plan and apply (uuid(), timestamp(), ...)"
        ),
        "{text}"
    );
    assert!(text.contains("main.hcl:9:14"), "the span of for_each: {text}");
    assert!(!apply.stdout.contains("Apply complete"), "{}", apply.stdout);
    // The planned instance that was not created is counted and named in the summary.
    assert!(apply.stdout.contains(", 1 failed,"), "{}", apply.stdout);
    assert!(
        apply
            .stdout
            .contains("  ✗ testing_thing.stamp[\"a\"]: the count or for_each gave other keys than during the plan"),
        "{}",
        apply.stdout
    );
    assert_eq!(state_list(&w), vec!["testing_thing.x"], "no instance of stamp is created");
}

/// An instance left out with `-target` is not taken for a key that appeared during apply.
#[test]
fn an_instance_outside_the_targets_is_not_a_new_key() {
    let w = Workdir::fixture("impure/file_keys");
    w.write("keys.txt", "a\nb\n");
    let apply = w.corral(&["apply", "-auto-approve", "-target", "testing_thing.stamp[\"a\"]"]);
    assert_eq!(apply.code, 0, "{}", all(&apply));
    assert_eq!(state_list(&w), vec!["testing_thing.stamp[\"a\"]"]);
}

const IMPURE_OUTPUTS: &str = r#"
output "id" { value = uuid() }
output "now" { value = timestamp() }
output "hash" { value = bcrypt("secret", 4) }
resource "testing_thing" "t" { name = "t-${uuid()}" }
"#;

/// As in Terraform (its `PureOnly` scope): `uuid()`, `timestamp()` and `bcrypt()` are
/// unknown during validate and plan, since the apply would get other values, and are
/// evaluated during apply and in `console`.
#[test]
fn impure_functions_are_known_only_after_apply() {
    let w = Workdir::new();
    w.write("main.hcl", IMPURE_OUTPUTS);
    w.ok(&["validate"]);
    let plan = w.ok(&["plan"]);
    for line in ["+ id   = (known after apply)", "+ now  = (known after apply)", "+ hash = (known after apply)"] {
        assert!(plan.stdout.contains(line), "{line}: {}", plan.stdout);
    }
    assert!(plan.stdout.contains("+ name = (known after apply)"), "{}", plan.stdout);

    let apply = w.ok(&["apply", "-auto-approve"]);
    let outputs = w.ok(&["output", "-json"]);
    let outputs: serde_json::Value = serde_json::from_str(&outputs.stdout).unwrap();
    let id = outputs["id"]["value"].as_str().unwrap_or_default();
    assert_eq!(id.len(), 36, "a uuid: {}", all(&apply));
    assert!(outputs["now"]["value"].as_str().unwrap_or_default().ends_with('Z'), "{outputs}");
    assert!(outputs["hash"]["value"].as_str().unwrap_or_default().starts_with("$2a$04$"), "{outputs}");
    let names: Vec<String> =
        w.objects().iter().filter_map(|o| o["attributes"]["name"].as_str().map(String::from)).collect();
    assert!(names.len() == 1 && names[0].starts_with("t-") && names[0].len() == 38, "{names:?}");

    let console = crate::support::run_with_stdin(w.command(&["console"]), "uuid()\n");
    assert_eq!(console.code, 0, "{}", all(&console));
    assert_eq!(console.stdout.trim().trim_matches('"').len(), 36, "{}", all(&console));
}

/// `plantimestamp()` (Terraform 1.5) is the plan's time for the whole plan, known in it, and
/// the same during the apply of that plan, even a saved plan applied later.
#[test]
fn plantimestamp_is_the_plans_time_during_its_apply() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        r#"
resource "testing_thing" "t" { name = plantimestamp() }
output "planned" { value = plantimestamp() }
"#,
    );
    let plan = w.ok(&["plan", "-out", "p"]);
    let line = plan.stdout.lines().find(|l| l.contains("+ name")).unwrap_or_default().to_string();
    let planned = line.split('"').nth(1).unwrap_or_default().to_string();
    assert!(planned.len() == 20 && planned.ends_with('Z'), "known in the plan: {}", plan.stdout);
    assert!(plan.stdout.contains(&format!("+ planned = \"{planned}\"")), "{}", plan.stdout);
    // A later second: `timestamp()` would differ now.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    w.ok(&["apply", "p"]);
    let outputs = w.ok(&["output", "-json"]);
    let outputs: serde_json::Value = serde_json::from_str(&outputs.stdout).unwrap();
    assert_eq!(outputs["planned"]["value"], planned.as_str(), "{outputs}");
    let names: Vec<String> =
        w.objects().iter().filter_map(|o| o["attributes"]["name"].as_str().map(String::from)).collect();
    assert_eq!(names, vec![planned]);
}
