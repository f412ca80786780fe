//! The PostgreSQL backend against a real server (127.0.0.1:5432, trust auth, or
//! `CORRAL_TEST_PG`), each test in a database of its own that is dropped afterwards: the
//! backend contract, migrations, leases that lapse and are lost, and racing commits.
//!
//! Without a server the tests fail under `CI=true` and say why; elsewhere they say so and
//! pass, so a laptop without PostgreSQL can still run the rest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::testing::{conformance_suite, instance, lock_info};
use super::*;
use crate::state::StateWriter;

/// A database made for one test and dropped (connections and all) when this goes.
struct TestDatabase {
    admin: String,
    name: String,
    conn_str: String,
}

impl TestDatabase {
    async fn create() -> Option<TestDatabase> {
        let admin = std::env::var("CORRAL_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let client = match connect(&admin).await {
            Ok(client) => client,
            Err(e) => {
                let message = format!("no PostgreSQL for the pg backend tests at {admin}: {e}");
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("{message} (CI=true: the pg tests need it; .ci/run checks it first)");
                }
                eprintln!("SKIPPED: {message}");
                return None;
            }
        };
        let name = format!("corral_test_{}", uuid::Uuid::new_v4().simple());
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap_or_else(|e| panic!("create {name}: {e}"));
        let conn_str = match admin.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("CORRAL_TEST_PG must be a URL ending in /DATABASE: {admin}"),
        };
        Some(TestDatabase { admin, name, conn_str })
    }

    fn settings(&self, lease: Duration) -> PgSettings {
        PgSettings {
            conn_str: self.conn_str.clone(),
            schema_name: "corral".to_string(),
            lease,
            origin: Some("test backend".to_string()),
        }
    }

    fn store(&self, lease: Duration) -> Arc<dyn StateStore> {
        Arc::new(PgStore::open(&self.settings(lease)).unwrap_or_else(|e| panic!("open: {e}")))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs outside any runtime's async context: a runtime of its own, on a thread
        // of its own.
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let client = connect(&admin).await.ok()?;
                client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()
            })
        });
        let _ = dropped.join();
    }
}

