//! Scale benchmark: generated configurations of 1k–100k `testing_thing`s, timed as whole
//! `corral` processes (median wall time and peak RSS of each command).
//!
//! Run: `cargo bench --bench scale -- [--sizes 1000,10000,50000] [--shapes independent,chains,fanout,count] [--commands validate,plan,apply,list,noop,refresh] [--runs 3] [--out-of-process] [--binary PATH]`
//! `--binary` measures another build of `corral` (compare two builds in one run).
//! `--out-of-process` serves the `testing` provider from a plugin process (`corral
//! __provider testing`, over the plugin protocol) instead of in process.
//! Shapes: `independent` (N resource blocks), `chains` (chains of 100 blocks, each refers to
//! the previous one), `fanout` (N/100 module calls fed from a local map, each expanding 100
//! instances through `count` and a `for` expression), `count` (one resource block with
//! `count = N`).
//! Commands: `validate`, `plan` (empty state), `apply` (always run, once, when a later
//! command needs the state), `list` (`state list`), `noop` (no-change `plan
//! --refresh=false`), `refresh` (no-change `plan`). When both `list` and `noop` run, the
//! no-change plan is also shown as a multiple of `state list` of the same state in the same
//! run: reading the state is the floor a plan that changes nothing is measured against.
//!
//! Issue 11's no-change targets (release, 2 cores): `--shapes count --sizes 1000,10000
//! --commands list,noop` (10k: < 0.3 s, < 150 MB, <= 2.5x `state list`; 1k: < 0.04 s) and
//! `--shapes count,independent --sizes 100000 --commands list,noop --runs 1` (< 3 s, < 1 GB).
//! After the shapes (or alone, with `--shapes waiting`): waiting is not work — two things
//! that wait 3 s for their remote side (KMR clusters, scaled down) beside 40 quick ones at
//! `--parallelism 2`, against the waiting things alone (issue 11: ≤ 1.25×, for things whose
//! schema marks them long-running).

// wait4 is the only way to read one child's own peak RSS; it is used on our own child only.
#![expect(unsafe_code)]
// A benchmark tool: failing loudly on a broken temp dir is the right behaviour.
#![expect(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--apply-overhead") {
        apply_overhead(&args);
        return;
    }
    let value = |flag: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let sizes: Vec<usize> = value("--sizes", "1000,10000").split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let shapes: Vec<String> = value("--shapes", "independent,chains,fanout").split(',').map(str::to_string).collect();
    let commands: Vec<String> =
        value("--commands", "validate,plan,apply,list,noop,refresh").split(',').map(|c| c.trim().to_string()).collect();
    let wants = |command: &str| commands.iter().any(|c| c == command);
    let runs: usize = value("--runs", "3").parse().unwrap_or(3).max(1);
    let out_of_process = args.iter().any(|a| a == "--out-of-process");
    let binary = binary(&args);
    if out_of_process {
        println!("provider `testing` out of process (plugin protocol)");
    }
    if shapes == ["waiting"] {
        waiting_beside_quick(&binary, runs, out_of_process);
        return;
    }
    println!("{:<12} {:>7}  {:<24} {:>10} {:>10}", "shape", "size", "command", "median s", "peak MB");
    for shape in &shapes {
        for &size in &sizes {
            let dir = tempfile::tempdir().expect("temporary directory");
            generate(dir.path(), shape, size);
            let measure = |label: &str, args: &[&str], runs: usize| -> Option<Duration> {
                let mut times = Vec::new();
                let mut peaks = Vec::new();
                for _ in 0..runs {
                    let (elapsed, peak_kb, ok) = run(&binary, dir.path(), args, out_of_process);
                    if !ok {
                        println!("{shape:<12} {size:>7}  {label:<24} FAILED");
                        return None;
                    }
                    times.push(elapsed);
                    peaks.push(peak_kb);
                }
                times.sort();
                peaks.sort();
                let median = times[times.len() / 2];
                let peak = peaks[peaks.len() / 2];
                println!(
                    "{shape:<12} {size:>7}  {label:<24} {:>10.3} {:>10.1}",
                    median.as_secs_f64(),
                    peak as f64 / 1024.0
                );
                Some(median)
            };
            if wants("validate") {
                measure("validate", &["validate"], runs);
            }
            if wants("plan") {
                measure("plan (empty state)", &["plan"], runs);
            }
            if ["apply", "list", "noop", "refresh"].iter().any(|c| wants(c))
                && measure("apply", &["apply", "--auto-approve"], 1).is_none()
            {
                continue;
            }
            let list = if wants("list") { measure("state list", &["state", "list"], runs) } else { None };
            let noop =
                if wants("noop") { measure("plan --refresh=false", &["plan", "--refresh=false"], runs) } else { None };
            if let (Some(list), Some(noop)) = (list, noop) {
                println!(
                    "{shape:<12} {size:>7}  {:<24} {:>10.2}",
                    "  = x state list",
                    noop.as_secs_f64() / list.as_secs_f64()
                );
            }
            if wants("refresh") {
                measure("plan (refresh)", &["plan"], runs);
            }
        }
    }
    waiting_beside_quick(&binary, runs, out_of_process);
}

