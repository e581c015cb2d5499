//! Erasure, log pruning and compaction ([`Maintenance`]): removing one user from every
//! state table, dropping applied log records, and rewriting both files so that erased bytes
//! do not survive in free pages.
//!
//! Neither step holds a file for a time that grows with the store:
//! - erasure finds the user's rows in a read snapshot (full scans of the identity index,
//!   the outbox and the dead letters run there, beside the pipeline), then deletes them in
//!   one short write transaction that also looks at what was written after the snapshot;
//! - compaction copies each file from a read snapshot into a fresh file while ingest, the
//!   pipeline and delivery keep writing to the original, then holds the file only to copy
//!   over what changed meanwhile (appended log positions; the `state.redb` keys recorded by
//!   [`crate::touched`]), and renames the copy over the original. For `state.redb`, what
//!   changed during the copy is first caught up in rounds from fresh snapshots, without
//!   the hold, until a round is small; the hold copies only the last round's keys.
//!
//! The bulk copy runs on a thread of its own at the lowest CPU priority, so on a busy
//! machine ingest, the pipeline and delivery keep their share of the cores; taking
//! snapshots, the catch-up rounds and the hold stay on the caller's thread at its normal
//! priority, since everything else waits for those. The copy is written to disk as it goes, a chunk per
//! commit, so neither a single large flush (which ingest's own fsyncs would queue behind)
//! nor the held commit has much to write.

use crate::codec::{backend, decode, history_row_events, user_of};
use crate::state::identity_key;
use crate::tables::{
    self, COUNTERS, DEAD_LETTERS, DEAD_SEQ, DEDUP, DEDUP_ORDER, EVENT_IDS, EVENT_ID_ORDER, HEAD,
    HISTORY, IDENTITIES, LOG, LOG_META, META, OUTBOX, OUTBOX_SEQ, PROFILES, PRUNED_THROUGH,
    RECHECKS, SENT_STATE,
};
use crate::touched::TouchedKeys;
use crate::{open_db, EmbeddedStore, Slot, LOG_FILE, STATE_FILE};
use braid_core::storage::{lane_of, Erased, Maintenance, StateStore, StorageError, StoreResult};
use braid_core::Profile;
use braid_mparticle::Mpid;
use redb::{
    Database, Durability, Key, ReadTransaction, ReadableTable, ReadableTableMetadata,
    TableDefinition, Value, WriteTransaction,
};
use std::time::Instant;

/// Most catch-up rounds without the hold. Under a write rate the rounds cannot outrun,
/// the hold copies whatever the last round left (no worse than with no rounds at all).
const MAX_CATCH_UP_ROUNDS: u32 = 8;

/// Name of the copy a compaction writes before renaming it over `name`.
pub(crate) fn tmp_name(name: &str) -> String {
    format!("{name}.compacting")
}

/// A user's rows as a read snapshot of `state.redb` saw them, and the sequence counters
/// of that snapshot (rows written later have higher sequences).
struct Found {
    identities: Vec<String>,
    outbox: Vec<(u32, u64)>,
    dead_letters: Vec<u64>,
    rechecks: Vec<(i64, i64)>,
    outbox_seq: u64,
    dead_seq: u64,
}

impl EmbeddedStore {
    fn find_user_rows(&self, mpid: Mpid) -> StoreResult<Found> {
        let db = self.inner.state.read()?;
        let txn = db.begin_read().map_err(backend)?;
        let counters = txn.open_table(COUNTERS).map_err(backend)?;
        let mut found = Found {
            identities: Vec::new(),
            outbox: Vec::new(),
            dead_letters: Vec::new(),
            rechecks: Vec::new(),
            outbox_seq: tables::counter(&counters, OUTBOX_SEQ)?,
            dead_seq: tables::counter(&counters, DEAD_SEQ)?,
        };
        let identities = txn.open_table(IDENTITIES).map_err(backend)?;
        for item in identities.iter().map_err(backend)? {
            let (key, owner) = item.map_err(backend)?;
            if owner.value() == mpid.0 {
                found.identities.push(key.value().to_string());
            }
        }
        let rechecks = txn.open_table(RECHECKS).map_err(backend)?;
        for item in rechecks.iter().map_err(backend)? {
            let (key, _) = item.map_err(backend)?;
            if key.value().1 == mpid.0 {
                found.rechecks.push(key.value());
            }
        }
        let outbox = txn.open_table(OUTBOX).map_err(backend)?;
        for item in outbox.iter().map_err(backend)? {
            let (key, bytes) = item.map_err(backend)?;
            if user_of(bytes.value()).ok() == Some(mpid.0) {
                found.outbox.push(key.value());
            }
        }
        let dead = txn.open_table(DEAD_LETTERS).map_err(backend)?;
        for item in dead.iter().map_err(backend)? {
            let (id, bytes) = item.map_err(backend)?;
            if user_of(bytes.value()).ok() == Some(mpid.0) {
                found.dead_letters.push(id.value());
            }
        }
        Ok(found)
    }
}

