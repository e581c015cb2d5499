//! The real pipeline applying batches to PgStore: one record per transaction against 64
//! records sharing one (how the pipeline calls it), in records per second, with the round
//! trips each transaction cost printed after each group. The log is an in-memory one (in
//! production Kafka holds it); only the state transaction is timed.
//!
//! Needs PostgreSQL: `BRAID_TEST_POSTGRES_URL`, else the local one (trust auth, database
//! `test`). Works in a schema of its own, dropped at the end.

use braid_braze::settings::BrazeSettings;
use braid_core::memory::MemoryStore;
use braid_core::pipeline::{Pipeline, PipelineConfig, PipelineReport};
use braid_core::storage::{AppendRequest, IngestLog};
use braid_core::{LogRecord, LogRecordKind, Secret};
use braid_postgres::{PgOptions, PgStore};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::{Duration, Instant};

const NOW: i64 = 1_710_504_000_000;
const USERS: usize = 5_000;

fn url() -> String {
    std::env::var("BRAID_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// One batch for user `n`: two custom events and a changing attribute.
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

fn drop_schema(schema: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(async {
            let (client, connection) =
                tokio_postgres::connect(&url(), tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .await
        })
        .expect("drop the bench schema");
}

fn bench_pipeline(c: &mut Criterion) {
    let schema = format!("braid_bench_{}", std::process::id());
    let mut options = PgOptions::new(Secret::new(url()));
    options.schema = schema.clone();
    options.lanes = 16;
    let store = PgStore::connect(&options).unwrap_or_else(|e| {
        panic!(
            "cannot use PostgreSQL at {} ({e}); start it or set BRAID_TEST_POSTGRES_URL",
            url()
        )
    });
    let log = MemoryStore::new(16);
    let pipeline = Pipeline::new(PipelineConfig {
        braze: BrazeSettings::default(),
        forward_to_braze: true,
        lanes: 16,
        history_retention_ms: 30 * 86_400_000,
        currents: Default::default(),
    });
    let mut next = 0usize;
    let mut group = c.benchmark_group("pg_pipeline");
    group.sample_size(20);
    for per_txn in [1usize, 64] {
        group.throughput(Throughput::Elements(per_txn as u64));
        let (mut txns, mut trips) = (0u64, 0u64);
        group.bench_function(format!("{per_txn}_records_per_txn"), |b| {
            b.iter_custom(|iterations| {
                let mut spent = Duration::ZERO;
                for _ in 0..iterations {
                    let requests = (0..per_txn)
                        .map(|_| {
                            next += 1;
                            record(next % USERS, next / USERS)
                        })
                        .collect();
                    log.append(requests).expect("append");
                    let before = store.round_trips();
                    let started = Instant::now();
                    let mut report = PipelineReport::default();
                    pipeline
                        .process_pending(&log, &store, per_txn, &mut report)
                        .expect("process");
                    spent += started.elapsed();
                    trips += store.round_trips() - before;
                    txns += 1;
                }
                spent
            })
        });
        eprintln!(
            "pg_pipeline/{per_txn}_records_per_txn: {:.1} round trips per transaction, {:.1} per record",
            trips as f64 / txns as f64,
            trips as f64 / (txns * per_txn as u64) as f64
        );
    }
    group.finish();
    drop(store);
    drop_schema(&schema);
}

criterion_group!(benches, bench_pipeline);
criterion_main!(benches);
