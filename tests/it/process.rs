//! The `corral` process itself: an interrupted apply says so and exits non-zero, a closed
//! pipe or an oversized input ends no command with a panic, and no plugin process or socket
//! directory outlives the run that started it.

use std::io::Read;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::Workdir;

/// Runs `corral args` with stdout piped, reads `keep` bytes, closes the pipe, and returns the
/// exit code and stderr.
fn run_into_closed_pipe(w: &Workdir, args: &[&str], stdin: Option<String>, keep: usize) -> (i32, String) {
    let mut command = w.command(args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command.spawn().unwrap();
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        // A writer thread: corral may stop reading once its stdout is closed.
        std::thread::spawn(move || {
            use std::io::Write as _;
            let _ = pipe.write_all(text.as_bytes());
        });
    }
    let mut stdout = child.stdout.take().unwrap();
    let mut head = vec![0u8; keep];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    (status.code().unwrap_or(-1), stderr)
}

/// More output than a pipe holds (64 KiB), so every command below writes after the reader
/// is gone.
fn big_config() -> String {
    let payload = "p".repeat(400);
    format!(
        r#"
provider "testing" {{
  fsync = false
}}

resource "testing_thing" "x" {{
  count   = 400
  name    = "x-${{count.index}}"
  payload = "{payload}"
}}

resource "testing_thing" "big" {{
  name    = "big"
  payload = "{big}"
}}

output "all" {{
  value = testing_thing.x[*].payload
}}
"#,
        big = "b".repeat(200_000)
    )
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let w = Workdir::new();
    w.write("main.hcl", &big_config());
    w.ok(&["apply", "--auto-approve"]);
    // A change pending, so plan has a lot to show.
    w.write("main.hcl", &big_config().replace("\"x-${count.index}\"", "\"y-${count.index}\""));
    let console_input = "testing_thing.x[*].payload\n".repeat(50);
    let mut fmt_input = String::new();
    for i in 0..5000 {
        fmt_input.push_str(&format!("locals {{\n  value_{i} =    {i}\n}}\n"));
    }
    let cases: Vec<(Vec<&str>, Option<String>)> = vec![
        (vec!["show"], None),
        (vec!["show", "--json"], None),
        (vec!["state", "list"], None),
        (vec!["state", "show", "testing_thing.big"], None),
        (vec!["output"], None),
        (vec!["output", "--json"], None),
        (vec!["output", "all"], None),
        (vec!["plan"], None),
        (vec!["plan", "--json"], None),
        (vec!["graph"], None),
        (vec!["providers", "schema", "--json"], None),
        (vec!["fmt", "-"], Some(fmt_input)),
        (vec!["console"], Some(console_input)),
    ];
    for (args, stdin) in cases {
        let (code, stderr) = run_into_closed_pipe(&w, &args, stdin, 10);
        assert_ne!(code, 101, "corral {args:?} panicked:\n{stderr}");
        assert!(code == 0 || code == 141, "corral {args:?} exited {code}:\n{stderr}");
        assert!(!stderr.contains("panicked"), "corral {args:?}:\n{stderr}");
        assert!(!stderr.contains("Error"), "corral {args:?}:\n{stderr}");
    }
}

