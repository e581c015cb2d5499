//! Mapping plus delta step throughput, in mParticle events per second on one core.
//!
//! The batch is a realistic app batch: a session start, three custom events with
//! attributes, a screen view, a two-product purchase, and a handful of user attribute
//! changes. Each iteration maps the batch and runs the delta step against the user's
//! sent state (with the state as it stands after earlier iterations, i.e. the steady
//! state where most attributes are unchanged).

use braid_braze::delta::{apply_delta, SentState};
use braid_braze::mapping::{map_change, MappingInput};
use braid_braze::settings::BrazeSettings;
use braid_mparticle::{AttributeMap, Batch, Identities, Mpid};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use serde_json::json;

fn realistic_batch() -> Batch {
    serde_json::from_value(json!({
        "mpid": 8675309,
        "timestamp_unixtime_ms": 1_717_230_000_000_i64,
        "device_info": {"platform": "iOS"},
        "user_identities": {"customer_id": "c-42", "email": "ada@example.com"},
        "user_attributes": {
            "$FirstName": "Ada", "$LastName": "Lovelace", "$Gender": "female", "$Age": 36,
            "$Country": "GB", "plan": "pro", "seats": 12, "tags": ["beta", "early", "vip"]
        },
        "events": [
            {"event_type": "session_start", "data": {"timestamp_unixtime_ms": 1_717_200_000_000_i64}},
            {"event_type": "custom_event", "data": {"event_name": "Played", "custom_event_type": "media",
                "timestamp_unixtime_ms": 1_717_200_001_000_i64,
                "custom_attributes": {"song": "Hey", "plays": "3", "liked": "true", "$source": "radio"}}},
            {"event_type": "custom_event", "data": {"event_name": "Searched", "custom_event_type": "search",
                "timestamp_unixtime_ms": 1_717_200_002_000_i64, "custom_attributes": {"query": "jazz", "results": "14"}}},
            {"event_type": "screen_view", "data": {"screen_name": "Library", "timestamp_unixtime_ms": 1_717_200_003_000_i64}},
            {"event_type": "custom_event", "data": {"event_name": "Shared", "custom_event_type": "social",
                "timestamp_unixtime_ms": 1_717_200_004_000_i64, "custom_attributes": {"network": "mastodon"}}},
            {"event_type": "commerce_event", "data": {"timestamp_unixtime_ms": 1_717_200_005_000_i64, "currency_code": "GBP",
                "product_action": {"action": "purchase", "transaction_id": "T-9", "total_amount": 30.0,
                    "products": [{"id": "SKU-1", "name": "Shirt", "price": 20.0, "quantity": 1, "custom_attributes": {"size": "M"}},
                                 {"id": "SKU-2", "name": "Hat", "price": 10.0, "quantity": 1}]}}}
        ]
    }))
    .expect("bench batch parses")
}

fn bench(c: &mut Criterion) {
    let batch = realistic_batch();
    let events = batch.events.len() as u64;
    let identities_before = Identities::new();
    let identities: Identities = batch.user_identities.clone();
    let attributes_before = AttributeMap::new();
    let attributes: AttributeMap = batch.user_attributes.clone();
    let settings = BrazeSettings {
        forward_session_events: true,
        forward_screen_views: true,
        ..BrazeSettings::default()
    };
    let enriched = BrazeSettings {
        include_enriched_user_attributes: true,
        ..settings.clone()
    };

    let mut group = c.benchmark_group("mapping");
    group.throughput(Throughput::Elements(events));
    for (name, settings) in [
        ("map_and_delta", &settings),
        ("map_and_delta_enriched", &enriched),
    ] {
        let mut state = SentState::default();
        group.bench_function(name, |b| {
            b.iter(|| {
                let input = MappingInput {
                    mpid: Mpid(8675309),
                    identities_before: &identities_before,
                    identities: &identities,
                    attributes_before: &attributes_before,
                    attributes: &attributes,
                    batch: &batch,
                    now_ms: 1_717_243_200_000,
                };
                let out = map_change(settings, black_box(&input));
                black_box(apply_delta(&mut state, out.objects, settings.deltas))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
