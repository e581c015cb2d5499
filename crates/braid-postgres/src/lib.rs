//! The PostgreSQL backend of braid's state, for running braid as several nodes: profiles,
//! the identity index, sent state, history, re-checks, Currents event ids, meta values, the
//! outbox and its dead letters all live in one PostgreSQL schema, and every node works on
//! them at once. (The ingest log is not here: Kafka holds it.)
//!
//! [`PgStore`] implements braid-core's [`StateStore`], [`Outbox`] and [`Maintenance`], plus
//! what a cluster needs on top: one leader per job ([`PgStore::try_lead`]), outbox lanes
//! shared out between delivery nodes ([`PgStore::start_lane_leasing`]) and a wake-up when any
//! node enqueues ([`PgStore::watch_outbox`]).
//!
//! # Sync traits over an async driver
//! The traits are synchronous and are called from plain threads, `spawn_blocking` threads
//! and straight from async tasks of either tokio runtime flavour. Each store therefore owns a
//! small private tokio runtime that runs the connections (every socket lives there), and a
//! sync method waits for its client futures with `futures_executor::block_on`: a
//! tokio-postgres client future only exchanges messages with its connection task over
//! channels, so waiting on it needs no tokio context and never nests one runtime in another
//! (which `Handle::block_on` and `block_in_place` would, and panic for).
//!
//! # Isolation: SERIALIZABLE
//! [`StateStore::transact`] runs the closure in one `SERIALIZABLE` transaction. The pipeline
//! was written against the embedded store, whose writers are serialised, and SERIALIZABLE
//! is the level that promises exactly that: every set of committed transactions equals some
//! one-at-a-time order. REPEATABLE READ would catch the two races the pipeline is known to
//! have (two workers creating a profile for the same new identity, both upserting one
//! `(kind, value)` row; two read-modify-writes of one meta key such as a Kafka offset), but
//! not write skew between a row one transaction only reads and another writes, and
//! auditing every pipeline step for that is the work SERIALIZABLE saves. The loser of a race
//! gets [`StorageError::Conflict`] (SQLSTATE 40001, 40P01 or 23505), changed nothing, and
//! is run again by the caller. The price is predicate locks and some false conflicts under
//! contention; with users partitioned between workers (Kafka keys), transactions rarely
//! touch the same rows.
//!
//! # Encoding
//! Values (profiles, sent state, history events, outbox entries, dead letters, meta) are
//! `serde_json` text stored as `bytea`, not `jsonb`: `jsonb` refuses strings holding
//! U+0000 (which an mParticle attribute may carry), reorders object keys and parses every
//! write, and braid never queries inside a value in SQL. Operators can still read one with
//! `convert_from(body, 'UTF8')::jsonb`.

mod error;
mod lanes;
mod maintenance;
mod migrate;
mod outbox;
mod scan;
mod txn;

pub mod import;

use braid_core::storage::{StorageError, StoreResult};
use braid_core::Secret;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub(crate) use error::{backend, pg_error};

/// How to reach PostgreSQL and how this node takes part in the cluster.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// `postgres://user:password@host:port/database`; may hold a password, so a [`Secret`].
    pub url: Secret,
    /// The schema every table lives in (created on first use): `braid` by default. Letters,
    /// digits and `_`, starting with a letter or `_`, at most 50 characters.
    pub schema: String,
    /// Pooled connections for transactions and outbox calls (16 by default).
    pub pool_size: usize,
    /// Outbox lanes, fixed for the cluster: stored in the schema on first use, and a
    /// different value later is refused.
    pub lanes: u32,
    /// This process, for leases and diagnostics: unique per node.
    pub node_id: String,
    /// How long a lane newly leased is left alone before this node peeks it, so that the
    /// node that held it before has finished (or given up on) what it was sending. Above the
    /// Braze request timeout: 15 s by default.
    pub lane_grace: Duration,
}

impl PgOptions {
    /// Defaults around `url`: schema `braid`, 16 connections, 16 lanes, node id from the
    /// host name and process id, 15 s lane grace.
    pub fn new(url: Secret) -> PgOptions {
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|h| h.trim().to_string())
            })
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "braid".to_string());
        PgOptions {
            url,
            schema: "braid".to_string(),
            pool_size: 16,
            lanes: 16,
            node_id: format!("{host}-{}", std::process::id()),
            lane_grace: Duration::from_secs(15),
        }
    }
}

/// braid's state in PostgreSQL. Clones share one pool, runtime and lock session.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

