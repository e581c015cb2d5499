//! The keys of `state.redb` written while a compaction copies the file, so that the copy
//! can catch up on them at the end instead of the file being held for the whole copy
//! (see `maintenance`).
//!
//! Every writer of `state.redb` holds the read side of the file's slot lock for its whole
//! transaction, and the catch-up holds the write side, so no write can fall between the
//! recorded keys and the catch-up. Recording costs one atomic load per write while no
//! compaction runs.

use parking_lot::Mutex;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

/// Keys of each `state.redb` table written since recording started. The counters table
/// is always copied whole (a handful of rows), so it is not tracked.
#[derive(Debug, Default)]
pub(crate) struct TouchedKeys {
    pub profiles: HashSet<i64>,
    pub identities: HashSet<String>,
    pub sent: HashSet<i64>,
    pub outbox: HashSet<(u32, u64)>,
    pub dead_letters: HashSet<u64>,
    /// Users whose history rows changed (their whole range is copied again).
    pub history_users: HashSet<i64>,
    pub rechecks: HashSet<(i64, i64)>,
    pub meta: HashSet<String>,
    /// Currents event ids remembered or forgotten (both de-dup tables).
    pub event_ids: HashSet<(i64, String)>,
}

impl TouchedKeys {
    /// How many keys (or users, for history) the catch-up will copy.
    pub(crate) fn len(&self) -> usize {
        self.profiles.len()
            + self.identities.len()
            + self.sent.len()
            + self.outbox.len()
            + self.dead_letters.len()
            + self.history_users.len()
            + self.rechecks.len()
            + self.meta.len()
            + self.event_ids.len()
    }
}

/// Records [`TouchedKeys`] while a compaction of `state.redb` runs.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    active: AtomicBool,
    keys: Mutex<TouchedKeys>,
}

impl Touched {
    /// Note written keys, if a compaction is copying the file.
    pub(crate) fn record(&self, note: impl FnOnce(&mut TouchedKeys)) {
        if self.active.load(Ordering::SeqCst) {
            note(&mut self.keys.lock());
        }
    }

    /// Start recording, from an empty set.
    pub(crate) fn start(&self) {
        let mut keys = self.keys.lock();
        *keys = TouchedKeys::default();
        self.active.store(true, Ordering::SeqCst);
    }

    /// Take what was recorded so far and go on recording from an empty set: one round of
    /// a catch-up that does not hold the file.
    pub(crate) fn take_so_far(&self) -> TouchedKeys {
        std::mem::take(&mut *self.keys.lock())
    }

    /// Stop recording and take what was recorded.
    pub(crate) fn finish(&self) -> TouchedKeys {
        let mut keys = self.keys.lock();
        self.active.store(false, Ordering::SeqCst);
        std::mem::take(&mut *keys)
    }
}
