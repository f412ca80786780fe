//! What the user wrote: the unevaluated model of a configuration directory and its module
//! tree, with a span on everything. Expressions stay hcl-edit expressions; evaluating them is
//! `lang`'s job. Loading never stops at the first error: it returns the model it could build
//! plus every diagnostic.
//!
//! Reading order: `load` (files, modules, hash) → `syntax` (parse errors) → `blocks`,
//! `module_call`, `resource`, `state_blocks` and `check` (decoding each block kind, with `decode` helpers and
//! `type_expr`) →
//! `validate` (checks across blocks and modules).

mod blocks;
mod check;
mod decode;
mod load;
mod model;
mod module_call;
mod resource;
mod state_blocks;
mod syntax;
mod type_expr;
mod validate;

pub use load::{LoadOptions, load_dir};
pub use model::*;

#[cfg(test)]
mod tests;
