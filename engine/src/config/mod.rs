//! What the user wrote: the unevaluated model of a configuration directory and its module
//! tree, with a span on everything. Expressions stay hcl-edit expressions; evaluating them is
//! `lang`'s job. Loading never stops at the first error: it returns the model it could build
//! plus every diagnostic.
//!
//! Reading order: `load` (files, modules, hash; remote modules from the `installed`
//! manifest, sources classified by `module_source`) → `syntax` (parse errors) → `blocks`,
//! `module_call`, `resource` (with `provisioner`), `state_blocks` and `check` (decoding each block kind, with `decode` helpers and
//! `type_expr`) →
//! `validate` (checks across blocks and modules).

mod blocks;
mod check;
mod decode;
pub mod installed;
mod load;
mod model;
mod module_call;
pub mod module_source;
mod provisioner;
mod resource;
mod state_blocks;
mod syntax;
mod type_expr;
mod validate;

pub use load::{LoadOptions, ModuleRequest, load_dir, load_dir_for_install};
pub use model::*;

#[cfg(test)]
mod tests;
