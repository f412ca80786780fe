//! Leased workspace locks in PostgreSQL: a `locks` row per held workspace with its holder and
//! the time its lease lapses (the server's clock), renewed by a heartbeat task every third of
//! the lease.
//!
//! A lock whose lease lapsed is free: the next `lock` takes it over in one statement, so a
//! runner that died needs no `force-unlock`. The holder learns it lost the lock when a renewal
//! finds its row gone or taken (force-unlocked, or lapsed and taken over), or when it could not
//! renew for a whole lease (measured from before its last successful renewal was sent, so it
//! gives up no later than the server would). From then on `lock_lost` names the loss and every
//! commit of it is refused in the commit's own transaction (`check_lock`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use tokio::task::JoinHandle;
use tokio_postgres::Transaction;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Json;

use super::super::redb_store::validate_workspace_name;
use super::{Inner, LockInfo, StateError, WorkspaceLock, lock};

/// A lock this store holds, with its heartbeat.
pub(super) struct HeldLease {
    info: LockInfo,
    /// Why the lease was lost, once it is.
    lost: Arc<Mutex<Option<String>>>,
    /// When the last successful renewal was sent: the server's lease runs at least `lease`
    /// from then, and no longer can be counted on.
    renewed: Arc<Mutex<Instant>>,
    lease: Duration,
    heartbeat: JoinHandle<()>,
}

impl HeldLease {
    pub(super) fn stop(&self) {
        self.heartbeat.abort();
    }

    pub(super) fn lost(&self, workspace: &str) -> Option<StateError> {
        // A heartbeat stuck on an unreachable server cannot say so in time; the clock can.
        if lock(&self.renewed).elapsed() >= self.lease {
            self.mark_lost(&format!("its lease could not be renewed for {:?}", self.lease));
        }
        let reason = lock(&self.lost).clone()?;
        Some(StateError::LeaseLost { workspace: workspace.to_string(), id: self.info.id.clone(), reason })
    }

    fn mark_lost(&self, reason: &str) {
        lock(&self.lost).get_or_insert_with(|| reason.to_string());
    }
}

/// What the heartbeat task needs: no handle on the store itself, so a dropped store ends.
struct Heartbeat {
    pool: Pool,
    renew: String,
    workspace: String,
    id: String,
    lease: Duration,
    lost: Arc<Mutex<Option<String>>>,
    renewed: Arc<Mutex<Instant>>,
}

impl Heartbeat {
    async fn run(self) {
        loop {
            let renewed = *lock(&self.renewed);
            tokio::time::sleep(self.lease / 3).await;
            let sent = Instant::now();
            let result = match self.pool.get().await {
                Ok(client) => client
                    .execute(&self.renew, &[&self.workspace, &self.id, &self.lease.as_secs_f64()])
                    .await
                    .map_err(|e| super::chain(&e)),
                Err(e) => Err(super::chain(&e)),
            };
            match result {
                Ok(1) => *lock(&self.renewed) = sent,
                Ok(_) => {
                    let reason = "its lease lapsed or it was force-unlocked";
                    lock(&self.lost).get_or_insert_with(|| reason.to_string());
                    tracing::info!(workspace = %self.workspace, id = %self.id, "the workspace lock was lost: {reason}");
                    return;
                }
                Err(e) if renewed.elapsed() >= self.lease => {
                    let reason = format!("its lease could not be renewed for {:?} ({e})", self.lease);
                    tracing::info!(workspace = %self.workspace, id = %self.id, "the workspace lock was lost: {reason}");
                    lock(&self.lost).get_or_insert(reason);
                    return;
                }
                Err(e) => tracing::debug!(workspace = %self.workspace, "cannot renew the lock's lease yet: {e}"),
            }
        }
    }
}

impl Inner {
    pub(super) async fn lock(&self, workspace: &str, info: LockInfo) -> Result<(), StateError> {
        validate_workspace_name(workspace)?;
        if let Some(ours) = lock(&self.held).get(workspace) {
            // Not re-entrant: a second lock of the same store is someone else's operation.
            return Err(StateError::Locked { workspace: workspace.to_string(), holder: ours.info.clone() });
        }
        let client = self.client().await?;
        let locks = self.table("locks");
        // Takes a free lock, or one whose lease lapsed, in one statement.
        let take = format!(
            "INSERT INTO {locks} AS l (workspace, id, info, expires_at)
             VALUES ($1, $2, $3, clock_timestamp() + make_interval(secs => $4))
             ON CONFLICT (workspace) DO UPDATE SET id = EXCLUDED.id, info = EXCLUDED.info, expires_at = EXCLUDED.expires_at
             WHERE l.expires_at <= clock_timestamp()
             RETURNING id"
        );
        let started = Instant::now();
        let taken = client.query_opt(&take, &[&workspace, &info.id, &Json(&info), &self.lease.as_secs_f64()]).await;
        match taken {
            Ok(Some(_)) => {}
            Ok(None) => {
                let holder = self.lock_holder(workspace).await?.unwrap_or_else(|| unknown_holder(&info));
                return Err(StateError::Locked { workspace: workspace.to_string(), holder });
            }
            Err(e) if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => {
                return Err(StateError::NoSuchWorkspace(workspace.to_string()));
            }
            Err(e) => return Err(self.pg_error(e)),
        }
        let lost = Arc::new(Mutex::new(None));
        let renewed = Arc::new(Mutex::new(started));
        let heartbeat = Heartbeat {
            pool: self.pool.clone(),
            renew: format!(
                "UPDATE {locks} SET expires_at = clock_timestamp() + make_interval(secs => $3)
                 WHERE workspace = $1 AND id = $2 AND expires_at > clock_timestamp()"
            ),
            workspace: workspace.to_string(),
            id: info.id.clone(),
            lease: self.lease,
            lost: lost.clone(),
            renewed: renewed.clone(),
        };
        let heartbeat = tokio::spawn(heartbeat.run());
        lock(&self.held).insert(workspace.to_string(), HeldLease { info, lost, renewed, lease: self.lease, heartbeat });
        Ok(())
    }

