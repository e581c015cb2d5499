//! [`StateStore`] for [`PgStore`]: one [`StateStore::transact`] is one SERIALIZABLE
//! PostgreSQL transaction on a pooled connection (see the crate docs for why that level),
//! and [`PgTxn`] is the [`StateTxn`] the closure works through.
//!
//! Every call is one prepared statement and one round trip, plus `BEGIN` and `COMMIT`;
//! `enqueue` writes all its entries with one statement, and a transaction that enqueued
//! sends its `NOTIFY` with the `COMMIT` (PostgreSQL delivers it on commit only).

use crate::{backend, pg_error, wait, Inner, PgStore};
use braid_core::storage::{StateStore, StateTxn, StorageError, StoreResult};
use braid_core::{OutboxEntry, Profile};
use braid_mparticle::{IdentityType, Mpid};
use deadpool_postgres::Object;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

/// `value` as stored: serde_json text.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T, what: &str) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StorageError::encode(what, e))
}

/// A stored value read back.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| StorageError::corrupt(what, e))
}

/// A count or limit from the traits as PostgreSQL's `bigint`, saturating.
pub(crate) fn as_bigint(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// One pooled connection used for a run of statements, counting round trips.
pub(crate) struct Session<'s> {
    pub(crate) inner: &'s Inner,
    pub(crate) client: Object,
}

