//! Module calls and files of environment directories, compared.

use super::files::{FileChanges, promotable};
use super::{module_calls, module_changes};

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn promotable_files_leave_variables_settings_and_kept_files() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "main.hcl",
        "outputs.tf",
        "backend.hcl",
        "terraform.tfvars",
        "corral.unit",
        "corral.promotion",
        ".x.hcl",
        "extra.local.hcl",
    ] {
        write(dir.path(), name, "");
    }
    std::fs::create_dir_all(dir.path().join("sub.hcl")).unwrap();
    let keep = vec!["backend.hcl".to_string(), "*.local.hcl".to_string()];
    assert_eq!(promotable(dir.path(), &keep).unwrap(), ["main.hcl", "outputs.tf"]);
}

#[test]
fn module_changes_name_sources_and_inputs() {
    let root = tempfile::tempdir().unwrap();
    let (dev, staging) = (root.path().join("dev"), root.path().join("staging"));
    write(
        &dev,
        "main.hcl",
        "module \"p\" {\n  source = \"../m/v2\"\n  cidrs = concat(var.cidrs, [\"10.3.0.0/16\"])\n  env = var.env\n}\nmodule \"new\" {\n  source = \"../n\"\n}\n",
    );
    write(
        &staging,
        "main.hcl",
        "module \"p\" {\n  source = \"../m/v1\"\n  cidrs = var.cidrs\n  env = var.env\n  old = 1\n}\n",
    );
    write(&staging, "gone.hcl", "locals {}\n");
    let lines = module_changes(&module_calls(&staging, &[]).unwrap(), &module_calls(&dev, &[]).unwrap());
    assert_eq!(
        lines,
        [
            "module.new: added (source ../n)",
            "module.p: source ../m/v1 -> ../m/v2",
            "module.p: input cidrs = var.cidrs -> concat(var.cidrs, [\"10.3.0.0/16\"])",
            "module.p: input old (removed, was 1)",
        ]
    );
    let files = FileChanges::between(&dev, &staging, &[]).unwrap();
    let names: Vec<&String> = files.changed.keys().collect();
    assert_eq!(names, ["gone.hcl", "main.hcl"]);
    assert_eq!(files.changed["gone.hcl"].1, None, "a file the source does not have is removed");
}
