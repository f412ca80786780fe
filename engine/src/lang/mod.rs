//! The runtime side of the language: evaluating hcl-edit expressions to [`Value`]s with
//! unknowns and sensitive marks, the function library, type conversion, and finding the
//! references an expression makes (for the graph).
//!
//! Evaluation never panics: it returns a value (an unknown when it fails) plus diagnostics
//! with spans.
//!
//! [`Value`]: crate::value::Value

// The shared API returns `Result<_, Diagnostic>` (Scope::lookup, parse_expr); a
// diagnostic is large by nature, and it is the error path only.

pub mod convert;
mod eval;
pub mod functions;
pub use crate::limits;
mod parse;
mod refs;

pub use convert::convert;
pub use eval::{Scope, eval, eval_body, eval_with};
pub use functions::Functions;
pub use parse::parse_expr;
pub use refs::{Reference, Subject, references, references_in_body};
