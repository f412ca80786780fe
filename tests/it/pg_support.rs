//! A PostgreSQL database per test for the pg backend tests: made on the server at
//! 127.0.0.1:5432 (trust auth; `CORRAL_TEST_PG` names another admin URL) and dropped with
//! everything in it when the test ends, pass or fail.
//!
//! No server: under `CI=true` the test fails saying so (`.ci/run` checks the server first);
//! elsewhere it says SKIPPED and returns, so the rest of the suite runs on a laptop without one.

use crate::support::Workdir;

pub(crate) struct TestDatabase {
    admin: String,
    name: String,
    pub(crate) conn_str: String,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

async fn connect(conn_str: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(conn_str, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

impl TestDatabase {
    pub(crate) fn create() -> Option<TestDatabase> {
        let admin = std::env::var("CORRAL_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let name = format!("corral_test_{}", uuid::Uuid::new_v4().simple());
        let made = runtime().block_on(async {
            let client = connect(&admin).await?;
            client.batch_execute(&format!("CREATE DATABASE {name}")).await
        });
        if let Err(e) = made {
            let message = format!("no PostgreSQL for the pg backend tests at {admin}: {e}");
            assert!(std::env::var("CI").map_or(true, |v| v != "true"), "{message} (CI=true: these tests need it)");
            eprintln!("SKIPPED: {message}");
            return None;
        }
        let (server, _) = admin.rsplit_once('/').unwrap();
        let conn_str = format!("{server}/{name}");
        Some(TestDatabase { admin, name, conn_str })
    }

    /// A working directory whose configuration keeps its state in this database.
    pub(crate) fn workdir(&self, resources: &str) -> Workdir {
        let w = Workdir::new();
        self.write_backend(&w);
        w.write("main.hcl", resources);
        w
    }

    pub(crate) fn write_backend(&self, w: &Workdir) {
        w.write("backend.hcl", &self.backend_block());
    }

    pub(crate) fn backend_block(&self) -> String {
        format!(
            "terraform {{\n  backend \"pg\" {{\n    conn_str    = \"{}\"\n    schema_name = \"corral\"\n  }}\n}}\n",
            self.conn_str
        )
    }

    /// Runs SQL in this database.
    pub(crate) fn sql(&self, sql: &str) -> Vec<tokio_postgres::Row> {
        runtime().block_on(async { connect(&self.conn_str).await.unwrap().query(sql, &[]).await.unwrap() })
    }

    /// Drops the database now (connections and all).
    pub(crate) fn drop_now(&self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = runtime().block_on(async {
            let client = connect(&admin).await?;
            client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await
        });
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        self.drop_now();
    }
}
