//! `corral apply` (a fresh plan, or a saved plan file) and `corral destroy`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use corral_engine::apply::{self, ApplyInput, InstanceOutcome};
use corral_engine::diag::{Diagnostic, SourceMap};
use corral_engine::plan::{self, Action, Plan};
use corral_engine::state::{OutputState, State, StateError, StateStore, StateWriter};

use crate::args::ApplyArgs;
use crate::context::{Context, Loaded};
use crate::ui::{self, Reported};

pub(crate) async fn run(chdir: Option<&Path>, no_color: bool, args: &ApplyArgs, destroy: bool) -> anyhow::Result<i32> {
    // The argument is a saved plan or a configuration directory (which, like the default
    // one, is found under `-C`).
    let (plan_file, dir) = match &args.target {
        None => (None, None),
        Some(target) => {
            let as_dir = match chdir {
                Some(c) if target.is_relative() => c.join(target),
                _ => target.clone(),
            };
            if target.is_file() {
                if args.refresh_command {
                    anyhow::bail!(
                        "`corral refresh` takes a configuration directory, not a plan file: {} (apply a saved refresh-only plan with `corral apply`)",
                        target.display()
                    );
                }
                (Some(target.clone()), None)
            } else if as_dir.is_dir() {
                (None, Some(target.as_path()))
            } else {
                anyhow::bail!("no such plan file or configuration directory: {}", target.display());
            }
        }
    };
    let ctx = Context::new(chdir, dir, no_color)?;
    let loaded = ctx.load_for_providers()?;
    if plan_file.is_none() && !has_configuration(&loaded) {
        if !destroy {
            return no_configuration(&ctx, if args.refresh_command { "refresh" } else { "apply" });
        }
        if dir.is_some() && !ctx.data_dir.exists() {
            // Neither configuration nor state: not a directory this command can mean, and no
            // `.corral/` is made in it.
            anyhow::bail!(
                "`{}` is not a configuration directory: it has no `.hcl` or `.tf` files and no `.corral/` state",
                ctx.display(&ctx.root)
            );
        }
    }
    let store = ctx.store()?;
    let workspace = ctx.workspace();
    let operation = if destroy { "destroy" } else { "apply" };
    // Before the lock too, so a workspace that went with its removed state file is reported
    // with what to do about it, not as missing.
    crate::recovery::refuse_if_pending(&ctx, &workspace)?;
    let lock = ctx.lock(store.as_ref(), &workspace, operation, args.flags.lock.lock_timeout).await?;
    let result = run_locked(&ctx, &loaded, &store, &workspace, args, destroy, plan_file.as_deref()).await;
    if let Err(e) = store.unlock(&workspace, &lock.id).await {
        eprintln!("Warning: failed to release the state lock: {e}");
    }
    result
}

