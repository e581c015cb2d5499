//! The store a running braid uses, whichever backend holds it: the embedded store (one
//! node, the data directory) or the distributed one (Kafka for the log, PostgreSQL for
//! state, see docs/scale-out.md). Everything above this module talks to the storage
//! traits through [`Store`]; the few things only one backend has are methods here that
//! say what the other backend does instead.

use crate::cluster::Cluster;
use braid_core::log::LogRecord;
use braid_core::outbox::{DeadLetter, OutboxEntry};
use braid_core::storage::{
    AppendOutcome, AppendRequest, Erased, IngestLog, Maintenance, Outbox, StateStore, StateTxn,
    StoreResult,
};
use braid_mparticle::{IdentityType, Mpid};
use braid_store::EmbeddedStore;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A point in the ingest log, as each backend can name one (see [`Store::log_mark`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogMark {
    /// The embedded log's position: one order across everything.
    Position(u64),
    /// The distributed log's last offset in each partition holding records (Kafka has
    /// no order across partitions, so each is waited for on its own).
    Partitions(BTreeMap<i32, i64>),
}

/// The backend in use. Cheap to clone.
#[derive(Clone)]
pub enum Store {
    /// redb files in the data directory.
    Embedded(EmbeddedStore),
    /// Kafka for the log, PostgreSQL for everything else.
    Distributed(Arc<Cluster>),
}

/// Call `$body` with `$s` bound to whichever backend `$store` is.
macro_rules! each_backend {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            Store::Embedded($s) => $body,
            Store::Distributed(cluster) => {
                let $s = &cluster.state;
                $body
            }
        }
    };
}

impl Store {
    /// The embedded store, when that is the backend (file health, log pruning).
    pub fn embedded(&self) -> Option<&EmbeddedStore> {
        match self {
            Store::Embedded(store) => Some(store),
            Store::Distributed(_) => None,
        }
    }

    /// Where the ingest log ends now: an erasure records this when it starts, and runs
    /// once [`Store::has_applied`] says the pipeline applied everything up to it, so no
    /// batch accepted before the request can re-create the person afterwards.
    pub fn log_mark(&self) -> StoreResult<LogMark> {
        match self {
            Store::Embedded(store) => store.head().map(LogMark::Position),
            Store::Distributed(cluster) => cluster.log.last_offsets().map(LogMark::Partitions),
        }
    }

    /// Whether the pipeline has applied every record up to `mark`: the embedded cursor
    /// has reached its position, or every partition's applied offset in PostgreSQL
    /// (`kafka/offset/<partition>`, written with the records' effects) has reached its
    /// recorded end. One transaction reads all the offsets.
    pub fn has_applied(&self, mark: &LogMark) -> StoreResult<bool> {
        match mark {
            LogMark::Position(position) => Ok(StateStore::cursor(self)? >= *position),
            LogMark::Partitions(ends) if ends.is_empty() => Ok(true),
            LogMark::Partitions(ends) => self.transact(|txn| {
                for (&partition, &end) in ends {
                    if crate::cluster::consumer::applied_offset(txn, partition)?.unwrap_or(-1) < end
                    {
                        return Ok(false);
                    }
                }
                Ok(true)
            }),
        }
    }

    /// Batches accepted into the log and batches the pipeline has applied, both counted
    /// from the start of the log, for the console. The embedded log counts with its head
    /// and cursor; the distributed one adds up, per partition, the records Kafka holds
    /// or held (its last offset + 1) and those the workers applied (the applied offset
    /// + 1), since a Kafka position is a partition and an offset, not a count.
    pub fn log_progress(&self) -> StoreResult<(u64, u64)> {
        match self {
            Store::Embedded(store) => Ok((store.head()?, StateStore::cursor(store)?)),
            Store::Distributed(cluster) => {
                let ends = cluster.log.last_offsets()?;
                let accepted = ends.values().map(|&end| count_through(end)).sum();
                let applied = self.transact(|txn| {
                    let mut applied = 0;
                    for &partition in ends.keys() {
                        let offset = crate::cluster::consumer::applied_offset(txn, partition)?;
                        applied += count_through(offset.unwrap_or(-1));
                    }
                    Ok(applied)
                })?;
                Ok((accepted, applied))
            }
        }
    }

