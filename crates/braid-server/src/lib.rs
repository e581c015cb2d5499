//! The braid server: HTTP ingest (mParticle Events API), the admin API, the pipeline
//! worker, Braze delivery, metrics and the `braid` command line.
//!
//! - `config`: the TOML configuration and its environment overrides;
//! - `credentials`: first-run input and admin credentials;
//! - `auth`: HTTP Basic checks in constant time, as a layer per sub-router;
//! - `ingest`: `/v2/events`, `/v2/bulkevents`, `/v2/bulkevents/historical`;
//! - `currents`: `POST /v1/currents` (Braze Currents, Custom HTTP connector) and Braze feed inputs;
//! - `currents_cli`: `braid currents import`, Avro files sent to a running braid;
//! - `committer`: group commit of accepted batches;
//! - `worker`: the pipeline worker;
//! - `store_health`: free-space reserve, store faults in readiness and metrics, recovery
//!   without a restart;
//! - `admin`: `/api/v1/...`;
//! - `dsr`: data subject requests (OpenDSR `/v3/...`): erasure, access, forwarding to Braze;
//! - `audiences_api`: `/api/v1/audiences...` (definitions, jobs, overflow check);
//! - `audiences_cli`: `braid audiences ...`, a client of that API;
//! - `calculated_api`: `/api/v1/calculated-attributes...` (definitions, backfill jobs);
//! - `calculated_cli`: `braid calculated-attributes ...`, a client of that API;
//! - `telemetry`: logs and Prometheus metrics;
//! - `console`: the admin console in the browser (`/`), a client of the admin API;
//! - `web`: the mParticle Web SDK's routes (events, IDSync, alias, config), CORS, rate limits;
//! - `tls`: HTTPS on the main listener (`[server.tls]`, rustls);
//! - `shutdown`: one signal and one grace period for every background task;
//! - `store`: the store in use, embedded or distributed, behind the storage traits;
//! - `cluster`: the distributed backend: roles, Kafka/PostgreSQL/Redis connections and
//!   reachability, the Kafka pipeline worker;
//! - `app`: wiring it all together, start and graceful shutdown.

pub mod admin;
pub mod app;
pub mod audiences_api;
pub mod audiences_cli;
pub mod auth;
pub mod calculated_api;
pub mod calculated_cli;
pub mod cluster;
pub mod committer;
pub mod config;
pub mod console;
pub mod credentials;
pub mod currents;
pub mod currents_cli;
pub mod dsr;
pub mod ingest;
pub mod shutdown;
pub mod store;
pub mod store_health;
pub mod telemetry;
pub mod tls;
pub mod web;
pub mod worker;

pub use app::Server;
pub use config::Config;
