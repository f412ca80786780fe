//! The on-disk and JSON forms of a [`Plan`](super::Plan), kept apart from the in-memory
//! types so that those can change without breaking saved files or `--json` consumers:
//!
//! - [`plan_to_json`]: the `--json` output, Terraform's plan JSON shape (`planned_values`,
//!   `resource_changes`, `prior_state`, `configuration`, ...; see `json`), read by the
//!   tools written for Terraform plans.
//! - [`state_to_json`]: a state as `terraform show -json` writes it (`values.root_module`).
//! - [`write_plan_file`] / [`read_plan_file`]: the saved plan (`corral plan --out FILE`), a
//!   versioned JSON document that restores the whole plan exactly (unknowns, sensitive
//!   marks and collection types included), MACed and with its secrets sealed or left out
//!   (see `file`).

mod file;
mod json;
mod json_config;
mod json_secrets;
mod json_state;
mod json_values;

pub use file::{PLAN_FILE_FORMAT, PLAN_FILE_VERSION, PlanFileError, read_plan_file, write_plan_file};
pub use json::{JSON_FORMAT_VERSION, TERRAFORM_COMPATIBLE_VERSION, path_to_json, plan_to_json, provider_schemas};
pub use json_config::ProviderSchemas;
pub use json_state::{STATE_JSON_FORMAT_VERSION, state_to_json};

#[cfg(test)]
mod tests;
