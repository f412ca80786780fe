//! The `corral` process itself: an interrupted apply says so and exits non-zero, a closed
//! pipe or an oversized input ends no command with a panic, and no plugin process or socket
//! directory outlives the run that started it.

use std::io::Read;
use std::process::Stdio;

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
