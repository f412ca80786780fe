//! `corral promote SOURCE TARGET` and `corral promote status` (see `crate::promote`). Each
//! environment is run as `corral -C envs/NAME ...` child processes (`reconcile::runner`),
//! in the workspace its `corral.unit` names, exactly as a person running `corral` there.

use std::fs::TryLockError;
use std::path::{Path, PathBuf};

use corral_engine::diag::{Diagnostic, Diagnostics, SourceMap};

use crate::args::{PromoteArgs, PromoteCommand};
use crate::promote::files::{FileChanges, Journal, Revision, revision};
use crate::promote::gates::judge;
use crate::promote::record::Record;
use crate::promote::settings::{SETTINGS_FILE, Settings};
use crate::promote::{Layout, module_calls, module_changes, module_file_changes};
use crate::reconcile::runner::{Runner, tail};
use crate::reconcile::unit::{UNIT_FILE, Unit, read_unit};
use crate::ui::{self, Reported};

pub(crate) async fn run(chdir: Option<&Path>, args: &PromoteArgs) -> anyhow::Result<i32> {
    let root = match chdir {
        Some(dir) => std::path::absolute(dir)?,
        None => std::env::current_dir()?,
    };
    if let Some(PromoteCommand::Status { json, envs_dir }) = &args.command {
        return status(&Layout::new(&root, envs_dir.as_deref()), *json).await;
    }
    let (Some(source), Some(target)) = (&args.source, &args.target) else {
        anyhow::bail!("`corral promote` needs SOURCE and TARGET environments (or `status`)");
    };
    if source == target {
        anyhow::bail!("cannot promote `{source}` into itself");
    }
    promote(&Layout::new(&root, args.envs_dir.as_deref()), source, target, args).await
}

/// The environment as a unit: its `corral.unit` (workspace) when it has one.
fn env_unit(name: &str, dir: &Path) -> anyhow::Result<Unit> {
    if dir.join(UNIT_FILE).is_file() {
        read_unit(name.to_string(), dir.to_path_buf())
    } else {
        Ok(Unit::plain(name.to_string(), dir.to_path_buf()))
    }
}

/// Settings of both environments; a problem in either stops here, shown at its line.
fn load_settings(source: &Path, target: &Path) -> anyhow::Result<(Settings, Settings, SourceMap)> {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::new();
    let source_settings = Settings::load(source, &mut sources, &mut diags);
    let target_settings = Settings::load(target, &mut sources, &mut diags);
    if diags.has_errors() {
        ui::print_diagnostics(&diags, &sources, ui::use_color(false));
        return Err(Reported.into());
    }
    Ok((source_settings, target_settings, sources))
}

