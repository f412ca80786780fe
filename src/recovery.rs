//! The recovery file: what an apply knew when the store stopped taking its commits (the state
//! file was removed, replaced or changed by someone else), written beside the store as
//! `<workspace>.errored.json` in the state JSON format, like Terraform's `errored.tfstate`.
//!
//! It holds the state the run read, with every change the run made applied to it, intents
//! included (the apply's `StateWriter` keeps them: `StateWriter::known_state`), so that after `corral state push` the next apply adopts what the run created
//! instead of creating it again. Until it is pushed (or removed), commands that would plan
//! against the store refuse to run: the store alone no longer accounts for every object.

use std::path::{Path, PathBuf};

use corral_engine::diag::{Diagnostic, SourceMap};
use corral_engine::state::{State, format};

use crate::context::Context;
use crate::ui::Reported;

/// Where the recovery file of a workspace goes.
pub(crate) fn path(ctx: &Context, workspace: &str) -> PathBuf {
    ctx.data_dir.join("state").join(format!("{workspace}.errored.json"))
}

/// Writes the recovery file: complete under a temporary name, then renamed into place, so a
/// crash never leaves half a state that `state push` would take.
pub(crate) fn write(path: &Path, state: &State) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    fs_err::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut file, format::export_string(state).as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Refuses to go on while a recovery file exists: the store alone may not account for every
/// object. `state push` of the file removes it; a user who restored the state some other way
/// removes it by hand.
///
/// The store is not consulted: a serial or lineage that happens to match proves nothing about
/// what the file holds (someone else's commits could have moved the serial past it).
pub(crate) fn refuse_if_pending(ctx: &Context, workspace: &str) -> anyhow::Result<()> {
    let path = path(ctx, workspace);
    if !path.exists() {
        return Ok(());
    }
    let shown = ctx.display(&path);
    let diag = Diagnostic::error("An earlier apply could not record its work in state")
        .with_detail(format!(
            "{shown} holds what that run knew (the objects it created and the operations it started), and the state store does not; planning now could create those objects a second time."
        ))
        .with_help(format!(
            "restore it with `corral state push {shown}` (it is state JSON, as `corral state pull` prints); if the state is already restored some other way, delete {shown}"
        ));
    ctx.report(&diag.into(), &SourceMap::default());
    Err(Reported.into())
}

/// After a successful `state push`: the workspace's recovery file, if it holds exactly the
/// state pushed, has served its purpose and is removed (it is in the store now).
pub(crate) fn settle_after_push(ctx: &Context, workspace: &str, pushed: &State) -> anyhow::Result<()> {
    let path = path(ctx, workspace);
    let Ok(text) = fs_err::read_to_string(&path) else { return Ok(()) };
    if format::import(&text).is_ok_and(|saved| saved == *pushed) {
        fs_err::remove_file(&path)?;
        eprintln!("Removed {}: the state it held is in the store now.", ctx.display(&path));
    }
    Ok(())
}
