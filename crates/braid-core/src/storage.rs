//! The storage traits. The pipeline and delivery talk only to these; the embedded
//! backend (`braid-store`) implements them all, the distributed one splits them (the log
//! on Kafka in `braid-kafka`, the state in PostgreSQL in `braid-postgres`), and other
//! engines can be added without touching the pipeline.
//!
//! All methods are synchronous: the embedded engine is synchronous, and async callers
//! run them on a blocking thread. Every `StateTxn` is all-or-nothing.
//!
//! [`Maintenance`] is how data leaves for good (erasure, log pruning, compaction), so data
//! subject requests and retention work on any backend. `crate::memory::MemoryStore` is the
//! reference implementation, and `crate::conformance` (feature `conformance`) is the
//! contract every backend is tested against, each on the parts it implements.

use crate::log::LogRecord;
use crate::outbox::{DeadLetter, OutboxEntry};
use crate::profile::Profile;
use braid_mparticle::{IdentityType, Mpid};
use serde_json::Value;

/// The error a backend failed with, kept whole so callers can walk its sources.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A storage failure. Backends map their own errors into this, keeping them as the source.
/// The message repeats the source's, because most callers log only the top error.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The engine failed (I/O, a transaction, a table), or refused an operation.
    #[error("storage backend: {0}")]
    Backend(#[source] BoxError),
    /// The engine failed at a named step (`open /data/state.redb`, `swap log.redb`).
    #[error("storage backend: {operation}: {source}")]
    Operation {
        operation: String,
        #[source]
        source: BoxError,
    },
    /// A value could not be encoded for storage.
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: String,
        #[source]
        source: BoxError,
    },
    /// A stored value does not decode.
    #[error("stored record is corrupt: {what}: {source}")]
    Corrupt {
        what: String,
        #[source]
        source: BoxError,
    },
    /// The transaction lost a race with another writer (a unique constraint, a
    /// serialization failure) and changed nothing. Running it again is safe and, once the
    /// other writer's commit is visible, sees the winner's data. Only backends shared by
    /// several processes return it.
    #[error("storage conflict, retry: {0}")]
    Conflict(#[source] BoxError),
}

impl StorageError {
    /// The engine failed at `operation`.
    pub fn operation(operation: impl Into<String>, source: impl Into<BoxError>) -> Self {
        StorageError::Operation {
            operation: operation.into(),
            source: source.into(),
        }
    }

    /// `what` could not be encoded.
    pub fn encode(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        StorageError::Encode {
            what: what.into(),
            source: source.into(),
        }
    }

    /// Whether running the same work again can succeed (see [`StorageError::Conflict`]).
    pub fn is_conflict(&self) -> bool {
        matches!(self, StorageError::Conflict(_))
    }

    /// The stored `what` does not decode.
    pub fn corrupt(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        StorageError::Corrupt {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// Result alias for storage calls.
pub type StoreResult<T> = Result<T, StorageError>;

/// One batch to append to the log.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub record: LogRecord,
    /// `source_request_id`, de-duplicated per input: at append by a log that catches
    /// duplicates, else when the pipeline applies the record (see [`IngestLog`]).
    pub source_request_id: Option<String>,
}

/// What happened to one appended batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Durably stored at this log position.
    Appended(u64),
    /// Already stored earlier at this position (same input and `source_request_id`), and
    /// not stored again. Only a log that catches duplicates at append returns it.
    Duplicate(u64),
}

/// The durable ingest log: accepted batches, each at a position.
///
/// # Positions
///
/// A position is a `u64` the log assigns at append. What every log promises, and what
/// `log_conformance_tests!` (`crate::conformance`) checks:
///
/// - **Unique and never reused.** No two records share a position, also across restarts
///   and after pruning or expiry: the pipeline derives new MPIDs from positions
///   ([`crate::identity::mpid_for_position`]).
/// - **In range.** Never 0 (0 means "nothing", as in an empty log's [`head`](Self::head)
///   and a fresh cursor), and below `1 << 62`: IDSync derives its MPIDs from the values
///   with bit 62 or 63 set, so the two never meet.
/// - **Ordered per user.** The records of one user get strictly increasing positions in
///   append order: within one call in request order, and across calls when one
///   returned before the other began. "One user" is what the log keys records by; every
///   log keys alike two batches that carry the same MPID and identities. A log may keep
///   several independent streams (Kafka's partitions, one user on one of them), and
///   positions need not follow append order across streams.
/// - **Read in position order.** [`read_after`](Self::read_after) returns records in
///   increasing position order, exactly as appended, so paging (each call after the last
///   position the previous returned) reads every record the log holds once, with no gap
///   and no repeat, as long as nothing is appended meanwhile.
///
/// A **totally ordered** log (the embedded store, `crate::memory::MemoryStore`) promises
/// more, and `dedup_log_conformance_tests!` checks it: positions are consecutive from 1
/// in append order across all users. So the last applied position (the pipeline cursor)
/// is a complete progress marker: `read_after(cursor, ..)` is all that is left to apply,
/// everything accepted before a moment is applied once the cursor reaches the head read
/// at that moment (erasure waits so), and `head - cursor` counts records (the queue depth,
/// the console's accepted and applied). A partitioned log offers none of that: a record
/// appended to a lower stream while a reader is past it lies behind that reader's
/// position, so its readers keep a position per stream (braid-kafka's consumer), and a
/// difference of positions counts nothing.
///
/// # Duplicates
///
/// A log that catches duplicates at append remembers `(input, source_request_id)` and
/// answers a repeat (within one call or across calls) with [`AppendOutcome::Duplicate`]
/// naming the first position, storing nothing. A log that does not (Kafka) stores the
/// repeat again at a new position and answers [`AppendOutcome::Appended`]; the pipeline
/// then drops it when it applies it, by the same pair.
pub trait IngestLog: Send + Sync + 'static {
    /// Durably append many batches with one commit (group commit). Returns one outcome
    /// per request, in order (an empty batch: no outcomes, and nothing stored). Must not
    /// return before the data is durable. A failed call may have stored some of the
    /// batch; the sender retries it, and the duplicates are caught as above.
    fn append(&self, batch: Vec<AppendRequest>) -> StoreResult<Vec<AppendOutcome>>;
    /// Up to `max` records with a position greater than `after`, in increasing position
    /// order, each exactly as appended. Empty when the log holds nothing after `after`.
    fn read_after(&self, after: u64, max: usize) -> StoreResult<Vec<(u64, LogRecord)>>;
    /// The highest position appended (0 when nothing was): at least every position
    /// `append` returned, and the last position `read_after` walks to. Pruning does not
    /// lower it; a partition whose records all expired (Kafka retention) no longer counts.
    fn head(&self) -> StoreResult<u64>;
}

