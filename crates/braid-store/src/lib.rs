//! The embedded storage backend: one data directory, two [redb] files, implementing
//! braid-core's [`IngestLog`], [`StateStore`], [`Outbox`] and [`Maintenance`] traits.
//!
//! # Files
//! - `log.redb` — the ingest log and its de-duplication index. Written only by
//!   [`IngestLog::append`] (and pruned by [`Maintenance::prune_log_through`]).
//! - `state.redb` — profiles, the identity index, sent state, the outbox, dead letters,
//!   history, meta values and the pipeline cursor. One [`StateStore::transact`] is one redb
//!   write transaction, so a batch's effects *and* the cursor that says it was applied commit
//!   atomically: after a crash the pipeline resumes exactly after the last applied record.
//!
//! Two files rather than one because redb serialises write transactions per file: ingest
//! appends and pipeline commits each fsync, and with two files those fsyncs run in parallel
//! instead of queueing behind each other.
//!
//! # Durability
//! - `append`: the whole group is one write transaction committed with
//!   `Durability::Immediate` (fsync before return). The server batches concurrent requests
//!   into one call, so many requests share one fsync (group commit); answer 202 only after
//!   `append` returns.
//! - `transact`: `Durability::Immediate`; commit on `Ok`, abort on `Err`.
//! - `Outbox::complete` of delivered entries takes no write transaction: the positions are
//!   hidden in memory at once and deleted by the next state transaction (normally the
//!   pipeline's, which commits durably at least every few hundred milliseconds), or by
//!   `complete` itself once [`StoreOptions::ack_flush_max`] are waiting (see the `acks`
//!   module for why and how readers stay consistent). Losing acknowledgements in a crash
//!   only puts delivered entries back in the outbox, which then get sent again: delivery
//!   is at-least-once either way, and Braze's `/users/track` is idempotent for
//!   attributes. Refusals (dead letters) are committed by `complete` with
//!   `Durability::None` (visible at once, persisted by the next durable commit of the
//!   file). (redb's `Durability::Eventual` would not help: on Linux it is the same
//!   `fdatasync` as `Immediate`.) A clean drop of the last handle writes waiting
//!   acknowledgements and makes everything durable, and [`EmbeddedStore::flush`] does it
//!   on demand.
//! - `prune_log_through`: `Durability::None`. Ingest waits for this file's writer, so
//!   pruning adds no fsync of its own; the next append's durable commit persists it, and
//!   a prune a crash undoes is simply done again.
//! - Quick-repair commits ([`StoreOptions::quick_repair`]) are off by default: they save
//!   redb's allocator state in every commit, which measured about 4× the cost of a plain
//!   commit (25 ms against 6 ms per append here). Without them, reopening after a crash
//!   walks the file to rebuild that state, a one-off cost proportional to the file size;
//!   a clean shutdown saves it, so a normal restart is quick either way.
//!
//! # Encoding
//! Every value starts with a version byte: `0x01` is MessagePack with named fields
//! (`rmp-serde`), compact and quick to write and read, and self-describing as the
//! profile, sent state, history and meta need (they hold `serde_json::Value`s, and fields
//! are skipped when empty and defaulted when missing, so releases can add fields). A value
//! without the byte is the bare `serde_json` earlier releases wrote (its first byte is
//! printable ASCII), and is read as such: a store written before the change opens and
//! keeps working, and each value moves to the new format when it is next written.
//! A history row written for a batch of several events starts with `0x02` instead: the
//! batch's `[ts_ms, event]` pairs in one MessagePack array, keyed by the oldest time
//! (events more than an hour apart go to separate rows, so reads and pruning know how far
//! back a row can reach). One row per batch is one B-tree insert where there were one per
//! event; rows of one event keep the `0x01` form, and stores written earlier read as before.
//! Outbox entries and dead letters are prefixed with the user's MPID (8 bytes,
//! big-endian, before the version byte) so erasure can find a user's entries without
//! decoding them.
//!
//! # De-duplication
//! `(input, source_request_id)` is remembered in `log.redb` with the position it was stored
//! at; a repeat returns [`AppendOutcome::Duplicate`] with that position, also inside one
//! group. Entries are forgotten once older than [`StoreOptions::dedup_window_ms`] (measured
//! against the newest `received_ms` being appended, so no clock is read here) or when more
//! than [`StoreOptions::dedup_max_entries`] are held, whichever comes first. Expiry runs
//! inside `append`, removing a bounded number of the oldest entries per call, so no call
//! ever pays for a full sweep.
//!
//! # Counts
//! redb keeps every table's length in its B-tree header, so [`Outbox::depth`] is one
//! `len()` on the outbox table: O(1) and always consistent with its contents.
//!
//! # Erasure
//! [`Maintenance::remove_user_everywhere`] deletes a user's profile, identity index
//! entries, sent state, history, outbox entries and dead letters in one transaction.
//! redb does not zero freed pages (a test shows erased bytes still in the file), and its own
//! `compact()` relocates pages and truncates the file without promising to scrub the free
//! space left in the middle. [`Maintenance::compact`] therefore
//! copies the live data of each file into a fresh file, fsyncs it and renames it over the
//! old one: afterwards the erased bytes are in no file braid holds. (Blocks the filesystem
//! freed are beyond braid's reach; use an encrypted volume for that.) The copy is made
//! from a read snapshot while the store keeps working; each file is held only to copy
//! over what was written meanwhile and to swap the copy in (see `maintenance`).

