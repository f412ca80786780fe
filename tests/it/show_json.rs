//! `corral show -json` of the state in the shape of Terraform 1.0.3's `terraform show -json`
//! (`format_version` 0.2, `values.outputs`, `values.root_module` with `resources` and
//! `child_modules`), for the tools that read it. The expected documents of the first test were
//! written by Terraform 1.0.3 for the same configuration.

use crate::support::Workdir;

#[test]
fn an_empty_state_and_a_state_of_outputs_match_terraform_byte_for_byte() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        "output \"a\" {\n  value = \"x\"\n}\noutput \"s\" {\n  value     = { k = 1 }\n  sensitive = true\n}\n",
    );
    assert_eq!(w.ok(&["show", "-json"]).stdout.trim(), r#"{"format_version":"0.2"}"#);
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(
        w.ok(&["show", "-json"]).stdout.trim(),
        r#"{"format_version":"0.2","terraform_version":"1.0.3","values":{"outputs":{"a":{"sensitive":false,"value":"x"},"s":{"sensitive":true,"value":{"k":1}}},"root_module":{}}}"#
    );
}

#[test]
fn resources_sit_in_their_module_with_terraforms_fields() {
    let w = Workdir::fixture("show_json");
    w.ok(&["apply", "-auto-approve"]);
    w.ok(&["taint", "testing_thing.n[1]"]);
    let out = w.ok(&["show", "-json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["format_version"], "0.2");
    let root = &doc["values"]["root_module"];
    let addresses: Vec<&str> =
        root["resources"].as_array().unwrap().iter().map(|r| r["address"].as_str().unwrap()).collect();
    assert_eq!(addresses, ["testing_thing.base", "testing_thing.n[0]", "testing_thing.n[1]"]);
    let base = &root["resources"][0];
    let keys: Vec<&str> = base.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["address", "mode", "type", "name", "provider_name", "schema_version", "values", "sensitive_values"]
    );
    assert_eq!(base["mode"], "managed");
    assert_eq!(base["values"]["secret"], "s3cret");
    assert_eq!(base["sensitive_values"]["secret"], true);
    assert!(base["sensitive_values"].get("name").is_none());
    let n1 = &root["resources"][2];
    assert_eq!(n1["index"], 1);
    assert_eq!(n1["depends_on"], serde_json::json!(["testing_thing.base"]));
    assert_eq!(n1["tainted"], true);
    assert!(root["resources"][1].get("tainted").is_none());
    let net = &root["child_modules"][0];
    assert_eq!(net["address"], "module.net");
    assert_eq!(net["resources"][0]["address"], "module.net.testing_thing.each[\"a\"]");
    assert_eq!(net["resources"][0]["index"], "a");
    assert_eq!(doc["values"]["outputs"]["secret"], serde_json::json!({ "sensitive": true, "value": "s3cret" }));
    assert_eq!(doc["values"]["outputs"]["base_id"]["value"], base["values"]["id"]);
}

/// `provider_name` is the provider's full source address, as Terraform 1.0.3 writes it
/// (`registry.terraform.io/hashicorp/aws`, the same inside modules): the `source` in
/// `required_providers`, else Corral's default namespace.
#[test]
fn provider_name_is_the_full_source_address_in_plan_and_state_json() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        "resource \"testing_thing\" \"a\" {\n  name = \"a\"\n}\nmodule \"m\" {\n  source = \"./m\"\n}\n",
    );
    w.write("m/main.tf", "resource \"testing_thing\" \"b\" {\n  name = \"b\"\n}\n");
    w.ok(&["apply", "-auto-approve"]);
    let names = |doc: &serde_json::Value| -> Vec<String> {
        let mut found = Vec::new();
        fn walk(v: &serde_json::Value, found: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(name)) = map.get("provider_name") {
                        found.push(name.clone());
                    }
                    map.values().for_each(|v| walk(v, found));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
                _ => {}
            }
        }
        walk(doc, &mut found);
        found
    };
    let state: serde_json::Value = serde_json::from_str(&w.ok(&["show", "-json"]).stdout).unwrap();
    assert_eq!(names(&state), ["registry.terraform.io/corral/testing"; 2]);

    // A `source` is written in its full form, in every part of the plan JSON.
    w.write(
        "versions.tf",
        "terraform {\n  required_providers {\n    testing = { source = \"Acme/testing\" }\n  }\n}\n",
    );
    w.write(
        "main.tf",
        "resource \"testing_thing\" \"a\" {\n  name = \"a2\"\n}\nmodule \"m\" {\n  source = \"./m\"\n}\n",
    );
    w.ok(&["plan", "-out=tfplan"]);
    let plan: serde_json::Value = serde_json::from_str(&w.ok(&["show", "-json", "tfplan"]).stdout).unwrap();
    let in_plan = names(&plan);
    // resource_changes, planned_values and prior_state: two instances each.
    assert_eq!(in_plan.len(), 6, "{plan}");
    assert!(in_plan.iter().all(|n| n == "registry.terraform.io/acme/testing"), "{in_plan:?}");
    assert_eq!(plan["configuration"]["provider_config"]["testing"]["full_name"], "registry.terraform.io/acme/testing");
    let state: serde_json::Value = serde_json::from_str(&w.ok(&["show", "-json"]).stdout).unwrap();
    assert_eq!(names(&state), ["registry.terraform.io/acme/testing"; 2]);
}
