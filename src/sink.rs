//! Adapts the state store to the apply walk's [`StateSink`].

use std::sync::Arc;

use corral_engine::apply::StateSink;
use corral_engine::state::{StateChange, StateError, StateStore};
use tokio::sync::Mutex;

/// Commits each batch as one transaction, keeping track of the serial.
pub struct StoreSink {
    store: Arc<dyn StateStore>,
    workspace: String,
    serial: Mutex<u64>,
}

impl StoreSink {
    pub fn new(store: Arc<dyn StateStore>, workspace: &str, serial: u64) -> StoreSink {
        StoreSink { store, workspace: workspace.to_string(), serial: Mutex::new(serial) }
    }
}

#[async_trait::async_trait]
impl StateSink for StoreSink {
    async fn commit(&self, changes: Vec<StateChange>) -> Result<(), StateError> {
        let mut serial = self.serial.lock().await;
        *serial = self.store.commit(&self.workspace, *serial, changes).await?;
        Ok(())
    }
}