mod acks;
mod codec;
pub mod health;
mod log;
mod maintenance;
mod outbox;
mod scan;
mod state;
mod tables;
mod touched;

#[cfg(doc)]
use braid_core::storage::{IngestLog, Maintenance, Outbox, StateStore};
use braid_core::storage::{StorageError, StoreResult};
use parking_lot::{MappedRwLockReadGuard, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use redb::Database;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Tuning for [`EmbeddedStore::open`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Number of outbox lanes. Changing it between runs re-lanes waiting entries on open.
    pub lanes: u32,
    /// How long a `source_request_id` is remembered for de-duplication (ms).
    pub dedup_window_ms: i64,
    /// At most this many `source_request_id`s are remembered (oldest forgotten first).
    pub dedup_max_entries: u64,
    /// Once this many delivered entries wait as in-memory acknowledgements, the
    /// `Outbox::complete` call that sees it deletes them with a durable commit of its own
    /// (one caller at a time; normally the next state transaction deletes them first).
    /// Bounds, give or take the requests completed meanwhile, what a crash can send twice.
    pub ack_flush_max: usize,
    /// Use redb quick-repair commits (faster reopen after a crash, much dearer commits).
    pub quick_repair: bool,
    /// Page cache of `state.redb` in bytes.
    pub state_cache_bytes: usize,
    /// Page cache of `log.redb` in bytes.
    pub log_cache_bytes: usize,
    /// Compaction holds `state.redb` (every store call on it waits) only once a catch-up
    /// round without the hold found at most this many keys written during the round
    /// before (or after a bounded number of rounds). Lower means a shorter hold and more
    /// rounds.
    pub compaction_held_keys: usize,
}

impl StoreOptions {
    /// Share `total` bytes of page cache between the files: 7/8 to `state.redb`, which
    /// the pipeline and delivery read at random, and 1/8 to `log.redb`, which is written
    /// at its end and read once, in order, just behind (so mostly from cache anyway).
    pub fn with_cache_bytes(self, total: usize) -> StoreOptions {
        let log = total / 8;
        StoreOptions {
            state_cache_bytes: total - log,
            log_cache_bytes: log,
            ..self
        }
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            lanes: 16,
            dedup_window_ms: 7 * 24 * 3600 * 1000,
            dedup_max_entries: 10_000_000,
            ack_flush_max: 4096,
            quick_repair: false,
            state_cache_bytes: 512 << 20,
            log_cache_bytes: 64 << 20,
            compaction_held_keys: 2_000,
        }
    }
}

/// The embedded store: ingest log, state and outbox in one data directory. Cheap to clone.
#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    options: StoreOptions,
    log: Slot,
    state: Slot,
    /// Delivered entries not yet deleted from the outbox table.
    acks: acks::Acks,
    /// The error that stops the store from writing, until [`EmbeddedStore::recover`]
    /// succeeds (see `health`).
    fault: Mutex<Option<health::StoreFault>>,
    /// Keys of `state.redb` written while a compaction copies it.
    touched: touched::Touched,
    /// Held by the one compaction running: two would share the copies' file names.
    compacting: parking_lot::Mutex<()>,
}

/// One redb file. The `RwLock` is only for swapping the handle ([`Maintenance::compact`]
/// swaps in a rewritten file, [`EmbeddedStore::recover`] reopens a poisoned one); every
/// other operation takes the read side and relies on redb's own locking. `None` only
/// while a poisoned handle is closed and could not be reopened yet.
pub(crate) struct Slot {
    file: &'static str,
    db: RwLock<Option<Database>>,
}