/// Held for the whole promotion: one promotion into an environment at a time. An OS lock
/// on a file, so a promotion killed with -9 holds nothing.
fn lock_target(journal: &Journal, target: &str) -> anyhow::Result<std::fs::File> {
    corral_engine::state::secure_fs::create_private_dir_all(journal.work_dir())
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", journal.work_dir().display()))?;
    let path = journal.work_dir().join("lock");
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => {
            anyhow::bail!("another `corral promote` into `{target}` is under way ({} is locked)", path.display())
        }
        Err(TryLockError::Error(e)) => anyhow::bail!("cannot lock {}: {e}", path.display()),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn promote(layout: &Layout, source: &str, target: &str, args: &PromoteArgs) -> anyhow::Result<i32> {
    let source_dir = layout.env_dir(source)?;
    let target_dir = layout.env_dir(target)?;
    let (source_settings, target_settings, sources) = load_settings(&source_dir, &target_dir)?;
    if let Some((from, span)) = &target_settings.from
        && from != source
    {
        let mut diags = Diagnostics::new();
        diags.push(
            Diagnostic::error(format!("`{target}` is promoted from `{from}`, not from `{source}`"))
                .with_span(*span)
                .with_help(format!("run `corral promote {from} {target}`")),
        );
        ui::print_diagnostics(&diags, &sources, ui::use_color(false));
        return Err(Reported.into());
    }
    let journal = Journal::new(&target_dir);
    let _lock = lock_target(&journal, target)?;
    if journal.roll_back()? {
        println!("Put back the files of {target} that an interrupted promotion had changed.");
    }
    let runner = Runner::new()?;
    let (source_unit, target_unit) = (env_unit(source, &source_dir)?, env_unit(target, &target_dir)?);

    // What is promoted must be what the source runs: its plan must be empty.
    println!("Checking that {source} runs its files (a plan there must have no changes)...");
    runner.init(&source_unit).await.map_err(|e| anyhow::anyhow!("in {source}: {e:#}"))?;
    let checked = runner.corral(&source_unit, &["plan", "--input=false", "--detailed-exitcode"], None).await?;
    match checked.code {
        0 => {}
        2 => anyhow::bail!(
            "{source} does not run its files yet: its plan has changes. Apply them in {} first, so that what is promoted is what {source} runs.\n{}",
            source_dir.display(),
            plan_summary(&checked.stdout)
        ),
        _ => anyhow::bail!("corral plan failed in {source}: {}", tail(&checked.stderr)),
    }
    let source_revision = revision(&layout.root, &source_dir, &source_settings.keep).await?;
    let source_record = Record::load(&source_dir)?;
    if source_record.as_ref().is_none_or(|r| r.revision.hash != source_revision.hash) {
        Record {
            environment: source.to_string(),
            recorded_by: "verified".to_string(),
            promoted_from: source_record.and_then(|r| r.promoted_from),
            time: now(),
            revision: source_revision.clone(),
        }
        .save(&source_dir)?;
    }

    // What promotion changes in the target: module calls, module code, files.
    let promoted = revision(&layout.root, &source_dir, &target_settings.keep).await?;
    let target_record = Record::load(&target_dir)?;
    let runs =
        target_record.as_ref().map_or("no recorded revision".to_string(), |r| format!("runs {}", r.revision.short()));
    println!("\nPromoting {source} ({}) into {target} ({runs}).", promoted.short());
    let calls = module_changes(
        &module_calls(&target_dir, &target_settings.keep)?,
        &module_calls(&source_dir, &target_settings.keep)?,
    );
    let code = target_record.as_ref().map(|r| module_file_changes(&r.revision.modules, &promoted.modules));
    let changes = FileChanges::between(&source_dir, &target_dir, &target_settings.keep)?;
    print_changes(target, &calls, code.as_deref(), &changes);

    // The target with the promoted files: plan, judge, ask, apply.
    journal.apply(&changes)?;
    let planned = plan_target(&runner, &target_unit, &journal).await;
    let (plan_file, plan_text, plan_json, has_changes) = match planned {
        Ok(planned) => planned,
        Err(e) => {
            journal.roll_back()?;
            return Err(e.context(format!("{target}'s files are put back")));
        }
    };
    println!("\nPlan in {target}:\n{}", plan_text.trim_end());
    let refusals = judge(&target_settings.gates, &plan_json, chrono::Utc::now());
    if !refusals.is_empty() {
        journal.roll_back()?;
        // One plain line per refusal (never wrapped, so a CI log can be searched for it),
        // naming the gate, where it is declared, and the change that tripped it.
        for refusal in &refusals {
            let gate = &target_settings.gates[refusal.gate_index];
            let detail = match &refusal.address {
                Some(address) => format!("{address}: {}", refusal.reason),
                None => refusal.reason.clone(),
            };
            eprintln!(
                "Error: gate \"{}\" of {target} ({}) refuses the promotion: {detail}",
                refusal.gate,
                sources.location(gate.span)
            );
        }
        eprintln!("Promotion refused: nothing was applied and the files of {target} are as they were.");
        return Err(Reported.into());
    }
    if !target_settings.gates.is_empty() {
        let names: Vec<&str> = target_settings.gates.iter().map(|g| g.kind.name()).collect();
        println!("\nGates of {target}: {} pass.", names.join(", "));
    }
    if args.dry_run {
        journal.roll_back()?;
        println!("\nDry run: every gate passes; nothing applied, the files of {target} are as they were.");
        return Ok(0);
    }
    if has_changes {
        if !args.auto_approve {
            if !args.input {
                journal.roll_back()?;
                anyhow::bail!(
                    "promoting would ask for approval, but `--input=false` forbids asking (use `-auto-approve`)"
                );
            }
            if !ui::confirm(&format!("Do you want to promote {source} into {target}?")) {
                journal.roll_back()?;
                eprintln!("Promotion cancelled: the files of {target} are as they were.");
                return Ok(1);
            }
        }
        // From here on the promoted files are the target's: an apply that stops half way is
        // finished by applying them again, not by putting the old ones back.
        journal.commit()?;
        let status = runner
            .command(&target_unit, &["apply", "--input=false", "--auto-approve"], Some(&plan_file))
            .stdin(std::process::Stdio::null())
            .status()
            .await?;
        let _ = fs_err::remove_file(&plan_file);
        if !status.success() {
            anyhow::bail!(
                "the apply in {target} failed; its promoted files stay (finish with `corral apply` in {}, or promote again) and no revision is recorded",
                target_dir.display()
            );
        }
        later_rounds(&runner, &target_unit, &journal, &target_settings.gates, plan_json, &target_dir).await?;
    } else {
        journal.commit()?;
        let _ = fs_err::remove_file(&plan_file);
    }
    let record = Record {
        environment: target.to_string(),
        recorded_by: "promoted".to_string(),
        promoted_from: Some(source.to_string()),
        time: now(),
        revision: promoted,
    };
    record.save(&target_dir)?;
    println!(
        "\n{target} runs {} (promoted from {source}; recorded in {}).",
        record.revision.short(),
        crate::promote::record::RECORD_FILE
    );
    Ok(0)
}

/// Most rounds a promotion applies in the target before it gives up on deferred work.
const MAX_ROUNDS: usize = 10;

/// While the last applied plan left work deferred to a later round (a `count`/`for_each`
/// known only after apply), plans the next round in the target, judges it by the same
/// gates, and applies it: what a promotion records must be what the target runs in full.
async fn later_rounds(
    runner: &Runner,
    unit: &Unit,
    journal: &Journal,
    gates: &[crate::promote::settings::Gate],
    mut plan: serde_json::Value,
    target_dir: &Path,
) -> anyhow::Result<()> {
    let target = &unit.id;
    let unfinished = |why: String| {
        anyhow::anyhow!(
            "{why}; the promoted files of {target} stay (finish with `corral apply` in {}) and no revision is recorded",
            target_dir.display()
        )
    };
    for round in 2..=MAX_ROUNDS {
        let deferred = plan.get("deferred_changes").and_then(serde_json::Value::as_array).map_or(0, Vec::len);
        if deferred == 0 {
            return Ok(());
        }
        println!("\nRound {round}: planning what round {} deferred in {target}...", round - 1);
        let (plan_file, plan_text, plan_json, has_changes) = plan_target(runner, unit, journal).await?;
        println!("{}", plan_text.trim_end());
        let refusals = judge(gates, &plan_json, chrono::Utc::now());
        if let Some(refusal) = refusals.first() {
            let _ = fs_err::remove_file(&plan_file);
            let gate = gates.get(refusal.gate_index).map_or("?", |g| g.kind.name());
            let detail =
                refusal.address.as_ref().map_or(refusal.reason.clone(), |a| format!("{a}: {}", refusal.reason));
            return Err(unfinished(format!("gate \"{gate}\" refuses round {round}: {detail}")));
        }
        if !has_changes {
            let _ = fs_err::remove_file(&plan_file);
            return Ok(());
        }
        let status = runner
            .command(unit, &["apply", "--input=false", "--auto-approve"], Some(&plan_file))
            .stdin(std::process::Stdio::null())
            .status()
            .await?;
        let _ = fs_err::remove_file(&plan_file);
        if !status.success() {
            return Err(unfinished(format!("the apply of round {round} in {target} failed")));
        }
        plan = plan_json;
    }
    Err(unfinished(format!("work is still deferred after {MAX_ROUNDS} rounds")))
}

/// Init, `plan --out`, and the plan's JSON (`show -json`): the plan file, its text, its JSON
/// and whether it changes anything.
async fn plan_target(
    runner: &Runner,
    unit: &Unit,
    journal: &Journal,
) -> anyhow::Result<(PathBuf, String, serde_json::Value, bool)> {
    runner.init(unit).await.map_err(|e| anyhow::anyhow!("in {}: {e:#}", unit.id))?;
    let file = journal.plan_file();
    let planned = runner.corral(unit, &["plan", "--input=false", "--detailed-exitcode", "--out"], Some(&file)).await?;
    let has_changes = match planned.code {
        0 => false,
        2 => true,
        _ => anyhow::bail!("corral plan failed in {}: {}", unit.id, tail(&planned.stderr)),
    };
    let shown = runner.corral(unit, &["show", "-json"], Some(&file)).await?;
    if shown.code != 0 {
        anyhow::bail!("corral show -json failed in {}: {}", unit.id, tail(&shown.stderr));
    }
    let json = serde_json::from_str(&shown.stdout)
        .map_err(|e| anyhow::anyhow!("corral show -json printed no plan JSON: {e}"))?;
    Ok((file, planned.stdout, json, has_changes))
}

/// The `Plan: ...` line of a human plan, or its last line.
fn plan_summary(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines.iter().find(|l| l.starts_with("Plan:")).or(lines.last()).map_or(String::new(), |l| l.to_string())
}

fn print_changes(target: &str, calls: &[String], code: Option<&[(String, &'static str)]>, files: &FileChanges) {
    println!("\nModule changes:");
    if calls.is_empty() {
        println!("  (no module call changes its source or inputs)");
    }
    for line in calls {
        println!("  {line}");
    }
    match code {
        None => println!("  ({target} has no recorded revision: module code is not compared)"),
        Some([]) => println!("  (the modules' code is the same as in {target}'s recorded revision)"),
        Some(changed) => {
            for (path, what) in changed {
                println!("  {path}: {what} since {target}'s recorded revision");
            }
        }
    }
    println!("\nFile changes in {target}:");
    if files.changed.is_empty() {
        println!("  (none: {target} already has these files)");
    }
    for (name, (old, new)) in &files.changed {
        let (old, new) = (old.as_deref().unwrap_or(""), new.as_deref().unwrap_or(""));
        let diff = similar::TextDiff::from_lines(old, new);
        print!(
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("{target}/{name}"), &format!("{target}/{name} (promoted)"))
        );
    }
}

/// One environment's line of `promote status`.
#[derive(serde::Serialize)]
struct EnvStatus {
    environment: String,
    from: Option<String>,
    record: Option<Record>,
    /// The revision of its files now.
    current: String,
    /// Its files differ from its recorded revision (edited, or promoted but not recorded).
    changed_since_record: bool,
    /// Its `from` environment's files are a revision other than the one it runs.
    behind: Option<bool>,
}

/// Environments in promotion order: each after the one it is promoted from (ties, and
/// environments outside any chain, by name).
fn pipeline_order(layout: &Layout, names: Vec<String>) -> Vec<String> {
    let from: std::collections::BTreeMap<&String, Option<String>> = names
        .iter()
        .map(|name| {
            let text = layout.env_dir(name).ok().and_then(|d| fs_err::read_to_string(d.join(SETTINGS_FILE)).ok());
            let from = text.and_then(|t| {
                let body = hcl_edit::parser::parse_body(&t).ok()?;
                let attr = body.get_attribute("from")?;
                match &attr.value {
                    hcl_edit::expr::Expression::String(s) => Some(s.value().to_string()),
                    _ => None,
                }
            });
            (name, from)
        })
        .collect();
    let depth = |name: &String| {
        let mut depth = 0;
        let mut at = name;
        while let Some(Some(up)) = from.get(at) {
            depth += 1;
            match from.get_key_value(up) {
                Some((key, _)) if depth <= names.len() => at = key,
                _ => break,
            }
        }
        depth
    };
    let mut ordered = names.clone();
    ordered.sort_by_key(|n| (depth(n), n.clone()));
    ordered
}

async fn status(layout: &Layout, json: bool) -> anyhow::Result<i32> {
    let names = pipeline_order(layout, layout.environments()?);
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::new();
    let mut envs = Vec::new();
    for name in &names {
        let dir = layout.env_dir(name)?;
        let settings = Settings::load(&dir, &mut sources, &mut diags);
        let current: Revision = revision(&layout.root, &dir, &settings.keep).await?;
        let record = Record::load(&dir)?;
        let from = settings.from.as_ref().map(|(f, _)| f.clone());
        let behind = match (&from, &record) {
            (Some(from), Some(record)) if names.contains(from) => {
                let upstream = revision(&layout.root, &layout.env_dir(from)?, &settings.keep).await?;
                Some(upstream.hash != record.revision.hash)
            }
            (Some(_), None) => Some(true),
            _ => None,
        };
        envs.push(EnvStatus {
            environment: name.clone(),
            from,
            changed_since_record: record.as_ref().is_some_and(|r| r.revision.hash != current.hash),
            record,
            current: current.hash,
            behind,
        });
    }
    if diags.has_errors() {
        ui::print_diagnostics(&diags, &sources, ui::use_color(false));
        return Err(Reported.into());
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&envs)?);
        return Ok(0);
    }
    println!("{:<12} {:<12} {:<42} {:<22} STATE", "ENVIRONMENT", "FROM", "RUNS", "RECORDED");
    for env in &envs {
        let runs = env.record.as_ref().map_or("-".to_string(), |r| r.revision.short());
        let recorded = env.record.as_ref().map_or("-".to_string(), |r| r.time.clone());
        let mut state = Vec::new();
        match (&env.from, env.behind, &env.record) {
            (Some(from), Some(true), None) => state.push(format!("never promoted from {from}")),
            (Some(from), Some(true), Some(_)) => state.push(format!("behind {from}")),
            (Some(from), Some(false), _) => state.push(format!("up to date with {from}")),
            (Some(from), None, _) => state.push(format!("promoted from unknown environment {from}")),
            (None, _, None) => state.push("no recorded revision".to_string()),
            (None, _, Some(_)) => {}
        }
        if env.changed_since_record {
            state.push("files changed since recorded".to_string());
        }
        let state = if state.is_empty() { "recorded".to_string() } else { state.join("; ") };
        println!(
            "{:<12} {:<12} {:<42} {:<22} {state}",
            env.environment,
            env.from.as_deref().unwrap_or("-"),
            runs,
            recorded
        );
    }
    Ok(0)
}
