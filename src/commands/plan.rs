//! `corral plan`, and the planning step `apply` shares.

use std::sync::Arc;

use corral_engine::addr::{AbsResourceInstance, Target};
use corral_engine::diag::{Diagnostic, Diagnostics};
use corral_engine::plan::{self, Plan, PlanInput, PlanOptions};
use corral_engine::state::{LockInfo, State, StateStore, secure_fs};

use crate::args::{PlanArgs, PlanFlags};
use crate::context::{Context, Loaded};
use crate::ui::Reported;
use crate::variables;

pub(crate) async fn run(ctx: &Context, args: &PlanArgs) -> anyhow::Result<i32> {
    // The state is read (under the workspace lock) while the configuration loads: for a
    // large configuration each takes about as long as the other. What the read reports is
    // held back until the configuration is known good, so errors come in the order they
    // did when one ran after the other. A directory without `.corral/` has no state to read
    // yet, and a plan that stops at its configuration must not make one.
    let timeout = args.flags.lock.lock_timeout;
    let (loaded, early, held) = if ctx.data_dir.is_dir() {
        let (loaded, early, held) =
            crate::context::alongside(|| ctx.load_for_providers(), lock_and_read(ctx, "plan", timeout)).await;
        (loaded, Some(early), held)
    } else {
        (ctx.load_for_providers(), None, String::new())
    };
    let release = |early: Option<anyhow::Result<Early>>| async move {
        if let Some(Ok(early)) = early {
            let _ = early.store.unlock(&early.workspace, &early.lock.id).await;
        }
    };
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            release(early).await;
            return Err(e);
        }
    };
    if !args.flags.destroy && !super::apply::has_configuration(&loaded) {
        release(early).await;
        return super::apply::no_configuration(ctx, "plan");
    }
    let generate_out = args.generate_config_out.as_ref().map(|p| ctx.work_dir.join(p));
    if let Some(path) = &generate_out
        && path.exists()
    {
        release(early).await;
        ctx.report(
            &Diagnostic::error("Target generated file already exists")
                .with_detail(format!(
                    "Corral can only write generated config into a new file. Either choose a different target location or move all existing configuration out of {}",
                    path.display()
                ))
                .into(),
            &loaded.config.sources,
        );
        return Err(Reported.into());
    }
    crate::ui::release_diagnostics(&held);
    let Early { store, workspace, lock, state } = match early {
        Some(early) => early?,
        None => lock_and_read(ctx, "plan", timeout).await?,
    };
    let result = match state {
        Ok(state) => {
            let wants = Wants { generate_config: generate_out.is_some(), state: Some(state), ..Wants::default() };
            plan_generating(ctx, &loaded, &store, &workspace, &args.flags, wants).await
        }
        Err(e) => Err(e),
    };
    let _ = store.unlock(&workspace, &lock.id).await;
    let (plan, _state, generated) = result?;
    if let Some(path) = &generate_out
        && !generated.is_empty()
    {
        write_generated(path, &generated)?;
    }
    if args.json {
        let schemas = plan::format::provider_schemas(&plan, Some(&loaded.config), &ctx.registry);
        println!("{}", plan::format::plan_to_json(&plan, Some(&loaded.config), &schemas));
    } else if args.markdown {
        print!("{}", crate::render::plan_markdown::render_plan_markdown(&plan));
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
        if !args.json && !args.markdown && !crate::ui::in_automation() {
            println!(
                "\nSaved the plan to: {}\n\nTo perform exactly these actions, run:\n    corral apply {}",
                out.display(),
                out.display()
            );
        }
    }
    if let Some(path) = &generate_out
        && !generated.is_empty()
        && !args.json
    {
        println!(
            "\nCorral has generated configuration and written it to {}. Please review the configuration and edit it as necessary before adding it to version control.",
            args.generate_config_out.as_deref().unwrap_or(path).display()
        );
    }
    // Deferred work is work to do: 0 only when nothing is planned and nothing waits.
    let code = if args.detailed_exitcode && (plan.has_changes() || plan.has_deferred()) { 2 } else { 0 };
    // The process ends with this command: freeing every change and state record one by
    // one (a tenth of a large no-change plan) would only delay the exit.
    std::mem::forget((plan, _state));
    Ok(code)
}

/// What `plan` reads under the workspace lock before it plans.
struct Early {
    store: Arc<dyn StateStore>,
    workspace: String,
    lock: LockInfo,
    /// The state; an error here still holds the lock, which the caller releases.
    state: anyhow::Result<State>,
}

