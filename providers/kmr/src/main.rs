//! `corral-provider-kmr`: the KMR provider as a plugin process.

fn main() {}
