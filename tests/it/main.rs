//! End-to-end tests of the `corral` binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]
