//! The state store under a running apply, and the state commands that mend it: a state file
//! removed or replaced mid-apply is never silently re-created, what the run knew is saved for
//! `state push`, and the next apply creates nothing twice.

use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Output, Workdir};

const THINGS: usize = 60;

fn config(things: usize) -> String {
    format!(
        "resource \"testing_thing\" \"t\" {{\n  count    = {things}\n  name     = \"thing-${{count.index}}\"\n  delay_ms = 100\n}}\n"
    )
}

/// Starts an apply slow enough (about 1.5 s) to be interfered with.
fn start_apply(w: &Workdir) -> Child {
    w.command(&["apply", "--auto-approve", "--parallelism", "4"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the apply has made (and committed) a few objects.
fn wait_for_objects(w: &Workdir, at_least: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while w.objects().len() < at_least {
        assert!(Instant::now() < deadline, "the apply made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn finish(child: Child) -> Output {
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The text without any whitespace: miette wraps long help lines at any width, even inside a
/// path, so a message is compared with its spaces and line breaks taken out.
fn squeezed(text: &str) -> String {
    text.split_whitespace().filter(|word| *word != "│").collect()
}

/// Whether `text` says `needle`, however miette wrapped it.
fn has(text: &str, needle: impl AsRef<str>) -> bool {
    squeezed(text).contains(&squeezed(needle.as_ref()))
}

/// Every object on disk has its own name: nothing was created twice.
fn assert_no_duplicates(w: &Workdir, expected: usize) {
    let names: Vec<String> =
        w.objects().iter().map(|o| o["attributes"]["name"].as_str().unwrap().to_string()).collect();
    let unique: BTreeSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "an object was created twice: {names:?}");
    assert_eq!(names.len(), expected, "objects on disk: {names:?}");
}

#[test]
fn state_removed_mid_apply_is_saved_not_recreated_and_push_restores_it() {
    removed_mid_apply("default");
}

/// Another workspace's state file is the workspace: pushing the saved state brings it back.
#[test]
fn a_removed_workspace_is_restored_by_pushing_what_the_apply_saved() {
    removed_mid_apply("staging");
}

fn removed_mid_apply(workspace: &str) {
    let w = Workdir::new();
    w.write("main.hcl", &config(THINGS));
    if workspace != "default" {
        w.ok(&["workspace", "new", workspace]);
    }
    let child = start_apply(&w);
    wait_for_objects(&w, 8);
    let store = w.path().join(format!(".corral/state/{workspace}.redb"));
    std::fs::remove_file(&store).unwrap();
    let out = finish(child);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert_eq!(out.code, 1, "{all}");
    assert!(has(&out.stderr, "was removed"), "{all}");
    assert!(
        squeezed(&out.stderr).contains(&squeezed(&format!("corral state push .corral/state/{workspace}.errored.json"))),
        "{all}"
    );
    assert!(!has(&all, "Everything that completed is recorded in state"), "a false claim:\n{all}");
    assert!(!store.exists(), "a fresh, empty store was created in place of the removed one");
    let recovery = w.path().join(format!(".corral/state/{workspace}.errored.json"));
    assert!(recovery.exists(), "{all}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&recovery).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the recovery file holds state values; it is the owner's alone");
    }
    let made = w.objects().len();
    assert!(made < THINGS, "the apply stopped starting work after the loss ({made} objects made)");

    // Until the recovery file is pushed, nothing plans against the store.
    let refused = w.corral(&["apply", "--auto-approve"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        squeezed(&refused.stderr)
            .contains(&squeezed(&format!("corral state push .corral/state/{workspace}.errored.json"))),
        "{refused:?}"
    );
    assert_eq!(w.objects().len(), made, "a refused apply touched nothing");

    let pushed = w.ok(&["state", "push", &format!(".corral/state/{workspace}.errored.json")]);
    assert!(!recovery.exists(), "pushed, the recovery file has served: {pushed:?}");
    assert_eq!(w.ok(&["state", "list"]).stdout.lines().count(), made, "every object the run made is back in state");
    w.ok(&["apply", "--auto-approve"]);
    assert_no_duplicates(&w, THINGS);
    let plan = w.corral(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{plan:?}");
}

#[test]
fn state_replaced_by_another_store_mid_apply_is_detected_by_lineage() {
    let other = Workdir::new();
    other.write("main.hcl", "resource \"testing_thing\" \"o\" {\n  name = \"other\"\n}\n");
    other.ok(&["apply", "--auto-approve"]);
    let other_state = other.state();

    let w = Workdir::new();
    w.write("main.hcl", &config(THINGS));
    let child = start_apply(&w);
    wait_for_objects(&w, 8);
    // Replaced the way `cp` + `mv` or a restore tool does it: a new file under the old name.
    let state_dir = w.path().join(".corral/state");
    std::fs::copy(other.path().join(".corral/state/default.redb"), state_dir.join("incoming")).unwrap();
    std::fs::rename(state_dir.join("incoming"), state_dir.join("default.redb")).unwrap();
    let out = finish(child);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(has(&out.stderr, "lineage"), "{out:?}");
    assert_eq!(w.state(), other_state, "nothing was written into the other state");

    let refused = w.corral(&["state", "push", ".corral/state/default.errored.json"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(has(&refused.stderr, "unrelated state"), "{refused:?}");
    w.ok(&["state", "push", "--force", ".corral/state/default.errored.json"]);
    w.ok(&["apply", "--auto-approve"]);
    assert_no_duplicates(&w, THINGS);
}

#[test]
fn state_pull_and_push_follow_terraforms_rules() {
    let w = Workdir::new();
    w.write("main.hcl", &config(2).replace("delay_ms = 100", "delay_ms = 0"));
    w.ok(&["apply", "--auto-approve"]);
    let pulled = w.ok(&["state", "pull"]).stdout;
    let old: serde_json::Value = serde_json::from_str(&pulled).unwrap();
    assert_eq!(old["instances"].as_array().unwrap().len(), 2);
    w.write("old.json", &pulled);

    w.write("main.hcl", &config(3).replace("delay_ms = 100", "delay_ms = 0"));
    w.ok(&["apply", "--auto-approve"]);
    // An older state (lower serial) is refused without `--force`.
    let older = w.corral(&["state", "push", "old.json"]);
    assert_eq!(older.code, 1, "{older:?}");
    assert!(has(&older.stderr, "newer state"), "{older:?}");
    assert_eq!(w.state().instances.len(), 3);

    // Pushing the current state back is fine, from standard input too; the serial moves on,
    // so a plan saved before the push is stale.
    let current = w.ok(&["state", "pull"]).stdout;
    w.ok(&["plan", "--out", "before.plan"]);
    let mut push = w.command(&["state", "push", "-"]).stdin(Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(push.stdin.as_mut().unwrap(), current.as_bytes()).unwrap();
    assert!(push.wait().unwrap().success());
    let serial: u64 = serde_json::from_str::<serde_json::Value>(&current).unwrap()["serial"].as_u64().unwrap();
    assert!(w.state().serial > serial);
    let stale = w.corral(&["apply", "before.plan"]);
    assert_eq!(stale.code, 1, "{stale:?}");

    w.ok(&["state", "push", "--force", "old.json"]);
    assert_eq!(w.state().instances.len(), 2);

    let garbage = w.corral(&["state", "push", "main.hcl"]);
    assert_eq!(garbage.code, 1, "{garbage:?}");
    assert!(has(&garbage.stderr, "main.hcl"), "{garbage:?}");
}

/// A thing applied from a configuration file reached through a symlink, so the test can make
/// that file unreadable.
fn applied_through_symlink() -> Workdir {
    let w = Workdir::new();
    w.write("real/things.hcl", &config(3).replace("delay_ms = 100", "delay_ms = 0"));
    std::os::unix::fs::symlink("real/things.hcl", w.path().join("things.hcl")).unwrap();
    w.ok(&["apply", "--auto-approve"]);
    w
}

/// A plan that cannot read a configuration file fails, naming it, instead of planning to
/// destroy what the file declares.
fn assert_refused_naming(w: &Workdir, name: &str) {
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(has(&out.stderr, format!("cannot read configuration file `{name}`")), "{out:?}");
    assert!(!out.stdout.contains("destroy"), "{out:?}");
    assert_eq!(w.objects().len(), 3);
}

#[test]
fn configuration_files_that_cannot_be_read_are_errors_naming_them() {
    let w = applied_through_symlink();
    std::fs::remove_file(w.path().join("real/things.hcl")).unwrap();
    assert_refused_naming(&w, "things.hcl");
    let out = w.corral(&["plan"]);
    assert!(has(&out.stderr, "symbolic link to `real/things.hcl`"), "{out:?}");

    let w = applied_through_symlink();
    std::fs::remove_file(w.path().join("things.hcl")).unwrap();
    std::fs::rename(w.path().join("real/things.hcl"), w.path().join("things.hcl")).unwrap();
    std::os::unix::fs::symlink("loop.tf", w.path().join("loop.tf")).unwrap();
    assert_refused_naming(&w, "loop.tf");

    let w = applied_through_symlink();
    std::fs::remove_file(w.path().join("things.hcl")).unwrap();
    let name = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"th\xefngs.hcl");
    std::fs::rename(w.path().join("real/things.hcl"), w.path().join(name)).unwrap();
    assert_refused_naming(&w, "th\u{fffd}ngs.hcl");
}

#[test]
fn without_configuration_plan_and_apply_refuse_and_the_warning_names_the_directory() {
    let w = Workdir::new();
    let dir = w.path().canonicalize().unwrap();
    for command in [&["plan"][..], &["apply", "--auto-approve"][..]] {
        let out = w.corral(command);
        assert_eq!(out.code, 1, "{out:?}");
        assert!(has(&out.stderr, "No configuration files"), "{out:?}");
        assert!(has(&out.stderr, dir.display().to_string()), "the directory is named: {out:?}");
    }
    assert!(!w.path().join(".corral").exists(), "nothing was made in the directory");
    let out = w.ok(&["validate"]);
    assert!(has(&out.stderr, format!("no `.hcl` or `.tf` files in `{}`", dir.display())), "{out:?}");

    let mut console = w.command(&["console"]);
    let mut child = console.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"1 + 1\n2 + 2\n3 + 3\n").unwrap();
    let out = finish(child);
    assert_eq!(out.stdout, "2\n4\n6\n", "{out:?}");
    assert_eq!(out.stderr.matches("no `.hcl` or `.tf` files").count(), 1, "{out:?}");
    assert!(has(&out.stderr, dir.display().to_string()), "{out:?}");
}

#[test]
fn apply_argument_that_is_neither_a_plan_nor_a_configuration_is_refused() {
    let w = Workdir::new();
    let out = w.corral(&["apply", "missing.plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(has(&out.stderr, "no such plan file or configuration directory: missing.plan"), "{out:?}");

    std::fs::create_dir(w.path().join("plans")).unwrap();
    for command in ["apply", "destroy"] {
        let out = w.corral(&[command, "--auto-approve", "plans"]);
        assert_eq!(out.code, 1, "{command}: {out:?}");
    }
    assert!(!w.path().join("plans/.corral").exists(), "no `.corral/` was made in a directory without configuration");
    assert!(!w.path().join(".corral").exists());
}

/// Makes a file unwritable even for root (the immutable attribute) or, for other users, by
/// its mode; undone on drop so the temporary directory can be removed.
struct ReadOnly(std::path::PathBuf);

impl ReadOnly {
    fn new(path: std::path::PathBuf) -> ReadOnly {
        let is_root = std::process::Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
        if is_root {
            let status = std::process::Command::new("chattr").arg("+i").arg(&path).status().unwrap();
            assert!(status.success(), "chattr +i failed");
        } else {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        }
        ReadOnly(path)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn read_only_commands_work_on_a_read_only_state_file() {
    let w = Workdir::new();
    w.write(
        "main.hcl",
        "resource \"testing_thing\" \"a\" {\n  name = \"a\"\n}\noutput \"name\" {\n  value = testing_thing.a.name\n}\n",
    );
    w.ok(&["apply", "--auto-approve"]);
    // Killed mid-apply, the last writer leaves the file unclean, which only a writer may repair.
    w.write("slow.hcl", "resource \"testing_thing\" \"slow\" {\n  count    = 4\n  name     = \"slow-${count.index}\"\n  delay_ms = 400\n}\n");
    let mut child =
        w.command(&["apply", "--auto-approve", "--parallelism", "1"]).stdout(Stdio::null()).spawn().unwrap();
    wait_for_objects(&w, 2);
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_file(w.path().join("slow.hcl")).unwrap();
    let _guard = ReadOnly::new(w.path().join(".corral/state/default.redb"));
    assert!(w.ok(&["state", "list"]).stdout.starts_with("testing_thing.a\n"));
    assert!(w.ok(&["state", "show", "testing_thing.a"]).stdout.contains("\"a\""));
    assert!(w.ok(&["state", "pull"]).stdout.contains("testing_thing.a"));
    assert!(w.ok(&["show"]).stdout.contains("testing_thing.a"));
    assert_eq!(w.ok(&["output", "name"]).stdout, "\"a\"\n");
}

#[test]
fn a_corrupt_record_is_reported_with_its_file() {
    let w = Workdir::new();
    w.write("main.hcl", "resource \"testing_thing\" \"a\" {\n  name = \"a\"\n}\n");
    w.ok(&["apply", "--auto-approve"]);
    {
        let table: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("instances");
        let mut builder = redb::Database::builder();
        builder.set_concurrency_mode(redb::ConcurrencyMode::MultiWriter);
        let database = builder.open(w.path().join(".corral/state/default.redb")).unwrap();
        let txn = database.begin_write().unwrap();
        txn.open_table(table).unwrap().insert("testing_thing.bad", b"{not json".as_slice()).unwrap();
        txn.commit().unwrap();
    }
    let out = w.corral(&["state", "list"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(has(&out.stderr, ".corral/state/default.redb"), "{out:?}");
    assert!(has(&out.stderr, "testing_thing.bad"), "{out:?}");
}

#[test]
fn plan_destroy_after_an_interrupted_destroy_counts_only_what_is_left() {
    let w = Workdir::new();
    w.write("main.hcl", &config(3).replace("delay_ms = 100", "delay_ms = 0"));
    w.ok(&["apply", "--auto-approve"]);
    // What a destroy killed after a delete, before its commit, leaves: the object is gone but
    // state still has it.
    let mut deleted = 0;
    crate::support::edit_testing_objects(&w.path().join(".corral/testing"), |_| {
        deleted += 1;
        deleted > 1
    });
    assert_eq!(deleted, 3);
    let out = w.ok(&["plan", "--destroy"]);
    assert!(out.stdout.contains("2 to destroy"), "{out:?}");
    w.ok(&["destroy", "--auto-approve"]);
    assert!(w.objects().is_empty());
    assert!(w.state().instances.is_empty());
}
