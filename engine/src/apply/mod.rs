//! Applying a plan: a concurrent walk bounded by `parallelism`, committing every completed
//! operation to state at once.