impl Maintenance for EmbeddedStore {
    /// Finds the user's identity, outbox and dead-letter rows in a read snapshot (scanned
    /// in full, so nothing is missed whatever lane or identity it sits under), then
    /// deletes everything in one durable transaction over `state.redb`, which also picks
    /// up rows written after the snapshot: identities the profile now lists, outbox
    /// entries on the user's lane and dead letters with a later sequence.
    fn remove_user_everywhere(&self, mpid: Mpid) -> StoreResult<Erased> {
        let found = self.find_user_rows(mpid)?;
        let db = self.inner.state.read()?;
        let txn = tables::begin_write(&db, Durability::Immediate, self.inner.options.quick_repair)?;
        let touched = &self.inner.touched;
        let mut erased = Erased::default();
        {
            let mut profiles = txn.open_table(PROFILES).map_err(backend)?;
            let profile = match profiles.remove(mpid.0).map_err(backend)? {
                Some(bytes) => Some(decode::<Profile>(bytes.value(), "profile")?),
                None => None,
            };
            erased.profile = profile.is_some();
            let mut sent = txn.open_table(SENT_STATE).map_err(backend)?;
            erased.sent_state = sent.remove(mpid.0).map_err(backend)?.is_some();

            let mut identities = txn.open_table(IDENTITIES).map_err(backend)?;
            let mut keys = found.identities;
            if let Some(profile) = &profile {
                keys.extend(profile.identities.iter().map(|(k, v)| identity_key(*k, v)));
            }
            keys.sort();
            keys.dedup();
            for key in &keys {
                let owned = identities
                    .get(key.as_str())
                    .map_err(backend)?
                    .is_some_and(|owner| owner.value() == mpid.0);
                if owned {
                    identities.remove(key.as_str()).map_err(backend)?;
                    erased.identities += 1;
                }
            }

            let mut history = txn.open_table(HISTORY).map_err(backend)?;
            let users_history = (mpid.0, i64::MIN, 0)..=(mpid.0, i64::MAX, u64::MAX);
            // Counted in events: a row may hold several of one batch.
            for item in history.range(users_history.clone()).map_err(backend)? {
                let (_, bytes) = item.map_err(backend)?;
                erased.history += history_row_events(bytes.value())?;
            }
            history
                .retain_in(users_history, |_, _| false)
                .map_err(backend)?;

            // The one scheduled after the snapshot, if any, is the one the profile names.
            let mut rechecks = txn.open_table(RECHECKS).map_err(backend)?;
            let mut removed_rechecks = found.rechecks;
            if let Some(at) = profile.as_ref().and_then(|p| p.audience_recheck_ms) {
                removed_rechecks.push((at, mpid.0));
            }
            for key in &removed_rechecks {
                rechecks.remove(*key).map_err(backend)?;
            }

            let mut outbox = txn.open_table(OUTBOX).map_err(backend)?;
            let mut outbox_keys = found.outbox;
            let lane = lane_of(mpid, self.inner.options.lanes);
            for item in outbox
                .range((lane, found.outbox_seq + 1)..=(lane, u64::MAX))
                .map_err(backend)?
            {
                let (key, bytes) = item.map_err(backend)?;
                if user_of(bytes.value()).ok() == Some(mpid.0) {
                    outbox_keys.push(key.value());
                }
            }
            for key in &outbox_keys {
                if outbox.remove(*key).map_err(backend)?.is_some() {
                    erased.outbox += 1;
                }
            }
            let mut dead = txn.open_table(DEAD_LETTERS).map_err(backend)?;
            let mut dead_ids = found.dead_letters;
            for item in dead.range(found.dead_seq + 1..).map_err(backend)? {
                let (id, bytes) = item.map_err(backend)?;
                if user_of(bytes.value()).ok() == Some(mpid.0) {
                    dead_ids.push(id.value());
                }
            }
            for id in &dead_ids {
                if dead.remove(*id).map_err(backend)?.is_some() {
                    erased.dead_letters += 1;
                }
            }
            touched.record(|t| {
                t.profiles.insert(mpid.0);
                t.sent.insert(mpid.0);
                t.identities.extend(keys.iter().cloned());
                t.history_users.insert(mpid.0);
                t.rechecks.extend(removed_rechecks.iter().copied());
                t.outbox.extend(outbox_keys.iter().copied());
                t.dead_letters.extend(dead_ids.iter().copied());
            });
        }
        txn.commit().map_err(backend)?;
        tracing::info!(mpid = mpid.0, ?erased, "user removed from state");
        Ok(erased)
    }

