//! [`Maintenance`] for [`PgStore`]: erasure in one transaction, and compaction that
//! rewrites the tables that held personal data.
//!
//! # What compaction does not reach
//! `VACUUM FULL` writes each table anew and drops the old files, so erased rows are in no
//! live data file. PostgreSQL's write-ahead log still holds them until its segments are
//! recycled (after the next checkpoints, or later with WAL archiving or replication slots),
//! and so do base backups, WAL archives, replicas' own WAL and any logical replication
//! consumer. Those are the operator's: retention of backups and archives must be bounded
//! by the erasure deadline, and the disk should be encrypted for blocks the filesystem
//! freed.

use crate::txn::Session;
use crate::PgStore;
use braid_core::storage::{Erased, Maintenance, StoreResult};
use braid_mparticle::Mpid;

/// Tables that hold personal data, rewritten by [`Maintenance::compact`].
const PERSONAL_TABLES: &str =
    "profiles, identities, sent_state, outbox, dead_letters, history, rechecks, event_ids, meta";

impl Maintenance for PgStore {
    fn remove_user_everywhere(&self, mpid: Mpid) -> StoreResult<Erased> {
        self.in_transaction("SERIALIZABLE", |txn| {
            let mut removed = |what: &str, sql: &str| txn.execute(what, sql, &[&mpid.0]);
            let profile = removed("erase the profile", "DELETE FROM profiles WHERE mpid = $1")?;
            let sent = removed("erase sent state", "DELETE FROM sent_state WHERE mpid = $1")?;
            let identities = removed(
                "erase identity index entries",
                "DELETE FROM identities WHERE mpid = $1",
            )?;
            let history = removed("erase history", "DELETE FROM history WHERE mpid = $1")?;
            removed("erase re-checks", "DELETE FROM rechecks WHERE mpid = $1")?;
            let outbox = removed("erase outbox entries", "DELETE FROM outbox WHERE mpid = $1")?;
            let dead_letters = removed(
                "erase dead letters",
                "DELETE FROM dead_letters WHERE mpid = $1",
            )?;
            Ok(Erased {
                profile: profile > 0,
                sent_state: sent > 0,
                identities,
                history,
                outbox,
                dead_letters,
            })
        })
    }

    /// Tracks nothing and returns 0: the ingest log is not in PostgreSQL (Kafka holds it,
    /// and its retention is the topic's), so there is nothing here to prune.
    fn prune_log_through(&self, _position: u64) -> StoreResult<u64> {
        Ok(0)
    }

    /// Always 0, for the same reason as [`prune_log_through`](Self::prune_log_through).
    fn pruned_through(&self) -> StoreResult<u64> {
        Ok(0)
    }

    /// `VACUUM FULL` of every table that held personal data: each is rewritten without its
    /// dead rows (see the module docs for what stays the operator's). Takes an exclusive
    /// lock on each table while it is rewritten, so other calls wait.
    fn compact(&self) -> StoreResult<()> {
        let session = Session::open(&self.inner)?;
        session.simple(
            "compact (VACUUM FULL) the personal-data tables",
            &format!("VACUUM FULL {PERSONAL_TABLES}"),
        )
    }
}
