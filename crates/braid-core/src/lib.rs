//! braid's domain core: who a batch belongs to, what their profile holds, and what must
//! reach Braze as a result.
//!
//! - `clock`: the wall clock in milliseconds, read one way everywhere;
//! - `profile`: the stored profile of one user;
//! - `log`: records of the durable ingest log;
//! - `outbox`: what is waiting for Braze, and dead letters;
//! - `storage`: the traits every backend implements (embedded now; Kafka/PostgreSQL later);
//! - `memory`: the in-memory backend, reference of the storage contract;
//! - `conformance` (feature `conformance`): that contract as checks every backend runs;
//! - `identity`: resolving a batch to one profile;
//! - `membership`: audience memberships in the pipeline, re-checks, backfill and clean-up jobs;
//! - `calculated`: calculated attributes in the pipeline, their feed to Braze and backfill;
//! - `currents`: what a Braze Currents event becomes (history, identities, subscriptions),
//!   never sent back to Braze;
//! - `pipeline`: applying one log record to the store, in one transaction;
//! - `trace`: what the pipeline did with one batch, for the console's live stream;
//! - `secret`: configured keys and secrets that never print.

pub mod clock;
pub mod log;
pub mod outbox;
pub mod profile;
pub mod storage;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod memory;

pub use log::{LogRecord, LogRecordKind};
pub use outbox::{DeadLetter, OutboxEntry, OutboxPayload};
pub use profile::Profile;
pub use storage::{StorageError, StoreResult};
pub mod calculated;
pub mod currents;
pub mod identity;
pub mod idsync;
pub mod membership;
pub mod meta_list;
pub mod pipeline;
pub mod secret;
pub mod trace;

pub use secret::Secret;