/// Read and write access to state inside one transaction.
pub trait StateTxn {
    /// Last log position whose effects are committed (0 when none).
    fn cursor(&mut self) -> StoreResult<u64>;
    fn set_cursor(&mut self, position: u64) -> StoreResult<()>;

    fn profile(&mut self, mpid: Mpid) -> StoreResult<Option<Profile>>;
    fn put_profile(&mut self, profile: &Profile) -> StoreResult<()>;
    /// Up to `max` profiles with an MPID greater than `after` (all when `None`), in MPID
    /// order: how backfills and clean-ups walk every profile in resumable chunks.
    fn profiles_after(&mut self, after: Option<Mpid>, max: usize) -> StoreResult<Vec<Profile>>;
    /// How many profiles exist.
    fn profile_count(&mut self) -> StoreResult<u64>;
    fn delete_profile(&mut self, mpid: Mpid) -> StoreResult<()>;

    /// Which profile an identity points at.
    fn identity_owner(&mut self, kind: IdentityType, value: &str) -> StoreResult<Option<Mpid>>;
    fn set_identity_owner(
        &mut self,
        kind: IdentityType,
        value: &str,
        mpid: Mpid,
    ) -> StoreResult<()>;
    fn remove_identity(&mut self, kind: IdentityType, value: &str) -> StoreResult<()>;

    /// What braid last sent (or has queued) to Braze for this user, as the delta step
    /// keeps it.
    fn sent_state(&mut self, mpid: Mpid) -> StoreResult<Option<Value>>;
    fn put_sent_state(&mut self, mpid: Mpid, state: &Value) -> StoreResult<()>;
    fn delete_sent_state(&mut self, mpid: Mpid) -> StoreResult<()>;

    /// Queue entries for Braze on the user's lane, after everything already queued.
    fn enqueue(&mut self, lane: u32, entries: &[OutboxEntry]) -> StoreResult<()>;

    /// Append one event to the user's history (for audiences), keyed by time.
    fn append_history(&mut self, mpid: Mpid, ts_ms: i64, event: &Value) -> StoreResult<()>;
    /// Append one batch's events to the user's history, as `append_history` would one by
    /// one, in the order given. A backend may store them together (the embedded store
    /// writes one row per batch); what `history` and `prune_history` see is the same.
    fn append_history_events(&mut self, mpid: Mpid, events: &[(i64, Value)]) -> StoreResult<()> {
        for (ts_ms, event) in events {
            self.append_history(mpid, *ts_ms, event)?;
        }
        Ok(())
    }
    /// The user's history at or after `since_ms`, oldest first.
    fn history(&mut self, mpid: Mpid, since_ms: i64) -> StoreResult<Vec<(i64, Value)>>;
    /// Drop the user's history older than `before_ms`; returns how many events went.
    fn prune_history(&mut self, mpid: Mpid, before_ms: i64) -> StoreResult<u64>;