#[test]
fn a_key_longer_than_any_format_width_is_shown() {
    let w = Workdir::new();
    let key = "k".repeat(70_000);
    w.write(
        "main.hcl",
        &format!(
            r#"
provider "testing" {{
  fsync = false
}}

resource "testing_thing" "t" {{
  name = "t"
  tags = {{ "{key}" = "v", short = "w" }}
}}

resource "corral_data" "d" {{
  input = {{ "{key}" = 1, b = 2 }}
}}

output "tags" {{
  value = testing_thing.t.tags
}}
"#
        ),
    );
    for args in
        [&["plan"][..], &["apply", "--auto-approve"], &["show"], &["state", "show", "testing_thing.t"], &["output"]]
    {
        let out = w.corral(args);
        assert_eq!(out.code, 0, "corral {args:?}:\n{}", out.stderr);
        assert!(out.stdout.contains(&key), "corral {args:?} does not show the key");
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
    // The short key is padded to the long one, so the `=` line up.
    let out = w.ok(&["state", "show", "testing_thing.t"]);
    assert!(out.stdout.contains(&format!("short{} = \"w\"", " ".repeat(70_000 - 5))), "padding lost");
}

/// A running `corral` whose output is collected as it comes.
struct Running {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Running {
    fn start(mut command: std::process::Command) -> Running {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let collect = |mut pipe: Box<dyn Read + Send>| {
            let text = Arc::new(Mutex::new(String::new()));
            let sink = text.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
            text
        };
        let stdout = collect(Box::new(child.stdout.take().unwrap()));
        let stderr = collect(Box::new(child.stderr.take().unwrap()));
        Running { child, stdout, stderr }
    }

    fn signal(&self, name: &str) {
        let status =
            std::process::Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status();
        assert!(status.unwrap().success(), "kill -{name} failed");
    }

    /// Waits until `check` holds, failing the test after a minute.
    fn wait_until(&self, what: &str, check: impl Fn(&Running) -> bool) {
        let started = Instant::now();
        while !check(self) {
            assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting for {what}:\n{}", self.stdout());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Waits for the exit; the exit code, stdout and stderr.
    fn finish(mut self) -> (i32, String, String) {
        let status = self.child.wait().unwrap();
        // The reader threads get the last bytes once the pipes close.
        std::thread::sleep(Duration::from_millis(100));
        let stderr = self.stderr.lock().unwrap().clone();
        (status.code().unwrap_or(-1), self.stdout(), stderr)
    }
}

fn slow_config(count: usize, delay_ms: u64) -> String {
    format!(
        r#"
provider "testing" {{
  fsync = false
}}

resource "testing_thing" "slow" {{
  count    = {count}
  name     = "slow-${{count.index}}"
  delay_ms = {delay_ms}
}}

resource "testing_thing" "after" {{
  name    = "after"
  payload = testing_thing.slow[0].id
}}
"#
    )
}

/// The number before `label` in a summary line such as "3 added, 0 changed, ..., 7 not
/// started."
fn count_of(summary: &str, label: &str) -> usize {
    let at = summary.find(label).unwrap_or_else(|| panic!("no `{label}` in:\n{summary}"));
    summary[..at].trim_end().rsplit(' ').next().unwrap().parse().unwrap()
}

/// After an interrupt that waited for the calls in flight: what is on disk is exactly what
/// state holds, and no intent is left.
fn assert_state_matches_the_world(w: &Workdir) {
    let state = w.state();
    let on_disk = w.objects().len();
    assert_eq!(state.instances.len(), on_disk, "state and the world disagree");
    assert!(state.intents.is_empty(), "intents left: {:?}", state.intents.keys().collect::<Vec<_>>());
}

#[test]
fn ctrl_c_during_apply_finishes_the_calls_in_flight_and_lists_what_was_not_started() {
    let w = Workdir::new();
    w.write("main.hcl", &slow_config(40, 600));
    let apply = Running::start(w.command(&["apply", "--auto-approve", "--parallelism", "4"]));
    apply.wait_until("the first creates", |_| w.objects().len() >= 4);
    apply.signal("INT");
    let (code, stdout, stderr) = apply.finish();
    assert_eq!(code, 1, "an interrupted apply must fail:\n{stdout}\n{stderr}");
    assert!(!stdout.contains("Apply complete"), "{stdout}");
    assert!(stderr.contains("Interrupt received"), "{stderr}");
    let summary = stdout.lines().find(|l| l.starts_with("Apply interrupted.")).unwrap_or_else(|| panic!("{stdout}"));
    let added = count_of(summary, "added");
    let not_started = count_of(summary, "not started");
    assert_eq!(added + not_started, 41, "{summary}");
    assert!(not_started > 0 && added >= 4, "{summary}");
    let listed = stdout.lines().filter(|l| l.ends_with(": skipped (not started: interrupted)")).count();
    assert_eq!(listed, not_started, "{stdout}");
    assert!(stdout.contains("  - testing_thing.after: skipped (not started: interrupted)"), "{stdout}");
    assert_eq!(w.state().instances.len(), added);
    assert_state_matches_the_world(&w);

    // The next apply finishes the job.
    let out = w.ok(&["apply", "--auto-approve", "--parallelism", "20"]);
    assert!(out.stdout.contains(&format!("{not_started} added")), "{}", out.stdout);
}

#[test]
fn sigterm_during_destroy_is_a_first_interrupt() {
    let w = Workdir::new();
    w.write("main.hcl", &slow_config(24, 400));
    w.ok(&["apply", "--auto-approve", "--parallelism", "25"]);
    let destroy = Running::start(w.command(&["destroy", "--auto-approve", "--parallelism", "3"]));
    destroy.wait_until("the first deletes", |_| w.objects().len() <= 22);
    destroy.signal("TERM");
    let (code, stdout, stderr) = destroy.finish();
    assert_eq!(code, 1, "an interrupted destroy must fail:\n{stdout}\n{stderr}");
    assert!(!stdout.contains("Destroy complete"), "{stdout}");
    let summary = stdout.lines().find(|l| l.starts_with("Destroy interrupted.")).unwrap_or_else(|| panic!("{stdout}"));
    let destroyed = count_of(summary, "destroyed");
    let not_started = count_of(summary, "not started");
    assert_eq!(destroyed + not_started, 25, "{summary}");
    assert!(not_started > 0 && destroyed >= 2, "{summary}");
    assert_eq!(w.objects().len(), not_started);
    assert_state_matches_the_world(&w);
}

#[test]
fn a_second_interrupt_stops_waiting_for_the_calls_in_flight() {
    let w = Workdir::new();
    w.write("main.hcl", &slow_config(4, 8000));
    let apply = Running::start(w.command(&["apply", "--auto-approve", "--parallelism", "2"]));
    apply.wait_until("two creates in flight", |r| r.stdout().matches("Creating...").count() >= 2);
    let interrupted = Instant::now();
    apply.signal("INT");
    std::thread::sleep(Duration::from_millis(300));
    apply.signal("INT");
    let (code, stdout, stderr) = apply.finish();
    assert!(interrupted.elapsed() < Duration::from_secs(6), "corral waited for the calls in flight");
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("Two interrupts received"), "{stderr}");
    assert!(stderr.contains("journalled as an intent"), "{stderr}");
    assert!(stderr.contains("  ! testing_thing.slow["), "the abandoned operations are named:\n{stderr}");
    // The abandoned creates are in the journal, and the lock was released.
    assert_eq!(w.state().intents.len(), 2);
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// A `corral` command serving `testing` out of process, with a temporary directory of its
/// own (`<workdir>/tmp`, through `TMPDIR`) where its plugin makes its socket directory.
fn with_plugin(w: &Workdir, args: &[&str], log: Option<&str>) -> std::process::Command {
    let tmp = w.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut command = w.command(args);
    command.env("CORRAL_OUT_OF_PROCESS", "testing").env("TMPDIR", &tmp);
    if let Some(level) = log {
        command.env("CORRAL_LOG", level);
    }
    command
}

/// What is left in the run's temporary directory.
fn leftovers(w: &Workdir) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(w.path().join("tmp")) else { return Vec::new() };
    entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()
}

/// Live (not zombie) processes working in `dir`: corral and its plugins run in the workdir.
fn processes_in(dir: &std::path::Path) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if std::fs::read_link(entry.path().join("cwd")).is_ok_and(|cwd| cwd == dir) && !is_zombie(pid) {
            out.push(pid);
        }
    }
    out
}

fn is_zombie(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return true };
    stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X']))
}

