//! The pipeline over the in-memory store: what a batch does to the profile, the history
//! and the outbox, and how the delta step and the cursor behave.

mod common;

use braid_braze::wire::TrackArray;
use braid_core::memory::MemoryStore;
use braid_core::storage::{IngestLog, Outbox, StateStore};
use braid_core::LogRecordKind;
use braid_mparticle::{AttributeValue, IdentityType};
use common::*;
use serde_json::json;

#[test]
fn a_batch_creates_a_profile_and_queues_its_attributes_and_events() {
    let store = MemoryStore::new(LANES);
    let pipeline = pipeline(Default::default());
    let report = ingest(
        &store,
        &pipeline,
        LogRecordKind::Live,
        NOW,
        json!({
            "user_identities": {"customer_id": "c1", "email": "one@example.com"},
            "user_attributes": {"plan": "gold"},
            "events": [{"event_type": "custom_event",
                        "data": {"event_name": "Viewed", "custom_event_type": "other"}}]
        }),
    );
    assert_eq!(report.records, 1);
    assert_eq!(report.profiles_created, 1);
    let mpid = owner(&store, IdentityType::CustomerId, "c1").expect("customer id indexed");
    assert_eq!(
        owner(&store, IdentityType::Email, "one@example.com"),
        Some(mpid)
    );
    let stored = profile(&store, mpid).expect("profile stored");
    assert_eq!(
        stored.attributes.get("plan"),
        Some(&AttributeValue::String("gold".into()))
    );
    assert_eq!(read(&store, |txn| txn.history(mpid, 0)).len(), 1);

    let bodies = track_bodies(&store);
    let attributes: Vec<_> = bodies
        .iter()
        .filter(|(array, _)| *array == TrackArray::Attributes)
        .collect();
    assert_eq!(attributes.len(), 1);
    assert_eq!(attributes[0].1["external_id"], json!("c1"));
    assert_eq!(attributes[0].1["plan"], json!("gold"));
    let events: Vec<_> = bodies
        .iter()
        .filter(|(array, _)| *array == TrackArray::Events)
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1["name"], json!("Viewed"));
    assert!(queued(&store).iter().all(|e| e.mpid == mpid.0));
    assert_eq!(report.outbox_entries, queued(&store).len() as u64);
    assert_eq!(StateStore::cursor(&store).expect("cursor"), 1);
}

#[test]
fn unchanged_attributes_are_not_sent_again_and_changed_ones_are() {
    let store = MemoryStore::new(LANES);
    let pipeline = pipeline(Default::default());
    let batch = |plan: &str| json!({"user_identities": {"customer_id": "c1"}, "user_attributes": {"plan": plan}});
    ingest(&store, &pipeline, LogRecordKind::Live, NOW, batch("gold"));
    assert_eq!(track_bodies(&store).len(), 1);
    deliver_all(&store);

    let repeat = ingest(
        &store,
        &pipeline,
        LogRecordKind::Live,
        NOW + 1,
        batch("gold"),
    );
    assert!(
        queued(&store).is_empty(),
        "an unchanged value costs nothing"
    );
    assert!(repeat.data_points_saved.total() > 0);

    ingest(
        &store,
        &pipeline,
        LogRecordKind::Live,
        NOW + 2,
        batch("silver"),
    );
    let bodies = track_bodies(&store);
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0].1["plan"], json!("silver"));
}

#[test]
fn a_historical_batch_updates_the_profile_but_sends_nothing() {
    let store = MemoryStore::new(LANES);
    let pipeline = pipeline(Default::default());
    let report = ingest(
        &store,
        &pipeline,
        LogRecordKind::Historical,
        NOW,
        json!({"user_identities": {"customer_id": "c9"}, "user_attributes": {"plan": "gold"}}),
    );
    assert_eq!(report.historical_records, 1);
    assert!(queued(&store).is_empty());
    let mpid = owner(&store, IdentityType::CustomerId, "c9").expect("indexed");
    assert!(profile(&store, mpid)
        .expect("stored")
        .attributes
        .contains_key("plan"));
}

#[test]
fn a_pass_with_nothing_new_changes_nothing() {
    let store = MemoryStore::new(LANES);
    let pipeline = pipeline(Default::default());
    ingest(
        &store,
        &pipeline,
        LogRecordKind::Live,
        NOW,
        json!({"user_identities": {"customer_id": "c1"}, "user_attributes": {"a": 1}}),
    );
    assert_eq!(StateStore::cursor(&store).expect("cursor"), 1);
    // Nothing new: the pass is a no-op and the cursor stays.
    let mut report = Default::default();
    let cursor = pipeline
        .process_pending(&store, &store, 100, &mut report)
        .expect("process");
    assert_eq!(cursor, 1);
    assert_eq!(report.records, 0);
    assert_eq!(store.head().expect("head"), 1);
    assert_eq!(store.depth().expect("depth"), 1);
}