impl<'s> Session<'s> {
    pub(crate) fn open(inner: &'s Inner) -> StoreResult<Session<'s>> {
        Ok(Session {
            inner,
            client: inner.client()?,
        })
    }

    pub(crate) fn query(
        &self,
        what: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Row>> {
        let statement = wait(self.client.prepare_cached(sql)).map_err(|e| pg_error(what, e))?;
        self.inner.count(1);
        wait(self.client.query(&statement, params)).map_err(|e| pg_error(what, e))
    }

    pub(crate) fn execute(
        &self,
        what: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<u64> {
        let statement = wait(self.client.prepare_cached(sql)).map_err(|e| pg_error(what, e))?;
        self.inner.count(1);
        wait(self.client.execute(&statement, params)).map_err(|e| pg_error(what, e))
    }

    pub(crate) fn simple(&self, what: &str, sql: &str) -> StoreResult<()> {
        self.inner.count(1);
        wait(self.client.batch_execute(sql)).map_err(|e| pg_error(what, e))
    }
}

/// An open transaction on a session: rolled back when dropped unfinished (a failed or
/// panicking closure), so the connection goes back to the pool clean.
pub(crate) struct Transaction<'s> {
    session: Option<Session<'s>>,
    /// The first statement that failed: PostgreSQL refuses the rest of the transaction,
    /// and a closure that ignored the error must not have its `COMMIT` (which the server
    /// would silently turn into a rollback) reported as success.
    failed: Option<(bool, String)>,
    notify: bool,
}

impl<'s> Transaction<'s> {
    pub(crate) fn begin(inner: &'s Inner, isolation: &str) -> StoreResult<Transaction<'s>> {
        let session = Session::open(inner)?;
        session.simple(
            "begin a transaction",
            &format!("BEGIN ISOLATION LEVEL {isolation}"),
        )?;
        Ok(Transaction {
            session: Some(session),
            failed: None,
            notify: false,
        })
    }

    fn session(&self) -> &Session<'s> {
        self.session
            .as_ref()
            .expect("an open transaction has its session")
    }

    fn note<T>(&mut self, result: StoreResult<T>) -> StoreResult<T> {
        if let Err(e) = &result {
            if self.failed.is_none() {
                self.failed = Some((e.is_conflict(), e.to_string()));
            }
        }
        result
    }

    pub(crate) fn query(
        &mut self,
        what: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Row>> {
        let result = self.session().query(what, sql, params);
        self.note(result)
    }

    pub(crate) fn execute(
        &mut self,
        what: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<u64> {
        let result = self.session().execute(what, sql, params);
        self.note(result)
    }

    /// Wake delivery nodes once this transaction commits.
    pub(crate) fn notify_on_commit(&mut self) {
        self.notify = true;
    }

    pub(crate) fn commit(mut self) -> StoreResult<()> {
        if let Some((conflict, message)) = self.failed.take() {
            self.rollback();
            let message = format!(
                "a statement failed inside the transaction and the work went on regardless; \
                 nothing was committed: {message}"
            );
            return Err(if conflict {
                StorageError::Conflict(message.into())
            } else {
                StorageError::Backend(message.into())
            });
        }
        let session = self
            .session
            .take()
            .expect("an open transaction has its session");
        let sql = if self.notify {
            format!("NOTIFY {}; COMMIT", session.inner.channel)
        } else {
            "COMMIT".to_string()
        };
        match session.simple("commit", &sql) {
            Ok(()) => Ok(()),
            Err(e) => {
                // A failed COMMIT ends the transaction server-side; make sure of it.
                let _ = wait(session.client.batch_execute("ROLLBACK"));
                Err(e)
            }
        }
    }

    pub(crate) fn rollback(mut self) {
        self.finish_with_rollback();
    }

    fn finish_with_rollback(&mut self) {
        if let Some(session) = self.session.take() {
            if wait(session.client.batch_execute("ROLLBACK")).is_err() {
                // Never hand a connection in an unknown state back to the pool.
                drop(Object::take(session.client));
            }
        }
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        self.finish_with_rollback();
    }
}

/// The [`StateTxn`] of one PostgreSQL transaction.
pub(crate) struct PgTxn<'t, 's> {
    pub(crate) txn: &'t mut Transaction<'s>,
}

impl StateTxn for PgTxn<'_, '_> {
    fn cursor(&mut self) -> StoreResult<u64> {
        let rows = self.txn.query(
            "read the cursor",
            "SELECT position FROM pipeline_cursor",
            &[],
        )?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64))
    }

    fn set_cursor(&mut self, position: u64) -> StoreResult<()> {
        self.txn
            .execute(
                "set the cursor",
                "UPDATE pipeline_cursor SET position = $1",
                &[&as_bigint(position)],
            )
            .map(|_| ())
    }

    fn profile(&mut self, mpid: Mpid) -> StoreResult<Option<Profile>> {
        let rows = self.txn.query(
            "read a profile",
            "SELECT body FROM profiles WHERE mpid = $1",
            &[&mpid.0],
        )?;
        rows.first()
            .map(|r| decode(r.get::<_, &[u8]>(0), "profile"))
            .transpose()
    }

    fn put_profile(&mut self, profile: &Profile) -> StoreResult<()> {
        let body = encode(profile, "profile")?;
        self.txn
            .execute(
                "write a profile",
                "INSERT INTO profiles (mpid, body) VALUES ($1, $2) \
                 ON CONFLICT (mpid) DO UPDATE SET body = EXCLUDED.body",
                &[&profile.mpid.0, &body],
            )
            .map(|_| ())
    }

    fn profiles_after(&mut self, after: Option<Mpid>, max: usize) -> StoreResult<Vec<Profile>> {
        let after = after.map(|m| m.0);
        let rows = self.txn.query(
            "walk profiles",
            "SELECT body FROM profiles WHERE ($1::bigint IS NULL OR mpid > $1) \
             ORDER BY mpid LIMIT $2",
            &[&after, &as_bigint(max)],
        )?;
        rows.iter()
            .map(|r| decode(r.get::<_, &[u8]>(0), "profile"))
            .collect()
    }

    fn profile_count(&mut self) -> StoreResult<u64> {
        let rows = self
            .txn
            .query("count profiles", "SELECT count(*) FROM profiles", &[])?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64))
    }

    fn delete_profile(&mut self, mpid: Mpid) -> StoreResult<()> {
        self.txn
            .execute(
                "delete a profile",
                "DELETE FROM profiles WHERE mpid = $1",
                &[&mpid.0],
            )
            .map(|_| ())
    }

    fn identity_owner(&mut self, kind: IdentityType, value: &str) -> StoreResult<Option<Mpid>> {
        let rows = self.txn.query(
            "read the identity index",
            "SELECT mpid FROM identities WHERE kind = $1 AND value = $2",
            &[&kind.as_str(), &value],
        )?;
        Ok(rows.first().map(|r| Mpid(r.get(0))))
    }

