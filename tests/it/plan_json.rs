//! The plan JSON (issue 12, "Plan JSON that the tools teams already run can read"): `corral
//! show -json PLANFILE` has Terraform's shape (`planned_values`, `prior_state`,
//! `configuration`, ...), and Checkov, the policy tool from PyPI, runs a custom policy over
//! it. Checkov is found through `CORRAL_CHECKOV` (`.ci/run` installs it in a venv); without
//! it the Checkov test is skipped, except under CI, where it must run.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Output, Workdir, copy_dir, fixtures};

/// `corral plan -out FILE` then `corral show -json FILE`, with Terraform's spellings.
fn plan_json(w: &Workdir, file: &str) -> Value {
    w.ok(&["plan", "-input=false", "-out", file]);
    let shown = w.ok(&["show", "-json", file]);
    serde_json::from_str(&shown.stdout).unwrap_or_else(|e| panic!("{e}: {}", shown.stdout))
}

/// Every resource of a `planned_values`/`prior_state` module tree, with the module address
/// each was listed under.
fn tree_resources(module: &Value, out: &mut Vec<(String, Value)>) {
    let address = module["address"].as_str().unwrap_or("").to_string();
    for resource in module["resources"].as_array().into_iter().flatten() {
        out.push((address.clone(), resource.clone()));
    }
    for child in module["child_modules"].as_array().into_iter().flatten() {
        tree_resources(child, out);
    }
}

fn find<'v>(resources: &'v [(String, Value)], address: &str) -> &'v Value {
    &resources.iter().find(|(_, r)| r["address"] == address).unwrap_or_else(|| panic!("no {address}")).1
}

