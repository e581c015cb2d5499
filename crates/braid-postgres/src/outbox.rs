//! [`Outbox`] for [`PgStore`]: the `outbox` and `dead_letters` tables, read by delivery.
//!
//! Once [`PgStore::start_lane_leasing`] was called, [`Outbox::peek`] answers only for lanes
//! this node leases (past their grace period) and returns nothing for the others, so
//! several delivery nodes can run the same loop over every lane. `complete` works on any
//! lane: an entry delivered just before its lane moved must still be removed.

use crate::txn::{as_bigint, decode, encode, enqueue, Session};
use crate::PgStore;
use braid_core::storage::{lane_of, Outbox, StoreResult};
use braid_core::{DeadLetter, OutboxEntry};
use braid_mparticle::Mpid;

impl Outbox for PgStore {
    fn lane_count(&self) -> u32 {
        self.inner.lanes
    }

    fn peek(&self, lane: u32, max: usize) -> StoreResult<Vec<(u64, OutboxEntry)>> {
        if !self.inner.locks.may_peek(lane, self.inner.lane_grace) {
            return Ok(Vec::new());
        }
        let Ok(lane) = i32::try_from(lane) else {
            return Ok(Vec::new());
        };
        let session = Session::open(&self.inner)?;
        let rows = session.query(
            "peek the outbox",
            "SELECT seq, body FROM outbox WHERE lane = $1 ORDER BY seq LIMIT $2",
            &[&lane, &as_bigint(max)],
        )?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.get(0);
                Ok((seq as u64, decode(r.get::<_, &[u8]>(1), "outbox entry")?))
            })
            .collect()
    }

    fn complete(
        &self,
        lane: u32,
        delivered: &[u64],
        refused: Vec<(u64, DeadLetter)>,
    ) -> StoreResult<()> {
        let lane = i32::try_from(lane).unwrap_or(i32::MAX);
        let delivered: Vec<i64> = delivered.iter().map(|&s| as_bigint(s)).collect();
        // Plain READ COMMITTED: each statement deletes by key, and a refusal's insert is
        // conditional on its own delete, so a completion retried concurrently lists once.
        self.in_transaction("READ COMMITTED", |txn| {
            if !delivered.is_empty() {
                txn.execute(
                    "remove delivered outbox entries",
                    "DELETE FROM outbox WHERE lane = $1 AND seq = ANY($2)",
                    &[&lane, &delivered],
                )?;
            }
            for (seq, letter) in &refused {
                let body = encode(letter, "dead letter")?;
                let moved = txn.execute(
                    "dead-letter a refused outbox entry",
                    "WITH gone AS (DELETE FROM outbox WHERE lane = $1 AND seq = $2 RETURNING mpid) \
                     INSERT INTO dead_letters (mpid, body) SELECT mpid, $3 FROM gone",
                    &[&lane, &as_bigint(*seq), &body],
                )?;
                if moved == 1 && letter.entry.refusal_forgets_sent_state() {
                    txn.execute(
                        "forget the sent state of a refused entry",
                        "DELETE FROM sent_state WHERE mpid = $1",
                        &[&letter.entry.mpid],
                    )?;
                }
            }
            Ok(())
        })
    }

    fn depth(&self) -> StoreResult<u64> {
        let session = Session::open(&self.inner)?;
        let rows = session.query("count the outbox", "SELECT count(*) FROM outbox", &[])?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64))
    }

    fn dead_letters(&self, after: u64, max: usize) -> StoreResult<Vec<(u64, DeadLetter)>> {
        let Ok(after) = i64::try_from(after) else {
            return Ok(Vec::new());
        };
        let session = Session::open(&self.inner)?;
        let rows = session.query(
            "list dead letters",
            "SELECT id, body FROM dead_letters WHERE id > $1 ORDER BY id LIMIT $2",
            &[&after, &as_bigint(max)],
        )?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.get(0);
                Ok((id as u64, decode(r.get::<_, &[u8]>(1), "dead letter")?))
            })
            .collect()
    }

    fn replay_dead_letters(&self, ids: &[u64]) -> StoreResult<usize> {
        let lanes = self.inner.lanes;
        self.in_transaction("READ COMMITTED", |txn| {
            let mut moved = 0;
            for &id in ids {
                let Ok(id) = i64::try_from(id) else { continue };
                let rows = txn.query(
                    "take a dead letter for replay",
                    "DELETE FROM dead_letters WHERE id = $1 RETURNING body",
                    &[&id],
                )?;
                let Some(row) = rows.first() else { continue };
                let letter: DeadLetter = decode(row.get::<_, &[u8]>(0), "dead letter")?;
                let lane = lane_of(Mpid(letter.entry.mpid), lanes);
                enqueue(txn, lane, std::slice::from_ref(&letter.entry))?;
                moved += 1;
            }
            Ok(moved)
        })
    }
}
