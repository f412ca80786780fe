//! The provider: configuration, and dispatch to resource types.
