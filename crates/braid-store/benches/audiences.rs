//! Audiences through the real embedded store: pipeline throughput with 100 audiences
//! defined against none (measured in one run, so the ratio is the audience cost per event),
//! and the backfill rate in profiles per second.

use braid_audiences::{fixtures::hundred_mixed_audiences, AudienceSet};
use braid_braze::settings::BrazeSettings;
use braid_core::membership::{self, AudienceHandle, AudienceRuntime};
use braid_core::pipeline::{Pipeline, PipelineConfig, PipelineReport};
use braid_core::storage::{AppendRequest, IngestLog};
use braid_core::{LogRecord, LogRecordKind};
use braid_store::{EmbeddedStore, StoreOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::{Duration, Instant};

const NOW: i64 = 1_710_504_000_000;
const RECORDS: usize = 512;
const PROFILES: usize = 10_000;

/// One batch for user `n`: two custom events and a churning attribute.
fn record(n: usize, round: usize) -> AppendRequest {
    let batch_json = format!(
        r#"{{"user_identities":{{"customer_id":"c{n}","email":"u{n}@example.com"}},"user_attributes":{{"attr{a}":"value {round} abc","$Country":"ES","age":{age}}},"events":[{{"event_type":"custom_event","data":{{"event_name":"Event {e1}","custom_event_type":"other","custom_attributes":{{"category":"Shoes"}}}}}},{{"event_type":"custom_event","data":{{"event_name":"Event {e2}","custom_event_type":"other"}}}}]}}"#,
        a = (n + round) % 10,
        age = 20 + n % 50,
        e1 = (n + round) % 20,
        e2 = (n * 7 + round) % 20,
    );
    AppendRequest {
        record: LogRecord {
            input: "bench".into(),
            kind: LogRecordKind::Live,
            received_ms: NOW + round as i64,
            batch_json,
        },
        source_request_id: None,
    }
}

fn pipeline(set: AudienceSet) -> Pipeline {
    Pipeline::with_audiences(
        PipelineConfig {
            braze: BrazeSettings::default(),
            forward_to_braze: true,
            lanes: 16,
            history_retention_ms: 30 * 86_400_000,
            currents: Default::default(),
        },
        AudienceHandle::new(AudienceRuntime {
            set,
            ..AudienceRuntime::default()
        }),
    )
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
    for (name, set) in [
        ("no_audiences", AudienceSet::default()),
        (
            "100_audiences",
            AudienceSet::new(hundred_mixed_audiences()).unwrap(),
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), StoreOptions::default()).expect("open");
        let pipeline = pipeline(set);
        let mut round = 0;
        group.bench_function(name, |b| {
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
    let all = hundred_mixed_audiences();
    // Profiles with history, made by the pipeline itself, with the other 99 audiences on.
    let pipeline = pipeline(AudienceSet::new(all[1..].to_vec()).unwrap_or_default());
    for round in 0..PROFILES / RECORDS + 1 {
        timed_round(&store, &pipeline, PROFILES, round);
    }
    let mut group = c.benchmark_group("backfill");
    group.sample_size(10);
    group.throughput(Throughput::Elements(PROFILES as u64));
    let mut version = 0u64;
    group.bench_function("one_audience_10k_profiles", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // A changed definition of audience 1000 queues a backfill over every profile.
                version += 1;
                let mut audience = all[0].clone();
                audience.name = format!("Audience 0 v{version}");
                let current = pipeline.audiences().current().set.clone();
                let (set, job) = membership::transact_change(&store, |txn| {
                    membership::put_audience(
                        txn,
                        &current,
                        audience,
                        current.get(1000).is_some(),
                        NOW,
                    )
                })
                .expect("backfill queued");
                assert!(job.is_some());
                pipeline.audiences().replace_set(set);
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
