//! Static checks on a loaded configuration that need no evaluation.

use super::Config;
use crate::diag::Diagnostics;

pub(crate) fn validate(config: &Config, diags: &mut Diagnostics) {
    let _ = (config, diags);
}
