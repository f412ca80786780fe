//! `corral show`: the state, or a saved plan.

use corral_engine::config::{self, Config, LoadOptions};
use corral_engine::plan::{self, Plan};

use crate::args::ShowArgs;
use crate::context::Context;

pub(crate) async fn run(ctx: &Context, args: &ShowArgs) -> anyhow::Result<i32> {
    if let Some(file) = &args.file {
        let bytes = fs_err::read(file)?;
        // Checked and unsealed with the selected workspace's key.
        let key = ctx.store()?.workspace_key(&ctx.workspace()).await.map_err(|e| anyhow::anyhow!(e))?;
        let plan = plan::format::read_plan_file(&bytes, &key)
            .map_err(|e| anyhow::anyhow!("cannot read the plan file {}: {e}", file.display()))?;
        if args.json {
            let config = plan_config(ctx, &plan);
            let schemas = plan::format::provider_schemas(&plan, config.as_ref(), &ctx.registry);
            println!("{}", plan::format::plan_to_json(&plan, config.as_ref(), &schemas));
        } else {
            print!("{}", crate::render::render_plan(&plan, ctx.color));
        }
        return Ok(0);
    }
    let store = ctx.store()?;
    let state = store.read(&ctx.workspace()).await.map_err(|e| anyhow::anyhow!(e))?;
    if args.json {
        // Terraform's shape, for the tools written for `terraform show -json`; Corral's own
        // state document is `corral state pull`.
        // The configuration, when it loads, says each provider's source for `provider_name`.
        let (config, diags) = config::load_dir(&ctx.root, &LoadOptions::default());
        let config = (!diags.has_errors()).then_some(config);
        println!("{}", plan::format::state_to_json(&state, config.as_ref()));
        return Ok(0);
    }
    if state.instances.is_empty() {
        println!("The state is empty.");
        return Ok(0);
    }
    for (addr, instance) in &state.instances {
        println!("# {addr}:");
        println!("{}\n", super::state::render_instance(&addr.resource.to_string(), instance));
    }
    if !state.outputs.is_empty() {
        println!("Outputs:\n");
        for (name, output) in &state.outputs {
            let shown =
                if output.sensitive { "(sensitive value)".to_string() } else { super::output::hcl_like(&output.value) };
            println!("{name} = {shown}");
        }
    }
    Ok(0)
}

/// The configuration a saved plan was made from, for the JSON's `configuration`: the
/// configuration directory, as Terraform reads it, when it still is what the plan was made
/// from (the same hash the apply checks). Otherwise the document leaves `configuration` out
/// and says why, rather than describing other code than the plan's.
fn plan_config(ctx: &Context, plan: &Plan) -> Option<Config> {
    let (config, diags) = config::load_dir(&ctx.root, &LoadOptions::default());
    if diags.has_errors() {
        eprintln!("Warning: the configuration does not load; the JSON has no `configuration`");
        return None;
    }
    if config.hash != plan.basis.config_hash {
        eprintln!("Warning: the configuration changed since the plan was made; the JSON has no `configuration`");
        return None;
    }
    Some(config)
}
