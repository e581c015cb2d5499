//! Ingest commit throughput: one record per durable commit versus groups of 64 sharing one
//! commit (the server's group commit). Throughput is reported in records per second.

use braid_core::storage::{AppendRequest, IngestLog};
use braid_core::{LogRecord, LogRecordKind};
use braid_store::{EmbeddedStore, StoreOptions};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::sync::atomic::{AtomicU64, Ordering};

/// A batch of realistic size (~1 KiB of JSON).
fn request(n: u64) -> AppendRequest {
    let batch_json = format!(
        r#"{{"environment":"production","mpid":{n},"user_identities":{{"email":"user{n}@example.com","customer_id":"c{n}"}},"user_attributes":{{"plan":"gold","age":42}},"events":[{{"event_type":"custom_event","data":{{"event_name":"viewed","custom_attributes":{{"pad":"{}"}}}}}}]}}"#,
        "x".repeat(700)
    );
    AppendRequest {
        record: LogRecord {
            input: "ios".into(),
            kind: LogRecordKind::Live,
            received_ms: 1_700_000_000_000 + n as i64,
            batch_json,
        },
        source_request_id: Some(format!("req-{n}")),
    }
}

fn bench_commit(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path(), StoreOptions::default()).expect("open");
    let next = AtomicU64::new(0);
    let mut group = c.benchmark_group("append");
    for size in [1usize, 64] {
        group.throughput(Throughput::Elements(size as u64));
        group.bench_function(format!("group_of_{size}"), |b| {
            b.iter_batched(
                || {
                    (0..size)
                        .map(|_| request(next.fetch_add(1, Ordering::Relaxed)))
                        .collect::<Vec<_>>()
                },
                |batch| store.append(batch).expect("append"),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_commit);
criterion_main!(benches);
