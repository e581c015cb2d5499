//! The pipeline alone over the real embedded store, on braid-load's default workload
//! (10,000 users, a fifth anonymous, 3 events per batch, attributes re-sent in full with
//! a tenth churning): the time `Pipeline::process_pending` takes for one pass of 512
//! batches, one durable transaction, as the server's pipeline worker runs it. The figure
//! is what issue 15's first goal counts; ingest and delivery are not in it.

use braid_braze::settings::BrazeSettings;
use braid_core::pipeline::{Pipeline, PipelineConfig, PipelineReport};
use braid_core::storage::{AppendRequest, IngestLog, Outbox};
use braid_core::{LogRecord, LogRecordKind};
use braid_load::workload::{Workload, WorkloadConfig};
use braid_store::{EmbeddedStore, StoreOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::{Duration, Instant};

// The server binary's allocator, so the figure is the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NOW: i64 = 1_764_000_000_000;
/// A pass, as the pipeline worker reads it (`RECORDS_PER_TRANSACTION`).
const RECORDS: usize = 512;

fn appends(workload: &mut Workload, round: usize) -> Vec<AppendRequest> {
    (0..RECORDS)
        .map(|_| {
            let (body, _) = workload.next_batch(NOW + round as i64 * 1_000);
            AppendRequest {
                record: LogRecord {
                    input: "bench".into(),
                    kind: LogRecordKind::Live,
                    received_ms: NOW + round as i64 * 1_000,
                    batch_json: String::from_utf8(body).expect("workload writes UTF-8"),
                },
                source_request_id: None,
            }
        })
        .collect()
}

fn bench_pipeline(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path(), StoreOptions::default()).expect("open");
    let pipeline = Pipeline::new(PipelineConfig {
        braze: BrazeSettings::default(),
        forward_to_braze: true,
        lanes: Outbox::lane_count(&store),
        history_retention_ms: 30 * 86_400_000,
        currents: Default::default(),
    });
    let mut workload = Workload::new(WorkloadConfig::default()).expect("default workload");
    let mut round = 0;
    let mut pass = |store: &EmbeddedStore| -> Duration {
        round += 1;
        store.append(appends(&mut workload, round)).expect("append");
        let started = Instant::now();
        let mut report = PipelineReport::default();
        pipeline
            .process_pending(store, store, RECORDS, &mut report)
            .expect("process");
        let took = started.elapsed();
        assert_eq!(
            report.records, RECORDS as u64,
            "the pass applied every batch"
        );
        took
    };
    // Every user seen once, so the measured passes are the steady state (profiles exist,
    // sent state to compare against), not first sight.
    for _ in 0..(10_000 / RECORDS) * 3 {
        pass(&store);
    }
    let mut group = c.benchmark_group("pipeline_default_workload");
    group.sample_size(20);
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("pass_of_512_batches", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| pass(&store)).sum())
    });
    group.finish();
}

criterion_group!(benches, bench_pipeline);
criterion_main!(benches);
