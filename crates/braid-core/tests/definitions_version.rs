//! The stored definitions version: every audience or calculated-attribute change counts
//! it up in its own transaction, and a handle that follows the store reloads the
//! definitions in the first transaction that sees it move. Two pipelines over one
//! in-memory store stand for two nodes of the distributed backend.

mod common;

use braid_audiences::calculated_attributes::parse_calculated_attribute;
use braid_audiences::{Audience, AudienceSet, CalculatedSet};
use braid_braze::settings::BrazeSettings;
use braid_core::membership::{
    self, AudienceChangeError, AudienceHandle, AudienceRuntime, CleanupThen,
};
use braid_core::memory::MemoryStore;
use braid_core::pipeline::{Pipeline, PipelineConfig};
use braid_core::storage::StateStore;
use braid_core::LogRecordKind;
use braid_mparticle::IdentityType;
use common::*;
use serde_json::json;

fn node(handle: AudienceHandle) -> Pipeline {
    Pipeline::with_audiences(
        PipelineConfig {
            braze: BrazeSettings::default(),
            forward_to_braze: true,
            lanes: LANES,
            history_retention_ms: 30 * DAY_MS,
            currents: Default::default(),
        },
        handle,
    )
}

fn gold() -> Audience {
    Audience::from_json(json!({"id": 7, "name": "Gold",
        "criteria": {"attribute": {"key": "plan", "op": "equals", "value": "gold"}}}))
    .expect("definition")
}

fn version(store: &MemoryStore) -> u64 {
    store
        .transact(|txn| membership::definitions_version(txn))
        .unwrap()
}

/// What node A's admin API does: change the stored definitions in one transaction.
fn add_audience(store: &MemoryStore, audience: Audience) -> (u64, AudienceSet, CalculatedSet) {
    membership::transact_change(store, |txn| {
        let stored = membership::read_stored(txn, 25)?;
        let (set, _) = membership::put_audience(txn, &stored.set, audience, false, NOW)?;
        let version = membership::definitions_version(txn)?;
        Ok::<_, AudienceChangeError>((version, set, stored.calculated))
    })
    .unwrap()
}

fn plan(store: &MemoryStore, pipeline: &Pipeline, user: &str, plan: &str) -> Vec<u64> {
    ingest(
        store,
        pipeline,
        LogRecordKind::Live,
        NOW,
        json!({"user_identities": {"customer_id": user}, "user_attributes": {"plan": plan}}),
    );
    let mpid = owner(store, IdentityType::CustomerId, user).expect("indexed");
    let profile = store
        .transact(|txn| txn.profile(mpid))
        .unwrap()
        .expect("profile");
    profile.audiences.keys().copied().collect()
}

#[test]
fn every_definition_change_counts_the_version_up() {
    let store = MemoryStore::new(LANES);
    assert_eq!(version(&store), 0, "nothing stored yet");
    let (v1, set, _) = add_audience(&store, gold());
    assert_eq!((v1, version(&store)), (1, 1));
    // Deactivating is a change too.
    membership::transact_change(&store, |txn| {
        membership::retire_audience(txn, &set, 7, CleanupThen::Deactivate, false, NOW)
    })
    .unwrap();
    assert_eq!(version(&store), 2);
    // So is a calculated attribute.
    let plays = parse_calculated_attribute(
        json!({"name": "plays", "function": "count", "event": "Played"}),
        "calculated attribute",
    )
    .unwrap();
    membership::transact_change(&store, |txn| {
        let stored = membership::read_stored(txn, 25)?;
        braid_core::calculated::put_attribute(
            txn,
            &stored.calculated,
            &stored.set,
            plays,
            false,
            30 * DAY_MS,
            NOW,
        )
    })
    .unwrap();
    assert_eq!(version(&store), 3);
    let stored = store
        .transact(|txn| membership::read_stored(txn, 25))
        .unwrap();
    assert_eq!(stored.version, 3);
    assert!(stored.calculated.get("plays").is_some());
    assert!(stored.set.get(7).is_some());
    // A refused change stores nothing and counts nothing.
    let refused = membership::transact_change(&store, |txn| {
        let stored = membership::read_stored(txn, 25)?;
        membership::put_audience(txn, &stored.set, gold(), false, NOW)
    });
    assert!(matches!(refused, Err(AudienceChangeError::Exists(7))));
    assert_eq!(version(&store), 3);
}

#[test]
fn a_node_following_the_store_uses_a_change_made_elsewhere_from_its_next_transaction() {
    let store = MemoryStore::new(LANES);
    let here = AudienceHandle::following_store(AudienceRuntime::default(), 0);
    let elsewhere = AudienceHandle::following_store(AudienceRuntime::default(), 0);
    let worker = node(elsewhere.clone());
    assert!(plan(&store, &worker, "before", "gold").is_empty());

    // Node "here" adds the audience and puts it in force; the other node is not told.
    let (version, set, calculated) = add_audience(&store, gold());
    assert!(here.install(version, set, calculated));
    assert!(elsewhere.current().set.get(7).is_none());
    // Its next batch is evaluated against the new definition.
    assert_eq!(plan(&store, &worker, "after", "gold"), vec![7]);
    assert!(elsewhere.current().set.get(7).is_some());
    assert_eq!(elsewhere.version(), Some(1));

    // Deleting it reaches the other node the same way.
    membership::transact_change(&store, |txn| {
        let stored = membership::read_stored(txn, 25)?;
        membership::retire_audience(txn, &stored.set, 7, CleanupThen::Delete, false, NOW)
    })
    .unwrap();
    assert!(plan(&store, &worker, "later", "gold").is_empty());
    assert!(elsewhere.current().set.get(7).is_none());
    // An older version never replaces a newer one.
    assert!(!elsewhere.install(1, AudienceSet::default(), CalculatedSet::default()));
    assert_eq!(elsewhere.version(), Some(2));
    // `refresh` says whether anything changed.
    assert!(!elsewhere.refresh(&store).unwrap());
}

#[test]
fn a_handle_not_following_the_store_keeps_what_it_was_given() {
    let store = MemoryStore::new(LANES);
    let handle = AudienceHandle::new(AudienceRuntime::default());
    let worker = node(handle.clone());
    add_audience(&store, gold());
    assert!(plan(&store, &worker, "u", "gold").is_empty());
    assert!(!handle.refresh(&store).unwrap());
    assert!(handle.current().set.get(7).is_none());
}

#[test]
fn a_job_queued_elsewhere_runs_on_a_node_following_the_store() {
    let store = MemoryStore::new(LANES);
    let leader = node(AudienceHandle::following_store(
        AudienceRuntime::default(),
        0,
    ));
    plan(&store, &leader, "existing", "gold");
    let (_, _, _) = add_audience(&store, gold());
    let mut steps = 0;
    loop {
        let mut report = braid_core::pipeline::PipelineReport::default();
        let (worked, _) = leader
            .run_audience_work(&store, NOW, 100, &mut report)
            .unwrap();
        if !worked {
            break;
        }
        steps += 1;
        assert!(steps < 10, "the job never finished");
    }
    let jobs = store.transact(|txn| membership::jobs(txn)).unwrap();
    assert!(jobs.iter().all(|j| j.is_finished()), "{jobs:?}");
    let mpid = owner(&store, IdentityType::CustomerId, "existing").unwrap();
    let profile = store.transact(|txn| txn.profile(mpid)).unwrap().unwrap();
    assert!(profile.audiences.contains_key(&7));
}