async fn run_locked(
    ctx: &Context,
    loaded: &Loaded,
    store: &Arc<dyn StateStore>,
    workspace: &str,
    args: &ApplyArgs,
    destroy: bool,
    plan_file: Option<&Path>,
) -> anyhow::Result<i32> {
    let Some(path) = plan_file else { return converge(ctx, loaded, store, workspace, args, destroy).await };
    let bytes = fs_err::read(path)?;
    let key = store.workspace_key(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    let mut plan = plan::format::read_plan_file(&bytes, &key)
        .map_err(|e| anyhow::anyhow!("cannot read the plan file {}: {e}", path.display()))?;
    crate::recovery::refuse_if_pending(ctx, workspace)?;
    let state = store.read(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    check_fresh(ctx, &plan, &state, loaded, workspace)?;
    // The plan file never holds the values of write-only variables: take them again.
    let (inputs, var_sources, var_diags) =
        crate::variables::collect(&loaded.config, &ctx.root, &ctx.work_dir, &args.flags.vars);
    if !var_diags.is_empty() {
        ctx.report(&var_diags, &var_sources);
    }
    if var_diags.has_errors() {
        return Err(Reported.into());
    }
    let diags = plan::supply_write_only_variables(&key, &loaded.config, &mut plan, &inputs);
    if diags.has_errors() {
        ctx.report(&diags, &loaded.config.sources);
        return Err(Reported.into());
    }
    let code = execute(
        ctx,
        loaded,
        store,
        workspace,
        &plan,
        &state,
        Run { parallelism: args.flags.parallelism, round: None, refresh_command: args.refresh_command },
    )
    .await?;
    if code != 0 || !plan.has_deferred() {
        return Ok(code);
    }
    // A saved plan is exactly one round: what it deferred waits for the next `corral apply`.
    println!(
        "\n{} object(s) remain deferred to a later round; run `corral apply` (without a plan file) to plan and apply them.",
        plan.deferred.len()
    );
    Ok(if args.detailed_exitcode { 2 } else { 0 })
}

/// `corral apply` without a plan file: plan, ask, apply; while the plan deferred work and
/// the round applied something, plan again (a new round, shown and asked for like the first)
/// until nothing is deferred. Each round's work is committed by the normal apply path, so an
/// interrupted run leaves a consistent state and the next `corral apply` simply continues.
async fn converge(
    ctx: &Context,
    loaded: &Loaded,
    store: &Arc<dyn StateStore>,
    workspace: &str,
    args: &ApplyArgs,
    destroy: bool,
) -> anyhow::Result<i32> {
    let mut flags = args.flags.clone();
    flags.destroy |= destroy;
    let mut round: u32 = 1;
    loop {
        if round > 1 {
            println!("\n{}\n", ctx_bold(ctx, &format!("Round {round}: planning what round {} deferred", round - 1)));
        }
        let (plan, state) = super::plan::make_plan(ctx, loaded, store, workspace, &flags, true).await?;
        let state = state.ok_or_else(|| anyhow::anyhow!("the state the plan was made against was not kept"))?;
        print!("{}", crate::render::render_plan(&plan, ctx.color));
        if !plan.has_changes() {
            if plan.has_deferred() {
                return no_progress(ctx, &plan, round);
            }
            // `corral refresh` goes on: it shows the outputs, or warns of an empty state.
            if !args.refresh_command {
                return Ok(0);
            }
        }
        // A later round that changes only outputs (one that calls `timestamp()`, say) moves
        // nothing deferred forward: stop now rather than at `--max-rounds`.
        let changes_objects = !plan.imports.is_empty() || plan.changes.iter().any(|c| c.action.is_change());
        if round > 1 && plan.has_deferred() && !changes_objects {
            return no_progress(ctx, &plan, round);
        }
        if !args.auto_approve && !flags.input {
            let diag = Diagnostic::error("No confirmation with `--input=false`")
                .with_detail("Corral would ask whether to apply this plan, but `--input=false` forbids asking.")
                .with_help("pass `--auto-approve`, or apply a saved plan file (`corral apply tfplan`)");
            ctx.report(&diag.into(), &SourceMap::default());
            return Err(Reported.into());
        }
        if !args.auto_approve {
            let question = if flags.destroy {
                "Do you really want to destroy all resources?\n  Corral will destroy all your managed infrastructure, as shown above.\n  There is no undo."
            } else {
                "Do you want to perform these actions?\n  Corral will perform the actions described above."
            };
            if !ui::confirm(question) {
                eprintln!(
                    "\nApply cancelled (answer `yes` at the prompt, or pass `--auto-approve` when there is no terminal)."
                );
                return Ok(1);
            }
        }
        let shown_round = (plan.has_deferred() || round > 1).then_some(round);
        let code = execute(
            ctx,
            loaded,
            store,
            workspace,
            &plan,
            &state,
            Run { parallelism: flags.parallelism, round: shown_round, refresh_command: args.refresh_command },
        )
        .await?;
        if code != 0 || !plan.has_deferred() {
            if code == 0 && round > 1 {
                println!("\nConverged in {round} rounds: nothing is deferred any more.");
            }
            return Ok(code);
        }
        if round >= args.max_rounds {
            let diag = Diagnostic::error(format!("Still deferred after {round} round(s)"))
                .with_detail(format!(
                    "`--max-rounds {}` was reached with {} object(s) still deferred:\n{}",
                    args.max_rounds,
                    plan.deferred.len(),
                    deferred_list(&plan)
                ))
                .with_help("run `corral apply` again to continue, or raise `--max-rounds`");
            ctx.report(&diag.into(), &SourceMap::default());
            return if args.detailed_exitcode { Ok(2) } else { Err(Reported.into()) };
        }
        // `-replace` asks for one replacement, which this round made: a later round that
        // replaced again would never converge.
        flags.replace.clear();
        round += 1;
    }
}

/// A round whose plan defers work but has nothing to apply cannot make progress: what the
/// deferred objects wait for will not become known by applying nothing.
fn no_progress(ctx: &Context, plan: &Plan, round: u32) -> anyhow::Result<i32> {
    let diag = Diagnostic::error("Deferred work cannot make progress")
        .with_detail(format!(
            "Round {round} has nothing to apply, yet {} object(s) stay deferred:\n{}",
            plan.deferred.len(),
            deferred_list(plan)
        ))
        .with_help("what a deferred `count` or `for_each` depends on must become known by applying something; make it depend on values that are known, or on resources this configuration creates");
    ctx.report(&diag.into(), &SourceMap::default());
    Err(Reported.into())
}

fn deferred_list(plan: &Plan) -> String {
    plan.deferred.iter().map(|d| format!("  {}: {}", d.address, d.detail)).collect::<Vec<_>>().join("\n")
}

fn ctx_bold(ctx: &Context, text: &str) -> String {
    if ctx.color { format!("\x1b[1m{text}\x1b[0m") } else { text.to_string() }
}

/// Whether the root module has any configuration file.
pub(crate) fn has_configuration(loaded: &Loaded) -> bool {
    loaded.config.sources.files().next().is_some()
}

/// Terraform's refusal to plan or apply without configuration: it would mark everything for
/// destruction, which is `destroy`'s (or `plan --destroy`'s) job.
pub(crate) fn no_configuration(ctx: &Context, command: &str) -> anyhow::Result<i32> {
    let root = ctx.display(&ctx.root);
    let diag = if command == "refresh" {
        Diagnostic::error("No configuration files")
            .with_detail(format!(
                "{root} has no `.hcl` or `.tf` files. A refresh needs the configuration: it says which providers, configured how, read the objects in state."
            ))
            .with_help("run `corral refresh` where the configuration is (or name its directory)")
    } else {
        let hint = if command == "plan" { "`corral plan --destroy`" } else { "`corral destroy`" };
        Diagnostic::error("No configuration files")
            .with_detail(format!(
                "{root} has no `.hcl` or `.tf` files. Running {command} without a configuration would mark everything for destruction, which is normally not what is desired."
            ))
            .with_help(format!("to destroy everything, run {hint}; otherwise write the configuration and try again"))
    };
    ctx.report(&diag.into(), &SourceMap::default());
    Err(Reported.into())
}

/// Refuses a saved plan made against other configuration or another state.
fn check_fresh(ctx: &Context, plan: &Plan, state: &State, loaded: &Loaded, workspace: &str) -> anyhow::Result<()> {
    let basis = &plan.basis;
    let problem = if basis.workspace != workspace {
        Some(format!(
            "The plan was made for workspace \"{}\", but the selected workspace is \"{workspace}\"",
            basis.workspace
        ))
    } else if basis.state_lineage != state.lineage && !(basis.state_serial == 0 && state.serial == 0) {
        Some("The plan was made for a different state (its lineage does not match)".to_string())
    } else if basis.state_serial != state.serial {
        Some(format!(
            "The state was changed by another operation after the plan was created (plan made at serial {}, state is now at serial {})",
            basis.state_serial, state.serial
        ))
    } else if basis.config_hash != loaded.config.hash {
        Some("The configuration changed after the plan was created".to_string())
    } else {
        None
    };
    if let Some(detail) = problem {
        let diag = Diagnostic::error("Saved plan is stale")
            .with_detail(detail)
            .with_help("run `corral plan` again and apply the new plan");
        ctx.report(&diag.into(), &SourceMap::default());
        return Err(Reported.into());
    }
    Ok(())
}

/// How one apply walk runs: its `--parallelism`, and the round it is of a converging
/// `corral apply` (shown in its summary; `None` when there is only one).
#[derive(Clone, Copy)]
struct Run {
    parallelism: usize,
    round: Option<u32>,
    /// Run as `corral refresh`: no apply summary.
    refresh_command: bool,
}

async fn execute(
    ctx: &Context,
    loaded: &Loaded,
    store: &Arc<dyn StateStore>,
    workspace: &str,
    plan: &Plan,
    state: &State,
    run: Run,
) -> anyhow::Result<i32> {
    let Run { parallelism, round, refresh_command } = run;
    if plan.options.refresh_only {
        return record_refresh(ctx, store, workspace, plan, state, refresh_command).await;
    }
    let key = store.workspace_key(workspace).await.map_err(|e| anyhow::anyhow!(e))?;
    let interrupted = apply::Interrupt::new();
    // Commits what the walk does and keeps it, so that a run whose store stops taking commits
    // can still save everything it knows (`recovery`).
    let sink = StateWriter::for_state(store.clone(), workspace, state.lineage, state.serial);
    let interrupts = crate::interrupt::listen()?;
    let flag = interrupted.clone();
    let plugins = ctx.plugins.clone();
    let mut first = interrupts.clone();
    tokio::spawn(async move {
        first.nth(1).await;
        eprintln!(
            "\nInterrupt received: finishing the operations in flight, starting no new ones.\n\
             Interrupt again to stop waiting for them (their results may then be lost to state;\n\
             each is journalled as an intent, which the next `corral plan` settles)."
        );
        flag.trigger();
        // Plugins ignore SIGINT themselves; they are told to stop, and finish what
        // they are doing first.
        for plugin in &plugins {
            plugin.stop().await;
        }
    });
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let in_flight = crate::progress::InFlight::default();
    let printer = tokio::spawn(crate::progress::show(rx, in_flight.clone()));
    println!();
    let walk = apply::apply(ApplyInput {
        config: &loaded.config,
        graph: &loaded.graph,
        plan,
        state,
        registry: &ctx.registry,
        sink: &sink,
        workspace: workspace.to_string(),
        data_dir: ctx.data_dir.clone(),
        cwd: ctx.path_cwd.clone(),
        parallelism,
        key,
        events: Some(tx),
        interrupted: interrupted.clone(),
    });
    let mut second = interrupts.clone();
    let outcome = tokio::select! {
        outcome = walk => outcome,
        () = second.nth(2) => {
            abandon(&in_flight);
            return Ok(1);
        }
    };
    let _ = printer.await;
    if let Some(lost) = sink.lost() {
        // Every commit after the loss failed with the same error; it is said once, below,
        // rather than once per operation.
        let said = lost.to_string();
        let mut others = outcome.diagnostics;
        others.0.retain(|d| d.detail.as_deref() != Some(said.as_str()));
        ctx.report(&others, &loaded.config.sources);
        return save_recovery(ctx, workspace, &sink.known_state(state), &lost);
    }
    ctx.report(&outcome.diagnostics, &loaded.config.sources);
    let added = outcome.count(Action::Create)
        + outcome.count(Action::DeleteThenCreate)
        + outcome.count(Action::CreateThenDelete);
    let changed = outcome.count(Action::Update);
    let destroyed = outcome.count(Action::Delete)
        + outcome.count(Action::DeleteThenCreate)
        + outcome.count(Action::CreateThenDelete);
    let failed: Vec<_> = outcome.outcomes.iter().filter(|(_, _, o)| matches!(o, InstanceOutcome::Failed(_))).collect();
    let skipped: Vec<_> =
        outcome.outcomes.iter().filter(|(_, _, o)| matches!(o, InstanceOutcome::Skipped(_))).collect();
    let not_started: Vec<_> =
        outcome.outcomes.iter().filter(|(_, _, o)| matches!(o, InstanceOutcome::Interrupted)).collect();
    let was_interrupted = interrupted.is_set();
    if outcome.diagnostics.has_errors() || !failed.is_empty() || was_interrupted || !not_started.is_empty() {
        let what = if plan.options.destroy { "Destroy" } else { "Apply" };
        let how = if was_interrupted { "interrupted" } else { "failed" };
        println!(
            "\n{what} {how}. Resources: {added} added, {changed} changed, {destroyed} destroyed, {} failed, {} skipped, {} not started.",
            failed.len(),
            skipped.len(),
            not_started.len(),
        );
        for (addr, _, o) in failed.iter().chain(skipped.iter()).chain(not_started.iter()) {
            match o {
                InstanceOutcome::Failed(m) => println!("  ✗ {addr}: {m}"),
                InstanceOutcome::Skipped(m) => println!("  - {addr}: skipped ({m})"),
                InstanceOutcome::Interrupted => println!("  - {addr}: skipped (not started: interrupted)"),
                InstanceOutcome::Done => {}
            }
        }
        println!("\nEverything that completed is recorded in state; run `corral apply` again to continue.");
        return Ok(1);
    }
    if plan.options.destroy {
        print!("\n{}", crate::render::render_destroy_summary(destroyed, ctx.color));
    } else {
        let imported = outcome
            .outcomes
            .iter()
            .filter(|(addr, _, o)| *o == InstanceOutcome::Done && plan.importing(addr).is_some())
            .count();
        let applied =
            crate::render::Applied { imported, added, changed, destroyed, forgotten: outcome.count(Action::Forget) };
        let round = round.map(|n| format!("Round {n}: ")).unwrap_or_default();
        print!("\n{round}{}", crate::render::render_apply_summary(applied, ctx.color));
    }
    print_outputs(&outcome.outputs);
    Ok(0)
}

/// `apply --refresh-only`: the refreshed objects go to state as they are; no provider call.
async fn record_refresh(
    ctx: &Context,
    store: &Arc<dyn StateStore>,
    workspace: &str,
    plan: &Plan,
    state: &State,
    refresh_command: bool,
) -> anyhow::Result<i32> {
    if refresh_command && state.instances.is_empty() {
        // As Terraform's `refresh` says it.
        let warning = Diagnostic::warning("Empty or non-existent state")
            .with_detail("There are currently no remote objects tracked in the state, so there is nothing to refresh.");
        ctx.report(&warning.into(), &SourceMap::default());
    }
    let changes = plan::refreshed_state(plan, state);
    if !changes.is_empty() {
        store.commit(workspace, state.serial, changes).await.map_err(|e| anyhow::anyhow!(e))?;
    }
    if !refresh_command {
        let applied = crate::render::Applied { imported: 0, added: 0, changed: 0, destroyed: 0, forgotten: 0 };
        print!("\n{}", crate::render::render_apply_summary(applied, ctx.color));
    }
    print_outputs(&plan::refreshed_outputs(plan));
    Ok(0)
}

/// The root module's outputs after an apply, as Terraform shows them.
fn print_outputs(outputs: &BTreeMap<String, OutputState>) {
    if outputs.is_empty() {
        return;
    }
    println!("\nOutputs:\n");
    for (name, output) in outputs {
        if output.sensitive {
            println!("{name} = <sensitive>");
        } else {
            println!("{name} = {}", crate::commands::output::hcl_like(&output.value));
        }
    }
}

/// The store stopped taking this run's commits: write everything the run knows beside it and
/// say how to restore it. Never claims the state is complete, because it is not.
fn save_recovery(ctx: &Context, workspace: &str, known: &State, lost: &StateError) -> anyhow::Result<i32> {
    let path = crate::recovery::path(ctx, workspace);
    let shown = ctx.display(&path);
    let mut diag =
        Diagnostic::error("The state changed underneath this apply; its work is NOT recorded in the state store")
            .with_detail(format!(
                "{lost}.\nCorral started no new operations after that and did not write to the state store again."
            ));
    diag = match crate::recovery::write(&path, known) {
        Ok(()) => diag.with_help(format!(
            "everything this run knows ({} resource instance(s), {} unfinished operation(s)) is saved in {shown}; restore it with `corral state push {shown}`{}, then run `corral apply` again",
            known.instances.len(),
            known.intents.len(),
            if matches!(lost, StateError::Vanished { .. }) { "" } else { " (add `--force` to replace the state that is there now)" },
        )),
        Err(e) => {
            // Nowhere to save it: the state goes to standard output, as Terraform does, so
            // that it can still be pushed.
            println!("{}", corral_engine::state::format::export_string(known));
            diag.with_help(format!(
                "cannot write {shown} ({e}); the state this run knows was printed above: save it to a file and restore it with `corral state push FILE`"
            ))
        }
    };
    ctx.report(&diag.into(), &SourceMap::default());
    Ok(1)
}

/// The second interrupt: stop waiting. Whatever was in flight may have happened without
/// being recorded; its intent (committed before the call) is what the next plan settles.
fn abandon(in_flight: &crate::progress::InFlight) {
    let in_flight = in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    eprintln!("\nTwo interrupts received: exiting without waiting for the {} operation(s) in flight.", in_flight.len());
    eprintln!(
        "Warning: their results may be lost to state. Each is journalled as an intent, which the next `corral plan` settles (an interrupted create is adopted, not repeated)."
    );
    for addr in in_flight.iter() {
        eprintln!("  ! {addr}");
    }
}
