//! Provider-defined functions (`provider::NAME::FUNCTION(...)`, Terraform 1.8): the built-in
//! `terraform` provider's `encode_expr`, `encode_tfvars` and `decode_tfvars` (answers from
//! Terraform's own tests), a KMR function in a `validation` block (the KMR provider runs as a
//! plugin process by default, so the call crosses the plugin protocol), unknown and
//! sensitive arguments, and the errors, with their positions.

use crate::support::{Output, Workdir};

fn console(w: &Workdir, stdin: &str) -> Output {
    crate::support::run_with_stdin(w.command(&["console"]), stdin)
}

const KMR_REQUIRED: &str = "terraform {\n  required_providers {\n    kmr = { source = \"corral/kmr\" }\n  }\n}\n";

#[test]
fn console_evaluates_the_terraform_providers_functions() {
    let w = Workdir::new();
    w.write("main.hcl", "locals {\n  n = 3\n}\n");
    let cases: &[(&str, &str)] = &[
        (r#"provider::terraform::encode_expr("hel$${lo")"#, r#""\"hel$${lo\"""#),
        (r#"provider::terraform::encode_expr([5, "..."])"#, r#""[5, \"...\"]""#),
        (r#"provider::terraform::encode_expr({})"#, r#""{}""#),
        (r#"provider::terraform::decode_tfvars("a = 1\nb = \"x\"")"#, "{\n  \"a\" = 1\n  \"b\" = \"x\"\n}"),
        (r#"provider::terraform::encode_tfvars({ one = 1, three = 3 })"#, "<<EOT\none   = 1\nthree = 3\n\nEOT"),
        (r#"provider::terraform::encode_expr(sensitive("x"))"#, "(sensitive)"),
        // Terraform 1.10's: Corral has no ephemeral values, so every value is kept.
        (r#"ephemeralasnull({ a = "x" })"#, "{\n  \"a\" = \"x\"\n}"),
    ];
    let input: String = cases.iter().map(|(expr, _)| format!("{expr}\n")).collect();
    let expected: String = cases.iter().map(|(_, answer)| format!("{answer}\n")).collect();
    let out = console(&w, &input);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, expected, "{}", out.stderr);
}

#[test]
fn a_kmr_function_checks_a_variable_at_plan_through_the_plugin() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!(
            "{KMR_REQUIRED}variable \"admin_password\" {{\n  type      = string\n  sensitive = true\n  validation {{\n    condition     = length(provider::kmr::password_problems(var.admin_password)) == 0\n    error_message = \"The KMR password policy refuses this password.\"\n  }}\n}}\n"
        ),
    );
    w.ok(&["plan", "--var", "admin_password=Corral-2026"]);
    let out = w.corral(&["plan", "--var", "admin_password=admin"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("The KMR password policy refuses this password."), "{}", out.stderr);
    assert!(out.stderr.contains("main.tf:10:21"), "{}", out.stderr);
    // Through console too, with every broken rule listed.
    let out = console(&w, "length(provider::kmr::password_problems(\"admin\"))\n");
    assert_eq!(out.stdout, "3\n", "{}", out.stderr);
}

#[test]
fn an_unknown_argument_gives_an_unknown_result_and_marks_pass_through() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        "variable \"secret\" {\n  default   = \"s\"\n  sensitive = true\n}\nresource \"corral_data\" \"d\" {\n  input = \"x\"\n}\noutput \"later\" {\n  value = provider::terraform::encode_expr(corral_data.d.id)\n}\noutput \"hidden\" {\n  value     = provider::terraform::encode_expr(var.secret)\n  sensitive = true\n}\n",
    );
    let out = w.ok(&["plan"]);
    assert!(out.stdout.contains("+ later  = (known after apply)"), "{}", out.stdout);
    assert!(out.stdout.contains("+ hidden = (sensitive value)"), "{}", out.stdout);
    // Without `sensitive = true` the output is refused: the mark came through the call.
    let text = std::fs::read_to_string(w.path().join("main.hcl")).unwrap();
    w.write(
        "main.hcl",
        &text.replace(
            "  value     = provider::terraform::encode_expr(var.secret)\n  sensitive = true\n",
            "  value = provider::terraform::encode_expr(var.secret)\n",
        ),
    );
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("sensitive"), "{}", out.stderr);
}

#[test]
fn calls_that_cannot_be_made_are_errors_at_their_position() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        "locals {\n  a = provider::kmr::password_problems(\"x\")\n  b = provider::terraform::encode_exp(1)\n  c = provider::nosuch::f()\n}\n",
    );
    let out = w.corral(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    insta::assert_snapshot!("provider_function_call_errors", out.stderr);
    w.write(
        "main.tf",
        &format!(
            "{KMR_REQUIRED}locals {{\n  a = provider::kmr::password_problems()\n  b = provider::kmr::password_problems([1])\n  c = provider::terraform::decode_tfvars(\"x = var.y\")\n}}\n"
        ),
    );
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    insta::assert_snapshot!("provider_function_argument_errors", out.stderr);
}

#[test]
fn providers_schema_lists_functions() {
    let w = Workdir::new();
    let out = w.ok(&["providers", "schema", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let kmr = &json["provider_schemas"]["kmr"]["functions"]["password_problems"];
    assert_eq!(kmr["return_type"], serde_json::json!(["list", "string"]), "{kmr}");
    let terraform = &json["provider_schemas"]["terraform"]["functions"];
    assert!(terraform.get("encode_expr").is_some() && terraform.get("decode_tfvars").is_some(), "{terraform}");
}

#[test]
fn the_functions_of_a_provider_served_out_of_process_answer_through_the_plugin_protocol() {
    let w = Workdir::new();
    w.write("main.hcl", "locals {\n  n = 3\n}\n");
    let mut command = w.command(&["console"]);
    command.env("CORRAL_OUT_OF_PROCESS", "terraform");
    let input = "provider::terraform::encode_expr({ b = [1, \"x\"], a = true })\nprovider::terraform::decode_tfvars(\"x = f()\")\n";
    let out = crate::support::run_with_stdin(command, input);
    assert_eq!(out.stdout, "<<EOT\n{\n  a = true\n  b = [1, \"x\"]\n}\nEOT\n", "{}", out.stderr);
    // A function error crosses the protocol with its text.
    assert!(
        out.stderr
            .contains("<decode_tfvars argument>:1,5-8: Function calls not allowed; Functions may not be called here."),
        "{}",
        out.stderr
    );
}
