//! Adapts the state store's group-committing writer to the apply walk's [`StateSink`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use corral_engine::apply::StateSink;
use corral_engine::state::{State, StateChange, StateError, StateWriter};

/// Commits through a [`StateWriter`]: operations that finish together share one durable
/// transaction. It also keeps every change it was given, so that when the store stops taking
/// them (its state was removed or replaced under the run) the run can still write down all
/// it knows (see `recovery`).
pub struct StoreSink {
    writer: StateWriter,
    /// Every change submitted (committed, or a result that could not be), in the order each
    /// task submitted them.
    journal: Mutex<Vec<StateChange>>,
    /// Set when the store's state is lost to this run: no new operation may start.
    stop: Arc<AtomicBool>,
}

impl StoreSink {
    pub fn new(writer: StateWriter, stop: Arc<AtomicBool>) -> StoreSink {
        StoreSink { writer, journal: Mutex::new(Vec::new()), stop }
    }

    /// Why the store stopped taking this run's changes, if it did.
    pub fn lost(&self) -> Option<StateError> {
        self.writer.lost()
    }

    /// `base` (the state the run read) with every change of the run applied: what the state
    /// would be had every commit succeeded, one serial past the last commit that did.
    pub fn known_state(&self, base: &State) -> State {
        let mut state = base.clone();
        state.apply_changes(self.journal().iter().cloned());
        state.lineage = self.writer.lineage().filter(|l| !l.is_nil()).unwrap_or(base.lineage);
        if state.lineage.is_nil() {
            // Nothing was ever committed: the saved state starts a lineage of its own.
            state.lineage = uuid::Uuid::new_v4();
        }
        state.serial = self.writer.serial() + 1;
        state
    }

    fn journal(&self) -> MutexGuard<'_, Vec<StateChange>> {
        // Each update is one push; a panic elsewhere leaves the list consistent.
        self.journal.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait::async_trait]
impl StateSink for StoreSink {
    async fn commit(&self, changes: Vec<StateChange>) -> Result<(), StateError> {
        let kept = changes.clone();
        let result = self.writer.submit(changes).await.map(|_| ());
        match &result {
            Ok(()) => self.journal().extend(kept),
            Err(error) => {
                if error.is_changed_underneath() {
                    self.stop.store(true, Ordering::SeqCst);
                }
                // An intent that could not be recorded stops its provider call, so it is
                // not part of what the run did; a result that could not be recorded is (the
                // object exists), and must reach the recovery file.
                if !kept.iter().all(|c| matches!(c, StateChange::PutIntent(_))) {
                    self.journal().extend(kept);
                }
            }
        }
        result
    }
}
