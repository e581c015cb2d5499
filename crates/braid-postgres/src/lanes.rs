//! What makes several nodes share one store: leaders, outbox lanes shared out between
//! delivery nodes, and the wake-up when any node enqueues.
//!
//! # The lock session
//! Leaders ([`PgStore::try_lead`]) and lane leases are PostgreSQL *session* advisory locks
//! held on one dedicated connection per store. PostgreSQL releases them when that
//! connection ends, so a node that dies (or loses the connection) loses them without
//! anyone cleaning up, and another node can take over. When a statement on the session
//! fails, the node drops the connection and forgets every lock at once, before anyone
//! else could have them.
//!
//! # Lane leasing
//! Every [`REBALANCE_EVERY`] a leasing node writes its heartbeat to `nodes`, counts the
//! nodes seen within [`LIVE_WITHIN`], and aims at `ceil(lanes / live nodes)` lanes: it
//! releases its highest lanes above that, and tries free lanes (starting at its rank among
//! the node ids, so nodes do not all try the same lanes first) below it. A clean shutdown
//! removes its heartbeat so the others rebalance at once; a dead node's heartbeat expires
//! after [`LIVE_WITHIN`].
//!
//! A lane newly leased is not peeked before [`PgOptions::lane_grace`](crate::PgOptions)
//! has passed. The node that held it before may have peeked entries just before it let go
//! (or before its connection was found dead) and still be sending them; the grace, above
//! the Braze request timeout, lets those requests finish first.
//!
//! # The duplicate window
//! Delivery is at-least-once. An entry goes to Braze twice when a node sent it but its
//! `complete` did not commit (the node died, or lost PostgreSQL, after the request):
//! the lane's next holder sends it again after the grace. An entry is sent by two nodes
//! *at once* only when a request outlives the grace (grace shorter than the request
//! timeout), or when a node keeps sending lanes for more than the grace after PostgreSQL
//! dropped its lock session without the node noticing (it notices on the next rebalance,
//! within about a second, unless PostgreSQL itself is unreachable from it, in which case
//! it cannot complete, and so not delete, anything either).

use crate::{pg_error, wait, Inner, PgStore};
use braid_core::storage::StoreResult;
use futures_util::StreamExt;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};
use std::time::{Duration, Instant};
use tokio_postgres::AsyncMessage;

/// How often a leasing node heartbeats and rebalances.
pub const REBALANCE_EVERY: Duration = Duration::from_secs(1);
/// A node whose heartbeat is older than this no longer counts as live.
pub const LIVE_WITHIN: Duration = Duration::from_secs(3);

/// The lock session and what it holds.
#[derive(Default)]
pub(crate) struct Locks {
    session: Mutex<LockSession>,
    /// Lanes held and since when; `None` until leasing starts (then every lane is served).
    leases: RwLock<Option<BTreeMap<u32, Instant>>>,
    leasing: AtomicBool,
}

#[derive(Default)]
struct LockSession {
    client: Option<tokio_postgres::Client>,
    leaders: BTreeSet<String>,
}

impl Locks {
    fn session(&self) -> MutexGuard<'_, LockSession> {
        self.session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set_leases(&self, f: impl FnOnce(&mut BTreeMap<u32, Instant>)) {
        let mut leases = self.leases.write().unwrap_or_else(|p| p.into_inner());
        if let Some(map) = leases.as_mut() {
            f(map);
        }
    }

    /// Forget every lock: the session that held them is gone.
    fn lost(&self, session: &mut LockSession) {
        session.client = None;
        session.leaders.clear();
        self.set_leases(BTreeMap::clear);
    }

    /// Whether this node may deliver `lane` now.
    pub(crate) fn may_peek(&self, lane: u32, grace: Duration) -> bool {
        let leases = self.leases.read().unwrap_or_else(|p| p.into_inner());
        match leases.as_ref() {
            None => true,
            Some(map) => map.get(&lane).is_some_and(|since| since.elapsed() >= grace),
        }
    }

    /// On drop of the store: take this node out of the heartbeat table (the locks go with
    /// the connection).
    pub(crate) fn leave(&self, node_id: &str) {
        if !self.leasing.load(Ordering::Relaxed) {
            return;
        }
        let session = self.session();
        if let Some(client) = session.client.as_ref() {
            let _ = wait(client.execute("DELETE FROM nodes WHERE node_id = $1", &[&node_id]));
        }
    }
}

