//! Which revision an environment runs: `corral.revision.json` in the environment's
//! directory, written by `corral promote` (for the target once its apply succeeded, and for
//! the source once its empty plan showed it runs its files). A file beside the configuration
//! rather than in `.corral/`, so it is committed with the promoted files and the whole team
//! (and `corral promote status` in any clone) sees it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{Revision, write_atomic};

pub(crate) const RECORD_FILE: &str = "corral.revision.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Record {
    pub environment: String,
    /// `promoted` (from `promoted_from`) or `verified` (its plan was empty when it was
    /// promoted from: it runs these files).
    pub recorded_by: String,
    pub promoted_from: Option<String>,
    /// RFC 3339, UTC.
    pub time: String,
    pub revision: Revision,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(RECORD_FILE)
}

impl Record {
    /// The environment's record; none yet is `None`, an unreadable one an error (a record
    /// silently ignored would make an environment look never promoted).
    pub(crate) fn load(dir: &Path) -> anyhow::Result<Option<Record>> {
        match fs_err::read_to_string(path(dir)) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("{} is not a revision record: {e}", path(dir).display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn save(&self, dir: &Path) -> anyhow::Result<()> {
        write_atomic(&path(dir), format!("{}\n", serde_json::to_string_pretty(self)?).as_bytes())
    }
}
