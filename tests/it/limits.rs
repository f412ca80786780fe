//! The language's limits as a user meets them: sensitive values used as keys, and the caps
//! on module instances, file sizes and function results (engine/src/lang/limits.rs).

use crate::support::Workdir;

const SECRET_KEY_CONFIG: &str = r#"
variable "p" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
output "m" {
  value = { for k in [var.p] : k => 1 }
}
"#;

/// A sensitive value used as a `for` key marks the whole object, as in Terraform: a
/// non-sensitive output refusing it, a sensitive one never printing the key.
#[test]
fn a_sensitive_for_key_marks_the_whole_object() {
    let w = Workdir::new();
    w.write("main.hcl", SECRET_KEY_CONFIG);
    for command in [&["plan"][..], &["apply", "--auto-approve"]] {
        let out = w.corral(command);
        assert_ne!(out.code, 0, "{command:?}: {out:?}");
        assert!(out.stderr.contains("Output refers to sensitive values"), "{out:?}");
        assert!(!out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"), "{out:?}");
    }

    w.write("main.hcl", &SECRET_KEY_CONFIG.replace("value = {", "sensitive = true\n  value = {"));
    for command in [&["plan"][..], &["apply", "--auto-approve"], &["output"], &["show"]] {
        let out = w.ok(command);
        assert!(!out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"), "{command:?}: {out:?}");
    }
    // `corral output m` prints the value, as `terraform output NAME` does on request.
    let state = w.state();
    let stored = state.outputs.get("m").expect("output m in state");
    assert!(stored.sensitive, "{stored:?}");
}