    /// Delete log records at or before `position`, never past the pipeline cursor. De-dup
    /// entries are kept: a late retry of a pruned batch is still recognised.
    ///
    /// Committed without an fsync of its own (`Durability::None`): ingest shares this
    /// file's writer and would wait behind it, and a prune lost in a crash costs nothing
    /// (the records are pruned again; the next append's durable commit persists it).
    fn prune_log_through(&self, position: u64) -> StoreResult<u64> {
        let through = position.min(self.cursor()?);
        let db = self.inner.log.read()?;
        let txn = tables::begin_write(&db, Durability::None, self.inner.options.quick_repair)?;
        let removed;
        {
            let mut log = txn.open_table(LOG).map_err(backend)?;
            let mut meta = txn.open_table(LOG_META).map_err(backend)?;
            let before = log.len().map_err(backend)?;
            log.retain_in(..=through, |_, _| false).map_err(backend)?;
            removed = before - log.len().map_err(backend)?;
            if through > tables::counter(&meta, PRUNED_THROUGH)? {
                meta.insert(PRUNED_THROUGH, through).map_err(backend)?;
            }
        }
        txn.commit().map_err(backend)?;
        Ok(removed)
    }

    fn pruned_through(&self) -> StoreResult<u64> {
        let db = self.inner.log.read()?;
        let txn = db.begin_read().map_err(backend)?;
        let meta = txn.open_table(LOG_META).map_err(backend)?;
        tables::counter(&meta, PRUNED_THROUGH)
    }

    /// Rewrite both files from their live data into fresh files and swap them in, so
    /// deleted bytes (erased users, pruned log records) are physically gone and the files
    /// are as small as they can be. The copy runs from a read snapshot while the store
    /// keeps working; each file is held only while the writes made during the copy are
    /// copied over and the fresh file is renamed into place.
    fn compact(&self) -> StoreResult<()> {
        // Compactions run one at a time (callers may ask concurrently); the store's other
        // calls do not wait for this lock.
        let _one_at_a_time = self.inner.compacting.lock();
        let opts = &self.inner.options;
        self.rewrite(
            &self.inner.log,
            LOG_FILE,
            opts.log_cache_bytes,
            || {},
            // The log changes only at its ends: the held catch-up is short already.
            |_, _| Ok(0),
            |from, to| {
                to.table(from, LOG)?;
                to.table(from, DEDUP)?;
                to.table(from, DEDUP_ORDER)?;
                to.table(from, LOG_META)?;
                let meta = from.open_table(LOG_META).map_err(backend)?;
                tables::counter(&meta, HEAD)
            },
            catch_up_log,
        )?;
        let touched = &self.inner.touched;
        let rewritten = self.rewrite(
            &self.inner.state,
            STATE_FILE,
            opts.state_cache_bytes,
            || touched.start(),
            |live, fresh| catch_up_state_in_rounds(touched, opts.compaction_held_keys, live, fresh),
            |from, to| {
                to.table(from, PROFILES)?;
                to.table(from, IDENTITIES)?;
                to.table(from, SENT_STATE)?;
                to.table(from, OUTBOX)?;
                to.table(from, DEAD_LETTERS)?;
                to.table(from, HISTORY)?;
                to.table(from, RECHECKS)?;
                to.table(from, META)?;
                to.table(from, EVENT_IDS)?;
                to.table(from, EVENT_ID_ORDER)?;
                to.table(from, COUNTERS)?;
                Ok(0)
            },
            |_, from, to| catch_up_state(&touched.finish(), from, to),
        );
        if rewritten.is_err() {
            // Stop recording if the copy failed before its catch-up took the keys.
            touched.finish();
        }
        rewritten
    }
}

