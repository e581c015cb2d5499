//! The pipeline alone over the real embedded store, on braid-load's default workload
//! (10,000 users, a fifth anonymous, 3 events per batch, attributes re-sent in full with
//! a tenth churning): the time `Pipeline::process_pending_read_ahead` takes for one pass
//! of 512 batches (`BENCH_PASS_RECORDS` sets another size), one durable transaction, as
//! the server's pipeline worker runs it. The figure is what issue 15's first goal counts;
//! ingest and delivery are not in it.

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
/// Batches in a pass unless `BENCH_PASS_RECORDS` says otherwise. A pass takes whatever
/// is waiting up to the server's `StorageConfig::records_per_pass`, so the size is a parameter of
/// the figure, not a constant of it.
const DEFAULT_RECORDS: usize = 512;

fn records_per_pass() -> usize {
    std::env::var("BENCH_PASS_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_RECORDS)
}

fn appends(workload: &mut Workload, round: usize, records: usize) -> Vec<AppendRequest> {
    (0..records)
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
    let records = records_per_pass();
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
    // One pass always waits in the log beyond the one being applied, as under the
    // backlog this figure is about, so the worker's read ahead has something to read.
    let mut round = 1;
    store
        .append(appends(&mut workload, round, records))
        .expect("append");
    let mut ahead = None;
    let mut pass = |store: &EmbeddedStore| -> Duration {
        round += 1;
        store
            .append(appends(&mut workload, round, records))
            .expect("append");
        let started = Instant::now();
        let mut report = PipelineReport::default();
        pipeline
            .process_pending_read_ahead(store, store, records, &mut ahead, &mut report)
            .expect("process");
        let took = started.elapsed();
        assert_eq!(
            report.records, records as u64,
            "the pass applied every batch"
        );
        took
    };
    // Every user seen once, so the measured passes are the steady state (profiles exist,
    // sent state to compare against), not first sight.
    for _ in 0..(30_000 / records).max(3) {
        pass(&store);
    }
    let mut group = c.benchmark_group("pipeline_default_workload");
    group.sample_size(20);
    group.throughput(Throughput::Elements(records as u64));
    group.bench_function(format!("pass_of_{records}_batches"), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| pass(&store)).sum())
    });
    group.finish();
}

criterion_group!(benches, bench_pipeline);
criterion_main!(benches);
