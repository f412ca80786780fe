//! What an apply does for the changes that touch state only: an imported object whose plan
//! is a no-op is recorded as it was imported, and a forgotten one (`removed` with
//! `destroy = false`) leaves state; neither calls the provider. Imports that also update go
//! through the usual update, with the imported object as the prior.

use std::time::Instant;

use crate::diag::Diagnostic;
use crate::plan::{Action, ResourceChange};
use crate::schema::ResourceSchema;
use crate::state::{InstanceStatus, StateChange};

use super::events::{ApplyEvent, InstanceOutcome};
use super::provider_call::instance_state;
use super::walk::Walker;

impl Walker<'_> {
    /// Records an imported object that needs no change.
    pub(super) async fn record_import(&self, change: &ResourceChange, schema: &ResourceSchema) -> bool {
        let started = Instant::now();
        if self.interrupted() {
            self.record(&change.addr, change.action, InstanceOutcome::Interrupted, started);
            return false;
        }
        let Some(value) = change.after.as_ref().or(change.before()) else { return true };
        self.event(ApplyEvent::Started { addr: change.addr.clone(), action: change.action, deposed: false });
        let state = instance_state(change, value, change.private.clone(), InstanceStatus::Ready, schema);
        let committed = self.input.sink.commit(vec![StateChange::PutInstance(state)]).await;
        self.commit_outcome(change, committed.map_err(|e| e.to_string()), "record the imported object", started)
    }

    /// Drops a forgotten instance from state; its object stays.
    pub(super) async fn forget(&self, change: &ResourceChange) -> bool {
        let started = Instant::now();
        if self.interrupted() {
            self.record(&change.addr, change.action, InstanceOutcome::Interrupted, started);
            return false;
        }
        self.event(ApplyEvent::Started { addr: change.addr.clone(), action: Action::Forget, deposed: false });
        let committed = self.input.sink.commit(vec![StateChange::RemoveInstance(change.addr.clone())]).await;
        self.commit_outcome(change, committed.map_err(|e| e.to_string()), "forget the object", started)
    }

    fn commit_outcome(
        &self,
        change: &ResourceChange,
        committed: Result<(), String>,
        what: &str,
        started: Instant,
    ) -> bool {
        match committed {
            Ok(()) => {
                self.record(&change.addr, change.action, InstanceOutcome::Done, started);
                true
            }
            Err(e) => {
                self.report(
                    Diagnostic::error(format!("Cannot {what} for {} in state", change.addr))
                        .with_detail(e.clone())
                        .into(),
                );
                self.record(&change.addr, change.action, InstanceOutcome::Failed(e), started);
                false
            }
        }
    }
}
