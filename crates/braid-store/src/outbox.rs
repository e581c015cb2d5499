//! The Braze outbox and dead letters in `state.redb`, as read and acknowledged by delivery.

use crate::acks::OutboxKey;
use crate::codec::{backend, decode_for_user, encode_for_user, user_of};
use crate::state::push_outbox;
use crate::tables::{self, COUNTERS, DEAD_LETTERS, DEAD_SEQ, LANES, OUTBOX, SENT_STATE};
use crate::touched::Touched;
use crate::EmbeddedStore;
use braid_core::storage::{lane_of, Outbox, StoreResult};
use braid_core::{DeadLetter, OutboxEntry};
use braid_mparticle::Mpid;
use redb::{Database, Durability, ReadableTable, ReadableTableMetadata, WriteTransaction};

/// Record the lane count, re-laning waiting entries when it changed since the last run:
/// otherwise entries sitting in lanes that no longer exist would never be delivered.
pub(crate) fn ensure_lane_count(db: &Database, lanes: u32, quick_repair: bool) -> StoreResult<()> {
    let txn = tables::begin_write(db, Durability::Immediate, quick_repair)?;
    let stored = {
        let counters = txn.open_table(COUNTERS).map_err(backend)?;
        tables::counter(&counters, LANES)?
    };
    if stored == u64::from(lanes) {
        return txn.abort().map_err(backend);
    }
    {
        let mut counters = txn.open_table(COUNTERS).map_err(backend)?;
        let mut outbox = txn.open_table(OUTBOX).map_err(backend)?;
        let mut moved = Vec::new();
        for item in outbox.iter().map_err(backend)? {
            let (key, bytes) = item.map_err(backend)?;
            let (lane, seq) = key.value();
            let target = lane_of(Mpid(user_of(bytes.value())?), lanes);
            if target != lane {
                moved.push(((lane, seq), target, bytes.value().to_vec()));
            }
        }
        // Keeping each entry's global sequence keeps every user's entries in order: a
        // user's entries all move to the same new lane.
        for ((lane, seq), target, bytes) in &moved {
            outbox.remove((*lane, *seq)).map_err(backend)?;
            outbox
                .insert((*target, *seq), bytes.as_slice())
                .map_err(backend)?;
        }
        if !moved.is_empty() {
            tracing::info!(
                from = stored,
                to = lanes,
                moved = moved.len(),
                "outbox re-laned"
            );
        }
        counters.insert(LANES, u64::from(lanes)).map_err(backend)?;
    }
    txn.commit().map_err(backend)
}

impl Outbox for EmbeddedStore {
    fn lane_count(&self) -> u32 {
        self.inner.options.lanes
    }

    fn peek(&self, lane: u32, max: usize) -> StoreResult<Vec<(u64, OutboxEntry)>> {
        let db = self.inner.state.read()?;
        // Acknowledged entries still in the table are skipped (see `acks`).
        let _gate = self.inner.acks.read_gate();
        let hidden = self.inner.acks.hidden_in(lane);
        let txn = db.begin_read().map_err(backend)?;
        let outbox = txn.open_table(OUTBOX).map_err(backend)?;
        let mut out = Vec::with_capacity(max.min(1024));
        for item in outbox
            .range((lane, 0)..=(lane, u64::MAX))
            .map_err(backend)?
        {
            if out.len() >= max {
                break;
            }
            let (key, bytes) = item.map_err(backend)?;
            let seq = key.value().1;
            if hidden.contains(&seq) {
                continue;
            }
            out.push((seq, decode_for_user(bytes.value(), "outbox entry")?));
        }
        Ok(out)
    }

    fn complete(
        &self,
        lane: u32,
        delivered: &[u64],
        refused: Vec<(u64, DeadLetter)>,
    ) -> StoreResult<()> {
        if refused.is_empty() {
            // The common case: no write transaction here (see `acks`).
            let waiting = self.inner.acks.record(lane, delivered);
            if waiting >= self.inner.options.ack_flush_max.max(1) {
                if let Some(_only_us) = self.inner.acks.try_flushing() {
                    self.flush_acks()?;
                }
            }
            return Ok(());
        }
        // Refusals are rare and must move to the dead letters in one commit with their
        // removal. Not durable on its own (a lost refusal is only sent and refused
        // again); the next durable commit of the file persists it.
        let db = self.inner.state.read()?;
        let txn = tables::begin_write(&db, Durability::None, self.inner.options.quick_repair)?;
        {
            let mut outbox = txn.open_table(OUTBOX).map_err(backend)?;
            let mut dead = txn.open_table(DEAD_LETTERS).map_err(backend)?;
            let mut counters = txn.open_table(COUNTERS).map_err(backend)?;
            let mut sent = txn.open_table(SENT_STATE).map_err(backend)?;
            let touched = &self.inner.touched;
            for seq in delivered {
                outbox.remove((lane, *seq)).map_err(backend)?;
            }
            touched.record(|t| t.outbox.extend(delivered.iter().map(|seq| (lane, *seq))));
            for (seq, letter) in &refused {
                // Only an entry still waiting is dead-lettered, so completing the same
                // refusal twice does not list it twice.
                if outbox.remove((lane, *seq)).map_err(backend)?.is_some() {
                    let id = tables::next(&mut counters, DEAD_SEQ)?;
                    let bytes = encode_for_user(letter.entry.mpid, letter)?;
                    dead.insert(id, bytes.as_slice()).map_err(backend)?;
                    if letter.entry.refusal_forgets_sent_state() {
                        sent.remove(letter.entry.mpid).map_err(backend)?;
                    }
                    touched.record(|t| {
                        t.outbox.insert((lane, *seq));
                        t.dead_letters.insert(id);
                        t.sent.insert(letter.entry.mpid);
                    });
                }
            }
        }
        txn.commit().map_err(backend)
    }

