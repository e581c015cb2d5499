//! Calculated attributes through the real embedded store: pipeline throughput with 0, 10
//! and 50 active calculated attributes (measured in one run, so the ratios are the cost
//! per event), and the backfill rate in profiles per second.

use braid_audiences::calculated_attributes::CalculatedSet;
use braid_audiences::fixtures::calculated_attributes;
use braid_braze::settings::BrazeSettings;
use braid_core::calculated;
use braid_core::membership::{transact_change, AudienceHandle, AudienceRuntime};
use braid_core::pipeline::{Pipeline, PipelineConfig, PipelineReport};
use braid_core::storage::{AppendRequest, IngestLog};
use braid_core::{LogRecord, LogRecordKind};
use braid_store::{EmbeddedStore, StoreOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::{Duration, Instant};

const NOW: i64 = 1_710_504_000_000;
const RECORDS: usize = 512;
const PROFILES: usize = 10_000;

/// One batch for user `n`: two custom events with a category, a purchase every fourth
/// round, and a churning attribute.
fn record(n: usize, round: usize) -> AppendRequest {
    let purchase = if round.is_multiple_of(4) {
        r#",{"event_type":"commerce_event","data":{"product_action":{"action":"purchase","total_amount":12.5,"products":[{"id":"SKU-1","price":12.5}]}}}"#
    } else {
        ""
    };
    let batch_json = format!(
        r#"{{"user_identities":{{"customer_id":"c{n}","email":"u{n}@example.com"}},"user_attributes":{{"attr{a}":"value {round} abc"}},"events":[{{"event_type":"custom_event","data":{{"event_name":"Event {e1}","custom_event_type":"other","custom_attributes":{{"category":"Shoes {c}"}}}}}},{{"event_type":"custom_event","data":{{"event_name":"Event {e2}","custom_event_type":"other","custom_attributes":{{"category":"{c}"}}}}}}{purchase}]}}"#,
        a = (n + round) % 10,
        e1 = (n + round) % 20,
        e2 = (n * 7 + round) % 20,
        c = round % 5,
    );
    AppendRequest {
        record: LogRecord {
            input: "bench".into(),
            kind: LogRecordKind::Live,
            received_ms: NOW + round as i64 * 60_000,
            batch_json,
        },
        source_request_id: None,
    }
}

fn pipeline(calculated: CalculatedSet) -> Pipeline {
    Pipeline::with_audiences(
        PipelineConfig {
            braze: BrazeSettings::default(),
            forward_to_braze: true,
            lanes: 16,
            history_retention_ms: 30 * 86_400_000,
            currents: Default::default(),
        },
        AudienceHandle::new(AudienceRuntime {
            calculated,
            ..AudienceRuntime::default()
        }),
    )
}

fn set_of(n: usize) -> CalculatedSet {
    CalculatedSet::new(calculated_attributes(n), 25).expect("valid fixtures")
}

/// Append `RECORDS` batches, then time applying them.
fn timed_round(store: &EmbeddedStore, pipeline: &Pipeline, users: usize, round: usize) -> Duration {
    let requests = (0..RECORDS)
        .map(|i| record((round * RECORDS + i) % users, round))
        .collect();
    store.append(requests).expect("append");
    let started = Instant::now();
    let mut report = PipelineReport::default();
    pipeline
        .process_pending(store, store, RECORDS, &mut report)
        .expect("process");
    started.elapsed()
}

fn bench_pipeline(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipeline_512_batches_1024_events");
    group.sample_size(20);
    group.throughput(Throughput::Elements(2 * RECORDS as u64));
    for n in [0, 10, 50] {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), StoreOptions::default()).expect("open");
        let pipeline = pipeline(set_of(n));
        let mut round = 0;
        group.bench_function(format!("{n}_calculated_attributes"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        round += 1;
                        timed_round(&store, &pipeline, 2_000, round)
                    })
                    .sum()
            })
        });
    }
    group.finish();
}

fn bench_backfill(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path(), StoreOptions::default()).expect("open");
    // Profiles with history, made by the pipeline itself, with ten attributes on.
    let pipeline = pipeline(set_of(10));
    for round in 0..PROFILES / RECORDS + 1 {
        timed_round(&store, &pipeline, PROFILES, round);
    }
    let mut group = c.benchmark_group("backfill");
    group.sample_size(10);
    group.throughput(Throughput::Elements(PROFILES as u64));
    let mut version = 0u64;
    group.bench_function("one_calculated_attribute_10k_profiles", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // A changed calculation of calc1 (a 7-day sum) queues a backfill.
                version += 1;
                let runtime = pipeline.audiences().current();
                let mut definition = runtime.calculated.get("calc1").unwrap().definition.clone();
                definition.within_days = Some(7 + (version % 20) as u32);
                let (set, job) = transact_change(&store, |txn| {
                    calculated::put_attribute(
                        txn,
                        &runtime.calculated,
                        &runtime.set,
                        definition,
                        true,
                        30 * 86_400_000,
                        NOW,
                    )
                })
                .expect("backfill queued");
                assert!(job.is_some());
                pipeline.audiences().replace_calculated(set);
                let started = Instant::now();
                loop {
                    let mut report = PipelineReport::default();
                    let (worked, _) = pipeline
                        .run_audience_work(&store, NOW, 256, &mut report)
                        .expect("job step");
                    if !worked {
                        break;
                    }
                }
                total += started.elapsed();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench_pipeline, bench_backfill);
criterion_main!(benches);