impl EmbeddedStore {
    /// Copy one file into a fresh one and swap it in. `start` runs before the snapshot is
    /// taken (once no write transaction is in flight); `copy` fills the fresh file from
    /// the snapshot and returns a mark for `catch_up`; `settle` then brings the copy
    /// closer to the live file without holding it (returning how many rounds it took);
    /// `catch_up` runs with the file held and copies what was written since. The copying
    /// before the hold runs on a thread at the lowest CPU priority; what touches the live
    /// file's locks stays on the caller's thread.
    #[allow(clippy::too_many_arguments)] // the phases of one rewrite, named at the call
    fn rewrite(
        &self,
        slot: &Slot,
        name: &str,
        cache_bytes: usize,
        start: impl FnOnce() + Send,
        settle: impl FnOnce(&Database, &Database) -> StoreResult<u32> + Send,
        copy: impl FnOnce(&ReadTransaction, &FreshCopy) -> StoreResult<u64> + Send,
        catch_up: impl FnOnce(u64, &ReadTransaction, &WriteTransaction) -> StoreResult<usize>,
    ) -> StoreResult<()> {
        let dir = &self.inner.dir;
        let path = dir.join(name);
        let tmp = dir.join(tmp_name(name));
        let _ = std::fs::remove_file(&tmp);
        let started = Instant::now();
        let fresh = open_db(&tmp, cache_bytes)?;
        let (mark, rounds) = {
            let db = slot.read()?;
            start();
            // Wait for the write transaction in flight, if any: it began before recording
            // did, so the snapshot below must already hold its writes.
            wait_for_writer(&db)?;
            let from = db.begin_read().map_err(backend)?;
            let mark = at_lowest_priority(|| copy(&from, &FreshCopy { db: &fresh }))?;
            drop(from);
            let rounds = settle(&db, &fresh)?;
            // Flush the copy now, so the held commit below writes only the last changes
            // to disk instead of the whole file.
            at_lowest_priority(|| {
                tables::begin_write(&fresh, Durability::Immediate, false)?
                    .commit()
                    .map_err(backend)
            })?;
            (mark, rounds)
        };
        let copied = started.elapsed();
        // Held from here: every store call on this file waits until the swap is done.
        let mut guard = slot.write();
        let db = guard.as_ref().ok_or_else(|| slot.closed())?;
        let held = Instant::now();
        let caught_up = {
            let from = db.begin_read().map_err(backend)?;
            let to = tables::begin_write(&fresh, Durability::Immediate, false)?;
            let n = catch_up(mark, &from, &to)?;
            to.commit().map_err(backend)?;
            n
        };
        // The rename is atomic: a crash leaves either the old file or the complete copy.
        std::fs::rename(&tmp, &path)
            .map_err(|e| StorageError::operation(format!("swap {name}"), e))?;
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StorageError::operation(format!("sync {}", dir.display()), e))?;
        // The fresh handle already has the renamed file open; the old one (unlinked) is
        // closed after the file is released.
        let old = guard.replace(fresh);
        let held = held.elapsed();
        drop(guard);
        drop(old);
        tracing::info!(
            file = name,
            copy_ms = copied.as_millis() as u64,
            held_ms = held.as_millis() as u64,
            rounds,
            caught_up,
            "compacted"
        );
        Ok(())
    }
}