impl Slot {
    fn new(file: &'static str, db: Database) -> Slot {
        Slot {
            file,
            db: RwLock::new(Some(db)),
        }
    }

    /// The open file, or an error naming it while it is closed.
    pub(crate) fn read(&self) -> StoreResult<MappedRwLockReadGuard<'_, Database>> {
        RwLockReadGuard::try_map(self.db.read(), Option::as_ref).map_err(|_| self.closed())
    }

    /// Exclusive access, to swap the handle.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Option<Database>> {
        self.db.write()
    }

    /// The error of a call that meets the file closed.
    pub(crate) fn closed(&self) -> StorageError {
        StorageError::Backend(Box::new(health::FileClosed { file: self.file }))
    }
}

const LOG_FILE: &str = "log.redb";
const STATE_FILE: &str = "state.redb";

impl EmbeddedStore {
    /// Open (or create) the store in `data_dir`.
    pub fn open(data_dir: &Path, options: StoreOptions) -> Result<EmbeddedStore, StorageError> {
        if options.lanes == 0 {
            return Err(StorageError::Backend("lanes must be at least 1".into()));
        }
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StorageError::operation(format!("create {}", data_dir.display()), e))?;
        // A compaction interrupted by a crash leaves its half-written copy behind; the
        // original is intact because the copy only replaces it by an atomic rename.
        for name in [LOG_FILE, STATE_FILE] {
            let _ = std::fs::remove_file(data_dir.join(maintenance::tmp_name(name)));
        }
        let log = open_db(&data_dir.join(LOG_FILE), options.log_cache_bytes)?;
        let state = open_db(&data_dir.join(STATE_FILE), options.state_cache_bytes)?;
        tables::create_log_tables(&log, options.quick_repair)?;
        tables::create_state_tables(&state, options.quick_repair)?;
        outbox::ensure_lane_count(&state, options.lanes, options.quick_repair)?;
        Ok(EmbeddedStore {
            inner: Arc::new(Inner {
                dir: data_dir.to_path_buf(),
                acks: acks::Acks::new(options.lanes),
                touched: touched::Touched::default(),
                compacting: parking_lot::Mutex::new(()),
                options,
                log: Slot::new(LOG_FILE, log),
                state: Slot::new(STATE_FILE, state),
                fault: Mutex::new(None),
            }),
        })
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &StoreOptions {
        &self.inner.options
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Write waiting acknowledgements and make every commit so far durable, with one fsync
    /// per file.
    pub fn flush(&self) -> StoreResult<()> {
        self.flush_acks()?;
        for db in [&self.inner.log, &self.inner.state] {
            let db = db.read()?;
            let txn = tables::begin_write(&db, redb::Durability::Immediate, true)?;
            txn.commit().map_err(codec::backend)?;
        }
        Ok(())
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Log pruning commits without an fsync; persist the last of it, so a clean
        // shutdown leaves no pruned record behind to prune again.
        if let Ok(db) = self.log.read() {
            let persisted =
                tables::begin_write(&db, redb::Durability::Immediate, self.options.quick_repair)
                    .and_then(|txn| txn.commit().map_err(codec::backend));
            if let Err(e) = persisted {
                tracing::warn!(error = %e, "could not persist the log's last prune on close; it will be pruned again");
            }
        }
        // The last handle is going away: write the acknowledgements still in memory, so a
        // clean shutdown resends nothing.
        let keys = self.acks.take_pending();
        if keys.is_empty() {
            return;
        }
        let Ok(db) = self.state.read() else {
            tracing::warn!(entries = keys.len(), "the state file is closed after an I/O error: delivery acknowledgements are not written; those entries will be sent again");
            return;
        };
        let written =
            tables::begin_write(&db, redb::Durability::Immediate, self.options.quick_repair)
                .and_then(|txn| {
                    outbox::remove_acknowledged(&txn, &keys, &self.touched)?;
                    txn.commit().map_err(codec::backend)
                });
        if let Err(e) = written {
            tracing::warn!(error = %e, entries = keys.len(), "could not write delivery acknowledgements on close; they will be sent again");
        }
    }
}

fn open_db(path: &Path, cache_bytes: usize) -> StoreResult<Database> {
    Database::builder()
        .set_cache_size(cache_bytes)
        .create(path)
        .map_err(|e| StorageError::operation(format!("open {}", path.display()), e))
}
