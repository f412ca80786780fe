//! Provider tests.
