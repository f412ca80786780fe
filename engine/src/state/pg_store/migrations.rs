//! The PostgreSQL backend's schema, as numbered migrations recorded in `schema_migrations`.
//!
//! Every store runs `migrate` before its first operation: under a transaction-scoped advisory
//! lock (so runners starting together migrate once), it creates the schema, applies the
//! migrations the database has not seen, and refuses a database migrated by a newer Corral
//! rather than misread it. A migration, once released, is never edited: changes are new
//! migrations.

/// `(version, name, SQL)`; `{s}` stands for the quoted schema name.
const MIGRATIONS: &[(i32, &str, &str)] = &[(
    1,
    "workspaces, records, keys and leased locks",
    r#"
CREATE TABLE {s}.workspaces (
    name text PRIMARY KEY,
    lineage uuid,
    serial bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO {s}.workspaces (name) VALUES ('default');
CREATE TABLE {s}.instances (
    workspace text NOT NULL REFERENCES {s}.workspaces (name) ON DELETE CASCADE,
    addr text NOT NULL,
    record text NOT NULL,
    PRIMARY KEY (workspace, addr)
);
CREATE TABLE {s}.outputs (
    workspace text NOT NULL REFERENCES {s}.workspaces (name) ON DELETE CASCADE,
    name text NOT NULL,
    record text NOT NULL,
    PRIMARY KEY (workspace, name)
);
CREATE TABLE {s}.intents (
    workspace text NOT NULL REFERENCES {s}.workspaces (name) ON DELETE CASCADE,
    id uuid NOT NULL,
    record text NOT NULL,
    PRIMARY KEY (workspace, id)
);
CREATE TABLE {s}.workspace_keys (
    workspace text PRIMARY KEY REFERENCES {s}.workspaces (name) ON DELETE CASCADE,
    key bytea NOT NULL
);
CREATE TABLE {s}.locks (
    workspace text PRIMARY KEY REFERENCES {s}.workspaces (name) ON DELETE CASCADE,
    id text NOT NULL,
    info jsonb NOT NULL,
    expires_at timestamptz NOT NULL
);
"#,
)];

/// Brings the schema to the newest migration this version knows.
pub(super) async fn migrate(client: &mut tokio_postgres::Client, schema: &str) -> Result<(), tokio_postgres::Error> {
    let txn = client.transaction().await?;
    // One key per schema: runners of two projects in one database do not wait for each other.
    txn.execute("SELECT pg_advisory_xact_lock(hashtext('corral migrations ' || $1))", &[&schema]).await?;
    txn.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
             version integer PRIMARY KEY,
             name text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         );"
    ))
    .await?;
    let row = txn.query_one(&format!("SELECT coalesce(max(version), 0) FROM {schema}.schema_migrations"), &[]).await?;
    let applied: i32 = row.get(0);
    let newest = MIGRATIONS.last().map_or(0, |(version, _, _)| *version);
    if applied > newest {
        // Surfaces as a database error with our own words; rolled back with the transaction.
        txn.batch_execute(&format!(
            "DO $$ BEGIN RAISE EXCEPTION 'the schema {} is at migration {applied}, newer than this version of Corral knows ({newest}); upgrade Corral'; END $$",
            schema.replace('\'', "''")
        ))
        .await?;
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|(version, _, _)| *version > applied) {
        txn.batch_execute(&sql.replace("{s}", schema)).await?;
        txn.execute(
            &format!("INSERT INTO {schema}.schema_migrations (version, name) VALUES ($1, $2)"),
            &[version, name],
        )
        .await?;
    }
    txn.commit().await
}

/// The newest migration this version knows, for tests.
#[cfg(test)]
pub(super) fn newest() -> i32 {
    MIGRATIONS.last().map_or(0, |(version, _, _)| *version)
}
