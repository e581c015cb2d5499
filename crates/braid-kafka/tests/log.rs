//! The Kafka ingest log against a real Kafka-protocol broker (`scripts/kafka.sh`).

mod common;

use braid_core::storage::{AppendOutcome, IngestLog};
use braid_kafka::{partition_offset, Consumed, KafkaLog, LogConsumer};
use common::{batch, consume, options, options_with_strategy, settle, user_and_seq};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;

fn positions(outcomes: &[AppendOutcome]) -> Vec<u64> {
    outcomes
        .iter()
        .map(|o| match o {
            AppendOutcome::Appended(p) => *p,
            AppendOutcome::Duplicate(p) => panic!("kafka never reports duplicates, got {p}"),
        })
        .collect()
}

fn nothing_applied() -> braid_kafka::AppliedOffset {
    Arc::new(|_| Ok(None))
}

/// Per user, the sequence numbers in the order they were consumed.
fn sequences_per_user(consumed: &[Consumed]) -> BTreeMap<String, Vec<usize>> {
    let mut per_user: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for c in consumed {
        let (user, seq) = user_and_seq(&c.record);
        per_user.entry(user).or_default().push(seq);
    }
    per_user
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appended_batches_come_back_in_order_per_user_with_their_positions() {
    let options = options("order", 4);
    let log = KafkaLog::connect(&options).expect("connect");
    let users = ["ana", "bo", "cy"];
    let mut sent = Vec::new();
    let mut appended = Vec::new();
    for round in 0..5 {
        let group: Vec<_> = users.iter().map(|u| batch(u, round, 10)).collect();
        sent.extend(group.iter().map(|r| r.record.clone()));
        appended.extend(positions(&log.append(group).expect("append")));
    }
    let consumer = LogConsumer::join(&options, nothing_applied()).expect("join");
    let consumed = consume(&consumer, sent.len()).await;
    assert_eq!(consumed.len(), sent.len());

    for (user, seqs) in sequences_per_user(&consumed) {
        assert_eq!(seqs, (0..5).collect::<Vec<_>>(), "order of {user}");
    }
    // Each consumed record sits at the position `append` returned for it.
    let by_position: HashMap<u64, &Consumed> = consumed.iter().map(|c| (c.position, c)).collect();
    for (position, record) in appended.iter().zip(&sent) {
        let got = by_position[position];
        assert_eq!(&got.record, record);
        assert_eq!((got.partition, got.offset), partition_offset(*position));
        let (user, seq) = user_and_seq(record);
        assert_eq!(
            got.source_request_id.as_deref(),
            Some(format!("{user}/{seq}").as_str())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_keyed_records_over_eight_partitions_keep_per_user_order() {
    let options = options("many", 8);
    let log = KafkaLog::connect(&options).expect("connect");
    let users: Vec<String> = (0..100).map(|u| format!("user-{u}")).collect();
    let records: Vec<_> = (0..2_000)
        .map(|i| batch(&users[i % users.len()], i / users.len(), 200))
        .collect();
    for group in records.chunks(64) {
        let outcomes = log.append(group.to_vec()).expect("append");
        assert_eq!(outcomes.len(), group.len());
    }
    let consumer = LogConsumer::join(&options, nothing_applied()).expect("join");
    let consumed = consume(&consumer, records.len()).await;
    assert_eq!(consumed.len(), 2_000, "every record once");

    let per_user = sequences_per_user(&consumed);
    assert_eq!(per_user.len(), users.len());
    for (user, seqs) in &per_user {
        assert_eq!(seqs, &(0..20).collect::<Vec<_>>(), "order of {user}");
    }
    let mut partitions_of_user: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    for c in &consumed {
        partitions_of_user
            .entry(user_and_seq(&c.record).0)
            .or_default()
            .insert(c.partition);
    }
    assert!(
        partitions_of_user.values().all(|p| p.len() == 1),
        "a user lives in one partition"
    );
    let used: BTreeSet<i32> = partitions_of_user.values().flatten().copied().collect();
    assert_eq!(
        used,
        (0..8).collect(),
        "100 users spread over all 8 partitions"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consumers_in_one_group_split_the_partitions_and_see_every_record_once() {
    let options = options("split", 8);
    let log = KafkaLog::connect(&options).expect("connect");
    let first = LogConsumer::join(&options, nothing_applied()).expect("join first");
    let second = LogConsumer::join(&options, nothing_applied()).expect("join second");
    settle(&[&first, &second], |a| {
        let all: BTreeSet<i32> = a.iter().flatten().copied().collect();
        a.iter().all(|p| !p.is_empty()) && all.len() == 8 && a[0].len() + a[1].len() == 8
    })
    .await;

    let records: Vec<_> = (0..400)
        .map(|i| batch(&format!("u{}", i % 40), i / 40, 50))
        .collect();
    for group in records.chunks(50) {
        log.append(group.to_vec()).expect("append");
    }
    let mut seen: Vec<(usize, Consumed)> = Vec::new();
    let deadline = std::time::Instant::now() + common::PATIENCE;
    while seen.len() < records.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of 400 arrived",
            seen.len()
        );
        for (who, consumer) in [(0, &first), (1, &second)] {
            let got = consumer
                .poll(200, std::time::Duration::from_millis(200))
                .await
                .expect("poll");
            seen.extend(got.into_iter().map(|c| (who, c)));
        }
    }
    assert_eq!(seen.len(), 400);
    let distinct: BTreeSet<u64> = seen.iter().map(|(_, c)| c.position).collect();
    assert_eq!(distinct.len(), 400, "no record twice");
    let assignments = [first.assignment(), second.assignment()];
    for (who, c) in &seen {
        assert!(
            assignments[*who].contains(&c.partition),
            "a record of an assigned partition"
        );
    }
    assert!(
        seen.iter().any(|(w, _)| *w == 0) && seen.iter().any(|(w, _)| *w == 1),
        "both consumed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_leaves_hands_its_partitions_over_and_they_resume_after_the_applied_offset()
{
    handover(options("handover", 8)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_incremental_rebalancing_a_leaving_consumers_partitions_resume_after_the_applied_offset(
) {
    handover(options_with_strategy(
        "handover-coop",
        8,
        "cooperative-sticky",
    ))
    .await;
}

async fn handover(options: braid_kafka::KafkaOptions) {
    let log = KafkaLog::connect(&options).expect("connect");
    // What PostgreSQL would hold: the last applied offset per partition.
    let applied_store: Arc<parking_lot::Mutex<HashMap<i32, i64>>> = Default::default();
    let applied: braid_kafka::AppliedOffset = {
        let store = applied_store.clone();
        Arc::new(move |p| Ok(store.lock().get(&p).copied()))
    };
    let leaving = LogConsumer::join(&options, applied.clone()).expect("join leaving");
    let staying = LogConsumer::join(&options, applied.clone()).expect("join staying");
    settle(&[&leaving, &staying], |a| {
        a.iter().all(|p| !p.is_empty()) && a[0].len() + a[1].len() == 8
    })
    .await;
    let leaving_partitions: BTreeSet<i32> = leaving.assignment().into_iter().collect();

    let records: Vec<_> = (0..400)
        .map(|i| batch(&format!("u{}", i % 80), i / 80, 50))
        .collect();
    for group in records.chunks(64) {
        log.append(group.to_vec()).expect("append");
    }
    // Both consume everything; the staying one applies all it got, the leaving one only
    // its first five records per partition (as if it died before committing the rest).
    let mut total = 0;
    let mut highest: BTreeMap<i32, i64> = BTreeMap::new();
    let deadline = std::time::Instant::now() + common::PATIENCE;
    while total < records.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "only {total} of 400 arrived"
        );
        for (is_leaving, consumer) in [(true, &leaving), (false, &staying)] {
            for c in consumer
                .poll(200, std::time::Duration::from_millis(200))
                .await
                .expect("poll")
            {
                total += 1;
                highest.insert(c.partition, c.offset);
                if !is_leaving || c.offset < 5 {
                    applied_store.lock().insert(c.partition, c.offset);
                    consumer.applied(c.partition, c.offset);
                }
            }
        }
    }
    assert_eq!(total, 400);
    drop(leaving); // leaves the group

    // The staying consumer takes the leaving one's partitions and replays exactly what
    // was not applied there; its own partitions were all applied, so nothing of them.
    let expected: BTreeSet<(i32, i64)> = leaving_partitions
        .iter()
        .flat_map(|p| (5..=highest.get(p).copied().unwrap_or(-1)).map(move |o| (*p, o)))
        .collect();
    assert!(
        !expected.is_empty(),
        "the leaving consumer left records unapplied"
    );
    let replayed = consume(&staying, expected.len()).await;
    assert_eq!(staying.assignment(), (0..8).collect::<Vec<_>>());
    let got: BTreeSet<(i32, i64)> = replayed.iter().map(|c| (c.partition, c.offset)).collect();
    assert_eq!(got.len(), replayed.len(), "nothing twice");
    assert_eq!(got, expected);
    let more = staying
        .poll(100, std::time::Duration::from_secs(1))
        .await
        .expect("poll");
    assert!(
        more.is_empty(),
        "applied records came back: {:?}",
        more.iter()
            .map(|c| (c.partition, c.offset))
            .collect::<Vec<_>>()
    );
}

#[test]
fn read_after_and_head_walk_the_log_in_position_order() {
    let options = options("read", 3);
    let log = KafkaLog::connect(&options).expect("connect");
    assert_eq!(log.head().expect("head"), 0, "an empty log");
    assert!(log.read_after(0, 10).expect("read").is_empty());

    let records: Vec<_> = (0..30)
        .map(|i| batch(&format!("u{}", i % 7), i / 7, 10))
        .collect();
    let appended = positions(&log.append(records.clone()).expect("append"));
    let mut in_order: Vec<(u64, braid_core::log::LogRecord)> = appended
        .iter()
        .copied()
        .zip(records.into_iter().map(|r| r.record))
        .collect();
    in_order.sort_by_key(|(position, _)| *position);

    assert_eq!(
        log.head().expect("head"),
        in_order.last().expect("records").0
    );
    assert_eq!(log.read_after(0, 1_000).expect("read all"), in_order);
    for start in [0, 4, 17, 28] {
        let after = in_order[start].0;
        let want: Vec<_> = in_order[start + 1..].iter().take(5).cloned().collect();
        assert_eq!(
            log.read_after(after, 5).expect("read"),
            want,
            "after #{start}"
        );
    }
    let head = log.head().expect("head");
    assert!(log.read_after(head, 10).expect("read").is_empty());
    assert!(log.read_after(u64::MAX, 10).expect("read").is_empty());
    log.ping(std::time::Duration::from_secs(5)).expect("ping");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_counts_what_the_consumer_has_not_taken_yet() {
    let options = options("lag", 2);
    let log = KafkaLog::connect(&options).expect("connect");
    let consumer = LogConsumer::join(&options, nothing_applied()).expect("join");
    settle(&[&consumer], |a| a[0].len() == 2).await;
    assert_eq!(consumer.lag(), vec![(0, 0), (1, 0)]);

    // One record per append, so each is a record batch of its own: Tansu 0.6 reports the
    // high watermark as the base offset of the last batch plus one (Kafka: the offset
    // after the last record), which would undercount a many-record batch.
    for i in 0..40 {
        log.append(vec![batch(&format!("u{}", i % 9), i / 9, 10)])
            .expect("append");
    }
    let waiting: i64 = consumer.lag().iter().map(|(_, lag)| lag).sum();
    assert_eq!(waiting, 40);

    let consumed = consume(&consumer, 40).await;
    assert_eq!(consumed.len(), 40);
    assert_eq!(consumer.lag(), vec![(0, 0), (1, 0)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joining_consumer_takes_over_partitions_mid_stream_and_every_record_is_applied_once() {
    join_mid_stream(options("join", 8)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_incremental_rebalancing_a_joining_consumer_takes_over_and_every_record_is_applied_once(
) {
    join_mid_stream(options_with_strategy("join-coop", 8, "cooperative-sticky")).await;
}

async fn join_mid_stream(options: braid_kafka::KafkaOptions) {
    let log = KafkaLog::connect(&options).expect("connect");
    let applied_store: Arc<parking_lot::Mutex<HashMap<i32, i64>>> = Default::default();
    let applied: braid_kafka::AppliedOffset = {
        let store = applied_store.clone();
        Arc::new(move |p| Ok(store.lock().get(&p).copied()))
    };
    let first = LogConsumer::join(&options, applied.clone()).expect("join first");
    settle(&[&first], |a| a[0].len() == 8).await;
    let records: Vec<_> = (0..800)
        .map(|i| batch(&format!("u{}", i % 80), i / 80, 50))
        .collect();
    for group in records.chunks(64) {
        log.append(group.to_vec()).expect("append");
    }
    // The first consumer applies a little, then the second joins while records wait.
    let mut applied_positions: Vec<(usize, Consumed)> = Vec::new();
    let got = first
        .poll(20, std::time::Duration::from_secs(10))
        .await
        .expect("poll");
    apply(&applied_store, &mut applied_positions, 0, &first, got);
    let second = LogConsumer::join(&options, applied.clone()).expect("join second");
    let deadline = std::time::Instant::now() + common::PATIENCE;
    while applied_positions.len() < records.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of 800 applied",
            applied_positions.len()
        );
        for (who, consumer) in [(0, &first), (1, &second)] {
            // Small polls, so rebalances land between and inside them.
            let got = consumer
                .poll(7, std::time::Duration::from_millis(100))
                .await
                .expect("poll");
            apply(&applied_store, &mut applied_positions, who, consumer, got);
        }
    }
    assert!(
        applied_positions.iter().any(|(who, _)| *who == 1),
        "the second consumer took partitions over"
    );
    let distinct: BTreeSet<u64> = applied_positions.iter().map(|(_, c)| c.position).collect();
    assert_eq!(distinct.len(), 800, "every record applied exactly once");
    for (user, seqs) in sequences_per_user(
        &applied_positions
            .into_iter()
            .map(|(_, c)| c)
            .collect::<Vec<_>>(),
    ) {
        assert_eq!(seqs, (0..10).collect::<Vec<_>>(), "order of {user}");
    }
}

/// Apply what `who` consumed: check it is of its assignment, note the offset as applied
/// (what the worker's PostgreSQL transaction does), keep the record.
fn apply(
    store: &parking_lot::Mutex<HashMap<i32, i64>>,
    applied: &mut Vec<(usize, Consumed)>,
    who: usize,
    consumer: &LogConsumer,
    got: Vec<Consumed>,
) {
    let assignment = consumer.assignment();
    for c in got {
        assert!(
            assignment.contains(&c.partition),
            "consumer {who} got {}@{} outside its assignment {assignment:?}",
            c.partition,
            c.offset
        );
        store.lock().insert(c.partition, c.offset);
        consumer.applied(c.partition, c.offset);
        applied.push((who, c));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_dropped_part_way_loses_no_records() {
    let options = options("cancel", 4);
    let log = KafkaLog::connect(&options).expect("connect");
    let records: Vec<_> = (0..300)
        .map(|i| batch(&format!("u{}", i % 30), i / 30, 20))
        .collect();
    for group in records.chunks(50) {
        log.append(group.to_vec()).expect("append");
    }
    let consumer = LogConsumer::join(&options, nothing_applied()).expect("join");
    let mut seen: Vec<Consumed> = Vec::new();
    let deadline = std::time::Instant::now() + common::PATIENCE;
    while seen.len() < records.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of 300 arrived: records of dropped polls were lost",
            seen.len()
        );
        // As a `select!` that takes another branch does: start a poll, then drop it. Its
        // thread goes on collecting; those records must come out of a later poll.
        {
            let mut dropped =
                std::pin::pin!(consumer.poll(25, std::time::Duration::from_millis(300)));
            let once =
                std::future::poll_fn(|cx| std::task::Poll::Ready(dropped.as_mut().poll(cx))).await;
            if let std::task::Poll::Ready(got) = once {
                seen.extend(got.expect("poll"));
            }
        }
        seen.extend(
            consumer
                .poll(10, std::time::Duration::from_millis(300))
                .await
                .expect("poll"),
        );
    }
    let distinct: BTreeSet<u64> = seen.iter().map(|c| c.position).collect();
    assert_eq!(distinct.len(), 300, "every record once");
    for (user, seqs) in sequences_per_user(&seen) {
        assert_eq!(seqs, (0..10).collect::<Vec<_>>(), "order of {user}");
    }
}
