//! Evaluation cost with 100 audiences defined: per incoming event (index + evaluation of
//! the affected audiences) and per profile for a full evaluation (backfill).

use braid_audiences::{AudienceSet, Change, EventKind, EventRecord, ProductRef, UserView};
use braid_mparticle::{AttributeMap, AttributeValue, Identities, IdentityType};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

const DAY: i64 = 86_400_000;
const NOW: i64 = 1_710_504_000_000;
const EVENT_NAMES: usize = 20;

fn record(i: usize) -> EventRecord {
    let mut attributes = Map::new();
    attributes.insert(
        "category".into(),
        Value::String(if i.is_multiple_of(3) { "Shoes" } else { "Hats" }.into()),
    );
    if i.is_multiple_of(10) {
        EventRecord {
            ts_ms: NOW - (i as i64 % 60) * DAY,
            kind: EventKind::Purchase,
            name: "purchase".into(),
            attributes,
            amount: Some(20.0 + i as f64),
            products: vec![ProductRef {
                sku: Some(format!("SKU-{}", i % 7)),
                name: None,
                price: None,
                quantity: None,
            }],
        }
    } else {
        EventRecord {
            ts_ms: NOW - (i as i64 % 60) * DAY,
            kind: EventKind::Custom,
            name: format!("Event {}", i % EVENT_NAMES),
            attributes,
            amount: None,
            products: Vec::new(),
        }
    }
}

fn bench(c: &mut Criterion) {
    let set = AudienceSet::new(braid_audiences::fixtures::hundred_mixed_audiences()).unwrap();
    let mut attributes = AttributeMap::new();
    for k in 0..10 {
        attributes.insert(
            format!("attr{k}"),
            AttributeValue::String(format!("value {k} abc")),
        );
    }
    attributes.insert("$Country".into(), AttributeValue::String("ES".into()));
    attributes.insert("age".into(), AttributeValue::Number(33.into()));
    attributes.insert("signup".into(), AttributeValue::String("2024-03-01".into()));
    let mut identities = Identities::new();
    identities.insert(IdentityType::Email, "a@b.c".into());
    identities.insert(IdentityType::CustomerId, "c1".into());
    let history: Vec<EventRecord> = (0..200).map(record).collect();
    let memberships: BTreeSet<u64> = BTreeSet::new();
    let calculated = braid_audiences::CalculatedValues::default();
    let user = UserView {
        attributes: &attributes,
        identities: &identities,
        history: &history,
        memberships: &memberships,
        calculated: &calculated,
    };
    let current = set.evaluate_user(&user, None, NOW).apply(&memberships);
    let user = UserView {
        memberships: &current,
        ..user
    };

    let mut i = 0usize;
    c.bench_function("per_event_100_audiences_200_history", |b| {
        b.iter(|| {
            i += 1;
            let mut change = Change::default();
            change.record_event(&record(i));
            let ids = set.affected_by(&change);
            black_box(set.evaluate_user(&user, Some(&ids), NOW))
        })
    });
    c.bench_function("full_profile_100_audiences_200_history", |b| {
        b.iter(|| black_box(set.evaluate_user(&user, None, NOW)))
    });
    c.bench_function("next_expiry_100_audiences_200_history", |b| {
        b.iter(|| black_box(set.next_expiry(&user, NOW)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
