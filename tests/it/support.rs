//! A temporary working directory and a way to run `corral` in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub(crate) struct Workdir {
    pub dir: tempfile::TempDir,
}

#[derive(Debug)]
pub(crate) struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

impl From<std::process::Output> for Output {
    fn from(out: std::process::Output) -> Output {
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs `command` with `stdin` as its standard input, capturing both outputs.
pub(crate) fn run_with_stdin(mut command: Command, stdin: &str) -> Output {
    use std::io::Write;
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    Output::from(child.wait_with_output().unwrap())
}

impl Workdir {
    pub(crate) fn new() -> Workdir {
        Workdir { dir: tempfile::tempdir().unwrap() }
    }

    /// A copy of `tests/fixtures/<name>`.
    pub(crate) fn fixture(name: &str) -> Workdir {
        let w = Workdir::new();
        copy_dir(&fixtures().join(name), w.path());
        w
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn write(&self, rel: &str, content: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_corral"));
        cmd.args(args)
            .current_dir(self.path())
            .env("CORRAL_TESTING_PROVIDER", "1")
            .env("NO_COLOR", "1")
            .env_remove("CORRAL_LOG")
            .env_remove("CORRAL_WORKSPACE")
            .stdin(Stdio::null());
        cmd
    }

    pub(crate) fn corral(&self, args: &[&str]) -> Output {
        Output::from(self.command(args).output().unwrap())
    }

    /// Runs and asserts success.
    pub(crate) fn ok(&self, args: &[&str]) -> Output {
        let out = self.corral(args);
        assert_eq!(out.code, 0, "corral {args:?} failed:\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
        out
    }

    /// The testing provider's objects on disk.
    pub(crate) fn objects(&self) -> Vec<serde_json::Value> {
        testing_objects(&self.path().join(".corral/testing"))
    }

    /// The default workspace's state, read through the engine.
    pub(crate) fn state(&self) -> corral_engine::state::State {
        use corral_engine::state::StateStore;
        let store = corral_engine::state::RedbStore::open(self.path().join(".corral/state")).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(store.read("default")).unwrap()
    }
}

/// Every file under `dir` (recursively) whose bytes contain `needle`, except under `skip`:
/// where a secret must never be written.
/// The testing provider's objects kept in `dir`, as JSON (`id`, `idempotency_token`,
/// `attributes`); none when there is no store there.
pub(crate) fn testing_objects(dir: &Path) -> Vec<serde_json::Value> {
    if !dir.join("objects.jsonl").exists() {
        return Vec::new();
    }
    let store = corral_providers_builtin::ObjectStore::open(dir.to_path_buf(), false).unwrap();
    store.list().unwrap().into_iter().map(|o| serde_json::to_value(o).unwrap()).collect()
}

/// Changes the testing provider's objects in `dir` as someone at the remote side would:
/// `edit` may change an object (written back) or return `false` to delete it.
pub(crate) fn edit_testing_objects(dir: &Path, mut edit: impl FnMut(&mut serde_json::Value) -> bool) {
    let store = corral_providers_builtin::ObjectStore::open(dir.to_path_buf(), false).unwrap();
    for object in store.list().unwrap() {
        let mut value = serde_json::to_value(&object).unwrap();
        if edit(&mut value) {
            if value != serde_json::to_value(&object).unwrap() {
                store.put(&serde_json::from_value(value).unwrap()).unwrap();
            }
        } else {
            assert!(store.remove(&object.id).unwrap());
        }
    }
}

pub(crate) fn files_containing(dir: &Path, needle: &str, skip: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.starts_with(skip) {
            continue;
        }
        if path.is_dir() {
            out.extend(files_containing(&path, needle, skip));
        } else if std::fs::read(&path).unwrap().windows(needle.len()).any(|window| window == needle.as_bytes()) {
            out.push(path.display().to_string());
        }
    }
    out
}
