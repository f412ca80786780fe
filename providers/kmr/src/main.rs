//! `corral-provider-kmr`: the KMR provider as a plugin process. Corral starts it and speaks
//! the plugin protocol to it; run by hand, it only says so.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "corral-provider-kmr is a Corral provider plugin: Corral starts it when a configuration uses the `kmr` provider. \
         Run `corral plan` or `corral apply` instead."
    );
    ExitCode::from(1)
}
