//! Transactional state in `state.redb`: one [`StateStore::transact`] is one redb write
//! transaction over profiles, identities, sent state, outbox, history, meta and the cursor.

use crate::codec::{
    backend, decode, decode_history_row, encode, encode_for_user, encode_history_events,
};
use crate::tables::{
    self, COUNTERS, CURSOR, EVENT_IDS, EVENT_ID_ORDER, HISTORY, HISTORY_SEQ, IDENTITIES, META,
    OUTBOX, OUTBOX_SEQ, PROFILES, RECHECKS, SENT_STATE,
};
use crate::touched::Touched;
use crate::EmbeddedStore;
use braid_core::storage::{StateStore, StateTxn, StoreResult};
use braid_core::{OutboxEntry, Profile};
use braid_mparticle::{IdentityType, Mpid};
use redb::{Durability, ReadableTable, ReadableTableMetadata, Table, WriteTransaction};
use serde_json::Value;

/// The identity index key: `"type\0value"`.
pub(crate) fn identity_key(kind: IdentityType, value: &str) -> String {
    format!("{}\0{}", kind.as_str(), value)
}

/// Put one encoded entry at the end of `lane`, with the next global outbox sequence.
pub(crate) fn push_outbox(
    outbox: &mut Table<(u32, u64), &[u8]>,
    counters: &mut Table<&'static str, u64>,
    lane: u32,
    bytes: &[u8],
) -> StoreResult<u64> {
    let seq = tables::next(counters, OUTBOX_SEQ)?;
    outbox.insert((lane, seq), bytes).map_err(backend)?;
    Ok(seq)
}

/// A batch's events further apart in time than this go to separate history rows, so every
/// event of a row lies within this span after the row's key (its oldest event's time):
/// `history(since)` starts its scan this far before `since`, and pruning knows which rows
/// can hold events on both sides of its bound. Batches rarely span more than seconds.
const HISTORY_ROW_SPAN_MS: i64 = 3_600_000;

/// The tables of one state transaction, opened once up front.
struct RedbTxn<'t> {
    profiles: Table<'t, i64, &'static [u8]>,
    identities: Table<'t, &'static str, i64>,
    sent: Table<'t, i64, &'static [u8]>,
    outbox: Table<'t, (u32, u64), &'static [u8]>,
    history: Table<'t, (i64, i64, u64), &'static [u8]>,
    rechecks: Table<'t, (i64, i64), ()>,
    meta: Table<'t, &'static str, &'static [u8]>,
    event_ids: Table<'t, &'static str, i64>,
    event_id_order: Table<'t, (i64, &'static str), ()>,
    counters: Table<'t, &'static str, u64>,
    /// The history and outbox sequences as this transaction has advanced them, written
    /// back once before it commits: a counter update per event or outbox entry would be
    /// one more B-tree write each.
    history_seq: Option<u64>,
    outbox_seq: Option<u64>,
    /// Where written keys go while a compaction copies the file.
    touched: &'t Touched,
}

impl<'t> RedbTxn<'t> {
    fn open(txn: &'t WriteTransaction, touched: &'t Touched) -> StoreResult<Self> {
        Ok(RedbTxn {
            profiles: txn.open_table(PROFILES).map_err(backend)?,
            identities: txn.open_table(IDENTITIES).map_err(backend)?,
            sent: txn.open_table(SENT_STATE).map_err(backend)?,
            outbox: txn.open_table(OUTBOX).map_err(backend)?,
            history: txn.open_table(HISTORY).map_err(backend)?,
            rechecks: txn.open_table(RECHECKS).map_err(backend)?,
            meta: txn.open_table(META).map_err(backend)?,
            event_ids: txn.open_table(EVENT_IDS).map_err(backend)?,
            event_id_order: txn.open_table(EVENT_ID_ORDER).map_err(backend)?,
            counters: txn.open_table(COUNTERS).map_err(backend)?,
            history_seq: None,
            outbox_seq: None,
            touched,
        })
    }

    /// The next value of a sequence, read from the counters table on first use.
    fn next_seq(
        counters: &Table<'t, &'static str, u64>,
        cached: &mut Option<u64>,
        name: &str,
    ) -> StoreResult<u64> {
        let value = match *cached {
            Some(last) => last,
            None => tables::counter(counters, name)?,
        } + 1;
        *cached = Some(value);
        Ok(value)
    }

    /// Write the advanced sequences back; called once, just before the commit.
    fn write_sequences(&mut self) -> StoreResult<()> {
        for (name, value) in [
            (HISTORY_SEQ, self.history_seq),
            (OUTBOX_SEQ, self.outbox_seq),
        ] {
            if let Some(value) = value {
                self.counters.insert(name, value).map_err(backend)?;
            }
        }
        Ok(())
    }
}