/// Waits up to `limit` for no process to be left in the workdir and its temporary directory
/// to be empty; the processes and files still there otherwise.
fn wait_for_nothing_left(w: &Workdir, limit: Duration) -> (Vec<u32>, Vec<String>) {
    let dir = w.path().canonicalize().unwrap();
    let started = Instant::now();
    let look = || (processes_in(&dir), leftovers(w));
    loop {
        let (processes, files) = look();
        if processes.is_empty() && files.is_empty() {
            // The plugin removes its directory just before it exits: look again a moment
            // later rather than catch it in between.
            std::thread::sleep(Duration::from_millis(100));
            return look();
        }
        if started.elapsed() > limit {
            return (processes, files);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_plugin_exits_and_removes_its_socket_when_corral_is_killed_whatever_the_log_level() {
    for log in [Some("debug"), None] {
        let w = Workdir::new();
        w.write("main.hcl", &slow_config(20, 400));
        let apply = Running::start(with_plugin(&w, &["apply", "--auto-approve", "--parallelism", "2"], log));
        let corral = apply.child.id();
        apply.wait_until("the plugin at work", |_| {
            w.objects().len() >= 2 && !crate::plugins::children(corral).is_empty()
        });
        let plugin = crate::plugins::children(corral)[0];
        assert_eq!(leftovers(&w).len(), 1, "the plugin's socket directory: {:?}", leftovers(&w));
        let mut child = apply.child;
        child.kill().unwrap(); // SIGKILL: corral gets no chance to clean up
        child.wait().unwrap();
        let (processes, files) = wait_for_nothing_left(&w, Duration::from_secs(10));
        assert!(processes.is_empty(), "CORRAL_LOG={log:?}: still running: {processes:?}");
        assert!(is_zombie(plugin), "CORRAL_LOG={log:?}: plugin {plugin} outlived corral");
        assert!(files.is_empty(), "CORRAL_LOG={log:?}: left behind: {files:?}");
    }
}

#[test]
fn no_plugin_or_socket_directory_outlives_a_run() {
    let w = Workdir::new();
    w.write("main.hcl", &slow_config(3, 0));
    for args in [&["apply", "--auto-approve"][..], &["plan"], &["destroy", "--auto-approve"]] {
        let out = with_plugin(&w, args, Some("debug")).output().unwrap();
        assert!(out.status.success(), "corral {args:?}:\n{}", String::from_utf8_lossy(&out.stderr));
        // `corral` waits for its plugin: nothing is left the moment it exits.
        let (processes, files) = wait_for_nothing_left(&w, Duration::ZERO);
        assert!(processes.is_empty(), "corral {args:?} left running: {processes:?}");
        assert!(files.is_empty(), "corral {args:?} left behind: {files:?}");
    }
    // A failing run too.
    w.write("main.hcl", "resource \"testing_thing\" \"x\" {\n  name     = \"x\"\n  delay_ms = -5\n}\n");
    let out = with_plugin(&w, &["plan"], Some("debug")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let (processes, files) = wait_for_nothing_left(&w, Duration::ZERO);
    assert!(processes.is_empty() && files.is_empty(), "{processes:?} {files:?}");
}

#[test]
fn ctrl_c_with_a_plugin_stops_it_and_removes_its_socket() {
    let w = Workdir::new();
    w.write("main.hcl", &slow_config(12, 500));
    let apply = Running::start(with_plugin(&w, &["apply", "--auto-approve", "--parallelism", "2"], Some("debug")));
    apply.wait_until("the first creates", |_| w.objects().len() >= 2);
    apply.signal("INT");
    let (code, stdout, stderr) = apply.finish();
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.contains("Apply interrupted."), "{stdout}");
    assert_state_matches_the_world(&w);
    // corral reaps its plugin before it exits; the grace only absorbs a loaded machine.
    let (processes, files) = wait_for_nothing_left(&w, Duration::from_secs(5));
    assert!(processes.is_empty() && files.is_empty(), "{processes:?} {files:?}");
}