    pub(super) async fn unlock(&self, workspace: &str, id: &str) -> Result<(), StateError> {
        validate_workspace_name(workspace)?;
        let ours = {
            let mut held = lock(&self.held);
            match held.get(workspace) {
                Some(lease) if lease.info.id == id => held.remove(workspace),
                _ => None,
            }
        };
        let Some(lease) = ours else {
            return Err(StateError::NotLocked { workspace: workspace.to_string(), id: id.to_string() });
        };
        lease.stop();
        // Deletes only our own row: after a lapse someone else's lock may be there.
        self.delete_lock(workspace, id).await.map(|_| ())
    }

    pub(super) async fn force_unlock(&self, workspace: &str, id: &str) -> Result<(), StateError> {
        validate_workspace_name(workspace)?;
        if lock(&self.held).get(workspace).is_some_and(|lease| lease.info.id == id) {
            return self.unlock(workspace, id).await;
        }
        // A live holder elsewhere finds its row gone at its next renewal and stops.
        if self.delete_lock(workspace, id).await? {
            Ok(())
        } else {
            Err(StateError::NotLocked { workspace: workspace.to_string(), id: id.to_string() })
        }
    }

    async fn delete_lock(&self, workspace: &str, id: &str) -> Result<bool, StateError> {
        let client = self.client().await?;
        let deleted = client
            .execute(
                &format!("DELETE FROM {} WHERE workspace = $1 AND id = $2", self.table("locks")),
                &[&workspace, &id],
            )
            .await
            .map_err(|e| self.pg_error(e))?;
        Ok(deleted > 0)
    }

    pub(super) async fn lock_holder(&self, workspace: &str) -> Result<Option<LockInfo>, StateError> {
        validate_workspace_name(workspace)?;
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT info FROM {} WHERE workspace = $1 AND expires_at > clock_timestamp()",
                    self.table("locks")
                ),
                &[&workspace],
            )
            .await
            .map_err(|e| self.pg_error(e))?;
        row.map(|row| decode_info(row.get(0))).transpose()
    }

    pub(super) async fn locks(&self) -> Result<Vec<WorkspaceLock>, StateError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT workspace, info, expires_at FROM {} WHERE expires_at > clock_timestamp() ORDER BY workspace",
                    self.table("locks")
                ),
                &[],
            )
            .await
            .map_err(|e| self.pg_error(e))?;
        rows.iter()
            .map(|row| {
                Ok(WorkspaceLock {
                    workspace: row.get(0),
                    info: decode_info(row.get(1))?,
                    lease_expires: Some(row.get(2)),
                })
            })
            .collect()
    }

    /// Inside a writing transaction: this store's lock on the workspace must still be live
    /// and its own; without one, no one else may hold a live lock. The lock row is held
    /// (`FOR SHARE`) until the transaction ends, so it cannot be taken over half-way.
    pub(super) async fn check_lock(&self, txn: &Transaction<'_>, workspace: &str) -> Result<(), StateError> {
        let row = txn
            .query_opt(
                &format!(
                    "SELECT id, info, expires_at > clock_timestamp() FROM {} WHERE workspace = $1 FOR SHARE",
                    self.table("locks")
                ),
                &[&workspace],
            )
            .await
            .map_err(|e| self.pg_error(e))?;
        let ours = lock(&self.held).get(workspace).map(|lease| lease.info.id.clone());
        match (row, ours) {
            (Some(row), Some(id)) if row.get::<_, String>(0) == id && row.get::<_, bool>(2) => Ok(()),
            (_, Some(id)) => {
                let reason = "its lease lapsed or it was force-unlocked";
                if let Some(lease) = lock(&self.held).get(workspace) {
                    lease.mark_lost(reason);
                }
                Err(StateError::LeaseLost { workspace: workspace.to_string(), id, reason: reason.to_string() })
            }
            (Some(row), None) if row.get::<_, bool>(2) => {
                Err(StateError::Locked { workspace: workspace.to_string(), holder: decode_info(row.get(1))? })
            }
            _ => Ok(()),
        }
    }
}

fn decode_info(value: serde_json::Value) -> Result<LockInfo, StateError> {
    serde_json::from_value(value).map_err(|e| StateError::Corrupt(format!("lock record: {e}")))
}

/// A holder that let go between our attempt and our look: reported as unknown rather than
/// retried, as the redb store does for a half-written lock file.
fn unknown_holder(ours: &LockInfo) -> LockInfo {
    LockInfo {
        id: "unknown".to_string(),
        user: "unknown".to_string(),
        host: "unknown".to_string(),
        pid: 0,
        operation: "unknown".to_string(),
        created: ours.created,
    }
}
