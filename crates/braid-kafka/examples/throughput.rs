//! Produce and consume throughput of the Kafka ingest log against a running broker.
//!
//! ```sh
//! scripts/kafka.sh
//! cargo run -p braid-kafka --example throughput -- [records] [group size] [record bytes] [compression] [linger.ms]
//! ```
//!
//! Appends `records` records of about `record bytes` each in groups of `group size`, one
//! group at a time as the committer does (each waits for `acks=all`), then reads them all
//! back through a fresh consumer group. Defaults: 20000 records, groups of 64, 1 KB, lz4, braid's linger.

use braid_core::log::{LogRecord, LogRecordKind};
use braid_core::storage::{AppendRequest, IngestLog};
use braid_core::Secret;
use braid_kafka::{KafkaLog, KafkaOptions, LogConsumer};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn request(n: usize, bytes: usize) -> AppendRequest {
    let body = serde_json::json!({
        "user_identities": {"customer_id": format!("user-{}", n % 10_000)},
        "events": [{"event_type": "custom_event", "data": {"event_name": "viewed", "n": n}}],
        "pad": "abcdefghij".repeat(bytes.saturating_sub(160) / 10),
    });
    AppendRequest {
        record: LogRecord {
            input: "load".into(),
            kind: LogRecordKind::Live,
            received_ms: 1_700_000_000_000,
            batch_json: body.to_string(),
        },
        source_request_id: Some(format!("req-{n}")),
    }
}

#[tokio::main]
async fn main() {
    let arg = |i: usize, default: &str| std::env::args().nth(i).unwrap_or_else(|| default.into());
    let records: usize = arg(1, "20000").parse().expect("records");
    let group: usize = arg(2, "64").parse().expect("group size");
    let bytes: usize = arg(3, "1024").parse().expect("record bytes");
    let compression = arg(4, "lz4");
    let linger_ms = arg(5, "default");
    let mut options = KafkaOptions {
        brokers: std::env::var("BRAID_TEST_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into()),
        topic: format!(
            "braid-throughput.{}.{}",
            std::process::id(),
            braid_core::clock::now_ms()
        ),
        group_id: format!("braid-throughput-{}", std::process::id()),
        session_timeout_ms: 6_000,
        ..KafkaOptions::default()
    };
    options
        .client_properties
        .insert("compression.type".into(), Secret::new(compression.clone()));
    if linger_ms != "default" {
        options
            .client_properties
            .insert("linger.ms".into(), Secret::new(linger_ms.clone()));
    }
    let log = KafkaLog::connect(&options).expect("connect");
    let all: Vec<AppendRequest> = (0..records).map(|n| request(n, bytes)).collect();
    let record_bytes = all[0].record.batch_json.len();

    let started = Instant::now();
    for chunk in all.chunks(group) {
        log.append(chunk.to_vec()).expect("append");
    }
    let produce = started.elapsed();
    println!(
        "produce: {records} records of {record_bytes} B, groups of {group}, {compression}, linger.ms {linger_ms}: {:.0} records/s ({:.1} MB/s), {:.2} ms per group",
        records as f64 / produce.as_secs_f64(),
        (records * record_bytes) as f64 / produce.as_secs_f64() / 1e6,
        produce.as_secs_f64() * 1e3 / records.div_ceil(group) as f64,
    );

    let consumer = LogConsumer::join(&options, Arc::new(|_| Ok(None))).expect("join");
    // The first records wait for the group to form; time from the first record on.
    let mut seen = consumer
        .poll(1_000, Duration::from_secs(60))
        .await
        .expect("poll")
        .len();
    let started = Instant::now();
    while seen < records {
        seen += consumer
            .poll(1_000, Duration::from_secs(5))
            .await
            .expect("poll")
            .len();
    }
    let consume = started.elapsed();
    println!(
        "consume: {records} records: {:.0} records/s",
        records as f64 / consume.as_secs_f64()
    );
}
