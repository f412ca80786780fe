//! The on-disk and JSON forms of a [`Plan`](super::Plan), kept apart from the in-memory
//! types so that those can change without breaking saved files or `--json` consumers:
//!
//! - [`plan_to_json`]: the `--json` output, modelled on Terraform's plan JSON
//!   (`format_version`, `resource_changes[]`, `output_changes`, `resource_drift`).
//! - [`write_plan_file`] / [`read_plan_file`]: the saved plan (`corral plan --out FILE`), a
//!   versioned JSON document that restores the whole plan exactly (unknowns, sensitive
//!   marks and collection types included), MACed and with its secrets sealed or left out
//!   (see `file`).

mod file;
mod json;

pub use file::{PLAN_FILE_FORMAT, PLAN_FILE_VERSION, PlanFileError, read_plan_file, write_plan_file};
pub use json::{JSON_FORMAT_VERSION, path_to_json, plan_to_json};

#[cfg(test)]
mod tests;
