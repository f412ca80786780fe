//! Sandbox framework tests.
