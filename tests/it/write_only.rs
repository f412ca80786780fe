//! Write-only attributes through the binary: the provider gets the value, the object keeps
//! it, and nothing Corral writes (state, intents, plan files, plan output) ever holds it.

use crate::support::{Workdir, files_containing, fixtures};

const FIRST: &str = "first-Secret-4417";
const SECOND: &str = "second-Secret-9083";

fn use_version(w: &Workdir, version: &str) {
    let text = std::fs::read_to_string(fixtures().join("write_only").join(version).join("main.hcl")).unwrap();
    w.write("main.hcl", &text);
}

fn object_password(w: &Workdir) -> String {
    let objects = w.objects();
    assert_eq!(objects.len(), 1, "{objects:?}");
    objects[0]["attributes"]["password"].as_str().unwrap().to_string()
}

#[test]
fn a_write_only_password_reaches_the_object_and_is_never_written_down() {
    let w = Workdir::new();
    use_version(&w, "v1");
    let apply = w.ok(&["apply", "--auto-approve"]);
    assert!(!apply.stdout.contains(FIRST), "{}", apply.stdout);
    assert_eq!(object_password(&w), FIRST, "the provider had the value");
    let remote = w.path().join(".corral/testing");
    assert_eq!(files_containing(&w.path().join(".corral"), FIRST, &remote), Vec::<String>::new());
    let state = w.state();
    let db = state.instances.values().next().unwrap();
    let digest = db.attributes["password"].as_str().unwrap();
    assert!(digest.starts_with("hmac-sha256:"), "the state holds a keyed digest: {digest}");

    // Nothing changed: nothing to do, even though the object cannot tell its password.
    let plan = w.corral(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);

    // A new password is a change, shown without the value, saved without it.
    use_version(&w, "v2");
    let plan = w.corral(&["plan", "--detailed-exitcode", "--out", "rotate.plan"]);
    assert_eq!(plan.code, 2, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("~ password"), "{}", plan.stdout);
    assert!(plan.stdout.contains("(sensitive value)"), "{}", plan.stdout);
    assert!(!plan.stdout.contains(SECOND) && !plan.stdout.contains(FIRST), "{}", plan.stdout);
    let json = w.ok(&["show", "--json", "rotate.plan"]);
    assert!(!json.stdout.contains(SECOND), "{}", json.stdout);
    assert_eq!(files_containing(w.path(), SECOND, &w.path().join("main.hcl")), Vec::<String>::new());

    w.ok(&["apply", "rotate.plan"]);
    assert_eq!(object_password(&w), SECOND);
    assert_eq!(files_containing(&w.path().join(".corral"), SECOND, &remote), Vec::<String>::new());
    let plan = w.corral(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}
