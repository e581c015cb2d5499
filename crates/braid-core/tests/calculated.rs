//! Calculated attributes over the in-memory store: values updated by the pipeline and
//! queued for Braze only on change, a sliding window expiring at UTC midnight through the
//! re-check schedule, lifetime values counting events older than the history kept, and a
//! backfill over existing profiles.

mod common;

use braid_audiences::calculated_attributes::{
    parse_calculated_attribute, CalculatedSet, StoredAttribute,
};
use braid_braze::wire::TrackArray;
use braid_core::calculated;
use braid_core::membership::transact_change;
use braid_core::memory::MemoryStore;
use braid_core::pipeline::{Pipeline, PipelineReport};
use braid_core::LogRecordKind;
use common::*;
use serde_json::{json, Value};

fn with_attributes(defs: Vec<Value>) -> Pipeline {
    let p = pipeline(Default::default());
    let stored = defs
        .into_iter()
        .map(|d| StoredAttribute {
            definition: parse_calculated_attribute(d, "t").unwrap(),
            revision: 1,
        })
        .collect();
    p.audiences()
        .replace_calculated(CalculatedSet::new(stored, 25).unwrap());
    p
}

fn played(customer_id: &str, minutes: i64, ts: i64) -> Value {
    json!({"user_identities": {"customer_id": customer_id}, "events": [{"event_type": "custom_event",
        "data": {"event_name": "Played", "custom_event_type": "other", "timestamp_unixtime_ms": ts,
            "custom_attributes": {"minutes": minutes}}}]})
}

/// The values of `key` in the attributes objects queued, in order.
fn queued_values(store: &MemoryStore, key: &str) -> Vec<Value> {
    track_bodies(store)
        .into_iter()
        .filter(|(array, _)| *array == TrackArray::Attributes)
        .filter_map(|(_, body)| body.get(key).cloned())
        .collect()
}

fn work(store: &MemoryStore, pipeline: &Pipeline, now: i64) {
    loop {
        let mut report = PipelineReport::default();
        let (worked, _) = pipeline
            .run_audience_work(store, now, 64, &mut report)
            .unwrap();
        if !worked {
            break;
        }
    }
}

#[test]
fn a_sliding_sum_is_queued_on_change_and_expires_at_utc_midnight() {
    let store = MemoryStore::new(LANES);
    let pipeline = with_attributes(vec![json!({"name": "minutes_2d", "function": "sum",
        "of": "minutes", "event": "Played", "within_days": 2})]);
    let today = NOW.div_euclid(DAY_MS) * DAY_MS;
    ingest(
        &store,
        &pipeline,
        LogRecordKind::Live,
        NOW,
        played("u1", 30, today - DAY_MS),
    );
    ingest(
        &store,
        &pipeline,
        LogRecordKind::Live,
        NOW + 1,
        played("u1", 12, NOW),
    );
    // An event of another name leaves the value as it is: nothing more is queued.
    ingest(
        &store,
        &pipeline,
        LogRecordKind::Live,
        NOW + 2,
        json!({"user_identities": {"customer_id": "u1"},
        "events": [{"event_type": "custom_event", "data": {"event_name": "Paused", "custom_event_type": "other"}}]}),
    );
    assert_eq!(queued_values(&store, "minutes_2d"), [json!(30), json!(42)]);
    // Just before midnight nothing expires; at midnight yesterday leaves the window.
    work(&store, &pipeline, today + DAY_MS - 1);
    assert_eq!(queued_values(&store, "minutes_2d").len(), 2);
    work(&store, &pipeline, today + DAY_MS);
    assert_eq!(
        queued_values(&store, "minutes_2d"),
        [json!(30), json!(42), json!(12)]
    );
    work(&store, &pipeline, today + 2 * DAY_MS);
    assert_eq!(queued_values(&store, "minutes_2d").last(), Some(&json!(0)));
}

#[test]
fn lifetime_values_count_events_older_than_the_history_kept() {
    let store = MemoryStore::new(LANES);
    let pipeline = with_attributes(vec![
        json!({"name": "plays", "function": "count", "event": "Played"}),
    ]);
    // 400 days old: beyond the 30 days of history, still counted for the lifetime.
    ingest(
        &store,
        &pipeline,
        LogRecordKind::Live,
        NOW,
        played("u1", 1, NOW - 400 * DAY_MS),
    );
    ingest(
        &store,
        &pipeline,
        LogRecordKind::Live,
        NOW + 1,
        played("u1", 1, NOW),
    );
    assert_eq!(queued_values(&store, "plays"), [json!(1), json!(2)]);
}

#[test]
fn a_backfill_computes_a_new_attribute_for_existing_profiles_from_history() {
    let store = MemoryStore::new(LANES);
    let pipeline = with_attributes(Vec::new());
    for i in 0..10 {
        ingest(
            &store,
            &pipeline,
            LogRecordKind::Live,
            NOW,
            played(&format!("u{i}"), i, NOW - DAY_MS),
        );
    }
    let runtime = pipeline.audiences().current();
    let definition = parse_calculated_attribute(
        json!({"name": "best", "function": "max", "of": "minutes", "event": "Played", "within_days": 7}),
        "t",
    )
    .unwrap();
    let (set, job) = transact_change(&store, |txn| {
        calculated::put_attribute(
            txn,
            &runtime.calculated,
            &runtime.set,
            definition,
            false,
            30 * DAY_MS,
            NOW,
        )
    })
    .unwrap();
    let job = job.expect("a backfill is queued");
    assert_eq!((job.total, job.history_limit.as_deref()), (10, None));
    pipeline.audiences().replace_calculated(set);
    work(&store, &pipeline, NOW + 5);
    let jobs = read(&store, |txn| calculated::jobs(txn));
    assert!(jobs[0].is_finished());
    assert_eq!(
        (jobs[0].processed, jobs[0].changed),
        (10, 10),
        "every max went from none to a number (u0's is 0)"
    );
    let mut values = queued_values(&store, "best");
    values.sort_by_key(|v| v.as_i64());
    assert_eq!(values, (0..10).map(Value::from).collect::<Vec<_>>());
}
