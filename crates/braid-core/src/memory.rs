//! The in-memory backend: every storage trait implemented over plain ordered maps.
//!
//! It is the reference implementation of the storage contract (the conformance suite in
//! `crate::conformance` runs against it and against every other backend) and the store of
//! braid-core's own unit tests. Nothing is durable, and each transaction works on a copy
//! of the whole state (swapped in on commit, dropped on rollback), which makes atomicity
//! obvious at the price of speed: not meant for production.
//!
//! `source_request_id`s are remembered for the store's lifetime (there is no de-dup
//! window), and [`Maintenance::compact`] has nothing to scrub.

use crate::log::LogRecord;
use crate::outbox::{DeadLetter, OutboxEntry};
use crate::profile::Profile;
use crate::storage::{
    lane_of, AppendOutcome, AppendRequest, Erased, IngestLog, Maintenance, Outbox, StateStore,
    StateTxn, StorageError, StoreResult,
};
use braid_mparticle::{IdentityType, Mpid};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// An in-memory store with a fixed number of outbox lanes. Clones share the same data.
#[derive(Clone)]
pub struct MemoryStore {
    lanes: u32,
    log: Arc<Mutex<LogData>>,
    state: Arc<Mutex<StateData>>,
}

#[derive(Default)]
struct LogData {
    records: BTreeMap<u64, LogRecord>,
    /// `(input, source_request_id)` → the position it was stored at.
    seen: HashMap<(String, String), u64>,
    head: u64,
    pruned_through: u64,
}

#[derive(Clone, Default)]
struct StateData {
    cursor: u64,
    profiles: BTreeMap<Mpid, Profile>,
    identities: BTreeMap<(IdentityType, String), Mpid>,
    sent: BTreeMap<Mpid, Value>,
    /// `(lane, sequence)` → entry; the sequence is global, so order holds across re-lanes.
    outbox: BTreeMap<(u32, u64), OutboxEntry>,
    outbox_seq: u64,
    dead_letters: BTreeMap<u64, DeadLetter>,
    dead_seq: u64,
    /// `(mpid, ts_ms, sequence)` → event; the sequence keeps equal timestamps in order.
    history: BTreeMap<(Mpid, i64, u64), Value>,
    history_seq: u64,
    /// `(at_ms, mpid)`.
    rechecks: BTreeSet<(i64, Mpid)>,
    meta: BTreeMap<String, Value>,
    /// Currents event id → seen at, and the same by time (expiry order).
    event_ids: HashMap<String, i64>,
    event_id_order: BTreeSet<(i64, String)>,
}

impl StateData {
    fn push_outbox(&mut self, lane: u32, entry: OutboxEntry) {
        self.outbox_seq += 1;
        self.outbox.insert((lane, self.outbox_seq), entry);
    }
}

impl MemoryStore {
    /// An empty store with `lanes` outbox lanes (at least 1).
    pub fn new(lanes: u32) -> MemoryStore {
        MemoryStore {
            lanes: lanes.max(1),
            log: Arc::default(),
            state: Arc::default(),
        }
    }
}

fn locked<T>(mutex: &Mutex<T>) -> StoreResult<MutexGuard<'_, T>> {
    mutex
        .lock()
        .map_err(|_| StorageError::Backend("in-memory store poisoned by a panic".into()))
}

impl IngestLog for MemoryStore {
    fn append(&self, batch: Vec<AppendRequest>) -> StoreResult<Vec<AppendOutcome>> {
        let mut log = locked(&self.log)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for request in batch {
            let key = request
                .source_request_id
                .map(|id| (request.record.input.clone(), id));
            if let Some(&seen) = key.as_ref().and_then(|k| log.seen.get(k)) {
                outcomes.push(AppendOutcome::Duplicate(seen));
                continue;
            }
            log.head += 1;
            let position = log.head;
            log.records.insert(position, request.record);
            if let Some(key) = key {
                log.seen.insert(key, position);
            }
            outcomes.push(AppendOutcome::Appended(position));
        }
        Ok(outcomes)
    }

