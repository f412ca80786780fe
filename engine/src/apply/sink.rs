//! Where the apply walk commits what it did: the [`StateSink`] trait, and its implementation
//! for the state store's group-committing [`StateWriter`], so every user of the engine gets
//! crash-safe commits (and the journal a recovery file is made from) without writing a sink.

use crate::state::{StateChange, StateError, StateWriter};

/// The outcome of a deferred commit ([`StateSink::commit_deferred`]), awaited when the walk
/// ends.
pub type Deferred = futures::future::BoxFuture<'static, Result<(), StateError>>;

/// Where completed operations are committed. Implementations make each commit durable
/// before returning, and may group concurrent commits into one transaction.
#[async_trait::async_trait]
pub trait StateSink: Send + Sync {
    async fn commit(&self, changes: Vec<StateChange>) -> Result<(), StateError>;

    /// Commits an operation's result without waiting for it to be durable: a sink may let it
    /// ride with the next commit, and must make it durable before any later [`commit`] or
    /// [`sync`] returns (a dependent's intent commit then carries it). The default commits
    /// at once.
    ///
    /// [`commit`]: StateSink::commit
    /// [`sync`]: StateSink::sync
    async fn commit_deferred(&self, changes: Vec<StateChange>) -> Deferred {
        let result = self.commit(changes).await;
        Box::pin(std::future::ready(result))
    }

    /// Waits until every commit asked for so far is durable: before a provider call that
    /// commits nothing first.
    async fn sync(&self) -> Result<(), StateError> {
        Ok(())
    }

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

    async fn commit_deferred(&self, changes: Vec<StateChange>) -> Deferred {
        let pending = self.submit_deferred(changes);
        Box::pin(async move { pending.await.map(|_| ()) })
    }

    async fn sync(&self) -> Result<(), StateError> {
        StateWriter::sync(self).await
    }

    fn stopped(&self) -> bool {
        self.is_lost()
    }
}