#[test]
fn plan_json_has_terraform_shape_from_plan_to_prior_state() {
    let w = Workdir::new();
    copy_dir(&fixtures().join("plan_json/shape"), w.path());
    let json = plan_json(&w, "tfplan");
    for key in ["format_version", "terraform_version", "variables", "planned_values", "resource_changes"] {
        assert!(json.get(key).is_some(), "no {key}: {json}");
    }
    for key in ["output_changes", "configuration"] {
        assert!(json.get(key).is_some(), "no {key}: {json}");
    }
    assert_eq!(json["format_version"], "1.2");
    assert!(json.get("prior_state").is_none(), "an empty state has no prior_state, as in Terraform");

    // Every instance the plan keeps is in planned_values, in the module it belongs to.
    let mut planned = Vec::new();
    tree_resources(&json["planned_values"]["root_module"], &mut planned);
    let listed: BTreeSet<String> = planned.iter().map(|(_, r)| r["address"].as_str().unwrap().to_string()).collect();
    let changed: BTreeSet<String> = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, changed);
    assert_eq!(listed.len(), 7, "{listed:?}");
    for (module, resource) in &planned {
        let address = resource["address"].as_str().unwrap();
        assert!(address.starts_with(module.as_str()), "{address} listed under {module}");
        assert_eq!(resource["mode"], "managed");
        assert_eq!(resource["type"], "testing_thing");
        assert_eq!(resource["schema_version"], 0);
    }
    let root = &json["planned_values"]["root_module"];
    let outer = &root["child_modules"][0];
    assert_eq!(outer["address"], "module.outer");
    assert_eq!(outer["resources"][0]["address"], "module.outer.testing_thing.o");
    assert_eq!(outer["child_modules"][0]["address"], "module.outer.module.inner");
    assert_eq!(outer["child_modules"][0]["resources"][0]["address"], "module.outer.module.inner.testing_thing.i");

    // Values: unknown attributes left out, sensitive ones marked, keys of counted instances.
    let thing = find(&planned, "testing_thing.root");
    assert!(thing["values"].get("id").is_none(), "an unknown id is left out: {thing}");
    assert_eq!(thing["values"]["name"], "root");
    assert_eq!(thing["values"]["tags"], json!({"env": "dev"}));
    assert_eq!(thing["sensitive_values"]["secret"], true);
    assert_eq!(find(&planned, "testing_thing.counted[1]")["index"], 1);
    assert_eq!(find(&planned, "testing_thing.counted[1]")["values"]["name"], "counted-1");
    assert!(find(&planned, "testing_thing.counted[1]")["values"].get("payload").is_none());
    let create = json["resource_changes"].as_array().unwrap().iter().find(|c| c["address"] == "testing_thing.root");
    assert_eq!(create.unwrap()["change"]["after_unknown"]["id"], true);
    assert_eq!(json["planned_values"]["outputs"]["root_id"], json!({"sensitive": false}));

    // The configuration: expressions as constants or references, modules nested in calls.
    let config = &json["configuration"]["root_module"];
    let resource = |module: &Value, address: &str| -> Value {
        module["resources"].as_array().unwrap().iter().find(|r| r["address"] == address).cloned().unwrap()
    };
    let counted = resource(config, "testing_thing.counted");
    assert_eq!(counted["count_expression"], json!({"constant_value": 2}));
    assert_eq!(counted["provider_config_key"], "testing");
    assert_eq!(counted["expressions"]["name"], json!({"references": ["count.index"]}));
    assert_eq!(
        counted["expressions"]["payload"],
        json!({"references": ["testing_thing.root.id", "testing_thing.root"]})
    );
    assert_eq!(
        resource(config, "testing_thing.root")["expressions"]["tags"],
        json!({"constant_value": {"env": "dev"}})
    );
    assert_eq!(config["outputs"]["root_id"]["expression"]["references"][1], "testing_thing.root");
    assert_eq!(config["variables"]["payload"], json!({"default": "p1", "description": "What the root thing carries"}));
    let call = &config["module_calls"]["outer"];
    assert_eq!(call["source"], "./outer");
    assert_eq!(call["expressions"]["prefix"], json!({"references": ["testing_thing.root.name", "testing_thing.root"]}));
    let inner = &call["module"]["module_calls"]["inner"]["module"];
    assert_eq!(resource(inner, "testing_thing.i")["expressions"]["payload"], json!({"references": ["var.payload"]}));

    // Write-only values appear nowhere: not a literal, not a variable's default.
    let text = json.to_string();
    assert!(!text.contains("Literal-Pw-42") && !text.contains("Default-Pw-77"), "{text}");
    assert_eq!(resource(config, "testing_thing.literal")["expressions"]["password"], json!({}));
    assert_eq!(config["variables"]["db_password"], json!({"sensitive": true}));

    // After an apply, the next plan starts from a prior state with every object's values.
    w.ok(&["apply", "-input=false", "tfplan"]);
    let json = plan_json(&w, "tfplan2");
    let prior = &json["prior_state"];
    assert_eq!(prior["format_version"], "1.2");
    let mut before = Vec::new();
    tree_resources(&prior["values"]["root_module"], &mut before);
    assert_eq!(before.len(), 7);
    let id = find(&before, "testing_thing.root")["values"]["id"].as_str().unwrap().to_string();
    assert_eq!(find(&before, "testing_thing.counted[0]")["values"]["payload"], id.as_str());
    assert_eq!(find(&before, "module.outer.module.inner.testing_thing.i")["values"]["name"], "inner");
    assert_eq!(prior["values"]["outputs"]["root_id"], json!({"sensitive": false, "value": id}));
    let mut planned = Vec::new();
    tree_resources(&json["planned_values"]["root_module"], &mut planned);
    assert_eq!(find(&planned, "testing_thing.root")["values"]["id"], id.as_str(), "known now");
    let text = json.to_string();
    assert!(!text.contains("Literal-Pw-42") && !text.contains("Default-Pw-77"), "{text}");

    // `plan -json` prints the same document as `show -json` of the saved plan.
    let direct: Value = serde_json::from_str(&w.ok(&["plan", "-json"]).stdout).unwrap();
    assert_eq!(direct["configuration"], json["configuration"]);
    assert_eq!(direct["prior_state"], json["prior_state"]);
}

