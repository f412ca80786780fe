//! `plan --refresh-only` / `apply --refresh-only` (Terraform's `-refresh-only`): the plan
//! shows what changed outside Corral and proposes no action; applying it writes the
//! refreshed objects to state and changes no remote object.

use crate::support::Workdir;

/// Edits the payload of the testing object named `name` behind Corral's back.
fn edit_payload(w: &Workdir, name: &str, payload: &str) {
    crate::support::edit_testing_objects(&w.path().join(".corral/testing"), |object| {
        if object["attributes"]["name"] == name {
            object["attributes"]["payload"] = payload.into();
        }
        true
    });
}

fn payload_in_state(w: &Workdir, addr: &str) -> Option<String> {
    let state = w.state();
    state
        .instances
        .get(&addr.parse().unwrap())
        .map(|i| i.attributes["payload"].as_str().unwrap_or_default().to_string())
}

#[test]
fn a_refresh_only_plan_shows_drift_and_its_apply_records_it_without_changing_anything() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        "resource \"testing_thing\" \"a\" {\n  name    = \"a\"\n  payload = \"wanted\"\n}\n\nresource \"testing_thing\" \"b\" {\n  name    = \"b\"\n  payload = \"b\"\n}\n",
    );
    w.ok(&["apply", "-auto-approve"]);
    let quiet = w.corral(&["plan", "-refresh-only", "-detailed-exitcode"]);
    assert_eq!(quiet.code, 0, "{}\n{}", quiet.stdout, quiet.stderr);
    assert!(
        quiet.stdout.contains("No changes. Your infrastructure still matches the configuration."),
        "{}",
        quiet.stdout
    );

    edit_payload(&w, "a", "edited");
    let serial = w.state().serial;
    let plan = w.corral(&["plan", "-refresh-only", "-detailed-exitcode", "-out=refresh.plan"]);
    assert_eq!(plan.code, 2, "drift is a change to the state:\n{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("# testing_thing.a has changed"), "{}", plan.stdout);
    assert!(plan.stdout.contains("This is a refresh-only plan"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("will be updated in-place"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("Unless you have made equivalent changes"), "{}", plan.stdout);
    assert_eq!(w.state().serial, serial, "a plan writes nothing");
    let json: serde_json::Value = serde_json::from_str(&w.ok(&["show", "-json", "refresh.plan"]).stdout).unwrap();
    assert_eq!(json["resource_drift"][0]["address"], "testing_thing.a");
    assert!(json["resource_changes"].as_array().unwrap().is_empty(), "{}", json["resource_changes"]);

    let applied = w.ok(&["apply", "refresh.plan"]);
    assert!(applied.stdout.contains("Resources: 0 added, 0 changed, 0 destroyed."), "{}", applied.stdout);
    assert_eq!(payload_in_state(&w, "testing_thing.a").as_deref(), Some("edited"), "the state records the drift");
    let object = w.objects().into_iter().find(|o| o["attributes"]["name"] == "a").unwrap();
    assert_eq!(object["attributes"]["payload"], "edited", "the remote object was left alone");

    // The normal plan now undoes the edit, without reporting it as drift again.
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("# testing_thing.a will be updated in-place"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("changed outside of Corral"), "{}", plan.stdout);

    // An object deleted outside Corral leaves state with `apply --refresh-only`.
    crate::support::edit_testing_objects(&w.path().join(".corral/testing"), |o| o["attributes"]["name"] != "b");
    let applied = w.ok(&["apply", "-refresh-only", "-auto-approve"]);
    assert!(applied.stdout.contains("# testing_thing.b has been deleted"), "{}", applied.stdout);
    assert!(payload_in_state(&w, "testing_thing.b").is_none(), "{:?}", w.state().instances.keys().collect::<Vec<_>>());
    assert!(payload_in_state(&w, "testing_thing.a").is_some());

    let refused = w.corral(&["plan", "-refresh-only", "-refresh=false"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("mutually exclusive"), "{}", refused.stderr);
    let refused = w.corral(&["plan", "-refresh-only", "-destroy"]);
    assert_eq!(refused.code, 2, "clap refuses the combination: {}", refused.stderr);
}

#[test]
fn a_refresh_only_plan_shows_the_outputs_the_refreshed_objects_make_and_its_apply_records_them() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        "resource \"testing_thing\" \"a\" {\n  name    = \"a\"\n  payload = \"wanted\"\n}\n\noutput \"payload\" {\n  value = testing_thing.a.payload\n}\n",
    );
    w.ok(&["apply", "-auto-approve"]);
    edit_payload(&w, "a", "edited");
    let plan = w.corral(&["plan", "-refresh-only", "-detailed-exitcode", "-no-color"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("# testing_thing.a has changed"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Changes to Outputs:"), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ payload = \"wanted\" -> \"edited\""), "{}", plan.stdout);

    // A configuration change is not a refresh: the output follows the refreshed object, not
    // the configuration (which a normal plan would apply).
    w.write(
        "main.hcl",
        "resource \"testing_thing\" \"a\" {\n  name    = \"a\"\n  payload = \"new config\"\n}\n\noutput \"payload\" {\n  value = testing_thing.a.payload\n}\n",
    );
    let plan = w.ok(&["plan", "-refresh-only", "-no-color"]);
    assert!(!plan.stdout.contains("new config"), "{}", plan.stdout);

    w.ok(&["apply", "-refresh-only", "-auto-approve"]);
    let shown = w.ok(&["output", "-json", "payload"]);
    assert_eq!(shown.stdout.trim(), "\"edited\"");
    // Nothing left to refresh: neither drift nor outputs.
    let again = w.corral(&["plan", "-refresh-only", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}

/// `corral refresh` is Terraform's `refresh`: `apply --refresh-only --auto-approve`, ending
/// with the outputs instead of an apply summary; on an empty state it warns that there is
/// nothing to refresh.
#[test]
fn refresh_records_drift_without_asking_and_shows_the_outputs() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        "resource \"testing_thing\" \"a\" {\n  name    = \"a\"\n  payload = \"wanted\"\n}\n\noutput \"payload\" {\n  value = testing_thing.a.payload\n}\n",
    );
    let empty = w.ok(&["refresh", "-no-color"]);
    assert!(empty.stderr.contains("Empty or non-existent state"), "{}", empty.stderr);
    assert!(w.objects().is_empty(), "a refresh creates nothing");

    w.ok(&["apply", "-auto-approve"]);
    edit_payload(&w, "a", "edited");
    let serial = w.state().serial;
    let refreshed = w.ok(&["refresh", "-no-color", "-input=false"]);
    assert!(refreshed.stdout.contains("# testing_thing.a has changed"), "{}", refreshed.stdout);
    assert!(!refreshed.stdout.contains("Apply complete"), "{}", refreshed.stdout);
    assert!(refreshed.stdout.ends_with("Outputs:\n\npayload = \"edited\"\n"), "{}", refreshed.stdout);
    assert!(!refreshed.stderr.contains("Empty or non-existent state"), "{}", refreshed.stderr);
    assert_eq!(payload_in_state(&w, "testing_thing.a").as_deref(), Some("edited"));
    assert!(w.state().serial > serial, "the drift is committed");
    let object = w.objects().into_iter().find(|o| o["attributes"]["name"] == "a").unwrap();
    assert_eq!(object["attributes"]["payload"], "edited", "the remote object was left alone");

    // Nothing changed since: the outputs all the same, and no commit.
    let serial = w.state().serial;
    let again = w.ok(&["refresh", "-no-color"]);
    assert!(again.stdout.ends_with("Outputs:\n\npayload = \"edited\"\n"), "{}", again.stdout);
    assert_eq!(w.state().serial, serial);

    // Flags of a change have no place in a refresh, nor has a plan file.
    let refused = w.corral(&["refresh", "-destroy"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    w.ok(&["plan", "-refresh-only", "-out=refresh.plan"]);
    let refused = w.corral(&["refresh", "refresh.plan"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("takes a configuration directory, not a plan file"), "{}", refused.stderr);

    // Without configuration there is nothing to read with, and nothing is made.
    let bare = Workdir::new();
    let refused = bare.corral(&["refresh", "-no-color"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("A refresh needs the configuration"), "{}", refused.stderr);
    assert!(!bare.path().join(".corral").exists());
}
