//! Workspaces and their records in PostgreSQL: listing, creating and deleting workspaces,
//! reading a whole state, and the commit transaction (compare-and-swap on serial and lineage,
//! the committer's lock checked in the same transaction).

use std::collections::BTreeMap;

use tokio_postgres::Transaction;
use tokio_postgres::error::SqlState;

use super::super::codec;
use super::super::redb_store::validate_workspace_name;
use super::{Inner, State, StateChange, StateError};
use crate::secret::WorkspaceKey;
use crate::state::DEFAULT_WORKSPACE;

/// A commit's changes reduced to their net effect per record (changes apply in order, so the
/// last change of a record is the one that stands), encoded before the transaction begins.
#[derive(Default)]
struct NetChanges {
    put_instances: BTreeMap<String, String>,
    removed_instances: Vec<String>,
    put_intents: BTreeMap<uuid::Uuid, String>,
    removed_intents: Vec<uuid::Uuid>,
    /// `Some` when the outputs are replaced as a whole.
    outputs: Option<Vec<(String, String)>>,
}

impl NetChanges {
    fn encode(changes: Vec<StateChange>) -> Result<NetChanges, StateError> {
        let mut instances: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut intents: BTreeMap<uuid::Uuid, Option<String>> = BTreeMap::new();
        let mut net = NetChanges::default();
        for change in changes {
            match change {
                StateChange::PutInstance(mut instance) => {
                    let (_, key) = codec::canonical_address(&instance.addr)?;
                    instance.addr = key.clone();
                    instances.insert(key.clone(), Some(text(codec::encode_json("instance", &key, &instance)?)));
                }
                StateChange::RemoveInstance(addr) => {
                    instances.insert(addr.to_string(), None);
                }
                StateChange::PutIntent(intent) => {
                    let record = codec::encode_json("intent", &intent.id.to_string(), &intent)?;
                    intents.insert(intent.id, Some(text(record)));
                }
                StateChange::RemoveIntent(id) => {
                    intents.insert(id, None);
                }
                StateChange::SetOutputs(outputs) => {
                    let encoded = outputs
                        .iter()
                        .map(|(name, output)| Ok((name.clone(), text(codec::encode_json("output", name, output)?))))
                        .collect::<Result<_, StateError>>()?;
                    net.outputs = Some(encoded);
                }
            }
        }
        for (key, record) in instances {
            match record {
                Some(record) => drop(net.put_instances.insert(key, record)),
                None => net.removed_instances.push(key),
            }
        }
        for (id, record) in intents {
            match record {
                Some(record) => drop(net.put_intents.insert(id, record)),
                None => net.removed_intents.push(id),
            }
        }
        Ok(net)
    }
}

/// Our JSON is UTF-8 by construction.
fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

fn to_i64(serial: u64) -> Result<i64, StateError> {
    i64::try_from(serial).map_err(|_| StateError::Corrupt(format!("serial {serial} is out of range")))
}

fn from_i64(serial: i64) -> Result<u64, StateError> {
    u64::try_from(serial).map_err(|_| StateError::Corrupt(format!("serial {serial} is negative")))
}

impl Inner {
    pub(super) async fn workspaces(&self) -> Result<Vec<String>, StateError> {
        let client = self.client().await?;
        let rows = client
            .query(&format!("SELECT name FROM {}", self.table("workspaces")), &[])
            .await
            .map_err(|e| self.pg_error(e))?;
        let mut names: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
        names.sort();
        Ok(names)
    }

    pub(super) async fn create_workspace(&self, name: &str) -> Result<(), StateError> {
        validate_workspace_name(name)?;
        let client = self.client().await?;
        let made = client
            .execute(
                &format!("INSERT INTO {} (name) VALUES ($1) ON CONFLICT DO NOTHING", self.table("workspaces")),
                &[&name],
            )
            .await
            .map_err(|e| self.pg_error(e))?;
        if made == 1 { Ok(()) } else { Err(StateError::WorkspaceExists(name.to_string())) }
    }