/// Opens the store, takes the workspace lock for `operation` and reads the state, with the
/// recovery check before the lock (so a workspace that went with its removed state file is
/// reported with what to do about it, not as missing) and again under it.
async fn lock_and_read(ctx: &Context, operation: &str, timeout: std::time::Duration) -> anyhow::Result<Early> {
    let store = ctx.store()?;
    let workspace = ctx.workspace();
    crate::recovery::refuse_if_pending(ctx, &workspace)?;
    let lock = ctx.lock(store.as_ref(), &workspace, operation, timeout).await?;
    let state = match crate::recovery::refuse_if_pending(ctx, &workspace) {
        Ok(()) => store.read(&workspace).await.map_err(|e| anyhow::anyhow!(e)),
        Err(e) => Err(e),
    };
    Ok(Early { store, workspace, lock, state })
}

/// Writes the generated blocks under Terraform's header, laid out like `corral fmt`.
fn write_generated(path: &std::path::Path, generated: &[plan::Generated]) -> anyhow::Result<()> {
    let mut text = plan::GENERATED_HEADER.to_string();
    for block in generated {
        text.push('\n');
        text.push_str(&block.text);
    }
    let text = corral_engine::fmt::format_source(&text)
        .map_err(|e| anyhow::anyhow!("cannot lay out the generated configuration: {e}"))?;
    std::fs::write(path, text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
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
    let (plan, state, _) =
        plan_generating(ctx, loaded, store, workspace, flags, Wants { keep_state, ..Wants::default() }).await?;
    Ok((plan, state))
}

/// [`make_plan`] without the warning that targeting is in effect: for commands that target
/// on the user's behalf (`corral import`).
pub(crate) async fn make_plan_quietly(
    ctx: &Context,
    loaded: &Loaded,
    store: &Arc<dyn StateStore>,
    workspace: &str,
    flags: &PlanFlags,
) -> anyhow::Result<Plan> {
    let (plan, _, _) =
        plan_generating(ctx, loaded, store, workspace, flags, Wants { warn_targets: false, ..Wants::default() })
            .await?;
    Ok(plan)
}

/// What a caller of [`plan_generating`] wants besides the plan.
struct Wants {
    /// Configuration generated for imports without one.
    generate_config: bool,
    /// The warning that targeting is in effect.
    warn_targets: bool,
    /// The state the plan was made against.
    keep_state: bool,
    /// The state, already read under the lock (after the recovery check); read here if not.
    state: Option<State>,
}

impl Default for Wants {
    fn default() -> Self {
        Wants { generate_config: false, warn_targets: true, keep_state: false, state: None }
    }
}

/// [`make_plan`], generating configuration for imports without one when `generate_config`
/// is set (the blocks are returned, not written).
async fn plan_generating(
    ctx: &Context,
    loaded: &Loaded,
    store: &Arc<dyn StateStore>,
    workspace: &str,
    flags: &PlanFlags,
    wants: Wants,
) -> anyhow::Result<(Plan, Option<State>, Vec<plan::Generated>)> {
    let Wants { generate_config, warn_targets, keep_state, state } = wants;
    let state = match state {
        Some(state) => state,
        None => {
            crate::recovery::refuse_if_pending(ctx, workspace)?;
            store.read(workspace).await.map_err(|e| anyhow::anyhow!(e))?
        }
    };
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
    let mut excludes = Vec::new();
    for text in &flags.excludes {
        match text.parse::<Target>() {
            Ok(t) => excludes.push(t),
            Err(e) => diags.push(Diagnostic::error("Invalid exclude address").with_detail(e.to_string())),
        }
    }
    let mut replace = Vec::new();
    for text in &flags.replace {
        match text.parse::<AbsResourceInstance>() {
            Ok(a) => replace.push(a),
            Err(e) => diags.push(Diagnostic::error("Invalid replace address").with_detail(e.to_string())),
        }
    }
    if flags.refresh_only && !flags.refresh {
        diags.push(
            Diagnostic::error("Incompatible plan options")
                .with_detail("The --refresh-only and --refresh=false options are mutually exclusive."),
        );
    }
    if diags.has_errors() {
        ctx.report(&diags, &loaded.config.sources);
        return Err(Reported.into());
    }
    let options = PlanOptions {
        destroy: flags.destroy,
        refresh: flags.refresh,
        targets,
        excludes,
        replace,
        generate_config,
        refresh_only: flags.refresh_only,
        skip_authz_check: flags.skip_authz_check,
    };
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
        cwd: ctx.path_cwd.clone(),
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
    if warn_targets && !(flags.targets.is_empty() && flags.excludes.is_empty()) {
        eprintln!(
            "Warning: resource targeting is in effect\n\nThe plan may not include every change the configuration calls for; `--target` is for exceptional situations, not routine use.\n"
        );
    }
    Ok((plan, kept, outcome.generated))
}
