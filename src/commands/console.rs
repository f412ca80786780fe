//! `corral console`: evaluate expressions against the configuration and state.

use crate::args::ConsoleArgs;
use crate::context::Context;

pub async fn run(_ctx: &Context, _args: &ConsoleArgs) -> anyhow::Result<i32> {
    anyhow::bail!("not yet")
}
