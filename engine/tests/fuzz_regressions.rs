//! Replays every input the `parse_eval` fuzz target found crashing (committed under
//! `tests/fuzz_regressions/`) and its seed corpus (`../fuzz/corpus/parse_eval/`) through
//! the same parse and evaluation; none may panic.

// A test: an unreadable committed input should fail it loudly.
#![expect(clippy::expect_used)]

mod fuzz_harness;

use std::path::Path;

fn replay_dir(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut count = 0;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    paths.sort();
    for path in paths {
        let data = std::fs::read(&path).expect("readable regression input");
        let outcome = std::panic::catch_unwind(|| fuzz_harness::exercise(&data));
        assert!(outcome.is_ok(), "panic on {}", path.display());
        count += 1;
    }
    count
}

#[test]
fn fuzz_crashes_do_not_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crashes = replay_dir(&root.join("tests/fuzz_regressions"));
    let corpus = replay_dir(&root.join("../fuzz/corpus/parse_eval"));
    println!("replayed {crashes} crash inputs and {corpus} corpus inputs");
}
