//! Adapts the state store's group-committing writer to the apply walk's [`StateSink`].

use corral_engine::apply::StateSink;
use corral_engine::state::{StateChange, StateError, StateWriter};

/// Commits through a [`StateWriter`]: operations that finish together share one durable
/// transaction.
pub struct StoreSink {
    writer: StateWriter,
}

impl StoreSink {
    pub fn new(writer: StateWriter) -> StoreSink {
        StoreSink { writer }
    }
}

#[async_trait::async_trait]
impl StateSink for StoreSink {
    async fn commit(&self, changes: Vec<StateChange>) -> Result<(), StateError> {
        self.writer.submit(changes).await.map(|_| ())
    }
}
