//! The emulated services.

pub mod kmr;