/// Two things that work 100 ms then wait 3 s for their remote side, beside 40 quick ones
/// (100 ms of work each) at `--parallelism 2`, against the two alone. Holding the slots
/// through the wait would add the quick ones' 2 s to the 3.1 s; giving them back hides it.
fn waiting_beside_quick(binary: &Path, runs: usize, out_of_process: bool) {
    // `work_ms` holds a slot; `wait_ms` reports waiting and then holds none. The "holding"
    // row makes the same things hold their slot through the wait, as every provider did
    // before waits were reported: the ratio Corral had.
    let things = |ty: &str, prefix: &str, count: usize, work_ms: u64, wait_ms: u64| -> String {
        (0..count)
            .map(|i| {
                format!(
                    "resource \"{ty}\" \"{prefix}{i}\" {{\n  name     = \"{prefix}{i}\"\n  delay_ms = {work_ms}\n  wait_ms  = {wait_ms}\n}}\n\n"
                )
            })
            .collect()
    };
    let header = "provider \"testing\" {\n  fsync = false\n}\n\n";
    let quick = things("testing_thing", "rule", 40, 100, 0);
    let median_apply = |text: &str| -> Option<Duration> {
        let mut times = Vec::new();
        for _ in 0..runs {
            let dir = tempfile::tempdir().expect("temporary directory");
            std::fs::write(dir.path().join("main.hcl"), text).expect("main.hcl");
            let (elapsed, _, ok) =
                run(binary, dir.path(), &["apply", "--auto-approve", "--parallelism", "2"], out_of_process);
            if !ok {
                return None;
            }
            times.push(elapsed);
        }
        times.sort();
        Some(times[times.len() / 2])
    };
    // Slots go to operations in the order they ask, except that those of a resource the
    // schema marks long-running (`testing_slow_thing`, as KMR, MRS clusters and Kyligence
    // stacks) go first: unmarked slow things declared before the quick ones (the walk starts
    // ready operations last-declared first) queue behind all of them.
    for (label, slow) in [
        ("waiting, long-running", things("testing_slow_thing", "cluster", 2, 100, 3000)),
        ("waiting, unmarked", things("testing_thing", "cluster", 2, 100, 3000)),
        ("holding", things("testing_thing", "cluster", 2, 3100, 0)),
    ] {
        let alone = median_apply(&format!("{header}{slow}"));
        for (order, text) in
            [("declared first", format!("{header}{slow}{quick}")), ("declared last", format!("{header}{quick}{slow}"))]
        {
            match (alone, median_apply(&text)) {
                (Some(alone), Some(beside)) => println!(
                    "{label}, {order}: 2 slow things alone {:.3} s; beside 40 quick, --parallelism 2: {:.3} s = {:.2}x",
                    alone.as_secs_f64(),
                    beside.as_secs_f64(),
                    beside.as_secs_f64() / alone.as_secs_f64()
                ),
                _ => println!("{label}, {order}: FAILED"),
            }
        }
    }
}

/// The `corral` binary measured: this build's, or `--binary PATH` (another build, to compare
/// two in one run on a noisy machine).
fn binary(args: &[String]) -> PathBuf {
    args.iter()
        .position(|a| a == "--binary")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_corral")))
}

