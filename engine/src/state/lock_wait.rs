//! Waiting for a workspace lock (`--lock-timeout 30s`), for any [`StateStore`].

use std::time::Duration;

use super::{LockInfo, StateError, StateStore};

/// The first pause between attempts; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Takes the workspace's lock, retrying with backoff while someone else holds it, for at most
/// `timeout` (zero: one attempt). Fails with the last [`StateError::Locked`] (naming the holder)
/// when the time is up; any other error is returned at once.
pub async fn lock_with_timeout(
    store: &dyn StateStore,
    workspace: &str,
    info: LockInfo,
    timeout: Duration,
) -> Result<(), StateError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut backoff = FIRST_BACKOFF;
    loop {
        match store.lock(workspace, info.clone()).await {
            Err(StateError::Locked { workspace, holder }) => {
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    return Err(StateError::Locked { workspace, holder });
                }
                // Never sleep past the deadline: the last attempt happens at it.
                tokio::time::sleep(backoff.min(deadline - now)).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            other => return other,
        }
    }
}