/// Bring a copy of `log.redb` taken at `snapshot_head` up to date. The log only changes
/// at its ends: appends add positions above the head (with their de-dup entries), pruning
/// removes the oldest positions and de-dup expiry the oldest de-dup entries.
fn catch_up_log(
    snapshot_head: u64,
    from: &ReadTransaction,
    to: &WriteTransaction,
) -> StoreResult<usize> {
    let mut copied = 0;
    let source = from.open_table(LOG).map_err(backend)?;
    let mut target = to.open_table(LOG).map_err(backend)?;
    for item in source.range(snapshot_head + 1..).map_err(backend)? {
        let (pos, bytes) = item.map_err(backend)?;
        target.insert(pos.value(), bytes.value()).map_err(backend)?;
        copied += 1;
    }
    let oldest = source
        .first()
        .map_err(backend)?
        .map_or(u64::MAX, |(k, _)| k.value());
    target.retain_in(..oldest, |_, _| false).map_err(backend)?;

    let source_dedup = from.open_table(DEDUP).map_err(backend)?;
    let mut target_dedup = to.open_table(DEDUP).map_err(backend)?;
    let source_order = from.open_table(DEDUP_ORDER).map_err(backend)?;
    let mut target_order = to.open_table(DEDUP_ORDER).map_err(backend)?;
    let oldest = source_order
        .first()
        .map_err(backend)?
        .map_or(u64::MAX, |(k, _)| k.value());
    let expired: Vec<(u64, String)> = target_order
        .range(..oldest)
        .map_err(backend)?
        .map(|item| {
            item.map(|(pos, v)| (pos.value(), v.value().1.to_string()))
                .map_err(backend)
        })
        .collect::<StoreResult<_>>()?;
    for (pos, key) in &expired {
        target_order.remove(*pos).map_err(backend)?;
        let same = target_dedup
            .get(key.as_str())
            .map_err(backend)?
            .is_some_and(|v| v.value().0 == *pos);
        if same {
            target_dedup.remove(key.as_str()).map_err(backend)?;
        }
        copied += 1;
    }
    for item in source_order.range(snapshot_head + 1..).map_err(backend)? {
        let (pos, value) = item.map_err(backend)?;
        let (received, key) = value.value();
        target_order
            .insert(pos.value(), (received, key))
            .map_err(backend)?;
        if let Some(entry) = source_dedup.get(key).map_err(backend)? {
            target_dedup.insert(key, entry.value()).map_err(backend)?;
        }
        copied += 1;
    }
    copy_table(from, to, LOG_META)?;
    Ok(copied)
}

/// Wait until the write transaction in flight on `db`, if any, has committed. Run at
/// the caller's priority: the write lock it takes for a moment is one ingest and the
/// pipeline wait for, and a thread at the lowest priority could hold it for long on a
/// busy machine.
fn wait_for_writer(db: &Database) -> StoreResult<()> {
    db.begin_write().map_err(backend)?.abort().map_err(backend)
}

