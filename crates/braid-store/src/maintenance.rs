//! Erasure, log pruning and compaction ([`Maintenance`]): removing one user from every
//! state table, dropping applied log records, and rewriting both files so that erased bytes
//! do not survive in free pages.

use crate::codec::{backend, user_of};
use crate::tables::{
    self, COUNTERS, DEAD_LETTERS, DEDUP, DEDUP_ORDER, EVENT_IDS, EVENT_ID_ORDER, HISTORY,
    IDENTITIES, LOG, LOG_META, META, OUTBOX, PROFILES, PRUNED_THROUGH, RECHECKS, SENT_STATE,
};
use crate::{open_db, EmbeddedStore, Slot, LOG_FILE, STATE_FILE};
use braid_core::storage::{Erased, Maintenance, StateStore, StorageError, StoreResult};
use braid_mparticle::Mpid;
use redb::{
    Durability, Key, ReadTransaction, ReadableTable, ReadableTableMetadata, TableDefinition, Value,
    WriteTransaction,
};

/// Name of the copy a compaction writes before renaming it over `name`.
pub(crate) fn tmp_name(name: &str) -> String {
    format!("{name}.compacting")
}

impl Maintenance for EmbeddedStore {
    /// One durable transaction over `state.redb`. Identities, outbox and dead letters are
    /// scanned in full (erasure is rare; this way nothing is missed whatever lane or
    /// identity it sits under).
    fn remove_user_everywhere(&self, mpid: Mpid) -> StoreResult<Erased> {
        let db = self.inner.state.read()?;
        let txn = tables::begin_write(&db, Durability::Immediate, self.inner.options.quick_repair)?;
        let mut erased = Erased::default();
        {
            let mut profiles = txn.open_table(PROFILES).map_err(backend)?;
            erased.profile = profiles.remove(mpid.0).map_err(backend)?.is_some();
            let mut sent = txn.open_table(SENT_STATE).map_err(backend)?;
            erased.sent_state = sent.remove(mpid.0).map_err(backend)?.is_some();

            let mut identities = txn.open_table(IDENTITIES).map_err(backend)?;
            erased.identities = removed_by(&mut identities, |_, owner| owner == mpid.0)?;

            let mut history = txn.open_table(HISTORY).map_err(backend)?;
            let before = history.len().map_err(backend)?;
            history
                .retain_in(
                    (mpid.0, i64::MIN, 0)..=(mpid.0, i64::MAX, u64::MAX),
                    |_, _| false,
                )
                .map_err(backend)?;
            erased.history = before - history.len().map_err(backend)?;

            let mut rechecks = txn.open_table(RECHECKS).map_err(backend)?;
            removed_by(&mut rechecks, |(_, owner), _| owner == mpid.0)?;

            let mut outbox = txn.open_table(OUTBOX).map_err(backend)?;
            erased.outbox = removed_by(&mut outbox, |_, v| user_of(v).ok() == Some(mpid.0))?;
            let mut dead = txn.open_table(DEAD_LETTERS).map_err(backend)?;
            erased.dead_letters = removed_by(&mut dead, |_, v| user_of(v).ok() == Some(mpid.0))?;
        }
        txn.commit().map_err(backend)?;
        tracing::info!(mpid = mpid.0, ?erased, "user removed from state");
        Ok(erased)
    }

    /// Delete log records at or before `position`, never past the pipeline cursor. De-dup
    /// entries are kept: a late retry of a pruned batch is still recognised.
    fn prune_log_through(&self, position: u64) -> StoreResult<u64> {
        let through = position.min(self.cursor()?);
        let db = self.inner.log.read()?;
        let txn = tables::begin_write(&db, Durability::Immediate, self.inner.options.quick_repair)?;
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
    /// are as small as they can be. Blocks every other store call while it runs.
    fn compact(&self) -> StoreResult<()> {
        let opts = &self.inner.options;
        self.rewrite(
            &self.inner.log,
            LOG_FILE,
            opts.log_cache_bytes,
            |from, to| {
                copy_table(from, to, LOG)?;
                copy_table(from, to, DEDUP)?;
                copy_table(from, to, DEDUP_ORDER)?;
                copy_table(from, to, LOG_META)
            },
        )?;
        self.rewrite(
            &self.inner.state,
            STATE_FILE,
            opts.state_cache_bytes,
            |from, to| {
                copy_table(from, to, PROFILES)?;
                copy_table(from, to, IDENTITIES)?;
                copy_table(from, to, SENT_STATE)?;
                copy_table(from, to, OUTBOX)?;
                copy_table(from, to, DEAD_LETTERS)?;
                copy_table(from, to, HISTORY)?;
                copy_table(from, to, RECHECKS)?;
                copy_table(from, to, META)?;
                copy_table(from, to, EVENT_IDS)?;
                copy_table(from, to, EVENT_ID_ORDER)?;
                copy_table(from, to, COUNTERS)
            },
        )
    }
}

impl EmbeddedStore {
    fn rewrite(
        &self,
        slot: &Slot,
        name: &str,
        cache_bytes: usize,
        copy: impl FnOnce(&ReadTransaction, &WriteTransaction) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let dir = &self.inner.dir;
        let path = dir.join(name);
        let tmp = dir.join(tmp_name(name));
        let mut guard = slot.write();
        let db = guard.as_ref().ok_or_else(|| slot.closed())?;
        let _ = std::fs::remove_file(&tmp);
        {
            let fresh = open_db(&tmp, cache_bytes)?;
            let from = db.begin_read().map_err(backend)?;
            let to = tables::begin_write(&fresh, Durability::Immediate, true)?;
            copy(&from, &to)?;
            to.commit().map_err(backend)?;
        }
        // The rename is atomic: a crash leaves either the old file or the complete copy.
        std::fs::rename(&tmp, &path)
            .map_err(|e| StorageError::operation(format!("swap {name}"), e))?;
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StorageError::operation(format!("sync {}", dir.display()), e))?;
        // Dropping the old handle (by the assignment) closes the unlinked original.
        *guard = Some(open_db(&path, cache_bytes)?);
        tracing::info!(file = name, "compacted");
        Ok(())
    }
}

/// Remove every row matching `pred` from a whole table; returns how many.
fn removed_by<K: Key + 'static, V: Value + 'static>(
    table: &mut redb::Table<K, V>,
    mut pred: impl for<'f> FnMut(K::SelfType<'f>, V::SelfType<'f>) -> bool,
) -> StoreResult<u64> {
    let before = table.len().map_err(backend)?;
    table.retain(|k, v| !pred(k, v)).map_err(backend)?;
    Ok(before - table.len().map_err(backend)?)
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