    pub(super) async fn delete_workspace(&self, name: &str) -> Result<(), StateError> {
        validate_workspace_name(name)?;
        if name == DEFAULT_WORKSPACE {
            return Err(StateError::CannotDeleteDefault);
        }
        let mut client = self.client().await?;
        let txn = client.transaction().await.map_err(|e| self.pg_error(e))?;
        self.lock_workspace_row(&txn, name, 0).await?;
        self.check_lock(&txn, name).await?;
        let count = |table: &str| format!("SELECT count(*) FROM {} WHERE workspace = $1", self.table(table));
        let instances: i64 = txn.query_one(&count("instances"), &[&name]).await.map_err(|e| self.pg_error(e))?.get(0);
        let intents: i64 = txn.query_one(&count("intents"), &[&name]).await.map_err(|e| self.pg_error(e))?.get(0);
        if instances > 0 || intents > 0 {
            return Err(StateError::WorkspaceNotEmpty {
                workspace: name.to_string(),
                instances: usize::try_from(instances).unwrap_or(usize::MAX),
                intents: usize::try_from(intents).unwrap_or(usize::MAX),
            });
        }
        txn.execute(&format!("DELETE FROM {} WHERE name = $1", self.table("workspaces")), &[&name])
            .await
            .map_err(|e| self.pg_error(e))?;
        txn.commit().await.map_err(|e| self.pg_error(e))
    }