/// Connect the lock session if it is not (any more), forgetting what a closed one held.
fn ensure_session(inner: &Inner, session: &mut LockSession) -> StoreResult<()> {
    if session.client.as_ref().is_some_and(|c| c.is_closed()) {
        tracing::warn!("postgres lock session closed; its leader and lane locks are gone");
        inner.locks.lost(session);
    }
    if session.client.is_none() {
        session.client = Some(inner.dedicated_client("the lock session")?);
    }
    Ok(())
}

/// Run `op` on the lock session, connecting it first if needed; a failure drops the session
/// and every lock it held.
fn on_session<R>(
    inner: &Inner,
    session: &mut LockSession,
    what: &str,
    op: impl FnOnce(&tokio_postgres::Client) -> Result<R, tokio_postgres::Error>,
) -> StoreResult<R> {
    ensure_session(inner, session)?;
    let client = session.client.as_ref().expect("connected just above");
    match op(client) {
        Ok(value) => Ok(value),
        Err(e) => {
            tracing::warn!(error = %e, "postgres lock session failed; dropping its locks");
            inner.locks.lost(session);
            Err(pg_error(what, e))
        }
    }
}

impl PgStore {
    /// Whether this node holds the leadership called `name` (one leader per name in the
    /// cluster): takes it when free, and says `true` again while it is still held. Lost
    /// when the lock session's connection dies; call it again to find out and retry.
    pub fn try_lead(&self, name: &str) -> StoreResult<bool> {
        let inner = &*self.inner;
        let mut session = inner.locks.session();
        ensure_session(inner, &mut session)?;
        let held = session.leaders.contains(name);
        let key_space = format!("braid/lead/{}", inner.schema);
        let got = on_session(inner, &mut session, "take a leader lock", |client| {
            inner.count(1);
            if held {
                // Still the same session, so still the holder: just prove it is alive.
                wait(client.simple_query("")).map(|_| true)
            } else {
                let row = wait(client.query_one(
                    "SELECT pg_try_advisory_lock(hashtext($1), hashtext($2))",
                    &[&key_space, &name],
                ))?;
                Ok(row.get(0))
            }
        })?;
        // A failed liveness check above cleared `leaders`; only record a fresh win.
        if got {
            session.leaders.insert(name.to_string());
        }
        Ok(got)
    }

    /// Make this node a delivery node among others: from now on [`Outbox::peek`]
    /// (braid_core::storage::Outbox) serves only lanes this node leases (see the module
    /// docs), rebalanced every [`REBALANCE_EVERY`] on a thread of its own. The first
    /// rebalance runs before this returns, so a store that cannot lease says so here.
    pub fn start_lane_leasing(&self) -> StoreResult<()> {
        {
            let mut leases = self
                .inner
                .locks
                .leases
                .write()
                .unwrap_or_else(|p| p.into_inner());
            if leases.is_none() {
                *leases = Some(BTreeMap::new());
            }
        }
        if self.inner.locks.leasing.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        rebalance(&self.inner)?;
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        std::thread::Builder::new()
            .name("braid-pg-lanes".to_string())
            .spawn(move || loop {
                std::thread::sleep(REBALANCE_EVERY);
                let Some(inner) = weak.upgrade() else { break };
                if let Err(e) = rebalance(&inner) {
                    tracing::warn!(error = %e, "outbox lane rebalance failed; retrying");
                }
            })
            .map_err(|e| crate::backend("start the lane leasing thread", e))?;
        Ok(())
    }

    /// Lanes [`Outbox::peek`](braid_core::storage::Outbox::peek) serves now: every lane
    /// before leasing starts, then the leased ones past their grace.
    pub fn leased_lanes(&self) -> Vec<u32> {
        (0..self.inner.lanes)
            .filter(|&lane| self.inner.locks.may_peek(lane, self.inner.lane_grace))
            .collect()
    }