/// Run `work` on a thread of its own at the lowest CPU priority (Linux keeps the nice
/// value per thread), and wait for it. A thread of its own, because a priority lowered on
/// a shared blocking thread would stay with the work that runs there next.
fn at_lowest_priority<R: Send>(work: impl FnOnce() -> StoreResult<R> + Send) -> StoreResult<R> {
    std::thread::scope(|scope| {
        let copier = std::thread::Builder::new()
            .name("braid-compaction".into())
            .spawn_scoped(scope, || {
                #[cfg(target_os = "linux")]
                if let Err(e) =
                    rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19)
                {
                    // Only slower for the rest of the machine, never wrong.
                    tracing::debug!(error = %e, "compaction runs at normal priority");
                }
                work()
            })
            .map_err(|e| StorageError::operation("start the compaction thread", e))?;
        copier
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Catch the copy of `state.redb` up on the keys written since its snapshot, in rounds
/// that do not hold the file, until a round found at most `held_keys`
/// (`StoreOptions::compaction_held_keys`): each takes the keys recorded so far (recording goes on),
/// waits for the write in flight, and copies those keys from a fresh snapshot. A key
/// written again after its round is recorded again, so a later round or the held
/// catch-up copies its newest value. Returns the number of rounds.
fn catch_up_state_in_rounds(
    touched: &crate::touched::Touched,
    held_keys: usize,
    live: &Database,
    fresh: &Database,
) -> StoreResult<u32> {
    let mut rounds = 0;
    while rounds < MAX_CATCH_UP_ROUNDS {
        rounds += 1;
        let keys = touched.take_so_far();
        // A write that recorded some of `keys` may not have committed yet; the snapshot
        // is taken after it has.
        wait_for_writer(live)?;
        let from = live.begin_read().map_err(backend)?;
        // At the writers' own priority, not the copier's: a round must finish before
        // the writers touch more keys than it copied, or the rounds never converge (at
        // the lowest priority on a busy machine they ran into MAX_CATCH_UP_ROUNDS and
        // left 2,829 keys for a 708 ms hold at 1 M profiles). A round copies only keys
        // written since the last one, so it is short.
        let to = tables::begin_write(fresh, Durability::None, false)?;
        catch_up_state(&keys, &from, &to)?;
        to.commit().map_err(backend)?;
        if keys.len() <= held_keys {
            break;
        }
    }
    Ok(rounds)
}

/// Bring a copy of `state.redb` up to date with the keys written since its snapshot.
fn catch_up_state(
    touched: &TouchedKeys,
    from: &ReadTransaction,
    to: &WriteTransaction,
) -> StoreResult<usize> {
    sync_rows(from, to, PROFILES, touched.profiles.iter().copied())?;
    sync_rows(
        from,
        to,
        IDENTITIES,
        touched.identities.iter().map(String::as_str),
    )?;
    sync_rows(from, to, SENT_STATE, touched.sent.iter().copied())?;
    sync_rows(from, to, OUTBOX, touched.outbox.iter().copied())?;
    sync_rows(from, to, DEAD_LETTERS, touched.dead_letters.iter().copied())?;
    sync_rows(from, to, RECHECKS, touched.rechecks.iter().copied())?;
    sync_rows(from, to, META, touched.meta.iter().map(String::as_str))?;
    sync_rows(
        from,
        to,
        EVENT_IDS,
        touched.event_ids.iter().map(|(_, id)| id.as_str()),
    )?;
    sync_rows(
        from,
        to,
        EVENT_ID_ORDER,
        touched.event_ids.iter().map(|(at, id)| (*at, id.as_str())),
    )?;
    let source = from.open_table(HISTORY).map_err(backend)?;
    let mut target = to.open_table(HISTORY).map_err(backend)?;
    for &mpid in &touched.history_users {
        let range = (mpid, i64::MIN, 0)..=(mpid, i64::MAX, u64::MAX);
        target
            .retain_in(range.clone(), |_, _| false)
            .map_err(backend)?;
        for item in source.range(range).map_err(backend)? {
            let (key, bytes) = item.map_err(backend)?;
            target.insert(key.value(), bytes.value()).map_err(backend)?;
        }
    }
    copy_table(from, to, COUNTERS)?;
    Ok(touched.len())
}

/// Make each of `keys` in `to` what it is in `from`: copied, or removed when absent.
fn sync_rows<'k, K: Key + 'static, V: Value + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    def: TableDefinition<K, V>,
    keys: impl IntoIterator<Item = K::SelfType<'k>>,
) -> StoreResult<()> {
    let source = from.open_table(def).map_err(backend)?;
    let mut target = to.open_table(def).map_err(backend)?;
    for key in keys {
        match source.get(&key).map_err(backend)? {
            Some(value) => {
                target.insert(&key, value.value()).map_err(backend)?;
            }
            None => {
                target.remove(&key).map_err(backend)?;
            }
        }
    }
    Ok(())
}

/// Rows of the fresh file written per commit while a compaction copies. Each commit is
/// written out to disk (`Durability::Immediate`) before the next begins, so the disk
/// never has more than one chunk of the copy to flush at once. Flushing a whole copy at
/// the end held ingest's fsyncs on the same disk behind it (about 180 ms per 94 MB copy,
/// measured with `scripts/bench-erasure.sh`).
const COPY_ROWS_PER_COMMIT: usize = 8_192;

/// The fresh file a compaction copies into, written in chunks of
/// [`COPY_ROWS_PER_COMMIT`] rows.
pub(crate) struct FreshCopy<'a> {
    db: &'a Database,
}

impl FreshCopy<'_> {
    /// Copy every row of one table from the snapshot into the fresh file.
    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        from: &ReadTransaction,
        def: TableDefinition<K, V>,
    ) -> StoreResult<()> {
        let source = from.open_table(def).map_err(backend)?;
        let mut rows = source.iter().map_err(backend)?;
        let mut more = true;
        while more {
            let to = tables::begin_write(self.db, Durability::Immediate, false)?;
            {
                let mut target = to.open_table(def).map_err(backend)?;
                for _ in 0..COPY_ROWS_PER_COMMIT {
                    let Some(item) = rows.next() else {
                        more = false;
                        break;
                    };
                    let (k, v) = item.map_err(backend)?;
                    target.insert(k.value(), v.value()).map_err(backend)?;
                }
            }
            to.commit().map_err(backend)?;
        }
        Ok(())
    }
}

/// Copy every row of one table into the same table of another file.
fn copy_table<K: Key + 'static, V: Value + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    def: TableDefinition<K, V>,
) -> StoreResult<()> {
    let source = from.open_table(def).map_err(backend)?;
    let mut target = to.open_table(def).map_err(backend)?;
    for item in source.iter().map_err(backend)? {
        let (k, v) = item.map_err(backend)?;
        target.insert(k.value(), v.value()).map_err(backend)?;
    }
    Ok(())
}
