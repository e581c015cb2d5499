//! braid-core's log conformance suite (what every `IngestLog` promises) against
//! [`KafkaLog`] on a real Kafka-protocol broker (`scripts/kafka.sh`), each check on a topic
//! of its own with three partitions, so positions of several partitions meet in every
//! check. Kafka runs only this part of the suite: it catches duplicates when the pipeline
//! applies them, not at append, its positions are not consecutive across partitions, and
//! its records expire by the topic's retention, not by braid's pruning.

mod common;

use braid_core::conformance::{user_record, user_request, LOG_USERS};
use braid_core::storage::{AppendOutcome, IngestLog};
use braid_kafka::{partition_key, partition_offset, KafkaLog, KafkaOptions};
use std::collections::BTreeSet;

/// Partitions of every check's topic: more than one, so partition encoding is exercised.
const PARTITIONS: i32 = 3;

fn kafka(_lanes: u32) -> (KafkaLog, KafkaOptions) {
    let options = common::options("conformance", PARTITIONS);
    let log = KafkaLog::connect(&options).expect("connect");
    (log, options)
}

/// A new `KafkaLog` (producer and reader) on the same topic, after dropping the old one.
fn reconnect(log: KafkaLog, options: &KafkaOptions) -> KafkaLog {
    drop(log);
    KafkaLog::connect(options).expect("connect again")
}

braid_core::log_conformance_tests!(kafka, reopen: reconnect);

/// The suite's records are keyed by their user, and its users land on more than one of the
/// topic's partitions, so its per-user order and position order checks span partitions.
#[test]
fn the_suites_users_are_keyed_alike_and_spread_over_partitions() {
    let key_identity = KafkaOptions::default().key_identity;
    for user in 0..LOG_USERS {
        let key = partition_key(&user_record(user, 1), key_identity);
        assert!(!key.starts_with("unique:"), "user {user} has a key: {key}");
        assert_eq!(key, partition_key(&user_record(user, 2), key_identity));
    }
    let (log, _options) = kafka(0);
    let outcomes = log
        .append((0..LOG_USERS).map(|user| user_request(user, 1)).collect())
        .expect("append");
    let partitions: BTreeSet<i32> = outcomes
        .iter()
        .map(|outcome| match outcome {
            AppendOutcome::Appended(position) => partition_offset(*position).0,
            AppendOutcome::Duplicate(position) => panic!("kafka named {position} a duplicate"),
        })
        .collect();
    assert!(
        partitions.len() > 1,
        "all {LOG_USERS} users on partitions {partitions:?}"
    );
}
