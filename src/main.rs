//! The `corral` command line.

// The CLI commands that use the renderers are written separately.
#[allow(dead_code, unused_imports)]
mod render;

fn main() {}
