//! Parse + evaluate: any input, as an expression and as a configuration file, evaluated
//! in an empty scope and in one with values. The work itself is in the engine's
//! `tests/fuzz_harness/mod.rs`, which the regression test replays crashes through.
#![no_main]

#[path = "../../engine/tests/fuzz_harness/mod.rs"]
mod fuzz_harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fuzz_harness::exercise(data);
});
