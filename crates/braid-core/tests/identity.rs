//! Identity resolution through the pipeline over the in-memory store: an `mpid` decides,
//! otherwise the first known identity in lookup order, otherwise a new profile; an
//! identity belongs to one profile, and the newest batch claims it.

mod common;

use braid_core::identity::{mpid_for_position, resolve};
use braid_core::memory::MemoryStore;
use braid_core::storage::StateStore;
use braid_core::LogRecordKind;
use braid_mparticle::{IdentityType, Mpid};
use common::*;
use serde_json::json;

fn live(store: &MemoryStore, batch: serde_json::Value) -> braid_core::pipeline::PipelineReport {
    ingest(
        store,
        &pipeline(Default::default()),
        LogRecordKind::Live,
        NOW,
        batch,
    )
}

#[test]
fn a_batch_with_an_mpid_belongs_to_that_profile() {
    let store = MemoryStore::new(LANES);
    let report = live(
        &store,
        json!({"mpid": 42, "user_identities": {"email": "a@example.com"}}),
    );
    assert_eq!(report.profiles_created, 1);
    assert!(profile(&store, Mpid(42)).is_some());
    assert_eq!(
        owner(&store, IdentityType::Email, "a@example.com"),
        Some(Mpid(42))
    );
    let again = live(&store, json!({"mpid": "42", "user_attributes": {"x": 1}}));
    assert_eq!(again.profiles_created, 0);
    assert!(profile(&store, Mpid(42))
        .expect("kept")
        .attributes
        .contains_key("x"));
}

#[test]
fn a_known_identity_finds_the_profile_in_lookup_order() {
    let store = MemoryStore::new(LANES);
    live(
        &store,
        json!({"mpid": 1, "user_identities": {"email": "shared@example.com"}}),
    );
    live(
        &store,
        json!({"mpid": 2, "user_identities": {"customer_id": "c2"}}),
    );
    // Customer id comes before email in the lookup order: profile 2 wins, and claims the
    // email from profile 1.
    let report = live(
        &store,
        json!({"user_identities": {"email": "shared@example.com", "customer_id": "c2"},
               "user_attributes": {"seen": true}}),
    );
    assert_eq!(report.profiles_created, 0);
    assert_eq!(report.identities_reassigned, 1);
    assert!(profile(&store, Mpid(2))
        .expect("p2")
        .attributes
        .contains_key("seen"));
    assert_eq!(
        owner(&store, IdentityType::Email, "shared@example.com"),
        Some(Mpid(2))
    );
    let first = profile(&store, Mpid(1)).expect("p1");
    assert!(!first.identities.contains_key(&IdentityType::Email));
}

#[test]
fn unknown_identities_make_a_new_profile_with_a_position_derived_mpid() {
    let store = MemoryStore::new(LANES);
    let report = live(
        &store,
        json!({"user_identities": {"email": "new@example.com"}}),
    );
    assert_eq!(report.profiles_created, 1);
    let mpid = owner(&store, IdentityType::Email, "new@example.com").expect("indexed");
    assert_ne!(mpid, Mpid(0));
    let salt = read(&store, |txn| txn.meta("mpid_salt"))
        .and_then(|v| v.as_u64())
        .expect("salt stored");
    assert_eq!(mpid, mpid_for_position(1, salt));
}

#[test]
fn a_changed_identity_frees_its_old_value() {
    let store = MemoryStore::new(LANES);
    live(
        &store,
        json!({"mpid": 5, "user_identities": {"email": "old@example.com"}}),
    );
    live(
        &store,
        json!({"mpid": 5, "user_identities": {"email": "new@example.com"}}),
    );
    assert_eq!(owner(&store, IdentityType::Email, "old@example.com"), None);
    assert_eq!(
        owner(&store, IdentityType::Email, "new@example.com"),
        Some(Mpid(5))
    );
    let stored = profile(&store, Mpid(5)).expect("profile");
    assert_eq!(
        stored
            .identities
            .get(&IdentityType::Email)
            .map(String::as_str),
        Some("new@example.com")
    );
}

#[test]
fn resolve_reports_reassignments_without_writing() {
    let store = MemoryStore::new(LANES);
    live(
        &store,
        json!({"mpid": 1, "user_identities": {"email": "e@example.com"}}),
    );
    let batch = braid_mparticle::parse_batch(
        br#"{"mpid": 2, "user_identities": {"email": "e@example.com", "customer_id": ""}}"#,
    )
    .expect("batch parses");
    let resolution = store
        .transact(|txn| resolve(txn, &batch, NOW, || Mpid(99)))
        .expect("resolve");
    assert!(resolution.created);
    assert_eq!(resolution.profile.mpid, Mpid(2));
    assert_eq!(resolution.reassigned, vec![(IdentityType::Email, Mpid(1))]);
    assert_eq!(
        owner(&store, IdentityType::Email, "e@example.com"),
        Some(Mpid(1))
    );
}

#[test]
fn mpids_for_positions_are_distinct_stable_and_never_zero() {
    let mpids: std::collections::BTreeSet<Mpid> =
        (0..10_000).map(|p| mpid_for_position(p, 7)).collect();
    assert_eq!(mpids.len(), 10_000);
    assert!(!mpids.contains(&Mpid(0)));
    assert_eq!(mpid_for_position(3, 7), mpid_for_position(3, 7));
}
