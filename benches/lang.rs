//! Language benchmark: configurations of 1k, 5k and 20k locals — reference chains, fan-out
//! through `for` expressions, `merge` and `format` — loaded (parse + decode) and evaluated
//! in-process, in dependency (declaration) order. Each size runs in a child process of its
//! own, so that its peak RSS (`VmHWM` from `/proc/self/status`) is its own.
//!
//! Run: `cargo bench --bench lang -- [--sizes 1000,5000,20000] [--runs 5]`

// A benchmark tool: failing loudly on a broken temp dir is the right behaviour.
#![expect(clippy::expect_used)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

use corral_engine::config::{LoadOptions, load_dir};
use corral_engine::diag::{Diagnostic, Span};
use corral_engine::lang::{Scope, Subject, eval};
use corral_engine::value::Value;

/// Evaluated locals by name.
struct Locals(HashMap<String, Value>);

impl Scope for Locals {
    fn lookup(&self, subject: &Subject, span: Span) -> Result<Value, Diagnostic> {
        match subject {
            Subject::Local(name) => {
                self.0.get(name).cloned().ok_or_else(|| Diagnostic::error("undeclared local").with_span(span))
            }
            _ => Err(Diagnostic::error("not available").with_span(span)),
        }
    }
}

/// `size` locals in four interleaved shapes: a number chain (`n`), a string from `format`
/// (`s`), a fan-out of a 10-element list through a `for` (`f`), and a `merge` (`m`).
fn generate(size: usize) -> String {
    let mut text = String::from(
        "locals {\n  base = [for i in range(10) : \"b${i}\"]\n  obj = { a = 1, b = 2, c = 3, d = 4, e = 5 }\n  n0 = 0\n}\n",
    );
    text.push_str("locals {\n");
    for i in 1..=size / 4 {
        let _ = writeln!(text, "  n{i} = local.n{} + 1", i - 1);
        let _ = writeln!(text, "  s{i} = format(\"item-%d-%s\", local.n{i}, local.base[{}])", i % 10);
        let _ = writeln!(text, "  f{i} = [for x in local.base : \"${{x}}-${{local.s{i}}}\" if x != \"b3\"]");
        let _ = writeln!(text, "  m{i} = merge(local.obj, {{ k = local.s{i}, n = length(local.f{i}) }})");
    }
    text.push_str("}\n");
    text
}

/// One size, in this process: the load-and-evaluate time of each run.
fn measure(size: usize, runs: usize) -> Vec<f64> {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("main.tf"), generate(size)).expect("write configuration");
    let mut times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let (config, diags) = load_dir(dir.path(), &LoadOptions::default());
        assert!(!diags.has_errors(), "generated configuration is invalid: {diags:?}");
        let mut scope = Locals(HashMap::with_capacity(size + 3));
        for (name, local) in &config.root.locals {
            let (value, diags) = eval(&local.value, &scope);
            assert!(!diags.has_errors(), "local.{name}: {diags:?}");
            scope.0.insert(name.clone(), value);
        }
        assert_eq!(scope.0.len(), size / 4 * 4 + 3);
        times.push(start.elapsed().as_secs_f64());
    }
    times
}

fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let runs: usize = value("--runs", "5").parse().unwrap_or(5).max(1);
    if let Ok(size) = std::env::var("CORRAL_LANG_BENCH_CHILD").map(|s| s.parse::<usize>().unwrap_or(1000)) {
        let mut times = measure(size, runs);
        times.sort_by(f64::total_cmp);
        println!("{} {}", times[times.len() / 2], peak_rss_kb());
        return;
    }
    let sizes: Vec<usize> =
        value("--sizes", "1000,5000,20000").split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let exe = std::env::current_exe().expect("own executable");
    println!("{:>7} {:>12} {:>10}", "locals", "median ms", "peak MB");
    for size in sizes {
        let output = Command::new(&exe)
            .args(["--runs", &runs.to_string()])
            .env("CORRAL_LANG_BENCH_CHILD", size.to_string())
            .output()
            .expect("child benchmark runs");
        let text = String::from_utf8_lossy(&output.stdout);
        let mut fields = text.split_whitespace();
        let median: f64 = fields.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
        let peak: f64 = fields.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
        if !output.status.success() {
            eprintln!("size {size} failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        println!("{size:>7} {:>12.1} {:>10.1}", median * 1000.0, peak / 1024.0);
    }
}