    /// Wake `notify` (`notify_waiters` and `notify_one`) whenever any node commits an
    /// enqueue, through PostgreSQL `LISTEN` on a connection of its own, reconnecting when it
    /// drops (and waking once after each connect, since notifications may have been
    /// missed meanwhile). Runs until the store is dropped.
    pub fn watch_outbox(&self, notify: Arc<tokio::sync::Notify>) {
        let config = self.inner.config.clone();
        let channel = self.inner.channel.clone();
        self.inner.handle.spawn(async move {
            loop {
                match config.connect(tokio_postgres::NoTls).await {
                    Ok((client, mut connection)) => {
                        let wake = notify.clone();
                        let driver = tokio::spawn(async move {
                            let mut messages =
                                futures_util::stream::poll_fn(|cx| connection.poll_message(cx));
                            while let Some(message) = messages.next().await {
                                match message {
                                    Ok(AsyncMessage::Notification(_)) => {
                                        wake.notify_waiters();
                                        wake.notify_one();
                                    }
                                    Ok(_) => {}
                                    Err(e) => {
                                        tracing::warn!(error = %e, "outbox LISTEN connection failed");
                                        break;
                                    }
                                }
                            }
                        });
                        match client.batch_execute(&format!("LISTEN {channel}")).await {
                            Ok(()) => {
                                notify.notify_waiters();
                                notify.notify_one();
                                let _ = driver.await;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "outbox LISTEN failed");
                                driver.abort();
                            }
                        }
                        drop(client);
                    }
                    Err(e) => tracing::warn!(error = %e, "outbox LISTEN cannot connect"),
                }
                tokio::time::sleep(REBALANCE_EVERY).await;
            }
        });
    }
}

/// One heartbeat and rebalance of this node's lanes.
fn rebalance(inner: &Inner) -> StoreResult<()> {
    let locks = &inner.locks;
    let mut session = locks.session();
    let key_space = format!("braid/lanes/{}", inner.schema);
    let live_within = LIVE_WITHIN.as_secs_f64();
    let live: Vec<String> = on_session(inner, &mut session, "heartbeat", |client| {
        inner.count(2);
        wait(client.execute(
            "INSERT INTO nodes (node_id, seen_at) VALUES ($1, now()) \
             ON CONFLICT (node_id) DO UPDATE SET seen_at = now()",
            &[&inner.node_id],
        ))?;
        let rows = wait(client.query(
            "SELECT node_id FROM nodes WHERE seen_at > now() - make_interval(secs => $1) \
             ORDER BY node_id",
            &[&live_within],
        ))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    })?;
    let nodes = live.len().max(1) as u32;
    let rank = live.iter().position(|n| *n == inner.node_id).unwrap_or(0) as u32;
    let target = inner.lanes.div_ceil(nodes) as usize;
    let held: Vec<u32> = {
        let leases = locks.leases.read().unwrap_or_else(|p| p.into_inner());
        leases
            .as_ref()
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default()
    };
    if held.len() > target {
        for &lane in held.iter().rev().take(held.len() - target) {
            on_session(inner, &mut session, "release a lane", |client| {
                inner.count(1);
                wait(client.execute(
                    "SELECT pg_advisory_unlock(hashtext($1), $2)",
                    &[&key_space, &(lane as i32)],
                ))
            })?;
            locks.set_leases(|m| {
                m.remove(&lane);
            });
            tracing::info!(lane, node = %inner.node_id, "released outbox lane");
        }
    } else if held.len() < target {
        let mut count = held.len();
        let start = (rank as usize * target) as u32 % inner.lanes;
        for offset in 0..inner.lanes {
            if count >= target {
                break;
            }
            let lane = (start + offset) % inner.lanes;
            if held.contains(&lane) {
                continue;
            }
            let got: bool = on_session(inner, &mut session, "lease a lane", |client| {
                inner.count(1);
                let row = wait(client.query_one(
                    "SELECT pg_try_advisory_lock(hashtext($1), $2)",
                    &[&key_space, &(lane as i32)],
                ))?;
                Ok(row.get(0))
            })?;
            if got {
                locks.set_leases(|m| {
                    m.insert(lane, Instant::now());
                });
                count += 1;
                tracing::info!(lane, node = %inner.node_id, "leased outbox lane");
            }
        }
    }
    Ok(())
}
