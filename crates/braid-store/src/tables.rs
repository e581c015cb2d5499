//! Table definitions of both files, and small helpers shared by every module.

use crate::codec::backend;
use braid_core::storage::StoreResult;
use redb::{Database, Durability, ReadableTable, Table, TableDefinition, WriteTransaction};

// ---- log.redb ----

/// Log position → encoded `LogRecord`.
pub(crate) const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
/// `"input\0source_request_id"` → (position, received_ms).
pub(crate) const DEDUP: TableDefinition<&str, (u64, i64)> = TableDefinition::new("dedup");
/// Position → (received_ms, dedup key): the expiry order of `DEDUP`.
pub(crate) const DEDUP_ORDER: TableDefinition<u64, (i64, &str)> =
    TableDefinition::new("dedup_order");
/// `head` (highest position ever appended) and `pruned_through`.
pub(crate) const LOG_META: TableDefinition<&str, u64> = TableDefinition::new("log_meta");

// ---- state.redb ----

/// MPID → encoded `Profile`.
pub(crate) const PROFILES: TableDefinition<i64, &[u8]> = TableDefinition::new("profiles");
/// `"type\0value"` → MPID.
pub(crate) const IDENTITIES: TableDefinition<&str, i64> = TableDefinition::new("identities");
/// MPID → encoded sent state.
pub(crate) const SENT_STATE: TableDefinition<i64, &[u8]> = TableDefinition::new("sent_state");
/// (lane, seq) → MPID prefix + encoded `OutboxEntry`; seq is global and increasing.
pub(crate) const OUTBOX: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("outbox");
/// Dead-letter id → MPID prefix + encoded `DeadLetter`.
pub(crate) const DEAD_LETTERS: TableDefinition<u64, &[u8]> = TableDefinition::new("dead_letters");
/// (MPID, ts_ms, seq) → encoded event.
pub(crate) const HISTORY: TableDefinition<(i64, i64, u64), &[u8]> = TableDefinition::new("history");
/// (due time ms, MPID) → (): when a user's time-windowed audiences must be re-evaluated.
pub(crate) const RECHECKS: TableDefinition<(i64, i64), ()> = TableDefinition::new("rechecks");
/// Currents event id → when it was first seen (ms): the de-duplication window.
pub(crate) const EVENT_IDS: TableDefinition<&str, i64> = TableDefinition::new("event_ids");
/// (seen at ms, event id) → (): the expiry order of `EVENT_IDS`.
pub(crate) const EVENT_ID_ORDER: TableDefinition<(i64, &str), ()> =
    TableDefinition::new("event_id_order");
/// Free-form key → encoded value.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// The cursor and sequence counters.
pub(crate) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");

pub(crate) const HEAD: &str = "head";
pub(crate) const PRUNED_THROUGH: &str = "pruned_through";
pub(crate) const CURSOR: &str = "cursor";
pub(crate) const OUTBOX_SEQ: &str = "outbox_seq";
pub(crate) const DEAD_SEQ: &str = "dead_letter_seq";
pub(crate) const HISTORY_SEQ: &str = "history_seq";
pub(crate) const LANES: &str = "lanes";

/// Begin a write transaction with the given durability.
pub(crate) fn begin_write(
    db: &Database,
    durability: Durability,
    quick_repair: bool,
) -> StoreResult<WriteTransaction> {
    let mut txn = db.begin_write().map_err(backend)?;
    txn.set_durability(durability);
    txn.set_quick_repair(quick_repair);
    Ok(txn)
}

/// Create the tables of `log.redb`, so readers never meet a missing table.
pub(crate) fn create_log_tables(db: &Database, quick_repair: bool) -> StoreResult<()> {
    let txn = begin_write(db, Durability::Immediate, quick_repair)?;
    txn.open_table(LOG).map_err(backend)?;
    txn.open_table(DEDUP).map_err(backend)?;
    txn.open_table(DEDUP_ORDER).map_err(backend)?;
    txn.open_table(LOG_META).map_err(backend)?;
    txn.commit().map_err(backend)
}

/// Create the tables of `state.redb`.
pub(crate) fn create_state_tables(db: &Database, quick_repair: bool) -> StoreResult<()> {
    let txn = begin_write(db, Durability::Immediate, quick_repair)?;
    txn.open_table(PROFILES).map_err(backend)?;
    txn.open_table(IDENTITIES).map_err(backend)?;
    txn.open_table(SENT_STATE).map_err(backend)?;
    txn.open_table(OUTBOX).map_err(backend)?;
    txn.open_table(DEAD_LETTERS).map_err(backend)?;
    txn.open_table(HISTORY).map_err(backend)?;
    txn.open_table(RECHECKS).map_err(backend)?;
    txn.open_table(META).map_err(backend)?;
    txn.open_table(EVENT_IDS).map_err(backend)?;
    txn.open_table(EVENT_ID_ORDER).map_err(backend)?;
    txn.open_table(COUNTERS).map_err(backend)?;
    txn.commit().map_err(backend)
}

/// A counter's value (0 when never set).
pub(crate) fn counter(
    table: &impl ReadableTable<&'static str, u64>,
    name: &str,
) -> StoreResult<u64> {
    Ok(table.get(name).map_err(backend)?.map_or(0, |v| v.value()))
}

/// Increment a counter and return its new value.
pub(crate) fn next(table: &mut Table<&'static str, u64>, name: &str) -> StoreResult<u64> {
    let value = counter(table, name)? + 1;
    table.insert(name, value).map_err(backend)?;
    Ok(value)
}
