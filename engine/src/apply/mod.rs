//! Applying a plan: a concurrent walk of the plan's graph bounded by `parallelism`, which
//! commits every completed operation to state at once (through a [`StateSink`]) and records
//! an intent before every provider call that makes or destroys something.
//!
//! The graph has one task per configuration node (`Eval` for variables, locals, outputs,
//! module calls, providers and `check` blocks; `Apply` for a resource's creates and updates) plus a
//! `Destroy` task per resource with deletions. Edges (see `tasks.rs`) give Terraform's
//! order: dependencies are created first and destroyed last; a plain replacement deletes
//! the old object before creating the new one; a create-before-destroy replacement creates
//! the new object, then updates dependents, then deletes the old object.

mod check;
mod events;
mod final_plan;
mod import;
mod instance;
mod interrupt;
mod nodes;
mod provider_call;
mod provisioner;
mod resource;
mod sink;
mod slot;
mod slots;
mod tasks;
#[cfg(test)]
mod tests;
mod walk;

pub use events::{ApplyEvent, InstanceOutcome};
pub use interrupt::Interrupt;
pub use sink::{Deferred, StateSink};
pub use walk::{ApplyInput, ApplyOutcome, apply};
