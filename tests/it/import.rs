//! `import` blocks, `plan -generate-config-out`, `corral import` and `removed` blocks, through
//! the binary with the testing provider: objects are made by an apply and then forgotten
//! with `state rm`, so they exist with nothing in state, as if made by hand.

use std::collections::BTreeMap;

use crate::support::Workdir;

/// The fixture applied, then forgotten: the ids of `testing_thing.a` and of `m["x"]`/`m["y"]`.
fn orphaned_objects() -> (Workdir, String, BTreeMap<String, String>) {
    let w = Workdir::fixture("import");
    w.ok(&["apply", "--auto-approve"]);
    let state = w.state();
    let id_of = |addr: &str| {
        let addr = addr.parse().unwrap();
        state.instances[&addr].attributes["id"].as_str().unwrap().to_string()
    };
    let a = id_of("testing_thing.a");
    let m = ["x", "y"].into_iter().map(|k| (k.to_string(), id_of(&format!("testing_thing.m[\"{k}\"]")))).collect();
    w.ok(&["state", "rm", "testing_thing.a", "testing_thing.m"]);
    assert!(w.state().instances.is_empty());
    (w, a, m)
}

#[test]
fn an_import_block_imports_plans_the_update_and_apply_records_it() {
    let (w, a, _) = orphaned_objects();
    w.write("import.hcl", &format!("import {{\n  to = testing_thing.a\n  id = \"{a}\"\n}}\n"));
    let plan = w.ok(&["plan", "--target", "testing_thing.a"]);
    assert!(plan.stdout.contains("  # testing_thing.a will be imported\n"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);

    // The configuration now differs: import, then update in place.
    let main = std::fs::read_to_string(w.path().join("main.hcl")).unwrap().replace("\"one\"", "\"two\"");
    w.write("main.hcl", &main);
    let plan = w.ok(&["plan", "--target", "testing_thing.a"]);
    assert!(plan.stdout.contains("# testing_thing.a will be updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains(&format!("# (imported from \"{a}\")")), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 1 to import, 0 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    let json: serde_json::Value =
        serde_json::from_str(&w.ok(&["plan", "--target", "testing_thing.a", "--json"]).stdout).unwrap();
    let change = &json["resource_changes"][0];
    assert_eq!(change["address"], "testing_thing.a");
    assert_eq!(change["change"]["importing"], serde_json::json!({ "id": a }));

    let applied = w.ok(&["apply", "--auto-approve", "--target", "testing_thing.a"]);
    assert!(applied.stdout.contains("Resources: 1 imported, 0 added, 1 changed, 0 destroyed."), "{}", applied.stdout);
    let state = w.state();
    let imported = &state.instances[&"testing_thing.a".parse().unwrap()];
    assert_eq!(imported.attributes["id"], a.as_str());
    assert_eq!(imported.attributes["payload"], "two");
    assert_eq!(
        w.objects().iter().filter(|o| o["attributes"]["name"] == "alpha").count(),
        1,
        "the object was adopted, not remade"
    );
    // An import of an address already in state does nothing (Terraform's rule).
    let again = w.ok(&["plan", "--target", "testing_thing.a"]);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
}

#[test]
fn for_each_imports_name_their_instances_with_each_key() {
    let (w, _, m) = orphaned_objects();
    let ids: Vec<String> = m.iter().map(|(k, id)| format!("    {k} = \"{id}\"")).collect();
    w.write(
        "import.hcl",
        &format!(
            "import {{\n  for_each = {{\n{}\n  }}\n  to = testing_thing.m[each.key]\n  id = each.value\n}}\n",
            ids.join("\n")
        ),
    );
    let plan = w.ok(&["plan", "--target", "testing_thing.m"]);
    assert!(plan.stdout.contains("# testing_thing.m[\"x\"] will be imported"), "{}", plan.stdout);
    assert!(plan.stdout.contains("# testing_thing.m[\"y\"] will be imported"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 2 to import, 0 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    w.ok(&["apply", "--auto-approve", "--target", "testing_thing.m"]);
    let state = w.state();
    for (k, id) in &m {
        let addr = format!("testing_thing.m[\"{k}\"]").parse().unwrap();
        assert_eq!(state.instances[&addr].attributes["id"], id.as_str());
    }
}

#[test]
fn an_import_without_configuration_is_refused_unless_configuration_is_generated() {
    let (w, a, _) = orphaned_objects();
    w.write("main.hcl", &format!("import {{\n  to = testing_thing.a\n  id = \"{a}\"\n}}\n"));
    let refused = w.corral(&["plan"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(refused.stderr.contains("Configuration for import target does not exist"), "{}", refused.stderr);
    assert!(refused.stderr.contains("main.hcl:1:1"), "{}", refused.stderr);

    let plan = w.ok(&["plan", "-generate-config-out=generated.hcl"]);
    assert!(plan.stdout.contains("# testing_thing.a will be imported"), "{}", plan.stdout);
    assert!(plan.stdout.contains("written it to generated.hcl"), "{}", plan.stdout);
    let generated = std::fs::read_to_string(w.path().join("generated.hcl")).unwrap();
    assert!(generated.starts_with("# __generated__ by Corral\n"), "{generated}");
    assert!(
        generated.contains("resource \"testing_thing\" \"a\" {\n  name    = \"alpha\"\n  payload = \"one\"\n"),
        "{generated}"
    );
    assert!(!generated.contains("  id "), "computed-only attributes are not configuration: {generated}");
    // Laid out as `corral fmt` lays it out.
    w.ok(&["fmt", "--check", "generated.hcl"]);
    // A file that exists is never overwritten.
    let exists = w.corral(&["plan", "--generate-config-out", "generated.hcl"]);
    assert_eq!(exists.code, 1);
    assert!(exists.stderr.contains("Target generated file already exists"), "{}", exists.stderr);

    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    w.ok(&["apply", "--auto-approve"]);
    assert!(w.ok(&["plan"]).stdout.contains("No changes."));
}

#[test]
fn corral_import_writes_state_for_a_configured_address() {
    let (w, a, _) = orphaned_objects();
    let out = w.ok(&["import", "testing_thing.a", &a]);
    assert!(out.stdout.contains(&format!("testing_thing.a: Importing from ID \"{a}\"...")), "{}", out.stdout);
    assert!(out.stdout.contains("Import successful!"), "{}", out.stdout);
    assert_eq!(w.state().instances[&"testing_thing.a".parse().unwrap()].attributes["payload"], "one");
    let plan = w.ok(&["plan", "--target", "testing_thing.a"]);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    let twice = w.corral(&["import", "testing_thing.a", &a]);
    assert_eq!(twice.code, 1);
    assert!(twice.stderr.contains("Resource already managed by Corral"), "{}", twice.stderr);
    let unconfigured = w.corral(&["import", "testing_thing.zz", &a]);
    assert_eq!(unconfigured.code, 1);
    assert!(unconfigured.stderr.contains("Import to non-existent resource address"), "{}", unconfigured.stderr);
    let missing = w.corral(&["import", "testing_thing.m[\"x\"]", "no-such-id"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("no testing_thing has id `no-such-id`"), "{}", missing.stderr);
    assert_eq!(w.state().instances.len(), 1, "failed imports write nothing");
}

#[test]
fn a_removed_block_forgets_or_destroys_and_refuses_a_resource_still_configured() {
    let w = Workdir::fixture("import");
    w.ok(&["apply", "--auto-approve"]);
    let kept = "removed {\n  from = testing_thing.a\n  lifecycle {\n    destroy = false\n  }\n}\n";
    let main = std::fs::read_to_string(w.path().join("main.hcl")).unwrap();
    w.write("removed.hcl", kept);
    let refused = w.corral(&["plan"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("Removed resource block still exists"), "{}", refused.stderr);

    let without_a =
        main.split("resource \"testing_thing\" \"m\"").nth(1).map(|m| format!("resource \"testing_thing\" \"m\"{m}"));
    w.write("main.hcl", &without_a.unwrap());
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("# testing_thing.a will no longer be managed by Corral"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 0 to add, 0 to change, 0 to destroy, 1 to forget."), "{}", plan.stdout);
    assert!(plan.stderr.contains("Some objects will no longer be managed by Corral"), "{}", plan.stderr);
    let applied = w.ok(&["apply", "--auto-approve"]);
    assert!(applied.stdout.contains("0 destroyed, 1 forgotten."), "{}", applied.stdout);
    assert!(!w.state().instances.contains_key(&"testing_thing.a".parse().unwrap()));
    assert!(w.objects().iter().any(|o| o["attributes"]["name"] == "alpha"), "the object is left alone");

    // `destroy = true` (the default) is a plain destroy.
    w.write("removed.hcl", "removed {\n  from = testing_thing.m\n}\n");
    w.write("main.hcl", "");
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("Plan: 0 to add, 0 to change, 2 to destroy."), "{}", plan.stdout);
    w.ok(&["apply", "--auto-approve"]);
    assert!(w.objects().iter().all(|o| o["attributes"]["name"] == "alpha"), "{:?}", w.objects());
}