/// A history row's bytes: one event as any value, several as one row.
fn history_row_bytes(events: &[(i64, &Value)]) -> StoreResult<Vec<u8>> {
    match events {
        [(_, event)] => encode(*event),
        _ => encode_history_events(events),
    }
}

impl RedbTxn<'_> {
    /// Insert one history row of events in time order, keyed by the oldest. The sequence
    /// keeps rows with the same time apart, in arrival order.
    fn insert_history_row(&mut self, mpid: Mpid, events: &[(i64, &Value)]) -> StoreResult<()> {
        let Some(&(oldest, _)) = events.first() else {
            return Ok(());
        };
        let seq = Self::next_seq(&self.counters, &mut self.history_seq, HISTORY_SEQ)?;
        self.history
            .insert((mpid.0, oldest, seq), history_row_bytes(events)?.as_slice())
            .map_err(backend)?;
        self.touched.record(|t| {
            t.history_users.insert(mpid.0);
        });
        Ok(())
    }
}

impl StateTxn for RedbTxn<'_> {
    fn cursor(&mut self) -> StoreResult<u64> {
        tables::counter(&self.counters, CURSOR)
    }

    fn set_cursor(&mut self, position: u64) -> StoreResult<()> {
        self.counters.insert(CURSOR, position).map_err(backend)?;
        Ok(())
    }

    fn profile(&mut self, mpid: Mpid) -> StoreResult<Option<Profile>> {
        match self.profiles.get(mpid.0).map_err(backend)? {
            Some(bytes) => Ok(Some(decode(bytes.value(), "profile")?)),
            None => Ok(None),
        }
    }

    fn profiles_after(&mut self, after: Option<Mpid>, max: usize) -> StoreResult<Vec<Profile>> {
        let range = match after {
            Some(m) if m.0 == i64::MAX => return Ok(Vec::new()),
            Some(m) => (m.0 + 1)..=i64::MAX,
            None => i64::MIN..=i64::MAX,
        };
        let mut out = Vec::new();
        for item in self.profiles.range(range).map_err(backend)?.take(max) {
            let (_, bytes) = item.map_err(backend)?;
            out.push(decode(bytes.value(), "profile")?);
        }
        Ok(out)
    }

    fn profile_count(&mut self) -> StoreResult<u64> {
        self.profiles.len().map_err(backend)
    }

    fn put_profile(&mut self, profile: &Profile) -> StoreResult<()> {
        self.profiles
            .insert(profile.mpid.0, encode(profile)?.as_slice())
            .map_err(backend)?;
        let mpid = profile.mpid.0;
        self.touched.record(|t| {
            t.profiles.insert(mpid);
        });
        Ok(())
    }

    fn delete_profile(&mut self, mpid: Mpid) -> StoreResult<()> {
        self.profiles.remove(mpid.0).map_err(backend)?;
        self.touched.record(|t| {
            t.profiles.insert(mpid.0);
        });
        Ok(())
    }

    fn identity_owner(&mut self, kind: IdentityType, value: &str) -> StoreResult<Option<Mpid>> {
        let key = identity_key(kind, value);
        Ok(self
            .identities
            .get(key.as_str())
            .map_err(backend)?
            .map(|v| Mpid(v.value())))
    }

    fn set_identity_owner(
        &mut self,
        kind: IdentityType,
        value: &str,
        mpid: Mpid,
    ) -> StoreResult<()> {
        let key = identity_key(kind, value);
        self.identities
            .insert(key.as_str(), mpid.0)
            .map_err(backend)?;
        self.touched.record(|t| {
            t.identities.insert(key);
        });
        Ok(())
    }

    fn remove_identity(&mut self, kind: IdentityType, value: &str) -> StoreResult<()> {
        let key = identity_key(kind, value);
        self.identities.remove(key.as_str()).map_err(backend)?;
        self.touched.record(|t| {
            t.identities.insert(key);
        });
        Ok(())
    }

    fn sent_state(&mut self, mpid: Mpid) -> StoreResult<Option<Value>> {
        match self.sent.get(mpid.0).map_err(backend)? {
            Some(bytes) => Ok(Some(decode(bytes.value(), "sent state")?)),
            None => Ok(None),
        }
    }

    fn put_sent_state(&mut self, mpid: Mpid, state: &Value) -> StoreResult<()> {
        self.sent
            .insert(mpid.0, encode(state)?.as_slice())
            .map_err(backend)?;
        self.touched.record(|t| {
            t.sent.insert(mpid.0);
        });
        Ok(())
    }

    fn delete_sent_state(&mut self, mpid: Mpid) -> StoreResult<()> {
        self.sent.remove(mpid.0).map_err(backend)?;
        self.touched.record(|t| {
            t.sent.insert(mpid.0);
        });
        Ok(())
    }

    fn enqueue(&mut self, lane: u32, entries: &[OutboxEntry]) -> StoreResult<()> {
        for entry in entries {
            let bytes = encode_for_user(entry.mpid, entry)?;
            let seq = Self::next_seq(&self.counters, &mut self.outbox_seq, OUTBOX_SEQ)?;
            self.outbox
                .insert((lane, seq), bytes.as_slice())
                .map_err(backend)?;
            self.touched.record(|t| {
                t.outbox.insert((lane, seq));
            });
        }
        Ok(())
    }

    fn append_history(&mut self, mpid: Mpid, ts_ms: i64, event: &Value) -> StoreResult<()> {
        self.insert_history_row(mpid, &[(ts_ms, event)])
    }

    fn append_history_events(&mut self, mpid: Mpid, events: &[(i64, Value)]) -> StoreResult<()> {
        // One row per batch (per span of it): one B-tree insert where there were one per
        // event. Stable sort: events with the same time keep their arrival order.
        let mut sorted: Vec<(i64, &Value)> = events.iter().map(|(ts, e)| (*ts, e)).collect();
        sorted.sort_by_key(|(ts, _)| *ts);
        let mut rest = sorted.as_slice();
        while let Some(&(oldest, _)) = rest.first() {
            let len = rest
                .iter()
                .position(|(ts, _)| *ts - oldest > HISTORY_ROW_SPAN_MS)
                .unwrap_or(rest.len());
            let (row, after) = rest.split_at(len);
            self.insert_history_row(mpid, row)?;
            rest = after;
        }
        Ok(())
    }

    fn history(&mut self, mpid: Mpid, since_ms: i64) -> StoreResult<Vec<(i64, Value)>> {
        let from = since_ms.saturating_sub(HISTORY_ROW_SPAN_MS);
        let range = (mpid.0, from, 0)..=(mpid.0, i64::MAX, u64::MAX);
        let mut events: Vec<(i64, u64, Value)> = Vec::new();
        for item in self.history.range(range).map_err(backend)? {
            let (key, bytes) = item.map_err(backend)?;
            let (_, key_ts, seq) = key.value();
            for (ts, event) in decode_history_row(key_ts, bytes.value())? {
                if ts >= since_ms {
                    events.push((ts, seq, event));
                }
            }
        }
        // Rows are in key order, and a row's events lie within its span: a stable sort
        // by time, then sequence, puts them in the order they would have had one per row.
        events.sort_by_key(|(ts, seq, _)| (*ts, *seq));
        Ok(events
            .into_iter()
            .map(|(ts, _, event)| (ts, event))
            .collect())
    }

    fn schedule_recheck(&mut self, mpid: Mpid, at_ms: i64) -> StoreResult<()> {
        self.rechecks.insert((at_ms, mpid.0), ()).map_err(backend)?;
        self.touched.record(|t| {
            t.rechecks.insert((at_ms, mpid.0));
        });
        Ok(())
    }

    fn cancel_recheck(&mut self, mpid: Mpid, at_ms: i64) -> StoreResult<()> {
        self.rechecks.remove((at_ms, mpid.0)).map_err(backend)?;
        self.touched.record(|t| {
            t.rechecks.insert((at_ms, mpid.0));
        });
        Ok(())
    }

    fn due_rechecks(&mut self, now_ms: i64, max: usize) -> StoreResult<Vec<(i64, Mpid)>> {
        let mut out = Vec::new();
        let range = (i64::MIN, i64::MIN)..=(now_ms, i64::MAX);
        for item in self.rechecks.range(range).map_err(backend)?.take(max) {
            let (key, _) = item.map_err(backend)?;
            let (at, mpid) = key.value();
            out.push((at, Mpid(mpid)));
        }
        Ok(out)
    }

    fn prune_history(&mut self, mpid: Mpid, before_ms: i64) -> StoreResult<u64> {
        if before_ms == i64::MIN {
            return Ok(0);
        }
        // Rows keyed before the bound hold its oldest events; those within a span of it may
        // also hold newer ones, which are written back as a row of their own.
        let mut old = Vec::new();
        for item in self
            .history
            .range((mpid.0, i64::MIN, 0)..(mpid.0, before_ms, 0))
            .map_err(backend)?
        {
            let (key, bytes) = item.map_err(backend)?;
            let (_, key_ts, seq) = key.value();
            old.push((key_ts, seq, decode_history_row(key_ts, bytes.value())?));
        }
        let mut removed = 0;
        for (key_ts, seq, events) in old {
            self.history
                .remove((mpid.0, key_ts, seq))
                .map_err(backend)?;
            let kept: Vec<(i64, &Value)> = events
                .iter()
                .filter(|(ts, _)| *ts >= before_ms)
                .map(|(ts, e)| (*ts, e))
                .collect();
            removed += (events.len() - kept.len()) as u64;
            if let Some(&(oldest, _)) = kept.first() {
                // Same sequence: the kept events keep their place among equal times.
                let bytes = history_row_bytes(&kept)?;
                self.history
                    .insert((mpid.0, oldest, seq), bytes.as_slice())
                    .map_err(backend)?;
            }
        }
        self.touched.record(|t| {
            t.history_users.insert(mpid.0);
        });
        Ok(removed)
    }

    fn remember_event_id(&mut self, id: &str, at_ms: i64) -> StoreResult<bool> {
        if self.event_ids.get(id).map_err(backend)?.is_some() {
            return Ok(false);
        }
        self.event_ids.insert(id, at_ms).map_err(backend)?;
        self.event_id_order
            .insert((at_ms, id), ())
            .map_err(backend)?;
        self.touched.record(|t| {
            t.event_ids.insert((at_ms, id.to_string()));
        });
        Ok(true)
    }

    fn forget_event_ids(
        &mut self,
        before_ms: i64,
        keep_at_most: u64,
        max: usize,
    ) -> StoreResult<u64> {
        let count = self.event_ids.len().map_err(backend)?;
        let surplus = count.saturating_sub(keep_at_most);
        let mut old: Vec<(i64, String)> = Vec::new();
        for item in self.event_id_order.iter().map_err(backend)?.take(max) {
            let (key, _) = item.map_err(backend)?;
            let (at, id) = key.value();
            if at >= before_ms && (old.len() as u64) >= surplus {
                break;
            }
            old.push((at, id.to_string()));
        }
        for (at, id) in &old {
            self.event_id_order
                .remove((*at, id.as_str()))
                .map_err(backend)?;
            self.event_ids.remove(id.as_str()).map_err(backend)?;
        }
        self.touched
            .record(|t| t.event_ids.extend(old.iter().cloned()));
        Ok(old.len() as u64)
    }

    fn meta(&mut self, key: &str) -> StoreResult<Option<Value>> {
        match self.meta.get(key).map_err(backend)? {
            Some(bytes) => Ok(Some(decode(bytes.value(), "meta value")?)),
            None => Ok(None),
        }
    }

    fn put_meta(&mut self, key: &str, value: &Value) -> StoreResult<()> {
        self.meta
            .insert(key, encode(value)?.as_slice())
            .map_err(backend)?;
        self.touched.record(|t| {
            t.meta.insert(key.to_string());
        });
        Ok(())
    }

    fn meta_after(&mut self, after: Option<&str>, max: usize) -> StoreResult<Vec<(String, Value)>> {
        use std::ops::Bound;
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut out = Vec::new();
        let range = self
            .meta
            .range::<&str>((start, Bound::Unbounded))
            .map_err(backend)?;
        for item in range.take(max) {
            let (key, bytes) = item.map_err(backend)?;
            out.push((
                key.value().to_string(),
                decode(bytes.value(), "meta value")?,
            ));
        }
        Ok(out)
    }
}

