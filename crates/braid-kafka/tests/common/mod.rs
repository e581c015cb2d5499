//! What the braid-kafka tests share: the broker they run against, fresh topics and
//! groups, records that say whose they are and in which order they were sent.

#![allow(dead_code)] // each test binary uses a different part

use braid_core::log::{LogRecord, LogRecordKind};
use braid_core::storage::AppendRequest;
use braid_kafka::{Consumed, KafkaOptions, LogConsumer};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The broker: `BRAID_TEST_KAFKA` (host:port), default 127.0.0.1:9092. Fails the test,
/// saying what to start, when nothing answers there.
pub fn broker() -> String {
    let address = std::env::var("BRAID_TEST_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let reachable = address
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
    assert!(
        reachable,
        "no Kafka-protocol broker at {address}: run scripts/kafka.sh (or set BRAID_TEST_KAFKA)"
    );
    address
}

/// Options on a topic and group of their own, so tests never see each other's records.
pub fn options(test: &str, partitions: i32) -> KafkaOptions {
    static SEQUENCE: AtomicU32 = AtomicU32::new(0);
    let unique = format!(
        "{}-{}-{}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed),
        braid_core::clock::now_ms()
    );
    KafkaOptions {
        brokers: broker(),
        topic: format!("braid-test.{test}.{unique}"),
        partitions,
        group_id: format!("braid-test-{test}-{unique}"),
        // Tansu's consumer groups settle slowly with the usual 45 s.
        session_timeout_ms: 6_000,
        ..KafkaOptions::default()
    }
}

/// [`options`], with librdkafka's `partition.assignment.strategy` set: `cooperative-sticky`
/// makes rebalances incremental (the default strategies are eager).
pub fn options_with_strategy(test: &str, partitions: i32, strategy: &str) -> KafkaOptions {
    let mut options = options(test, partitions);
    options.client_properties.insert(
        "partition.assignment.strategy".into(),
        braid_core::Secret::new(strategy),
    );
    options
}

/// The `seq`-th batch of `user` (a customer id), padded to about `pad` bytes.
pub fn batch(user: &str, seq: usize, pad: usize) -> AppendRequest {
    let body = serde_json::json!({
        "user_identities": {"customer_id": user},
        "events": [],
        "seq": seq,
        "pad": "x".repeat(pad),
    });
    AppendRequest {
        record: LogRecord {
            input: "test".into(),
            kind: LogRecordKind::Live,
            received_ms: 1_700_000_000_000 + seq as i64,
            batch_json: body.to_string(),
        },
        source_request_id: Some(format!("{user}/{seq}")),
    }
}

/// The user and sequence number a record of [`batch`] carries.
pub fn user_and_seq(record: &LogRecord) -> (String, usize) {
    let body: serde_json::Value = serde_json::from_str(&record.batch_json).expect("json body");
    (
        body["user_identities"]["customer_id"]
            .as_str()
            .expect("customer_id")
            .to_string(),
        body["seq"].as_u64().expect("seq") as usize,
    )
}

/// Bounds every wait so a broken broker fails the test instead of hanging it.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// Poll until `want` records arrived in total.
pub async fn consume(consumer: &LogConsumer, want: usize) -> Vec<Consumed> {
    let deadline = Instant::now() + PATIENCE;
    let mut out = Vec::new();
    while out.len() < want {
        assert!(
            Instant::now() < deadline,
            "only {} of {want} records arrived within {PATIENCE:?}",
            out.len()
        );
        out.extend(
            consumer
                .poll(500, Duration::from_millis(500))
                .await
                .expect("poll"),
        );
    }
    out
}

/// Poll (returning nothing, since nothing is produced yet) until `settled` holds for the
/// assignments of all `consumers`.
pub async fn settle(consumers: &[&LogConsumer], settled: impl Fn(&[Vec<i32>]) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let assignments: Vec<Vec<i32>> = consumers.iter().map(|c| c.assignment()).collect();
        if settled(&assignments) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the group did not settle within {PATIENCE:?}: {assignments:?}"
        );
        // One after another is enough: the group protocol runs on librdkafka's threads,
        // and each poll serves its member's pending rebalance.
        for consumer in consumers {
            let got = consumer
                .poll(10, Duration::from_millis(200))
                .await
                .expect("poll");
            assert!(got.is_empty(), "nothing was produced yet");
        }
    }
}
