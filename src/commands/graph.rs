//! `corral graph`.

use crate::context::Context;

pub(crate) fn run(ctx: &Context) -> anyhow::Result<i32> {
    let loaded = ctx.load()?;
    print!("{}", corral_engine::graph::to_dot(&loaded.graph));
    Ok(0)
}
