//! `corral-provider-iam`: the IAM provider as a plugin process. Corral starts it, reads its
//! handshake line and speaks the plugin protocol to it.

use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    corral_provider_protocol::plugin_main(
        Arc::new(corral_provider_iam::IamFactory::new()),
        corral_provider_iam::serve_options(),
    )
}
