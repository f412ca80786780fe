//! Discovery of plugin executables.

use std::os::unix::fs::PermissionsExt as _;

use super::*;

fn make(dir: &Path, name: &str, mode: u32) {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn executables_are_found_in_order_and_the_first_of_a_name_wins() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    make(&a, "corral-provider-kmr", 0o755);
    make(&b, "corral-provider-kmr", 0o755);
    make(&b, "corral-provider-mrs", 0o755);
    make(&b, "corral-provider-notexec", 0o644);
    make(&b, "corral-provider-kmr.d", 0o755);
    make(&b, "something-else", 0o755);
    let found = executables(&[a.clone(), b.clone(), root.path().join("missing")]);
    assert_eq!(found.keys().collect::<Vec<_>>(), ["kmr", "mrs"]);
    assert_eq!(found["kmr"], a.join("corral-provider-kmr"));
    assert_eq!(found["mrs"], b.join("corral-provider-mrs"));
}

#[test]
fn project_plugins_come_before_the_plugin_path_and_the_binary_dir() {
    let data_dir = Path::new("/project/.corral");
    let dirs = search_dirs(data_dir, Some(Path::new("/opt/corral/bin/corral")));
    assert_eq!(dirs.first().unwrap(), &data_dir.join("plugins"));
    assert_eq!(dirs.last().unwrap(), Path::new("/opt/corral/bin"));
}

#[test]
fn compiled_in_providers_are_the_built_in_ones() {
    assert!(compiled_in("testing").is_some());
    assert!(compiled_in("corral").is_some());
    assert!(compiled_in("nope").is_none());
}
