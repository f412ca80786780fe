//! What the user wrote: the unevaluated model of a configuration directory and its module
//! tree, with a span on everything. Expressions stay hcl-edit expressions; evaluating them is
//! `lang`'s job. Loading never stops at the first error: it returns the model it could build
//! plus every diagnostic.

mod load;
mod model;
mod validate;

pub use load::{LoadOptions, load_dir};
pub use model::*;
