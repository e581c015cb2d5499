//! Test support: a PgStore in a fresh schema of the machine's PostgreSQL, dropped after.
#![allow(dead_code)]

use braid_core::Secret;
use braid_postgres::{PgOptions, PgStore};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The PostgreSQL the tests use: `BRAID_TEST_POSTGRES_URL`, else the local one.
pub fn url() -> String {
    std::env::var("BRAID_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A schema name no other test (or test process) uses.
pub fn fresh_schema() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "braid_t{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000
    )
}

/// Options for `schema`: a small pool, no lane grace.
pub fn options(schema: &str, lanes: u32, node_id: &str) -> PgOptions {
    PgOptions {
        url: Secret::new(url()),
        schema: schema.to_string(),
        pool_size: 8,
        lanes,
        node_id: node_id.to_string(),
        lane_grace: Duration::ZERO,
    }
}

/// Connect with `options`, failing with what to start when PostgreSQL is not there.
pub fn connect(options: &PgOptions) -> PgStore {
    PgStore::connect(options).unwrap_or_else(|e| {
        panic!(
            "cannot use PostgreSQL at {} ({e}); start PostgreSQL (trust auth, database `test`) \
             or set BRAID_TEST_POSTGRES_URL",
            url()
        )
    })
}

/// Drops its schema when dropped.
pub struct SchemaGuard(pub String);

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        // On a thread of its own: the guard may be dropped inside an async test.
        let schema = self.0.clone();
        let dropped =
            std::thread::spawn(move || run_sql(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
                .join();
        if !std::thread::panicking() {
            dropped.expect("drop thread").expect("drop the test schema");
        }
    }
}

/// Run `sql` on a connection of its own (from any thread not inside a runtime).
pub fn run_sql(sql: &str) -> Result<(), tokio_postgres::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&url(), tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        client.batch_execute(sql).await
    })
}

/// A fresh store with `lanes` lanes and the guard that drops its schema.
pub fn store(lanes: u32) -> (PgStore, SchemaGuard) {
    let schema = fresh_schema();
    let guard = SchemaGuard(schema.clone());
    (connect(&options(&schema, lanes, "test-node")), guard)
}