    fn depth(&self) -> StoreResult<u64> {
        let db = self.inner.state.read()?;
        let _gate = self.inner.acks.read_gate();
        let hidden = self.inner.acks.all_hidden();
        let txn = db.begin_read().map_err(backend)?;
        let outbox = txn.open_table(OUTBOX).map_err(backend)?;
        // redb keeps the length in the tree header; acknowledged entries not yet removed
        // are looked up one by one (an erasure may already have removed some of them).
        let mut acknowledged = 0;
        for key in hidden {
            if outbox.get(key).map_err(backend)?.is_some() {
                acknowledged += 1;
            }
        }
        Ok(outbox.len().map_err(backend)?.saturating_sub(acknowledged))
    }

    fn dead_letters(&self, after: u64, max: usize) -> StoreResult<Vec<(u64, DeadLetter)>> {
        let db = self.inner.state.read()?;
        let txn = db.begin_read().map_err(backend)?;
        let dead = txn.open_table(DEAD_LETTERS).map_err(backend)?;
        let Some(start) = after.checked_add(1) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(max.min(1024));
        for item in dead.range(start..).map_err(backend)?.take(max) {
            let (id, bytes) = item.map_err(backend)?;
            out.push((id.value(), decode_for_user(bytes.value(), "dead letter")?));
        }
        Ok(out)
    }

    fn replay_dead_letters(&self, ids: &[u64]) -> StoreResult<usize> {
        let lanes = self.inner.options.lanes;
        let db = self.inner.state.read()?;
        let txn = tables::begin_write(&db, Durability::Immediate, self.inner.options.quick_repair)?;
        let mut moved = 0;
        {
            let mut outbox = txn.open_table(OUTBOX).map_err(backend)?;
            let mut dead = txn.open_table(DEAD_LETTERS).map_err(backend)?;
            let mut counters = txn.open_table(COUNTERS).map_err(backend)?;
            for id in ids {
                let Some(bytes) = dead.remove(*id).map_err(backend)? else {
                    continue;
                };
                let letter: DeadLetter = decode_for_user(bytes.value(), "dead letter")?;
                drop(bytes);
                let entry = letter.entry;
                let lane = lane_of(Mpid(entry.mpid), lanes);
                let encoded = encode_for_user(entry.mpid, &entry)?;
                let seq = push_outbox(&mut outbox, &mut counters, lane, &encoded)?;
                self.inner.touched.record(|t| {
                    t.dead_letters.insert(*id);
                    t.outbox.insert((lane, seq));
                });
                moved += 1;
            }
        }
        txn.commit().map_err(backend)?;
        Ok(moved)
    }
}

impl EmbeddedStore {
    /// Remove acknowledged entries from the outbox table in one durable commit of its own
    /// (when no state transaction has done it; see `acks`).
    pub(crate) fn flush_acks(&self) -> StoreResult<()> {
        let db = self.inner.state.read()?;
        let txn = tables::begin_write(&db, Durability::Immediate, self.inner.options.quick_repair)?;
        let keys = self.inner.acks.take_pending();
        if keys.is_empty() {
            return txn.abort().map_err(backend);
        }
        let removed = remove_acknowledged(&txn, &keys, &self.inner.touched)
            .and_then(|()| txn.commit().map_err(backend));
        match removed {
            Ok(()) => {
                self.inner.acks.forget(&keys);
                Ok(())
            }
            Err(e) => {
                self.inner.acks.restore(keys);
                Err(e)
            }
        }
    }

    /// Delivered entries acknowledged in memory whose deletion no transaction has
    /// written yet (what a crash now would send again).
    pub fn pending_acknowledgements(&self) -> usize {
        self.inner.acks.pending_count()
    }

    /// Number of dead letters held (O(1)).
    pub fn dead_letter_count(&self) -> StoreResult<u64> {
        let db = self.inner.state.read()?;
        let txn = db.begin_read().map_err(backend)?;
        let dead = txn.open_table(DEAD_LETTERS).map_err(backend)?;
        dead.len().map_err(backend)
    }
}

/// Delete acknowledged entries inside `txn` (absent keys, e.g. erased, are skipped).
pub(crate) fn remove_acknowledged(
    txn: &WriteTransaction,
    keys: &[OutboxKey],
    touched: &Touched,
) -> StoreResult<()> {
    let mut outbox = txn.open_table(OUTBOX).map_err(backend)?;
    for key in keys {
        outbox.remove(*key).map_err(backend)?;
    }
    touched.record(|t| t.outbox.extend(keys.iter().copied()));
    Ok(())
}