    fn set_identity_owner(
        &mut self,
        kind: IdentityType,
        value: &str,
        mpid: Mpid,
    ) -> StoreResult<()> {
        self.txn
            .execute(
                "write the identity index",
                "INSERT INTO identities (kind, value, mpid) VALUES ($1, $2, $3) \
                 ON CONFLICT (kind, value) DO UPDATE SET mpid = EXCLUDED.mpid",
                &[&kind.as_str(), &value, &mpid.0],
            )
            .map(|_| ())
    }

    fn remove_identity(&mut self, kind: IdentityType, value: &str) -> StoreResult<()> {
        self.txn
            .execute(
                "remove from the identity index",
                "DELETE FROM identities WHERE kind = $1 AND value = $2",
                &[&kind.as_str(), &value],
            )
            .map(|_| ())
    }

    fn sent_state(&mut self, mpid: Mpid) -> StoreResult<Option<Value>> {
        let rows = self.txn.query(
            "read sent state",
            "SELECT body FROM sent_state WHERE mpid = $1",
            &[&mpid.0],
        )?;
        rows.first()
            .map(|r| decode(r.get::<_, &[u8]>(0), "sent state"))
            .transpose()
    }

    fn put_sent_state(&mut self, mpid: Mpid, state: &Value) -> StoreResult<()> {
        let body = encode(state, "sent state")?;
        self.txn
            .execute(
                "write sent state",
                "INSERT INTO sent_state (mpid, body) VALUES ($1, $2) \
                 ON CONFLICT (mpid) DO UPDATE SET body = EXCLUDED.body",
                &[&mpid.0, &body],
            )
            .map(|_| ())
    }

    fn delete_sent_state(&mut self, mpid: Mpid) -> StoreResult<()> {
        self.txn
            .execute(
                "delete sent state",
                "DELETE FROM sent_state WHERE mpid = $1",
                &[&mpid.0],
            )
            .map(|_| ())
    }

    fn enqueue(&mut self, lane: u32, entries: &[OutboxEntry]) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        enqueue(self.txn, lane, entries)
    }

    fn append_history(&mut self, mpid: Mpid, ts_ms: i64, event: &Value) -> StoreResult<()> {
        let body = encode(event, "history event")?;
        self.txn
            .execute(
                "append history",
                "INSERT INTO history (mpid, ts_ms, body) VALUES ($1, $2, $3)",
                &[&mpid.0, &ts_ms, &body],
            )
            .map(|_| ())
    }

    fn history(&mut self, mpid: Mpid, since_ms: i64) -> StoreResult<Vec<(i64, Value)>> {
        let rows = self.txn.query(
            "read history",
            "SELECT ts_ms, body FROM history WHERE mpid = $1 AND ts_ms >= $2 \
             ORDER BY ts_ms, seq",
            &[&mpid.0, &since_ms],
        )?;
        rows.iter()
            .map(|r| Ok((r.get(0), decode(r.get::<_, &[u8]>(1), "history event")?)))
            .collect()
    }

    fn prune_history(&mut self, mpid: Mpid, before_ms: i64) -> StoreResult<u64> {
        self.txn.execute(
            "prune history",
            "DELETE FROM history WHERE mpid = $1 AND ts_ms < $2",
            &[&mpid.0, &before_ms],
        )
    }

    fn schedule_recheck(&mut self, mpid: Mpid, at_ms: i64) -> StoreResult<()> {
        self.txn
            .execute(
                "schedule a re-check",
                "INSERT INTO rechecks (at_ms, mpid) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&at_ms, &mpid.0],
            )
            .map(|_| ())
    }

    fn cancel_recheck(&mut self, mpid: Mpid, at_ms: i64) -> StoreResult<()> {
        self.txn
            .execute(
                "cancel a re-check",
                "DELETE FROM rechecks WHERE at_ms = $1 AND mpid = $2",
                &[&at_ms, &mpid.0],
            )
            .map(|_| ())
    }

    fn due_rechecks(&mut self, now_ms: i64, max: usize) -> StoreResult<Vec<(i64, Mpid)>> {
        let rows = self.txn.query(
            "read due re-checks",
            "SELECT at_ms, mpid FROM rechecks WHERE at_ms <= $1 ORDER BY at_ms, mpid LIMIT $2",
            &[&now_ms, &as_bigint(max)],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), Mpid(r.get(1)))).collect())
    }

    fn remember_event_id(&mut self, id: &str, at_ms: i64) -> StoreResult<bool> {
        let inserted = self.txn.execute(
            "remember a Currents event id",
            "INSERT INTO event_ids (id, at_ms) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
            &[&id, &at_ms],
        )?;
        Ok(inserted == 1)
    }

    fn forget_event_ids(
        &mut self,
        before_ms: i64,
        keep_at_most: u64,
        max: usize,
    ) -> StoreResult<u64> {
        // The oldest `max`, of which those older than `before_ms` or beyond the newest
        // `keep_at_most` go: both conditions hold for a prefix of the age order.
        self.txn.execute(
            "forget Currents event ids",
            "WITH total AS (SELECT count(*) AS n FROM event_ids), \
             oldest AS (SELECT id, at_ms, row_number() OVER (ORDER BY at_ms, id) AS rank \
                        FROM event_ids ORDER BY at_ms, id LIMIT $3) \
             DELETE FROM event_ids e USING oldest o, total t \
             WHERE e.id = o.id AND (o.at_ms < $1 OR o.rank <= t.n - $2)",
            &[&before_ms, &as_bigint(keep_at_most), &as_bigint(max)],
        )
    }

    fn meta(&mut self, key: &str) -> StoreResult<Option<Value>> {
        let rows = self.txn.query(
            "read a meta value",
            "SELECT value FROM meta WHERE key = $1",
            &[&key],
        )?;
        rows.first()
            .map(|r| decode(r.get::<_, &[u8]>(0), "meta value"))
            .transpose()
    }

    fn put_meta(&mut self, key: &str, value: &Value) -> StoreResult<()> {
        let body = encode(value, "meta value")?;
        self.txn
            .execute(
                "write a meta value",
                "INSERT INTO meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&key, &body],
            )
            .map(|_| ())
    }

    fn meta_after(&mut self, after: Option<&str>, max: usize) -> StoreResult<Vec<(String, Value)>> {
        let rows = self.txn.query(
            "walk meta values",
            "SELECT key, value FROM meta WHERE ($1::text IS NULL OR key > $1) \
             ORDER BY key LIMIT $2",
            &[&after, &as_bigint(max)],
        )?;
        rows.iter()
            .map(|r| Ok((r.get(0), decode(r.get::<_, &[u8]>(1), "meta value")?)))
            .collect()
    }
}

