//! Delivery acknowledgements kept in memory until a state transaction removes the
//! acknowledged entries from the outbox table.
//!
//! `state.redb` has a single writer, and pipeline transactions hold it most of the time
//! under load (hundreds of records and an fsync each). When every acknowledgement took
//! the writer itself, a delivered request kept its lanes until the next pipeline commit
//! ended, and delivery ran at a fraction of Braze's rate. So [`Outbox::complete`] only
//! records delivered positions here, where they are *hidden*: `peek` skips them and
//! `depth` does not count them. The physical deletes ride along the next state
//! transaction (usually the pipeline's own, see `StateStore::transact`), or are written
//! by `complete` itself once [`StoreOptions::ack_flush_max`] are waiting, or by
//! [`EmbeddedStore::flush`] and a clean close.
//!
//! A crash loses at most the acknowledgements not yet written: those entries are sent
//! again after restart (at-least-once), in lane order, as before.
//!
//! Consistency with readers: a key stops being hidden only after the transaction that
//! removed it has committed, and under the write side of [`Acks::gate`], while readers
//! hold the read side from before they open their read transaction until they have
//! filtered. So a reader either sees the entry in its snapshot and still finds it hidden,
//! or opens its snapshot after the removal and does not see it at all; an acknowledged
//! entry is never handed out again.
//!
//! [`Outbox::complete`]: braid_core::storage::Outbox::complete
//! [`StoreOptions::ack_flush_max`]: crate::StoreOptions::ack_flush_max
//! [`EmbeddedStore::flush`]: crate::EmbeddedStore::flush

use parking_lot::{Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::collections::HashSet;

/// An outbox key: (lane, global sequence).
pub(crate) type OutboxKey = (u32, u64);

/// Acknowledged entries not yet removed from the table.
pub(crate) struct Acks {
    /// Readers hold the read side across snapshot + filtering; un-hiding takes the write
    /// side (see the module docs).
    gate: RwLock<()>,
    state: Mutex<AckState>,
    /// Held by the one caller writing the deletes itself (see [`Acks::try_flushing`]).
    flushing: Mutex<()>,
}

struct AckState {
    /// Per lane: positions acknowledged and not yet removed by a committed transaction.
    hidden: Vec<HashSet<u64>>,
    /// Hidden keys no transaction has taken yet.
    pending: Vec<OutboxKey>,
}

impl Acks {
    pub(crate) fn new(lanes: u32) -> Acks {
        Acks {
            gate: RwLock::new(()),
            flushing: Mutex::new(()),
            state: Mutex::new(AckState {
                hidden: vec![HashSet::new(); lanes as usize],
                pending: Vec::new(),
            }),
        }
    }

    /// Hold this while opening a read snapshot of the outbox and filtering it.
    pub(crate) fn read_gate(&self) -> RwLockReadGuard<'_, ()> {
        self.gate.read()
    }

    /// Hide delivered positions of `lane`; returns how many keys are waiting to be written.
    pub(crate) fn record(&self, lane: u32, delivered: &[u64]) -> usize {
        let mut state = self.state.lock();
        let AckState { hidden, pending } = &mut *state;
        if let Some(set) = hidden.get_mut(lane as usize) {
            for seq in delivered {
                if set.insert(*seq) {
                    pending.push((lane, *seq));
                }
            }
        }
        pending.len()
    }

    /// The right to write the waiting deletes now, unless another caller is already
    /// doing it (that caller, or the next state transaction, takes every waiting key, so
    /// a second one would only queue for the writer).
    pub(crate) fn try_flushing(&self) -> Option<MutexGuard<'_, ()>> {
        self.flushing.try_lock()
    }

    /// Hidden keys no transaction has taken yet.
    pub(crate) fn pending_count(&self) -> usize {
        self.state.lock().pending.len()
    }

    /// The hidden positions of one lane (a copy, so readers do not hold the lock).
    pub(crate) fn hidden_in(&self, lane: u32) -> HashSet<u64> {
        self.state
            .lock()
            .hidden
            .get(lane as usize)
            .cloned()
            .unwrap_or_default()
    }

    /// Every hidden key.
    pub(crate) fn all_hidden(&self) -> Vec<OutboxKey> {
        let state = self.state.lock();
        state
            .hidden
            .iter()
            .enumerate()
            .flat_map(|(lane, set)| set.iter().map(move |seq| (lane as u32, *seq)))
            .collect()
    }

    /// Take the keys a transaction is about to remove. Give them back with
    /// [`restore`](Self::restore) if it does not commit, or un-hide them with
    /// [`forget`](Self::forget) once it has.
    pub(crate) fn take_pending(&self) -> Vec<OutboxKey> {
        std::mem::take(&mut self.state.lock().pending)
    }

    /// The transaction that was to remove `keys` did not commit.
    pub(crate) fn restore(&self, keys: Vec<OutboxKey>) {
        self.state.lock().pending.extend(keys);
    }

    /// The transaction that removed `keys` has committed: stop hiding them.
    pub(crate) fn forget(&self, keys: &[OutboxKey]) {
        if keys.is_empty() {
            return;
        }
        let _exclusive = self.gate.write();
        let mut state = self.state.lock();
        for (lane, seq) in keys {
            if let Some(set) = state.hidden.get_mut(*lane as usize) {
                set.remove(seq);
            }
        }
    }
}