#[test]
fn show_json_leaves_out_a_configuration_that_changed_since_the_plan() {
    let w = Workdir::new();
    copy_dir(&fixtures().join("plan_json/shape"), w.path());
    w.ok(&["plan", "-out", "tfplan"]);
    let main = std::fs::read_to_string(w.path().join("main.hcl")).unwrap();
    w.write("main.hcl", &main.replace("\"p1\"", "\"p2\""));
    let shown = w.ok(&["show", "-json", "tfplan"]);
    let json: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert!(json.get("configuration").is_none(), "{}", shown.stdout);
    assert!(json.get("planned_values").is_some());
    assert!(shown.stderr.contains("configuration changed since the plan"), "{}", shown.stderr);
}

/// Checkov's results for one check, as (failed, passed) resource addresses.
fn checkov_results(report: &Value, check: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let addresses = |kind: &str| -> BTreeSet<String> {
        report["results"][kind]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["check_id"] == check)
            .map(|r| r["resource_address"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    (addresses("failed_checks"), addresses("passed_checks"))
}

#[test]
fn checkov_runs_a_custom_policy_over_the_plan_json() {
    let Some(checkov) = std::env::var_os("CORRAL_CHECKOV") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the Checkov test: set CORRAL_CHECKOV to a checkov executable (.ci/run installs one)"
        );
        eprintln!("skipped: CORRAL_CHECKOV is not set (the path of a checkov executable; .ci/run installs one)");
        return;
    };
    let w = Workdir::new();
    copy_dir(&fixtures().join("plan_json/network"), w.path());
    // The KMR provider plans against its embedded sandbox.
    let json = plan_json(&w, "tfplan");
    std::fs::write(w.path().join("tfplan.json"), json.to_string()).unwrap();

    let out = Command::new(&checkov)
        .args(["-f", "tfplan.json", "--framework", "terraform_plan", "--external-checks-dir"])
        .arg(fixtures().join("plan_json/policies"))
        .args(["--check", "CKV_KMR_1", "--skip-download", "-o", "json"])
        // Offline: no mapping download from Bridgecrew's API.
        .env("BC_SKIP_MAPPING", "TRUE")
        .current_dir(w.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", checkov.to_string_lossy()));
    let out = Output::from(out);
    // 1 when a check fails, which is what this test expects.
    assert!(out.code == 0 || out.code == 1, "checkov: {}\n{}", out.stdout, out.stderr);
    let report: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    let (failed, passed) = checkov_results(&report, "CKV_KMR_1");
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        failed,
        set(&["kmr_security_group_rule.ssh_world", "module.edge.kmr_security_group_rule.port[\"ssh\"]"]),
        "{report}"
    );
    assert_eq!(
        passed,
        set(&["kmr_security_group_rule.ssh_office", "module.edge.kmr_security_group_rule.port[\"https\"]"]),
        "{report}"
    );
}

#[test]
fn configuration_writes_no_constant_a_write_only_attribute_draws_from() {
    let w = Workdir::new();
    copy_dir(&fixtures().join("plan_json/write_only"), w.path());
    let out = w.ok(&["plan", "-json"]);
    for secret in ["Local-Pw-1", "Argument-Pw-2", "Default-Pw-3", "Output-Pw-4"] {
        assert!(!out.stdout.contains(secret), "{secret} in {}", out.stdout);
    }
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let call = &json["configuration"]["root_module"]["module_calls"]["vault"];
    assert_eq!(call["expressions"]["password"], json!({}));
    assert_eq!(call["expressions"]["label"], json!({"constant_value": "plain-label"}));
    assert_eq!(call["module"]["variables"]["password"], json!({}));
    assert_eq!(call["module"]["outputs"]["stored"]["expression"], json!({}));
    let resources = json["configuration"]["root_module"]["resources"].as_array().unwrap();
    let via_local = resources.iter().find(|r| r["address"] == "testing_thing.via_local").unwrap();
    assert_eq!(via_local["expressions"]["password"], json!({"references": ["local.pw"]}));
}
