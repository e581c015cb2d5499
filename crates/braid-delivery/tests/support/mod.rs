//! Test doubles and helpers: an in-memory `Outbox` (the storage layer is not under test
//! here; Braze is, through the real `braze-sim` over HTTP) and object builders.

#![allow(dead_code)]

use braid_braze::wire::{TrackArray, TrackObject, UserRef};
use braid_core::storage::{Outbox, StoreResult};
use braid_core::{DeadLetter, OutboxEntry, OutboxPayload};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// An in-memory outbox with the trait's semantics, checking that delivery never
/// completes an entry twice or one that is not in the lane.
pub struct MemOutbox {
    lanes: u32,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    queues: Vec<BTreeMap<u64, OutboxEntry>>,
    next_position: u64,
    dead: BTreeMap<u64, DeadLetter>,
    next_dead: u64,
    /// Every delivered entry, in completion order per lane.
    delivered: Vec<(u32, OutboxEntry)>,
}

impl MemOutbox {
    pub fn new(lanes: u32) -> Self {
        MemOutbox {
            lanes,
            inner: Mutex::new(Inner {
                queues: (0..lanes).map(|_| BTreeMap::new()).collect(),
                ..Inner::default()
            }),
        }
    }

    /// Queue entries on a lane, after what is queued.
    pub fn push(&self, lane: u32, entries: impl IntoIterator<Item = OutboxEntry>) {
        let mut inner = self.inner.lock().unwrap();
        for entry in entries {
            inner.next_position += 1;
            let position = inner.next_position;
            inner.queues[lane as usize].insert(position, entry);
        }
    }

    pub fn delivered(&self) -> Vec<(u32, OutboxEntry)> {
        self.inner.lock().unwrap().delivered.clone()
    }

    pub fn dead(&self) -> Vec<DeadLetter> {
        self.inner.lock().unwrap().dead.values().cloned().collect()
    }

    pub fn queued(&self) -> usize {
        self.inner
            .lock()
            .unwrap()
            .queues
            .iter()
            .map(BTreeMap::len)
            .sum()
    }
}

impl Outbox for MemOutbox {
    fn lane_count(&self) -> u32 {
        self.lanes
    }

    fn peek(&self, lane: u32, max: usize) -> StoreResult<Vec<(u64, OutboxEntry)>> {
        let inner = self.inner.lock().unwrap();
        Ok(inner.queues[lane as usize]
            .iter()
            .take(max)
            .map(|(p, e)| (*p, e.clone()))
            .collect())
    }

    fn complete(
        &self,
        lane: u32,
        delivered: &[u64],
        refused: Vec<(u64, DeadLetter)>,
    ) -> StoreResult<()> {
        let mut inner = self.inner.lock().unwrap();
        for position in delivered {
            let entry = inner.queues[lane as usize]
                .remove(position)
                .unwrap_or_else(|| panic!("lane {lane}: completed unknown position {position}"));
            inner.delivered.push((lane, entry));
        }
        for (position, dead) in refused {
            inner.queues[lane as usize]
                .remove(&position)
                .unwrap_or_else(|| panic!("lane {lane}: refused unknown position {position}"));
            inner.next_dead += 1;
            let id = inner.next_dead;
            inner.dead.insert(id, dead);
        }
        Ok(())
    }

    fn depth(&self) -> StoreResult<u64> {
        Ok(self.queued() as u64)
    }

    fn dead_letters(&self, after: u64, max: usize) -> StoreResult<Vec<(u64, DeadLetter)>> {
        let inner = self.inner.lock().unwrap();
        Ok(inner
            .dead
            .range(after + 1..)
            .take(max)
            .map(|(id, d)| (*id, d.clone()))
            .collect())
    }

    fn replay_dead_letters(&self, ids: &[u64]) -> StoreResult<usize> {
        let mut inner = self.inner.lock().unwrap();
        let mut moved = 0;
        for id in ids {
            if let Some(dead) = inner.dead.remove(id) {
                let lane = (dead.entry.mpid.unsigned_abs() % u64::from(self.lanes)) as usize;
                inner.next_position += 1;
                let position = inner.next_position;
                inner.queues[lane].insert(position, dead.entry);
                moved += 1;
            }
        }
        Ok(moved)
    }
}

fn entry(mpid: i64, array: TrackArray, body: Map<String, Value>, user: &str) -> OutboxEntry {
    OutboxEntry {
        mpid,
        payload: OutboxPayload::Track {
            object: TrackObject {
                array,
                user: UserRef::ExternalId(user.into()),
                body,
            },
        },
        data_points: 1,
        accepted_ms: 0,
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

/// A custom event for `user` whose `seq` property records its order.
pub fn event(user: &str, seq: u64) -> OutboxEntry {
    entry(
        1,
        TrackArray::Events,
        object(json!({
            "external_id": user,
            "name": "Played",
            "time": "2024-05-01T12:00:00Z",
            "properties": {"seq": seq},
        })),
        user,
    )
}

/// An attribute update for `user`.
pub fn attribute(user: &str, key: &str, value: Value) -> OutboxEntry {
    let mut body = object(json!({ "external_id": user }));
    body.insert(key.into(), value);
    entry(1, TrackArray::Attributes, body, user)
}

/// A purchase for `user`.
pub fn purchase(user: &str, product_id: &str) -> OutboxEntry {
    entry(
        1,
        TrackArray::Purchases,
        object(json!({
            "external_id": user,
            "product_id": product_id,
            "currency": "USD",
            "price": 9.99,
            "time": "2024-05-01T12:00:00Z",
        })),
        user,
    )
}

/// The `seq` of an event entry.
pub fn seq_of(entry: &OutboxEntry) -> Option<u64> {
    match &entry.payload {
        OutboxPayload::Track { object } => object.body.get("properties")?.get("seq")?.as_u64(),
        _ => None,
    }
}

/// The Redis the shared-budget tests use: `BRAID_TEST_REDIS`, default the local one.
pub fn redis_url() -> String {
    std::env::var("BRAID_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A key prefix no other test (or earlier run) uses.
pub fn unique_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("braid-test:{test}:{}:{nanos}", std::process::id())
}

/// A [`braid_delivery::RedisBudget`] on the test Redis; a missing Redis fails the test
/// with what to start.
pub async fn redis_budget(
    prefix: &str,
    limit: u32,
    window: std::time::Duration,
) -> braid_delivery::RedisBudget {
    let url = redis_url();
    braid_delivery::RedisBudget::connect(&braid_core::Secret::new(url.clone()), prefix, limit, window)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "these tests need Redis 7 at {url} (start `redis-server`, or set BRAID_TEST_REDIS): {e}"
            )
        })
}
