//! `-C DIR` / `-chdir=DIR` works as Terraform 1.0.3's `-chdir`: the process moves to DIR, so
//! `path.module` and `path.root` are `.`, `file()` and `fileset()` read DIR's files, and
//! `path.cwd` stays the directory Corral was started in (compared with Terraform 1.0.3 on the
//! same configuration).

use crate::support::Workdir;

const CONFIG: &str = r#"
output "cwd" {
  value = path.cwd
}
output "module" {
  value = path.module
}
output "root" {
  value = path.root
}
output "x" {
  value = file("x.txt")
}
output "set" {
  value = fileset(".", "*.txt")
}
"#;

#[test]
fn chdir_moves_the_process_as_terraform_does() {
    let w = Workdir::new();
    w.write("x.txt", "top\n");
    w.write("stack/x.txt", "stack\n");
    w.write("stack/y.txt", "");
    w.write("stack/main.tf", CONFIG);
    for flag in [vec!["-chdir=stack"], vec!["-C", "stack"]] {
        let mut args = flag.clone();
        args.extend(["apply", "-auto-approve"]);
        w.ok(&args);
        let mut args = flag;
        args.extend(["output", "-json"]);
        let out = w.ok(&args);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let started = w.path().canonicalize().unwrap();
        assert_eq!(json["cwd"]["value"], started.display().to_string(), "{}", out.stdout);
        assert_eq!(json["module"]["value"], ".");
        assert_eq!(json["root"]["value"], ".");
        assert_eq!(json["x"]["value"], "stack\n");
        assert_eq!(json["set"]["value"], serde_json::json!(["x.txt", "y.txt"]));
    }
    // The state is the stack's.
    assert!(w.path().join("stack/.corral").is_dir());
    assert!(!w.path().join(".corral").exists());

    // A directory given as an argument is not a change of directory (Terraform 0.x's
    // `plan DIR`): paths are relative to where Corral runs.
    let out = w.ok(&["plan", "stack", "-no-color"]);
    assert!(out.stdout.contains("module = \".\" -> \"stack\""), "{}", out.stdout);

    let out = w.corral(&["-chdir=nosuch", "plan"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("cannot change to the directory `nosuch`"), "{}", out.stderr);
}