/// What clones of a [`PgStore`] share.
pub(crate) struct Inner {
    /// `None` only while dropping (see `Drop`).
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pool: Pool,
    /// For the dedicated connections (lock session, LISTEN).
    config: tokio_postgres::Config,
    schema: String,
    lanes: u32,
    node_id: String,
    lane_grace: Duration,
    /// The NOTIFY channel enqueues signal on: one per schema.
    channel: String,
    round_trips: AtomicU64,
    pub(crate) locks: lanes::Locks,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.locks.leave(&self.node_id);
        // Dropping a runtime waits for its blocking threads, which panics inside an async
        // context; the last clone may well be dropped in one.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Wait for `future` on this thread, whatever runtime (if any) the thread belongs to.
pub(crate) fn wait<F: std::future::Future>(future: F) -> F::Output {
    futures_executor::block_on(future)
}

fn valid_schema(schema: &str) -> StoreResult<()> {
    let mut chars = schema.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && schema.len() <= 50 {
        Ok(())
    } else {
        Err(StorageError::Backend(
            format!(
                "postgres `schema` {schema:?} is not a plain name: use lowercase letters, digits \
                 and `_`, starting with a letter or `_`, at most 50 characters"
            )
            .into(),
        ))
    }
}

impl PgStore {
    /// Connect, create the schema if needed and apply its migrations (safe when several
    /// nodes start at once), and check `lanes` against the one the cluster was made with.
    pub fn connect(options: &PgOptions) -> StoreResult<PgStore> {
        valid_schema(&options.schema)?;
        if options.lanes == 0 {
            return Err(StorageError::Backend(
                "postgres `lanes` must be at least 1".into(),
            ));
        }
        if options.pool_size == 0 {
            return Err(StorageError::Backend(
                "postgres `pool_size` must be at least 1".into(),
            ));
        }
        let mut config: tokio_postgres::Config = options.url.expose().parse().map_err(|e| {
            StorageError::operation("parse postgres `url` (postgres://user@host/db)", e)
        })?;
        // Every statement names its tables unqualified; the schema is the search path.
        let mut session_options = config.get_options().unwrap_or("").to_string();
        session_options.push_str(&format!(" -c search_path={}", options.schema));
        config.options(session_options.trim());
        if config.get_application_name().is_none() {
            config.application_name(format!("braid {}", options.node_id));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("braid-postgres")
            .enable_all()
            .build()
            .map_err(|e| StorageError::operation("start the postgres runtime", e))?;
        let manager = Manager::from_config(
            config.clone(),
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .build()
            .map_err(|e| StorageError::operation("build the postgres pool", e))?;
        let inner = Inner {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            pool,
            config,
            schema: options.schema.clone(),
            lanes: options.lanes,
            node_id: options.node_id.clone(),
            lane_grace: options.lane_grace,
            channel: format!("braid_outbox_{}", options.schema),
            round_trips: AtomicU64::new(0),
            locks: lanes::Locks::default(),
        };
        let store = PgStore {
            inner: Arc::new(inner),
        };
        migrate::apply(&store)?;
        store.check_lanes()?;
        Ok(store)
    }

    /// Readiness: one round trip on a pooled connection.
    pub fn ping(&self) -> StoreResult<()> {
        let client = self.inner.client()?;
        self.inner.count(1);
        wait(client.simple_query(""))
            .map_err(|e| pg_error("ping postgres", e))
            .map(|_| ())
    }

    /// The schema this store works in.
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }

    /// Statements sent to PostgreSQL since connect (each one round trip): for benchmarks
    /// and diagnostics.
    pub fn round_trips(&self) -> u64 {
        self.inner.round_trips.load(Ordering::Relaxed)
    }

    /// Store the lane count on first use; refuse a different one later.
    fn check_lanes(&self) -> StoreResult<()> {
        let client = self.inner.client()?;
        self.inner.count(2);
        wait(client.execute(
            "INSERT INTO cluster_settings (name, value) VALUES ('lanes', $1) \
             ON CONFLICT (name) DO NOTHING",
            &[&self.inner.lanes.to_string()],
        ))
        .map_err(|e| pg_error("store the outbox `lanes`", e))?;
        let row = wait(client.query_one(
            "SELECT value FROM cluster_settings WHERE name = 'lanes'",
            &[],
        ))
        .map_err(|e| pg_error("read the outbox `lanes`", e))?;
        let stored: String = row.get(0);
        if stored != self.inner.lanes.to_string() {
            return Err(StorageError::Backend(
                format!(
                    "postgres `lanes` is {} but schema `{}` was made with {stored} lanes; every \
                     node of a cluster must use the same `lanes` (users are spread over them)",
                    self.inner.lanes, self.inner.schema
                )
                .into(),
            ));
        }
        Ok(())
    }
}

impl Inner {
    /// A pooled connection. Connections are made on the private runtime, where their
    /// connection tasks then run.
    pub(crate) fn client(&self) -> StoreResult<Object> {
        let pool = self.pool.clone();
        let joined = wait(self.handle.spawn(async move { pool.get().await }))
            .map_err(|e| StorageError::operation("get a postgres connection", e))?;
        joined.map_err(|e| StorageError::operation("get a postgres connection", e))
    }

    /// Open a connection of its own (not pooled), for sessions that hold state: advisory
    /// locks and LISTEN.
    pub(crate) fn dedicated_client(&self, what: &str) -> StoreResult<tokio_postgres::Client> {
        let config = self.config.clone();
        let joined = wait(self.handle.spawn(async move {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "postgres session connection ended");
                }
            });
            Ok::<_, tokio_postgres::Error>(client)
        }))
        .map_err(|e| StorageError::operation(format!("connect postgres for {what}"), e))?;
        joined.map_err(|e| pg_error(&format!("connect postgres for {what}"), e))
    }

    /// Count `n` round trips.
    pub(crate) fn count(&self, n: u64) {
        self.round_trips.fetch_add(n, Ordering::Relaxed);
    }
}
