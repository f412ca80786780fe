//! `corral plan`, and the planning step `apply` shares.

use std::sync::Arc;

use corral_engine::addr::{AbsResourceInstance, Target};
use corral_engine::diag::{Diagnostic, Diagnostics};
use corral_engine::plan::{self, Plan, PlanInput, PlanOptions};
use corral_engine::state::{State, StateStore, secure_fs};

use crate::args::{PlanArgs, PlanFlags};
use crate::context::{Context, Loaded};
use crate::ui::Reported;
use crate::variables;

pub(crate) async fn run(ctx: &Context, args: &PlanArgs) -> anyhow::Result<i32> {
    let loaded = ctx.load_for_providers()?;
    if !args.flags.destroy && !super::apply::has_configuration(&loaded) {
        return super::apply::no_configuration(ctx, "plan");
    }
    let store = ctx.store()?;
    let workspace = ctx.workspace();
    // Before the lock too, so a workspace that went with its removed state file is reported
    // with what to do about it, not as missing.
    crate::recovery::refuse_if_pending(ctx, &workspace)?;
    let lock = ctx.lock(store.as_ref(), &workspace, "plan", args.flags.lock.lock_timeout).await?;
    let result = make_plan(ctx, &loaded, &store, &workspace, &args.flags, false).await;
    let _ = store.unlock(&workspace, &lock.id).await;
    let (plan, _state) = result?;
    if args.json {
        let schemas = plan::format::provider_schemas(&plan, Some(&loaded.config), &ctx.registry);
        println!("{}", plan::format::plan_to_json(&plan, Some(&loaded.config), &schemas));
    } else {
        print!("{}", crate::render::render_plan(&plan, ctx.color));
    }
    if let Some(out) = &args.out {
        // Sealed and MACed with the workspace's key; 0600 whatever the umask.
        let key = store.workspace_key(&workspace).await.map_err(|e| anyhow::anyhow!(e))?;
        secure_fs::write_private(out, &plan::format::write_plan_file(&plan, &key))
            .map_err(|e| anyhow::anyhow!("cannot write the plan file {}: {e}", out.display()))?;
        // Terraform says nothing of the saved plan under `TF_IN_AUTOMATION`: the pipeline
        // knows its next step.
        if !args.json && !crate::ui::in_automation() {
            println!(
                "\nSaved the plan to: {}\n\nTo perform exactly these actions, run:\n    corral apply {}",
                out.display(),
                out.display()
            );
        }
    }
    Ok(if args.detailed_exitcode && plan.has_changes() { 2 } else { 0 })
}

/// Reads state and makes a plan (committing any recovery bookkeeping first). Diagnostics
/// are printed here. With `keep_state` the state the plan was made against comes back too
/// (apply needs it); without, the planner takes the state read instead of a copy of it.
pub(crate) async fn make_plan(
    ctx: &Context,
    loaded: &Loaded,
    store: &Arc<dyn StateStore>,
    workspace: &str,
    flags: &PlanFlags,
    keep_state: bool,
) -> anyhow::Result<(Plan, Option<State>)> {
    crate::recovery::refuse_if_pending(ctx, workspace)?;
    let state = store.read(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    let (lineage, serial) = (state.lineage, state.serial);
    let key = store.workspace_key(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    let (inputs, var_sources, var_diags) = variables::collect(&loaded.config, &ctx.root, &ctx.work_dir, &flags.vars);
    if !var_diags.is_empty() {
        ctx.report(&var_diags, &var_sources);
    }
    if var_diags.has_errors() {
        return Err(Reported.into());
    }
    let mut diags = Diagnostics::new();
    let mut targets = Vec::new();
    for text in &flags.targets {
        match text.parse::<Target>() {
            Ok(t) => targets.push(t),
            Err(e) => diags.push(Diagnostic::error("Invalid target address").with_detail(e.to_string())),
        }
    }
    let mut replace = Vec::new();
    for text in &flags.replace {
        match text.parse::<AbsResourceInstance>() {
            Ok(a) => replace.push(a),
            Err(e) => diags.push(Diagnostic::error("Invalid replace address").with_detail(e.to_string())),
        }
    }
    if diags.has_errors() {
        ctx.report(&diags, &loaded.config.sources);
        return Err(Reported.into());
    }
    let options = PlanOptions { destroy: flags.destroy, refresh: flags.refresh, targets, replace };
    let (state, mut kept) = if keep_state { (state.clone(), Some(state)) } else { (state, None) };
    let outcome = plan::plan(PlanInput {
        config: &loaded.config,
        graph: &loaded.graph,
        state,
        registry: &ctx.registry,
        variables: &inputs,
        options,
        workspace: workspace.to_string(),
        data_dir: ctx.data_dir.clone(),
        cwd: ctx.cwd.clone(),
        parallelism: flags.parallelism,
        key,
    })
    .await;
    let mut basis = (lineage, serial);
    if !outcome.recovered.is_empty() {
        // Objects adopted from interrupted applies are facts: record them even if the plan
        // itself failed.
        store.commit(workspace, serial, outcome.recovered.clone()).await.map_err(|e| anyhow::anyhow!(e))?;
        let read = store.read(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
        basis = (read.lineage, read.serial);
        kept = kept.map(|_| read);
    }
    ctx.report(&outcome.diagnostics, &loaded.config.sources);
    let Some(mut plan) = outcome.plan else { return Err(Reported.into()) };
    (plan.basis.state_lineage, plan.basis.state_serial) = basis;
    if !flags.targets.is_empty() {
        eprintln!(
            "Warning: resource targeting is in effect\n\nThe plan may not include every change the configuration calls for; `--target` is for exceptional situations, not routine use.\n"
        );
    }
    Ok((plan, kept))
}