async fn connect(conn_str: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(conn_str, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_store_meets_the_contract() {
    let Some(db) = TestDatabase::create().await else { return };
    let settings = db.settings(Duration::from_secs(30));
    conformance_suite(move || Arc::new(PgStore::open(&settings).unwrap_or_else(|e| panic!("open: {e}")))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_is_migrated_once_and_records_its_version() {
    let Some(db) = TestDatabase::create().await else { return };
    // Many stores starting together migrate once.
    let stores: Vec<_> = (0..4).map(|_| db.store(Duration::from_secs(30))).collect();
    let reads = stores.iter().map(|store| store.read("default"));
    for result in futures::future::join_all(reads).await {
        assert_eq!(result.unwrap_or_else(|e| panic!("read: {e}")).serial, 0);
    }
    let client = connect(&db.conn_str).await.unwrap();
    let rows = client.query("SELECT version FROM corral.schema_migrations ORDER BY version", &[]).await.unwrap();
    let versions: Vec<i32> = rows.iter().map(|row| row.get(0)).collect();
    assert_eq!(versions, (1..=migrations::newest()).collect::<Vec<_>>());

    // A database migrated by a newer Corral is refused, not misread.
    client.execute("INSERT INTO corral.schema_migrations (version, name) VALUES (999, 'future')", &[]).await.unwrap();
    let error = db.store(Duration::from_secs(30)).read("default").await.unwrap_err().to_string();
    assert!(error.contains("newer than this version of Corral knows"), "{error}");
    assert!(error.contains("test backend"), "the error names where the backend is configured: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_holders_lease_lapses_and_the_lock_is_taken_over() {
    let Some(db) = TestDatabase::create().await else { return };
    let lease = Duration::from_millis(900);
    let dead = db.store(lease);
    let alice = lock_info("alice", "apply");
    dead.lock("default", alice.clone()).await.unwrap();
    // The holder goes without unlocking; its heartbeat stops with it.
    drop(dead);
    let other = db.store(lease);
    let bob = lock_info("bob", "apply");
    match other.lock("default", bob.clone()).await {
        Err(StateError::Locked { holder, .. }) => assert_eq!(holder, alice, "still held within the lease"),
        result => panic!("expected Locked, got {result:?}"),
    }
    tokio::time::sleep(lease + Duration::from_millis(200)).await;
    assert_eq!(other.lock_holder("default").await.unwrap(), None, "a lapsed lease holds nothing");
    other.lock("default", bob.clone()).await.unwrap_or_else(|e| panic!("take over the lapsed lock: {e}"));
    other.unlock("default", &bob.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_holders_heartbeat_keeps_the_lock_past_its_lease() {
    let Some(db) = TestDatabase::create().await else { return };
    let lease = Duration::from_millis(1500);
    let (holder, other) = (db.store(lease), db.store(lease));
    let alice = lock_info("alice", "apply");
    holder.lock("default", alice.clone()).await.unwrap();
    tokio::time::sleep(lease * 3).await;
    assert_eq!(other.lock_holder("default").await.unwrap(), Some(alice.clone()));
    assert!(holder.lock_lost("default").is_none());
    let listed = other.locks().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].workspace.as_str(), &listed[0].info), ("default", &alice));
    assert!(listed[0].lease_expires.is_some_and(|at| at > chrono::Utc::now()));
    // And a commit by someone without the lock is refused, naming the holder.
    match other.commit("default", 0, vec![StateChange::PutInstance(instance("testing_thing.x", "x"))]).await {
        Err(StateError::Locked { holder, .. }) => assert_eq!(holder, alice),
        result => panic!("expected Locked, got {result:?}"),
    }
    holder.commit("default", 0, vec![StateChange::PutInstance(instance("testing_thing.x", "x"))]).await.unwrap();
    holder.unlock("default", &alice.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_force_unlocked_holder_learns_it_lost_the_lock_and_commits_nothing() {
    let Some(db) = TestDatabase::create().await else { return };
    let lease = Duration::from_millis(900);
    let (holder, admin) = (db.store(lease), db.store(lease));
    let alice = lock_info("alice", "apply");
    holder.lock("default", alice.clone()).await.unwrap();
    let writer = StateWriter::new(holder.clone(), "default", 0);
    writer.submit(vec![StateChange::PutInstance(instance("testing_thing.a", "a"))]).await.unwrap();
    admin.force_unlock("default", &alice.id).await.unwrap();
    let bob = lock_info("bob", "apply");
    admin.lock("default", bob.clone()).await.unwrap();
    // Refused in the commit's own transaction, before the heartbeat notices.
    let result = writer.submit(vec![StateChange::PutInstance(instance("testing_thing.b", "b"))]).await;
    assert!(matches!(result, Err(StateError::LeaseLost { ref id, .. }) if *id == alice.id), "{result:?}");
    assert!(writer.is_lost(), "the writer stops: the apply walk starts nothing new");
    assert!(holder.lock_lost("default").is_some());
    let state = admin.read("default").await.unwrap();
    assert_eq!(state.serial, 1);
    assert!(!state.instances.contains_key(&"testing_thing.b".parse().unwrap()));
    admin.unlock("default", &bob.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_heartbeat_notices_a_lost_lease_without_a_commit() {
    let Some(db) = TestDatabase::create().await else { return };
    let lease = Duration::from_millis(600);
    let (holder, admin) = (db.store(lease), db.store(lease));
    let alice = lock_info("alice", "apply");
    holder.lock("default", alice.clone()).await.unwrap();
    admin.force_unlock("default", &alice.id).await.unwrap();
    tokio::time::sleep(lease).await;
    let lost = holder.lock_lost("default").map(|e| e.to_string()).unwrap_or_default();
    assert!(lost.contains(&alice.id) && lost.contains("was lost"), "{lost}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_commits_at_one_serial_one_wins() {
    let Some(db) = TestDatabase::create().await else { return };
    let (first, second) = (db.store(Duration::from_secs(30)), db.store(Duration::from_secs(30)));
    first.commit("default", 0, vec![StateChange::PutInstance(instance("testing_thing.base", "b"))]).await.unwrap();
    let commits = (0..8).map(|i| {
        let store = if i % 2 == 0 { first.clone() } else { second.clone() };
        async move {
            store
                .commit("default", 1, vec![StateChange::PutInstance(instance(&format!("testing_thing.r[{i}]"), "r"))])
                .await
        }
    });
    let results = futures::future::join_all(commits).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "exactly one commit at serial 1 wins: {results:?}");
    for result in results.iter().filter(|r| r.is_err()) {
        assert!(matches!(result, Err(StateError::SerialMismatch { expected: 1, found: 2 })), "{result:?}");
    }
    let state = second.read("default").await.unwrap();
    assert_eq!((state.serial, state.instances.len()), (2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_cannot_be_reached_is_named_in_the_error() {
    let settings = PgSettings {
        conn_str: "postgres://corral:secret-password@127.0.0.1:1/nowhere".to_string(),
        schema_name: "corral".to_string(),
        lease: Duration::from_secs(5),
        origin: Some("backend \"pg\" in main.tf:3".to_string()),
    };
    let error = PgStore::open(&settings).unwrap().read("default").await.unwrap_err().to_string();
    assert!(error.contains("backend \"pg\" in main.tf:3"), "{error}");
    assert!(error.contains("127.0.0.1:1"), "{error}");
    assert!(!error.contains("secret-password"), "never the password: {error}");

    let bad = PgSettings { schema_name: "no-dashes".to_string(), ..settings };
    let error = PgStore::open(&bad).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("invalid schema_name"), "{error}");
}

/// A TCP relay to the test server that can be made to go dark: its connections stay open and
/// nothing more gets through, as when a runner's network path to the database is cut.
struct Relay {
    conn_str: String,
    dark: Arc<std::sync::atomic::AtomicBool>,
}

impl Relay {
    async fn start(conn_str: &str) -> Relay {
        let config: tokio_postgres::Config = conn_str.parse().unwrap();
        let host = match &config.get_hosts()[0] {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(_) => panic!("the relay needs a TCP server: {conn_str}"),
        };
        let server = format!("{host}:{}", config.get_ports().first().copied().unwrap_or(5432));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relayed = conn_str.replacen(&server, &listener.local_addr().unwrap().to_string(), 1);
        assert_ne!(relayed, conn_str, "the test server's URL names {server}");
        let dark = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = dark.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(upstream) = tokio::net::TcpStream::connect(&server).await else { continue };
                let ((client_in, client_out), (server_in, server_out)) = (client.into_split(), upstream.into_split());
                tokio::spawn(pump(client_in, server_out, flag.clone()));
                tokio::spawn(pump(server_in, client_out, flag.clone()));
            }
        });
        Relay { conn_str: relayed, dark }
    }

    fn go_dark(&self) {
        self.dark.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Copies one direction, holding on to what it reads while the relay is dark.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    dark: Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while dark.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

/// The heartbeat of a holder cut off from the server hangs on its renewal and cannot say
/// anything; the holder still knows, by its own clock, that its lease is over, no later than
/// the server lets another runner take the workspace, and commits nothing more (without
/// waiting on the dead connection).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_cut_off_from_the_server_knows_its_lease_is_over_before_anyone_takes_over() {
    let Some(db) = TestDatabase::create().await else { return };
    let lease = Duration::from_millis(1500);
    let relay = Relay::start(&db.conn_str).await;
    let settings = PgSettings { conn_str: relay.conn_str.clone(), ..db.settings(lease) };
    let holder: Arc<dyn StateStore> = Arc::new(PgStore::open(&settings).unwrap());
    let alice = lock_info("alice", "apply");
    holder.lock("default", alice.clone()).await.unwrap();
    let writer = StateWriter::new(holder.clone(), "default", 0);
    writer.submit(vec![StateChange::PutInstance(instance("testing_thing.a", "a"))]).await.unwrap();
    tokio::time::sleep(lease).await;
    assert!(holder.lock_lost("default").is_none(), "renewed through the relay");

    relay.go_dark();
    let other = db.store(lease);
    let bob = lock_info("bob", "apply");
    let taken = loop {
        match other.lock("default", bob.clone()).await {
            Ok(()) => break Instant::now(),
            Err(StateError::Locked { .. }) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(e) => panic!("lock: {e}"),
        }
    };
    let lost = holder.lock_lost("default").map(|e| e.to_string());
    assert!(
        lost.as_deref().is_some_and(|m| m.contains("could not be renewed")),
        "by the time bob took the lock, alice's store knew it had lost it: {lost:?} ({:?} after)",
        taken.elapsed()
    );
    let late = tokio::time::timeout(
        Duration::from_secs(2),
        writer.submit(vec![StateChange::PutInstance(instance("testing_thing.late", "x"))]),
    )
    .await
    .unwrap_or_else(|_| panic!("a lost writer fails at once, without I/O"));
    assert!(matches!(late, Err(StateError::LeaseLost { .. })), "{late:?}");
    assert!(writer.is_lost());
    let state = other.read("default").await.unwrap();
    assert_eq!(state.instances.len(), 1, "only what alice committed while she held the lease");
    other.unlock("default", &bob.id).await.unwrap();
}
