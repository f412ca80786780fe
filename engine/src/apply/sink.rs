//! Where the apply walk commits what it did: the [`StateSink`] trait, and its implementation
//! for the state store's group-committing [`StateWriter`], so every user of the engine gets
//! crash-safe commits (and the journal a recovery file is made from) without writing a sink.

use crate::state::{StateChange, StateError, StateWriter};

/// Where completed operations are committed. Implementations make each commit durable
/// before returning, and may group concurrent commits into one transaction.
#[async_trait::async_trait]
pub trait StateSink: Send + Sync {
    async fn commit(&self, changes: Vec<StateChange>) -> Result<(), StateError>;

    /// Whether the sink takes no more commits because the stored state is no longer the one
    /// the run read: the walk then starts nothing new, as after an interrupt.
    fn stopped(&self) -> bool {
        false
    }
}

/// Operations that finish together share one durable transaction; once the store's state
/// changes underneath, every later commit fails untried and the walk stops starting
/// operations. What the run did stays available as [`StateWriter::known_state`].
#[async_trait::async_trait]
impl StateSink for StateWriter {
    async fn commit(&self, changes: Vec<StateChange>) -> Result<(), StateError> {
        self.submit(changes).await.map(|_| ())
    }

    fn stopped(&self) -> bool {
        self.is_lost()
    }
}