/// Runs one command; returns wall time, the child's peak RSS in KiB, and success.
fn run(binary: &Path, dir: &Path, args: &[&str], out_of_process: bool) -> (Duration, i64, bool) {
    let started = Instant::now();
    let mut command = Command::new(binary);
    if out_of_process {
        command.env("CORRAL_OUT_OF_PROCESS", "testing");
    } else {
        command.env_remove("CORRAL_OUT_OF_PROCESS");
    }
    let child = command
        .args(args)
        .current_dir(dir)
        .env("CORRAL_TESTING_PROVIDER", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn();
    let Ok(child) = child else { return (Duration::ZERO, 0, false) };
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 on our own child, with valid pointers to locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    let ok = rc == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (elapsed, usage.ru_maxrss, ok)
}

fn generate(dir: &Path, shape: &str, size: usize) {
    let mut text = String::from("provider \"testing\" {\n  fsync = false\n}\n\n");
    match shape {
        "independent" => {
            for i in 0..size {
                text.push_str(&format!(
                    "resource \"testing_thing\" \"t{i}\" {{\n  name    = \"t{i}\"\n  payload = \"p{i}\"\n}}\n\n"
                ));
            }
        }
        "chains" => {
            for i in 0..size {
                let payload =
                    if i % 100 == 0 { format!("\"head-{i}\"") } else { format!("testing_thing.t{}.id", i - 1) };
                text.push_str(&format!(
                    "resource \"testing_thing\" \"t{i}\" {{\n  name    = \"t{i}\"\n  payload = {payload}\n}}\n\n"
                ));
            }
        }
        "fanout" => {
            let groups = size.div_ceil(100);
            text.push_str("locals {\n  seeds = {\n");
            for g in 0..groups {
                text.push_str(&format!("    g{g} = \"seed-{g}\"\n"));
            }
            text.push_str("  }\n}\n\n");
            for g in 0..groups {
                text.push_str(&format!("module \"g{g}\" {{\n  source = \"./group\"\n  n      = 100\n  seed   = local.seeds[\"g{g}\"]\n}}\n\n"));
            }
            let group = "variable \"n\" {\n  type = number\n}\n\nvariable \"seed\" {\n  type = string\n}\n\nlocals {\n  names = [for i in range(var.n) : format(\"%s-%03d\", var.seed, i)]\n  tags  = merge({ seed = var.seed }, { size = tostring(var.n) })\n}\n\nresource \"testing_thing\" \"x\" {\n  count   = var.n\n  name    = local.names[count.index]\n  payload = jsonencode(local.tags)\n}\n";
            std::fs::create_dir_all(dir.join("group")).expect("group dir");
            std::fs::write(dir.join("group/main.hcl"), group).expect("group module");
        }
        "count" => {
            text.push_str(&format!(
                "resource \"testing_thing\" \"t\" {{\n  count   = {size}\n  name    = \"t${{count.index}}\"\n  payload = \"p${{count.index}}\"\n}}\n"
            ));
        }
        other => panic!("unknown shape `{other}`"),
    }
    std::fs::write(dir.join("main.hcl"), text).expect("main.hcl");
}

/// Issue 11's apply-overhead cases: every operation of the `testing` provider sleeps
/// `delay_ms = 50`, so the ideal wall time is known (the operations on the critical path, or
/// all of them divided by `--parallelism`), and whatever the whole `corral apply` process takes
/// beyond it is the engine's overhead: start-up, plan, task readiness, final plans, intent and
/// result commits, events. Each run applies into a fresh directory.
///
/// Run: `cargo bench --bench scale -- --apply-overhead [--runs 3] [--out-of-process]`
/// Targets (release, 2 cores): both cases at most 1.05x their bound.
fn apply_overhead(args: &[String]) {
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let out_of_process = args.iter().any(|a| a == "--out-of-process");
    let binary = binary(args);
    const DELAY_MS: u64 = 50;
    // (label, shape, size, parallelism, bound: the sleeps that cannot overlap)
    let cases = [
        ("1k things x 50 ms, parallelism 10", "independent", 1000, 10, 1000 * DELAY_MS / 10),
        ("chain of 200 x 50 ms", "chain", 200, 10, 200 * DELAY_MS),
    ];
    println!("{:<36} {:>8} {:>10} {:>8} {:>10}   runs (s)", "apply case", "bound s", "median s", "ratio", "peak MB");
    for (label, shape, size, parallelism, bound_ms) in cases {
        let mut times = Vec::new();
        let mut peaks = Vec::new();
        for _ in 0..runs {
            let dir = tempfile::tempdir().expect("temporary directory");
            generate_delayed(dir.path(), shape, size, DELAY_MS);
            let parallelism = parallelism.to_string();
            let (elapsed, peak_kb, ok) =
                run(&binary, dir.path(), &["apply", "--auto-approve", "--parallelism", &parallelism], out_of_process);
            if !ok {
                println!("{label:<36} FAILED");
                break;
            }
            times.push(elapsed);
            peaks.push(peak_kb);
        }
        if times.len() < runs {
            continue;
        }
        let each: Vec<String> = times.iter().map(|t| format!("{:.3}", t.as_secs_f64())).collect();
        let mut sorted = times.clone();
        sorted.sort();
        peaks.sort();
        let median = sorted[sorted.len() / 2].as_secs_f64();
        let bound = bound_ms as f64 / 1000.0;
        println!(
            "{label:<36} {bound:>8.2} {median:>10.3} {:>7.3}x {:>10.1}   {}",
            median / bound,
            peaks[peaks.len() / 2] as f64 / 1024.0,
            each.join(" ")
        );
    }
}

/// `independent`: N resource blocks; `chain`: N blocks, each naming the previous one's `id`
/// (so they are created one after the other). Every one sleeps `delay_ms` in its create.
fn generate_delayed(dir: &Path, shape: &str, size: usize, delay_ms: u64) {
    let mut text = String::from("provider \"testing\" {\n  fsync = false\n}\n\n");
    for i in 0..size {
        let payload = match shape {
            "independent" => format!("\"p{i}\""),
            "chain" if i == 0 => "\"head\"".to_string(),
            "chain" => format!("testing_thing.t{}.id", i - 1),
            other => panic!("unknown shape `{other}`"),
        };
        text.push_str(&format!(
            "resource \"testing_thing\" \"t{i}\" {{\n  name     = \"t{i}\"\n  payload  = {payload}\n  delay_ms = {delay_ms}\n}}\n\n"
        ));
    }
    std::fs::write(dir.join("main.hcl"), text).expect("main.hcl");
}
