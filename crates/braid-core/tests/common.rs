//! Shared by braid-core's tests: a pipeline over the in-memory store, and helpers to feed
//! it mParticle batches and read what it queued for Braze.

#![allow(dead_code)]

use braid_braze::settings::BrazeSettings;
use braid_core::membership::{AudienceHandle, AudienceRuntime};
use braid_core::memory::MemoryStore;
use braid_core::pipeline::{Pipeline, PipelineConfig, PipelineReport};
use braid_core::storage::{AppendRequest, IngestLog, Outbox, StateStore, StateTxn, StoreResult};
use braid_core::{LogRecord, LogRecordKind, OutboxEntry, OutboxPayload, Profile};
use braid_mparticle::{IdentityType, Mpid};
use serde_json::{Map, Value};

pub const LANES: u32 = 4;
pub const NOW: i64 = 1_750_000_000_000;
pub const DAY_MS: i64 = 86_400_000;

pub fn pipeline(set: braid_audiences::AudienceSet) -> Pipeline {
    Pipeline::with_audiences(
        PipelineConfig {
            braze: BrazeSettings::default(),
            forward_to_braze: true,
            lanes: LANES,
            history_retention_ms: 30 * DAY_MS,
            currents: Default::default(),
        },
        AudienceHandle::new(AudienceRuntime {
            set,
            ..AudienceRuntime::default()
        }),
    )
}

/// Append one batch (accepted at `received_ms`) and apply everything pending.
pub fn ingest(
    store: &MemoryStore,
    pipeline: &Pipeline,
    kind: LogRecordKind,
    received_ms: i64,
    batch: Value,
) -> PipelineReport {
    let record = LogRecord {
        input: "test".into(),
        kind,
        received_ms,
        batch_json: batch.to_string(),
    };
    store
        .append(vec![AppendRequest {
            record,
            source_request_id: None,
        }])
        .expect("append");
    let mut report = PipelineReport::default();
    pipeline
        .process_pending(store, store, 100, &mut report)
        .expect("process");
    report
}

/// Every outbox entry of every lane, in lane then queue order.
pub fn queued(store: &MemoryStore) -> Vec<OutboxEntry> {
    (0..store.lane_count())
        .flat_map(|lane| store.peek(lane, 1000).expect("peek"))
        .map(|(_, entry)| entry)
        .collect()
}

/// Deliver everything queued (as delivery would after Braze accepted it).
pub fn deliver_all(store: &MemoryStore) {
    for lane in 0..store.lane_count() {
        let seqs: Vec<u64> = store
            .peek(lane, 1000)
            .expect("peek")
            .iter()
            .map(|(s, _)| *s)
            .collect();
        store.complete(lane, &seqs, Vec::new()).expect("complete");
    }
}

/// The `/users/track` bodies queued, as (array, body).
pub fn track_bodies(
    store: &MemoryStore,
) -> Vec<(braid_braze::wire::TrackArray, Map<String, Value>)> {
    queued(store)
        .into_iter()
        .filter_map(|e| match e.payload {
            OutboxPayload::Track { object } => Some((object.array, object.body)),
            _ => None,
        })
        .collect()
}

pub fn read<R>(store: &MemoryStore, f: impl FnOnce(&mut dyn StateTxn) -> StoreResult<R>) -> R {
    store.transact(f).expect("transaction")
}

pub fn owner(store: &MemoryStore, kind: IdentityType, value: &str) -> Option<Mpid> {
    read(store, |txn| txn.identity_owner(kind, value))
}

pub fn profile(store: &MemoryStore, mpid: Mpid) -> Option<Profile> {
    read(store, |txn| txn.profile(mpid))
}