    fn read_after(&self, after: u64, max: usize) -> StoreResult<Vec<(u64, LogRecord)>> {
        let log = locked(&self.log)?;
        let Some(start) = after.checked_add(1) else {
            return Ok(Vec::new());
        };
        Ok(log
            .records
            .range(start..)
            .take(max)
            .map(|(&position, record)| (position, record.clone()))
            .collect())
    }

    fn head(&self) -> StoreResult<u64> {
        Ok(locked(&self.log)?.head)
    }
}

/// One transaction: a private copy of the state.
struct MemoryTxn<'a> {
    data: &'a mut StateData,
}

impl StateTxn for MemoryTxn<'_> {
    fn cursor(&mut self) -> StoreResult<u64> {
        Ok(self.data.cursor)
    }

    fn set_cursor(&mut self, position: u64) -> StoreResult<()> {
        self.data.cursor = position;
        Ok(())
    }

    fn profile(&mut self, mpid: Mpid) -> StoreResult<Option<Profile>> {
        Ok(self.data.profiles.get(&mpid).cloned())
    }

    fn put_profile(&mut self, profile: &Profile) -> StoreResult<()> {
        self.data.profiles.insert(profile.mpid, profile.clone());
        Ok(())
    }

    fn profiles_after(&mut self, after: Option<Mpid>, max: usize) -> StoreResult<Vec<Profile>> {
        let profiles = &self.data.profiles;
        let chosen: Vec<Profile> = match after {
            Some(after) => profiles
                .range(after..)
                .filter(|(&mpid, _)| mpid != after)
                .take(max)
                .map(|(_, p)| p.clone())
                .collect(),
            None => profiles.values().take(max).cloned().collect(),
        };
        Ok(chosen)
    }

    fn profile_count(&mut self) -> StoreResult<u64> {
        Ok(self.data.profiles.len() as u64)
    }

    fn delete_profile(&mut self, mpid: Mpid) -> StoreResult<()> {
        self.data.profiles.remove(&mpid);
        Ok(())
    }

    fn identity_owner(&mut self, kind: IdentityType, value: &str) -> StoreResult<Option<Mpid>> {
        Ok(self
            .data
            .identities
            .get(&(kind, value.to_string()))
            .copied())
    }

    fn set_identity_owner(
        &mut self,
        kind: IdentityType,
        value: &str,
        mpid: Mpid,
    ) -> StoreResult<()> {
        self.data.identities.insert((kind, value.to_string()), mpid);
        Ok(())
    }

    fn remove_identity(&mut self, kind: IdentityType, value: &str) -> StoreResult<()> {
        self.data.identities.remove(&(kind, value.to_string()));
        Ok(())
    }

    fn sent_state(&mut self, mpid: Mpid) -> StoreResult<Option<Value>> {
        Ok(self.data.sent.get(&mpid).cloned())
    }

    fn put_sent_state(&mut self, mpid: Mpid, state: &Value) -> StoreResult<()> {
        self.data.sent.insert(mpid, state.clone());
        Ok(())
    }

    fn delete_sent_state(&mut self, mpid: Mpid) -> StoreResult<()> {
        self.data.sent.remove(&mpid);
        Ok(())
    }

    fn enqueue(&mut self, lane: u32, entries: &[OutboxEntry]) -> StoreResult<()> {
        for entry in entries {
            self.data.push_outbox(lane, entry.clone());
        }
        Ok(())
    }

    fn append_history(&mut self, mpid: Mpid, ts_ms: i64, event: &Value) -> StoreResult<()> {
        self.data.history_seq += 1;
        let key = (mpid, ts_ms, self.data.history_seq);
        self.data.history.insert(key, event.clone());
        Ok(())
    }

    fn history(&mut self, mpid: Mpid, since_ms: i64) -> StoreResult<Vec<(i64, Value)>> {
        Ok(self
            .data
            .history
            .range((mpid, since_ms, 0)..=(mpid, i64::MAX, u64::MAX))
            .map(|(&(_, ts, _), event)| (ts, event.clone()))
            .collect())
    }

    fn prune_history(&mut self, mpid: Mpid, before_ms: i64) -> StoreResult<u64> {
        let old: Vec<_> = self
            .data
            .history
            .range((mpid, i64::MIN, 0)..(mpid, before_ms, 0))
            .map(|(&key, _)| key)
            .collect();
        for key in &old {
            self.data.history.remove(key);
        }
        Ok(old.len() as u64)
    }

    fn schedule_recheck(&mut self, mpid: Mpid, at_ms: i64) -> StoreResult<()> {
        self.data.rechecks.insert((at_ms, mpid));
        Ok(())
    }

    fn cancel_recheck(&mut self, mpid: Mpid, at_ms: i64) -> StoreResult<()> {
        self.data.rechecks.remove(&(at_ms, mpid));
        Ok(())
    }

    fn due_rechecks(&mut self, now_ms: i64, max: usize) -> StoreResult<Vec<(i64, Mpid)>> {
        Ok(self
            .data
            .rechecks
            .iter()
            .take_while(|(at, _)| *at <= now_ms)
            .take(max)
            .copied()
            .collect())
    }

    fn remember_event_id(&mut self, id: &str, at_ms: i64) -> StoreResult<bool> {
        if self.data.event_ids.contains_key(id) {
            return Ok(false);
        }
        self.data.event_ids.insert(id.to_string(), at_ms);
        self.data.event_id_order.insert((at_ms, id.to_string()));
        Ok(true)
    }

    fn forget_event_ids(
        &mut self,
        before_ms: i64,
        keep_at_most: u64,
        max: usize,
    ) -> StoreResult<u64> {
        let mut gone = 0u64;
        while (gone as usize) < max {
            let Some(first) = self.data.event_id_order.first().cloned() else {
                break;
            };
            let over = self.data.event_ids.len() as u64 > keep_at_most;
            if first.0 >= before_ms && !over {
                break;
            }
            self.data.event_id_order.remove(&first);
            self.data.event_ids.remove(&first.1);
            gone += 1;
        }
        Ok(gone)
    }

    fn meta(&mut self, key: &str) -> StoreResult<Option<Value>> {
        Ok(self.data.meta.get(key).cloned())
    }

    fn put_meta(&mut self, key: &str, value: &Value) -> StoreResult<()> {
        self.data.meta.insert(key.to_string(), value.clone());
        Ok(())
    }

    fn meta_after(&mut self, after: Option<&str>, max: usize) -> StoreResult<Vec<(String, Value)>> {
        use std::ops::Bound;
        let start = match after {
            Some(after) => Bound::Excluded(after.to_string()),
            None => Bound::Unbounded,
        };
        Ok(self
            .data
            .meta
            .range((start, Bound::Unbounded))
            .take(max)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

impl StateStore for MemoryStore {
    fn cursor(&self) -> StoreResult<u64> {
        Ok(locked(&self.state)?.cursor)
    }

    fn transact<R>(&self, f: impl FnOnce(&mut dyn StateTxn) -> StoreResult<R>) -> StoreResult<R> {
        let mut state = locked(&self.state)?;
        let mut copy = state.clone();
        let value = f(&mut MemoryTxn { data: &mut copy })?;
        *state = copy;
        Ok(value)
    }
}

impl Outbox for MemoryStore {
    fn lane_count(&self) -> u32 {
        self.lanes
    }

    fn peek(&self, lane: u32, max: usize) -> StoreResult<Vec<(u64, OutboxEntry)>> {
        let state = locked(&self.state)?;
        Ok(state
            .outbox
            .range((lane, 0)..=(lane, u64::MAX))
            .take(max)
            .map(|(&(_, seq), entry)| (seq, entry.clone()))
            .collect())
    }

    fn complete(
        &self,
        lane: u32,
        delivered: &[u64],
        refused: Vec<(u64, DeadLetter)>,
    ) -> StoreResult<()> {
        let mut state = locked(&self.state)?;
        for seq in delivered {
            state.outbox.remove(&(lane, *seq));
        }
        for (seq, letter) in refused {
            if state.outbox.remove(&(lane, seq)).is_none() {
                continue;
            }
            if letter.entry.refusal_forgets_sent_state() {
                state.sent.remove(&Mpid(letter.entry.mpid));
            }
            state.dead_seq += 1;
            let id = state.dead_seq;
            state.dead_letters.insert(id, letter);
        }
        Ok(())
    }

    fn depth(&self) -> StoreResult<u64> {
        Ok(locked(&self.state)?.outbox.len() as u64)
    }

    fn dead_letters(&self, after: u64, max: usize) -> StoreResult<Vec<(u64, DeadLetter)>> {
        let state = locked(&self.state)?;
        let Some(start) = after.checked_add(1) else {
            return Ok(Vec::new());
        };
        Ok(state
            .dead_letters
            .range(start..)
            .take(max)
            .map(|(&id, letter)| (id, letter.clone()))
            .collect())
    }

    fn replay_dead_letters(&self, ids: &[u64]) -> StoreResult<usize> {
        let mut state = locked(&self.state)?;
        let mut moved = 0;
        for id in ids {
            if let Some(letter) = state.dead_letters.remove(id) {
                let lane = lane_of(Mpid(letter.entry.mpid), self.lanes);
                state.push_outbox(lane, letter.entry);
                moved += 1;
            }
        }
        Ok(moved)
    }
}

impl Maintenance for MemoryStore {
    fn remove_user_everywhere(&self, mpid: Mpid) -> StoreResult<Erased> {
        let mut state = locked(&self.state)?;
        let state = &mut *state;
        let mut erased = Erased {
            profile: state.profiles.remove(&mpid).is_some(),
            sent_state: state.sent.remove(&mpid).is_some(),
            ..Erased::default()
        };
        erased.identities = removed_where(&mut state.identities, |_, owner| *owner == mpid);
        erased.history = removed_where(&mut state.history, |(owner, _, _), _| *owner == mpid);
        state.rechecks.retain(|(_, owner)| *owner != mpid);
        erased.outbox = removed_where(&mut state.outbox, |_, entry| entry.mpid == mpid.0);
        erased.dead_letters = removed_where(&mut state.dead_letters, |_, letter| {
            letter.entry.mpid == mpid.0
        });
        Ok(erased)
    }

    fn prune_log_through(&self, position: u64) -> StoreResult<u64> {
        let through = position.min(StateStore::cursor(self)?);
        let mut log = locked(&self.log)?;
        let kept = match through.checked_add(1) {
            Some(first_kept) => log.records.split_off(&first_kept),
            None => BTreeMap::new(),
        };
        let removed = std::mem::replace(&mut log.records, kept).len() as u64;
        log.pruned_through = log.pruned_through.max(through);
        Ok(removed)
    }

    fn pruned_through(&self) -> StoreResult<u64> {
        Ok(locked(&self.log)?.pruned_through)
    }

    fn compact(&self) -> StoreResult<()> {
        // Removed values are dropped at once; no file holds them.
        Ok(())
    }
}

/// Remove every entry matching `pred`; returns how many.
fn removed_where<K: Ord, V>(map: &mut BTreeMap<K, V>, mut pred: impl FnMut(&K, &V) -> bool) -> u64 {
    let before = map.len();
    map.retain(|k, v| !pred(k, v));
    (before - map.len()) as u64
}

#[cfg(test)]
mod conformance {
    crate::storage_conformance_tests!(|lanes| (super::MemoryStore::new(lanes), ()));
}
