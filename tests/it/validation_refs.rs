//! Variable `validation` rules that refer to locals and data sources (Terraform ≥ 1.9): the
//! graph evaluates what a rule refers to before the variable, so the rule sees real values.

use crate::support::Workdir;

fn squeezed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn validations_see_locals_and_data_sources() {
    let w = Workdir::fixture("validation_refs");
    w.ok(&["validate"]);
    let out = w.corral(&["plan", "-var", "env=qa"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let err = squeezed(&out.stderr);
    assert!(err.contains("Invalid value for variable \"env\""), "{}", out.stderr);
    assert!(err.contains("env must be one of dev, prod."), "{}", out.stderr);
    assert!(err.contains("main.tf:12:"), "{}", out.stderr);

    let out = w.corral(&["plan", "-var", "size=3"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(squeezed(&out.stderr).contains("only 2 more app-* objects fit."), "{}", out.stderr);

    // The data source's answer changes what fits: one app-* object exists after this apply.
    w.ok(&["apply", "-auto-approve"]);
    let out = w.corral(&["plan", "-var", "size=2"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(squeezed(&out.stderr).contains("only 1 more app-* objects fit."), "{}", out.stderr);
    let out = w.corral(&["plan", "-var", "size=1", "-detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

#[test]
fn a_validation_in_a_child_module_sees_its_locals() {
    let w = Workdir::new();
    w.write(
        "child/main.tf",
        "locals {\n  sizes = [\"small\", \"large\"]\n}\nvariable \"size\" {\n  validation {\n    condition     = contains(local.sizes, var.size)\n    error_message = \"size must be one of ${join(\", \", local.sizes)}\"\n  }\n}\n",
    );
    w.write("main.tf", "module \"c\" {\n  source = \"./child\"\n  size   = \"huge\"\n}\n");
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(squeezed(&out.stderr).contains("size must be one of small, large"), "{}", out.stderr);
    w.write("main.tf", "module \"c\" {\n  source = \"./child\"\n  size   = \"small\"\n}\n");
    w.ok(&["plan"]);
}

#[test]
fn a_validation_through_a_local_of_the_variable_itself_is_a_cycle() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        "locals {\n  upper = upper(var.env)\n}\nvariable \"env\" {\n  default = \"dev\"\n  validation {\n    condition     = local.upper != \"QA\"\n    error_message = \"no qa\"\n  }\n}\n",
    );
    let out = w.corral(&["validate"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(squeezed(&out.stderr).contains("Cycle: var.env → local.upper → var.env"), "{}", out.stderr);
}