#[test]
fn unparseable_stored_records_are_counted_and_skipped() {
    let store = MemoryStore::new(LANES);
    let pipeline = pipeline(Default::default());
    store
        .append(vec![braid_core::storage::AppendRequest {
            record: braid_core::LogRecord {
                input: "test".into(),
                kind: LogRecordKind::Live,
                received_ms: NOW,
                batch_json: "not json".into(),
            },
            source_request_id: None,
        }])
        .expect("append");
    let mut report = Default::default();
    let cursor = pipeline
        .process_pending(&store, &store, 100, &mut report)
        .expect("process");
    assert_eq!(cursor, 1);
    assert_eq!(report.unparseable_records, 1);
    assert!(queued(&store).is_empty());
}

#[test]
fn history_older_than_the_retention_is_trimmed_when_the_user_adds_to_it() {
    let store = MemoryStore::new(LANES);
    let pipeline = pipeline(Default::default());
    let event = |ts: i64| {
        json!({"user_identities": {"customer_id": "c1"},
               "events": [{"event_type": "custom_event",
                           "data": {"event_name": "E", "custom_event_type": "other",
                                    "timestamp_unixtime_ms": ts}}]})
    };
    ingest(&store, &pipeline, LogRecordKind::Live, NOW, event(NOW));
    let mpid = owner(&store, IdentityType::CustomerId, "c1").expect("indexed");
    let later = NOW + 40 * DAY_MS;
    ingest(&store, &pipeline, LogRecordKind::Live, later, event(later));
    let history = read(&store, |txn| txn.history(mpid, i64::MIN));
    let times: Vec<i64> = history.iter().map(|(ts, _)| *ts).collect();
    assert_eq!(times, vec![later]);
}

/// Append one live batch for customer `user` setting `plan`, without applying it.
fn append_plan(store: &MemoryStore, user: usize, plan: usize) {
    let record = braid_core::LogRecord {
        input: "test".into(),
        kind: LogRecordKind::Live,
        received_ms: NOW,
        batch_json: json!({
            "user_identities": {"customer_id": format!("c{user}")},
            "user_attributes": {"plan": format!("p{plan}")},
            "events": [{"event_type": "custom_event",
                        "data": {"event_name": format!("E{plan}"), "custom_event_type": "other"}}]
        })
        .to_string(),
    };
    store
        .append(vec![braid_core::storage::AppendRequest {
            record,
            source_request_id: None,
        }])
        .expect("append");
}

/// Per customer, the bodies queued for them, in queue order.
fn bodies_by_customer(
    store: &MemoryStore,
) -> std::collections::BTreeMap<String, Vec<serde_json::Map<String, serde_json::Value>>> {
    let mut out = std::collections::BTreeMap::<_, Vec<_>>::new();
    for (_, body) in track_bodies(store) {
        let customer = body["external_id"]
            .as_str()
            .expect("external id")
            .to_string();
        out.entry(customer).or_default().push(body);
    }
    out
}

#[test]
fn passes_that_read_ahead_apply_what_plain_passes_apply_even_when_another_writer_moves_the_cursor()
{
    let pipeline = pipeline(Default::default());
    let (plain, ahead_store) = (MemoryStore::new(LANES), MemoryStore::new(LANES));
    let mut ahead = None;
    let mut report = braid_core::pipeline::PipelineReport::default();
    // Four users, each changing plan many times: any record applied twice, skipped or out
    // of order shows up in what is queued for them.
    let mut step = 0;
    for round in 0..12 {
        for _ in 0..5 {
            append_plan(&plain, step % 4, step);
            append_plan(&ahead_store, step % 4, step);
            step += 1;
        }
        if round == 6 {
            // Another writer applies a pass: the read held in `ahead` no longer starts
            // at the cursor and must not be used.
            pipeline
                .process_pending(&ahead_store, &ahead_store, 3, &mut report)
                .expect("plain pass on the read-ahead store");
            assert!(
                ahead.is_some(),
                "a read ahead is held before the other writer"
            );
        }
        // Passes smaller than what arrives, so the read ahead is topped up and used.
        pipeline
            .process_pending_read_ahead(&ahead_store, &ahead_store, 3, &mut ahead, &mut report)
            .expect("read-ahead pass");
    }
    while StateStore::cursor(&ahead_store).expect("cursor") < step as u64 {
        pipeline
            .process_pending_read_ahead(&ahead_store, &ahead_store, 3, &mut ahead, &mut report)
            .expect("draining read-ahead pass");
    }
    while StateStore::cursor(&plain).expect("cursor") < step as u64 {
        pipeline
            .process_pending(&plain, &plain, 3, &mut report)
            .expect("plain pass");
    }
    assert_eq!(
        report.records,
        2 * step as u64,
        "each record applied once per store"
    );
    let (expected, got) = (bodies_by_customer(&plain), bodies_by_customer(&ahead_store));
    assert_eq!(expected.len(), 4);
    assert_eq!(got, expected);
    let last_plan = &got["c3"]
        .iter()
        .rev()
        .find(|b| b.contains_key("plan"))
        .expect("plan")["plan"];
    assert_eq!(last_plan, &json!(format!("p{}", step - 1)));
}