    /// Whether this node holds (or just took) the lead named `name`: always on the
    /// embedded store (one node), else a PostgreSQL session lock held while the node's
    /// session lives (see `braid_postgres::PgStore::try_lead`). Blocks: call it from a
    /// blocking thread.
    pub fn try_lead(&self, name: &str) -> StoreResult<bool> {
        match self {
            Store::Embedded(_) => Ok(true),
            Store::Distributed(cluster) => cluster.state.try_lead(name),
        }
    }

    /// Every value of one identity type with the profile it points to (data subject
    /// requests match hashed identities by scanning them).
    pub fn identities_of_type(&self, kind: IdentityType) -> StoreResult<Vec<(String, Mpid)>> {
        each_backend!(self, s => s.identities_of_type(kind))
    }
}

impl IngestLog for Store {
    fn append(&self, batch: Vec<AppendRequest>) -> StoreResult<Vec<AppendOutcome>> {
        match self {
            Store::Embedded(s) => s.append(batch),
            Store::Distributed(cluster) => cluster.log.append(batch),
        }
    }

    fn read_after(&self, after: u64, max: usize) -> StoreResult<Vec<(u64, LogRecord)>> {
        match self {
            Store::Embedded(s) => s.read_after(after, max),
            Store::Distributed(cluster) => cluster.log.read_after(after, max),
        }
    }

    fn head(&self) -> StoreResult<u64> {
        match self {
            Store::Embedded(s) => s.head(),
            Store::Distributed(cluster) => cluster.log.head(),
        }
    }
}

impl StateStore for Store {
    fn cursor(&self) -> StoreResult<u64> {
        each_backend!(self, s => StateStore::cursor(s))
    }

    fn transact<R>(&self, f: impl FnOnce(&mut dyn StateTxn) -> StoreResult<R>) -> StoreResult<R> {
        each_backend!(self, s => s.transact(f))
    }
}

impl Outbox for Store {
    fn lane_count(&self) -> u32 {
        each_backend!(self, s => s.lane_count())
    }

    fn peek(&self, lane: u32, max: usize) -> StoreResult<Vec<(u64, OutboxEntry)>> {
        each_backend!(self, s => s.peek(lane, max))
    }

    fn complete(
        &self,
        lane: u32,
        delivered: &[u64],
        refused: Vec<(u64, DeadLetter)>,
    ) -> StoreResult<()> {
        each_backend!(self, s => s.complete(lane, delivered, refused))
    }

    fn depth(&self) -> StoreResult<u64> {
        each_backend!(self, s => s.depth())
    }

    fn dead_letters(&self, after: u64, max: usize) -> StoreResult<Vec<(u64, DeadLetter)>> {
        each_backend!(self, s => s.dead_letters(after, max))
    }

    fn replay_dead_letters(&self, ids: &[u64]) -> StoreResult<usize> {
        each_backend!(self, s => s.replay_dead_letters(ids))
    }
}

impl Maintenance for Store {
    fn remove_user_everywhere(&self, mpid: Mpid) -> StoreResult<Erased> {
        each_backend!(self, s => s.remove_user_everywhere(mpid))
    }

    fn prune_log_through(&self, position: u64) -> StoreResult<u64> {
        each_backend!(self, s => s.prune_log_through(position))
    }

    fn pruned_through(&self) -> StoreResult<u64> {
        each_backend!(self, s => s.pruned_through())
    }

    fn compact(&self) -> StoreResult<()> {
        each_backend!(self, s => s.compact())
    }
}

/// How many records a partition holds through `offset` (-1: none).
fn count_through(offset: i64) -> u64 {
    u64::try_from(offset.saturating_add(1)).unwrap_or(0)
}