impl StateStore for EmbeddedStore {
    fn cursor(&self) -> StoreResult<u64> {
        let db = self.inner.state.read()?;
        let txn = db.begin_read().map_err(backend)?;
        let counters = txn.open_table(COUNTERS).map_err(backend)?;
        tables::counter(&counters, CURSOR)
    }

    fn transact<R>(&self, f: impl FnOnce(&mut dyn StateTxn) -> StoreResult<R>) -> StoreResult<R> {
        let db = self.inner.state.read()?;
        let txn = tables::begin_write(&db, Durability::Immediate, self.inner.options.quick_repair)?;
        let mut acknowledged = Vec::new();
        let result = {
            let mut tables = RedbTxn::open(&txn, &self.inner.touched)?;
            f(&mut tables).and_then(|value| {
                tables.write_sequences()?;
                // Delivery's acknowledgements ride along: their deletes cost next to
                // nothing here, and delivery never waits for this writer (see `acks`).
                acknowledged = self.inner.acks.take_pending();
                for key in &acknowledged {
                    tables.outbox.remove(*key).map_err(backend)?;
                }
                self.inner.touched.record(|t| {
                    t.outbox.extend(acknowledged.iter().copied());
                });
                Ok(value)
            })
        };
        let committed = match result {
            Ok(value) => txn.commit().map_err(backend).map(|()| value),
            Err(e) => {
                txn.abort().map_err(backend)?;
                Err(e)
            }
        };
        if committed.is_ok() {
            self.inner.acks.forget(&acknowledged);
        } else {
            self.inner.acks.restore(acknowledged);
        }
        committed
    }
}
