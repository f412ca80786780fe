//! `-exclude=ADDR` (OpenTofu's opposite of `-target`) on plan, apply and destroy: the named
//! resources, and what depends on them, are left as they are.

use crate::support::Workdir;

const CONFIG: &str = r#"
resource "testing_thing" "base" {
  name = "base"
}

resource "testing_thing" "app" {
  name = "app-${testing_thing.base.id}"
}

resource "testing_thing" "other" {
  name = "other"
}

resource "testing_thing" "n" {
  count = 3
  name  = "n${count.index}"
}
"#;

fn names(w: &Workdir) -> Vec<String> {
    let mut names: Vec<String> =
        w.objects().iter().map(|o| o["attributes"]["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    names.retain(|n| !n.starts_with("app-"));
    names
}

#[test]
fn exclude_leaves_the_resource_and_its_dependents_alone() {
    let w = Workdir::new();
    w.write("main.tf", CONFIG);
    let out = w.ok(&["plan", "-exclude=testing_thing.base", "-exclude", "testing_thing.n[1]", "-no-color"]);
    assert!(out.stdout.contains("testing_thing.other will be created"), "{}", out.stdout);
    assert!(out.stdout.contains("testing_thing.n[0] will be created"), "{}", out.stdout);
    assert!(!out.stdout.contains("testing_thing.n[1]"), "{}", out.stdout);
    assert!(!out.stdout.contains("testing_thing.base"), "{}", out.stdout);
    // A dependent of an excluded resource is excluded too.
    assert!(!out.stdout.contains("testing_thing.app"), "{}", out.stdout);
    assert!(out.stderr.contains("targeting is in effect"), "{}", out.stderr);

    // A saved plan keeps its excludes.
    w.ok(&["plan", "-exclude=testing_thing.base", "-out=tfplan"]);
    w.ok(&["apply", "tfplan"]);
    assert_eq!(names(&w), ["n0", "n1", "n2", "other"]);
    assert_eq!(w.objects().len(), 4);

    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(w.objects().len(), 6);

    // Destroy: the excluded resource stays, with what it depends on; its dependents go.
    w.ok(&["destroy", "-auto-approve", "-exclude=testing_thing.app"]);
    let mut left: Vec<String> =
        w.objects().iter().map(|o| o["attributes"]["name"].as_str().unwrap().to_string()).collect();
    left.sort();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&"base".to_string()) && left.iter().any(|n| n.starts_with("app-")), "{left:?}");
}

#[test]
fn an_invalid_exclude_address_is_refused() {
    let w = Workdir::new();
    w.write("main.tf", CONFIG);
    let out = w.corral(&["plan", "-exclude=not an address"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("Invalid exclude address"), "{}", out.stderr);
}