/// Put `entries` at the end of `lane` with one statement, in order, and have the commit
/// wake delivery nodes.
pub(crate) fn enqueue(
    txn: &mut Transaction<'_>,
    lane: u32,
    entries: &[OutboxEntry],
) -> StoreResult<()> {
    let mpids: Vec<i64> = entries.iter().map(|e| e.mpid).collect();
    let bodies = entries
        .iter()
        .map(|e| encode(e, "outbox entry"))
        .collect::<StoreResult<Vec<_>>>()?;
    let lane = i32::try_from(lane).map_err(|e| backend("enqueue: lane", e))?;
    txn.execute(
        "enqueue outbox entries",
        "INSERT INTO outbox (lane, mpid, body) \
         SELECT $1, m, b FROM unnest($2::bigint[], $3::bytea[]) WITH ORDINALITY AS t(m, b, n) \
         ORDER BY n",
        &[&lane, &mpids, &bodies],
    )?;
    txn.notify_on_commit();
    Ok(())
}

impl PgStore {
    /// Run `f` in one transaction at `isolation`, committing when it returns `Ok`.
    pub(crate) fn in_transaction<R>(
        &self,
        isolation: &str,
        f: impl FnOnce(&mut Transaction<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        let mut txn = Transaction::begin(&self.inner, isolation)?;
        match f(&mut txn) {
            Ok(value) => txn.commit().map(|()| value),
            Err(e) => {
                txn.rollback();
                Err(e)
            }
        }
    }
}

impl StateStore for PgStore {
    fn cursor(&self) -> StoreResult<u64> {
        let session = Session::open(&self.inner)?;
        let rows = session.query(
            "read the cursor",
            "SELECT position FROM pipeline_cursor",
            &[],
        )?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64))
    }

    fn transact<R>(&self, f: impl FnOnce(&mut dyn StateTxn) -> StoreResult<R>) -> StoreResult<R> {
        self.in_transaction("SERIALIZABLE", |txn| f(&mut PgTxn { txn }))
    }
}
