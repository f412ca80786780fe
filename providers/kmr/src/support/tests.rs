//! Support tests.