    pub(super) async fn read(&self, workspace: &str) -> Result<State, StateError> {
        validate_workspace_name(workspace)?;
        let mut client = self.client().await?;
        // One snapshot for the workspace row and all its records.
        let txn = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|e| self.pg_error(e))?;
        let row = txn
            .query_opt(
                &format!("SELECT lineage, serial FROM {} WHERE name = $1", self.table("workspaces")),
                &[&workspace],
            )
            .await
            .map_err(|e| self.pg_error(e))?
            .ok_or_else(|| StateError::NoSuchWorkspace(workspace.to_string()))?;
        let lineage: Option<uuid::Uuid> = row.get(0);
        let mut state =
            State { lineage: lineage.unwrap_or_else(uuid::Uuid::nil), serial: from_i64(row.get(1))?, ..State::empty() };
        let records =
            |table: &str, key: &str| format!("SELECT {key}, record FROM {} WHERE workspace = $1", self.table(table));
        for row in txn.query(&records("instances", "addr"), &[&workspace]).await.map_err(|e| self.pg_error(e))? {
            let (key, record): (String, String) = (row.get(0), row.get(1));
            let (addr, instance) = codec::decode_instance(&key, record.as_bytes())?;
            state.instances.insert(addr, instance);
        }
        for row in txn.query(&records("outputs", "name"), &[&workspace]).await.map_err(|e| self.pg_error(e))? {
            let (name, record): (String, String) = (row.get(0), row.get(1));
            let output = codec::decode_output(&name, record.as_bytes())?;
            state.outputs.insert(name, output);
        }
        for row in txn.query(&records("intents", "id"), &[&workspace]).await.map_err(|e| self.pg_error(e))? {
            let (id, record): (uuid::Uuid, String) = (row.get(0), row.get(1));
            let (id, intent) = codec::decode_intent(&id.to_string(), record.as_bytes())?;
            state.intents.insert(id, intent);
        }
        txn.commit().await.map_err(|e| self.pg_error(e))?;
        Ok(state)
    }

    /// Locks the workspace's row for the transaction and returns its lineage (nil when never
    /// committed) and serial. A missing row is a missing workspace, or, for a commit that
    /// expected a written state, a state removed underneath.
    async fn lock_workspace_row(
        &self,
        txn: &Transaction<'_>,
        workspace: &str,
        expected_serial: u64,
    ) -> Result<(Option<uuid::Uuid>, u64), StateError> {
        let row = txn
            .query_opt(
                &format!("SELECT lineage, serial FROM {} WHERE name = $1 FOR UPDATE", self.table("workspaces")),
                &[&workspace],
            )
            .await
            .map_err(|e| self.pg_error(e))?;
        match row {
            Some(row) => Ok((row.get(0), from_i64(row.get(1))?)),
            None if expected_serial > 0 => Err(StateError::Vanished {
                path: format!("{} workspace \"{workspace}\"", self.label),
                expected: expected_serial,
            }),
            None => Err(StateError::NoSuchWorkspace(workspace.to_string())),
        }
    }

    /// One commit: compare-and-swap on the serial (and the lineage when given), refused when
    /// this client lost its lock or someone else holds one. Returns lineage and serial after.
    pub(super) async fn commit(
        &self,
        workspace: &str,
        lineage: Option<uuid::Uuid>,
        expected_serial: u64,
        changes: Vec<StateChange>,
    ) -> Result<(uuid::Uuid, u64), StateError> {
        validate_workspace_name(workspace)?;
        // Encoded first: a bad change fails the commit before the database is touched.
        let net = NetChanges::encode(changes)?;
        let mut client = self.client().await?;
        let txn = client.transaction().await.map_err(|e| self.pg_error(e))?;
        let (found_lineage, found) = self.lock_workspace_row(&txn, workspace, expected_serial).await?;
        self.check_lock(&txn, workspace).await?;
        let found_lineage_or_nil = found_lineage.unwrap_or_else(uuid::Uuid::nil);
        if let Some(expected) = lineage
            && expected != found_lineage_or_nil
        {
            return Err(StateError::LineageMismatch { expected, found: found_lineage_or_nil });
        }
        if found != expected_serial {
            return Err(StateError::SerialMismatch { expected: expected_serial, found });
        }
        let new_lineage = found_lineage.unwrap_or_else(uuid::Uuid::new_v4);
        let serial = expected_serial + 1;
        self.write_changes(&txn, workspace, &net).await?;
        self.set_serial(&txn, workspace, new_lineage, serial).await?;
        txn.commit().await.map_err(|e| self.pg_error(e))?;
        Ok((new_lineage, serial))
    }

    /// `state push`: every record replaced, the pushed lineage taken, the serial moved past
    /// both the pushed and the stored one.
    pub(super) async fn replace(
        &self,
        workspace: &str,
        expected_serial: u64,
        state: &State,
    ) -> Result<u64, StateError> {
        validate_workspace_name(workspace)?;
        let mut changes = vec![StateChange::SetOutputs(state.outputs.clone())];
        changes.extend(state.instances.values().cloned().map(StateChange::PutInstance));
        changes.extend(state.intents.values().cloned().map(StateChange::PutIntent));
        let net = NetChanges::encode(changes)?;
        let mut client = self.client().await?;
        let txn = client.transaction().await.map_err(|e| self.pg_error(e))?;
        let (_, found) = self.lock_workspace_row(&txn, workspace, 0).await?;
        self.check_lock(&txn, workspace).await?;
        if found != expected_serial {
            return Err(StateError::SerialMismatch { expected: expected_serial, found });
        }
        for table in ["instances", "intents"] {
            txn.execute(&format!("DELETE FROM {} WHERE workspace = $1", self.table(table)), &[&workspace])
                .await
                .map_err(|e| self.pg_error(e))?;
        }
        self.write_changes(&txn, workspace, &net).await?;
        let serial = state.serial.max(expected_serial + 1);
        self.set_serial(&txn, workspace, state.lineage, serial).await?;
        txn.commit().await.map_err(|e| self.pg_error(e))?;
        Ok(serial)
    }

    async fn set_serial(
        &self,
        txn: &Transaction<'_>,
        workspace: &str,
        lineage: uuid::Uuid,
        serial: u64,
    ) -> Result<(), StateError> {
        txn.execute(
            &format!("UPDATE {} SET lineage = $2, serial = $3 WHERE name = $1", self.table("workspaces")),
            &[&workspace, &lineage, &to_i64(serial)?],
        )
        .await
        .map_err(|e| self.pg_error(e))?;
        Ok(())
    }

    /// A few set-wise statements, whatever the number of changes.
    async fn write_changes(&self, txn: &Transaction<'_>, workspace: &str, net: &NetChanges) -> Result<(), StateError> {
        let err = |e| self.pg_error(e);
        if !net.removed_instances.is_empty() {
            let sql = format!("DELETE FROM {} WHERE workspace = $1 AND addr = ANY($2)", self.table("instances"));
            txn.execute(&sql, &[&workspace, &net.removed_instances]).await.map_err(err)?;
        }
        if !net.put_instances.is_empty() {
            let (keys, records): (Vec<&String>, Vec<&String>) = net.put_instances.iter().unzip();
            let sql = format!(
                "INSERT INTO {} (workspace, addr, record) SELECT $1, * FROM unnest($2::text[], $3::text[])
                 ON CONFLICT (workspace, addr) DO UPDATE SET record = EXCLUDED.record",
                self.table("instances")
            );
            txn.execute(&sql, &[&workspace, &keys, &records]).await.map_err(err)?;
        }
        if !net.removed_intents.is_empty() {
            let sql = format!("DELETE FROM {} WHERE workspace = $1 AND id = ANY($2)", self.table("intents"));
            txn.execute(&sql, &[&workspace, &net.removed_intents]).await.map_err(err)?;
        }
        if !net.put_intents.is_empty() {
            let (ids, records): (Vec<&uuid::Uuid>, Vec<&String>) = net.put_intents.iter().unzip();
            let sql = format!(
                "INSERT INTO {} (workspace, id, record) SELECT $1, * FROM unnest($2::uuid[], $3::text[])
                 ON CONFLICT (workspace, id) DO UPDATE SET record = EXCLUDED.record",
                self.table("intents")
            );
            txn.execute(&sql, &[&workspace, &ids, &records]).await.map_err(err)?;
        }
        if let Some(outputs) = &net.outputs {
            txn.execute(&format!("DELETE FROM {} WHERE workspace = $1", self.table("outputs")), &[&workspace])
                .await
                .map_err(err)?;
            let (names, records): (Vec<&String>, Vec<&String>) = outputs.iter().map(|(n, r)| (n, r)).unzip();
            let sql = format!(
                "INSERT INTO {} (workspace, name, record) SELECT $1, * FROM unnest($2::text[], $3::text[])",
                self.table("outputs")
            );
            txn.execute(&sql, &[&workspace, &names, &records]).await.map_err(err)?;
        }
        Ok(())
    }

    pub(super) async fn set_workspace_key(&self, workspace: &str, key: &WorkspaceKey) -> Result<(), StateError> {
        validate_workspace_name(workspace)?;
        let client = self.client().await?;
        let upsert = format!(
            "INSERT INTO {} (workspace, key) VALUES ($1, $2) ON CONFLICT (workspace) DO UPDATE SET key = EXCLUDED.key",
            self.table("workspace_keys")
        );
        match client.execute(&upsert, &[&workspace, &key.as_bytes().as_slice()]).await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => {
                Err(StateError::NoSuchWorkspace(workspace.to_string()))
            }
            Err(e) => Err(self.pg_error(e)),
        }
    }

    /// The workspace's key, made on first use; the first writer's key wins a race.
    pub(super) async fn workspace_key(&self, workspace: &str) -> Result<WorkspaceKey, StateError> {
        validate_workspace_name(workspace)?;
        let client = self.client().await?;
        let select = format!("SELECT key FROM {} WHERE workspace = $1", self.table("workspace_keys"));
        for _ in 0..2 {
            if let Some(row) = client.query_opt(&select, &[&workspace]).await.map_err(|e| self.pg_error(e))? {
                let bytes: Vec<u8> = row.get(0);
                return WorkspaceKey::from_bytes(&bytes).ok_or_else(|| {
                    StateError::Corrupt(format!(
                        "the key of workspace \"{workspace}\" in {} is not 32 bytes",
                        self.label
                    ))
                });
            }
            let fresh = WorkspaceKey::generate();
            let insert = format!(
                "INSERT INTO {} (workspace, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                self.table("workspace_keys")
            );
            let result = client.execute(&insert, &[&workspace, &fresh.as_bytes().as_slice()]).await;
            match result {
                Ok(_) => {}
                Err(e) if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => {
                    return Err(StateError::NoSuchWorkspace(workspace.to_string()));
                }
                Err(e) => return Err(self.pg_error(e)),
            }
        }
        Err(StateError::Storage {
            path: self.label.clone(),
            message: format!("the key of workspace \"{workspace}\" keeps vanishing while it is being made"),
        })
    }
}
