//! The runtime side of the language: evaluating hcl-edit expressions to [`Value`]s with
//! unknowns and sensitive marks, the function library, type conversion, and finding the
//! references an expression makes (for the graph).
//!
//! Evaluation never panics and never stops at the first problem: it returns a value (an
//! unknown of the best type it can tell when it fails) plus diagnostics with spans.

mod eval;
mod refs;

pub use eval::{Scope, convert, eval, eval_body, parse_expr};
pub use refs::{Reference, Subject, references, references_in_body};