    /// Re-evaluate this user's time-windowed audiences at `at_ms`.
    fn schedule_recheck(&mut self, mpid: Mpid, at_ms: i64) -> StoreResult<()>;
    /// Forget a re-check scheduled with [`schedule_recheck`](Self::schedule_recheck).
    fn cancel_recheck(&mut self, mpid: Mpid, at_ms: i64) -> StoreResult<()>;
    /// Up to `max` re-checks due at or before `now_ms`, earliest first.
    fn due_rechecks(&mut self, now_ms: i64, max: usize) -> StoreResult<Vec<(i64, Mpid)>>;

    /// Remember a Braze Currents event id, seen at `at_ms`. Returns `false` when it is
    /// remembered already (the event is a duplicate).
    fn remember_event_id(&mut self, id: &str, at_ms: i64) -> StoreResult<bool>;
    /// Forget remembered event ids, oldest first and at most `max`: those seen before
    /// `before_ms`, and those beyond the newest `keep_at_most`. Returns how many went.
    fn forget_event_ids(
        &mut self,
        before_ms: i64,
        keep_at_most: u64,
        max: usize,
    ) -> StoreResult<u64>;

    /// A free-form value under a key (counters, audience state, settings).
    fn meta(&mut self, key: &str) -> StoreResult<Option<Value>>;
    fn put_meta(&mut self, key: &str, value: &Value) -> StoreResult<()>;
    /// Up to `max` meta values with a key greater than `after` (all when `None`), in key
    /// (byte) order: how a store's meta values are copied elsewhere in resumable chunks.
    fn meta_after(&mut self, after: Option<&str>, max: usize) -> StoreResult<Vec<(String, Value)>>;
}

/// Transactional state: profiles, identity index, sent state, outbox writes, history.
pub trait StateStore: Send + Sync + 'static {
    /// The pipeline cursor as last committed, read without a write transaction.
    fn cursor(&self) -> StoreResult<u64>;
    /// Run `f` in one transaction; commit if it returns `Ok`, roll back otherwise.
    fn transact<R>(&self, f: impl FnOnce(&mut dyn StateTxn) -> StoreResult<R>) -> StoreResult<R>
    where
        Self: Sized;
}

/// The Braze outbox, read by delivery.
pub trait Outbox: Send + Sync + 'static {
    /// Number of lanes; a user always maps to the same lane.
    fn lane_count(&self) -> u32;
    /// Up to `max` oldest entries of a lane, with their positions.
    fn peek(&self, lane: u32, max: usize) -> StoreResult<Vec<(u64, OutboxEntry)>>;
    /// Remove delivered entries and move refused ones to the dead letters, in one commit.
    /// A refused entry still waiting is dead-lettered once (completing it again is a
    /// no-op), and when [`OutboxEntry::refusal_forgets_sent_state`] says so, its user's
    /// sent state is deleted in the same commit.
    fn complete(
        &self,
        lane: u32,
        delivered: &[u64],
        refused: Vec<(u64, DeadLetter)>,
    ) -> StoreResult<()>;
    /// Entries waiting across all lanes.
    fn depth(&self) -> StoreResult<u64>;
    /// Dead letters, oldest first, with their ids.
    fn dead_letters(&self, after: u64, max: usize) -> StoreResult<Vec<(u64, DeadLetter)>>;
    /// Move dead letters back into the outbox (replay); returns how many moved.
    fn replay_dead_letters(&self, ids: &[u64]) -> StoreResult<usize>;
}

/// What [`Maintenance::remove_user_everywhere`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    pub profile: bool,
    pub sent_state: bool,
    pub identities: u64,
    pub history: u64,
    pub outbox: u64,
    pub dead_letters: u64,
}

/// Removing data for good: erasure of one user, pruning of the applied log, and compaction
/// that leaves removed bytes in no file. Data subject requests and log retention run on
/// these alone.
pub trait Maintenance: Send + Sync + 'static {
    /// Delete everything the state holds about one user, all or nothing: profile (with its
    /// audience memberships), identity index entries pointing at them, sent state, history,
    /// scheduled re-checks, outbox entries and dead letters. The log is not touched:
    /// [`prune_log_through`](Self::prune_log_through) and [`compact`](Self::compact) scrub it.
    fn remove_user_everywhere(&self, mpid: Mpid) -> StoreResult<Erased>;
    /// Delete log records at or before `position`, never past the pipeline cursor, so no
    /// unapplied record is lost. Returns how many went. `source_request_id`s stay
    /// remembered: a late retry of a pruned batch is still a duplicate.
    fn prune_log_through(&self, position: u64) -> StoreResult<u64>;
    /// Highest position pruned so far (0 when never pruned).
    fn pruned_through(&self) -> StoreResult<u64>;
    /// Make deleted data physically unrecoverable from what the backend holds, keeping all
    /// live data. May block other calls while it runs.
    fn compact(&self) -> StoreResult<()>;
}

/// The lane of a user: stable across restarts and backends.
pub fn lane_of(mpid: Mpid, lanes: u32) -> u32 {
    // Mix the bits so sequential MPIDs spread over lanes.
    let mut x = mpid.0 as u64;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x % lanes.max(1) as u64) as u32
}
