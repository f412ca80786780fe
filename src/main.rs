//! The `corral` command line.

fn main() {}
