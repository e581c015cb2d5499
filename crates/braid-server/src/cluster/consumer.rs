//! The pipeline worker of the distributed backend: a member of the Kafka consumer group
//! that applies what it consumes to PostgreSQL.
//!
//! Exactly-once effects on an at-least-once log: each partition's last applied offset is
//! a state value (`kafka/offset/<partition>`) written in the same transaction as the
//! effects of the records it covers, and read again at the start of that transaction.
//! Whatever Kafka hands out again (after a crash, a rebalance, or to two workers during
//! a hand-over), records at or below the stored offset are skipped; two workers applying
//! the same partition at once read-modify-write the same value, so PostgreSQL lets only
//! one commit and the other retries and skips. A batch retried by its sender (the same
//! `source_request_id` from the same input) is dropped here, in the same transaction,
//! within the de-duplication window of Braze Currents event ids.
//!
//! Audience re-checks and backfill jobs run on one worker at a time: the one that holds
//! the `audiences` lead in PostgreSQL. Every transaction reads the stored definitions
//! version and reloads the definitions when it moved (`AudienceHandle::in_force`), so a
//! definition changed through any node's admin API is in force on every worker from its
//! next transaction, and a job queued on any node runs on the leader.

use super::Cluster;
use crate::store::Store;
use crate::worker::{audience_step, record_metrics, AudienceTiming, Reporting};
use braid_core::pipeline::{Pipeline, PipelineReport};
use braid_core::storage::{StateStore, StateTxn, StoreResult};
use braid_kafka::{Consumed, LogConsumer};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Most records taken from Kafka per poll (and so per transaction, at most).
const RECORDS_PER_POLL: usize = 512;

/// Longest wait for records before other work (audience steps, shutdown) gets a turn.
const POLL_WAIT: Duration = Duration::from_millis(200);

/// How often consumer lag is measured.
const LAG_INTERVAL: Duration = Duration::from_secs(2);

/// Attempts at one partition's chunk that lost a race before it is given up for this
/// pass (and consumed again from the stored offset).
const CONFLICT_ATTEMPTS: u32 = 20;

/// The state key of a partition's last applied offset.
pub fn offset_key(partition: i32) -> String {
    format!("kafka/offset/{partition}")
}

/// The state key that marks a batch as applied (its input and `source_request_id`).
fn batch_key(input: &str, source_request_id: &str) -> String {
    format!("batch/{input}/{source_request_id}")
}

/// A partition's last applied offset, read in `txn`.
pub(crate) fn applied_offset(txn: &mut dyn StateTxn, partition: i32) -> StoreResult<Option<i64>> {
    Ok(txn
        .meta(&offset_key(partition))?
        .and_then(|value| value.as_i64()))
}

/// Consume and apply until shutdown.
pub async fn run(
    cluster: Arc<Cluster>,
    pipeline: Arc<Pipeline>,
    processed: Arc<Notify>,
    reporting: Reporting,
    audience: AudienceTiming,
    mut shutdown: watch::Receiver<bool>,
) {
    let applied = {
        let state = cluster.state.clone();
        Arc::new(move |partition: i32| state.transact(|txn| applied_offset(txn, partition)))
            as Arc<dyn Fn(i32) -> StoreResult<Option<i64>> + Send + Sync>
    };
    let consumer = loop {
        match LogConsumer::join(&cluster.kafka, applied.clone()) {
            Ok(consumer) => break consumer,
            Err(e) => {
                tracing::error!(error = %e, "cannot join the consumer group; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.wait_for(|stop| *stop) => return,
                }
            }
        }
    };
    tracing::info!(group = %cluster.kafka.group_id, topic = %cluster.kafka.topic, "pipeline worker joined the consumer group");
    let consumer = Arc::new(consumer);
    tokio::spawn(report_lag(consumer.clone(), shutdown.clone()));
    let store = Store::Distributed(cluster.clone());
    let mut last_audience_step = std::time::Instant::now() - audience.interval;
    loop {
        if *shutdown.borrow() {
            return;
        }
        if last_audience_step.elapsed() >= audience.interval {
            last_audience_step = std::time::Instant::now();
            let state = cluster.state.clone();
            let leads = tokio::task::spawn_blocking(move || state.try_lead("audiences"))
                .await
                .ok()
                .and_then(|r| r.ok())
                .unwrap_or(false);
            // A step that found work (a backfill chunk) is followed by the next one on the
            // next turn of the loop, between polls, not an interval later.
            if leads && audience_step(&store, &pipeline, &audience, &reporting.ledger).await {
                last_audience_step = std::time::Instant::now() - audience.interval;
            }
        }
        let consumed = tokio::select! {
            consumed = consumer.poll(RECORDS_PER_POLL, POLL_WAIT) => consumed,
            _ = shutdown.wait_for(|stop| *stop) => return,
            _ = audience.wake.notified() => {
                last_audience_step = std::time::Instant::now() - audience.interval;
                continue;
            }
        };
        let consumed = match consumed {
            Ok(consumed) => consumed,
            Err(e) => {
                tracing::warn!(error = %e, "consuming the log failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if consumed.is_empty() {
            continue;
        }
        let mut by_partition: BTreeMap<i32, Vec<Consumed>> = BTreeMap::new();
        for record in consumed {
            by_partition
                .entry(record.partition)
                .or_default()
                .push(record);
        }
        for (partition, chunk) in by_partition {
            let last = chunk.last().map(|c| c.offset).unwrap_or(-1);
            let chunk = Arc::new(chunk);
            // Until it commits: nothing of a failed attempt is kept, and the offset check
            // makes a late attempt harmless if the partition moved to another worker.
            let mut failures: u32 = 0;
            loop {
                match apply_chunk(&cluster, &pipeline, &reporting, partition, &chunk).await {
                    Ok(()) => {
                        consumer.applied(partition, last);
                        processed.notify_waiters();
                        break;
                    }
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        if failures == 1 {
                            tracing::error!(partition, error = %e, "applying consumed records failed; retrying until it succeeds");
                        } else {
                            tracing::debug!(partition, failures, error = %e, "applying consumed records failed again");
                        }
                        reporting.health.observe(&e);
                        let backoff = Duration::from_millis(100 * u64::from(failures.min(20)));
                        tokio::select! {
                            _ = tokio::time::sleep(backoff) => {}
                            _ = shutdown.wait_for(|stop| *stop) => return,
                        }
                    }
                }
            }
        }
    }
}

/// Report consumer lag per partition every few seconds (one watermark round trip per
/// assigned partition, so not on every poll).
async fn report_lag(consumer: Arc<LogConsumer>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let consumer = consumer.clone();
        let _ = tokio::task::spawn_blocking(move || consumer.lag()).await;
        tokio::select! {
            _ = tokio::time::sleep(LAG_INTERVAL) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

/// Apply one partition's consumed records in one transaction, retrying lost races.
async fn apply_chunk(
    cluster: &Arc<Cluster>,
    pipeline: &Arc<Pipeline>,
    reporting: &Reporting,
    partition: i32,
    chunk: &Arc<Vec<Consumed>>,
) -> StoreResult<()> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (state, pipeline2, chunk2) = (cluster.state.clone(), pipeline.clone(), chunk.clone());
        let watching = reporting.live.watching();
        let started = std::time::Instant::now();
        let outcome = tokio::task::spawn_blocking(move || {
            // A fresh report per attempt: a rolled-back attempt counted nothing.
            let mut report = PipelineReport {
                traces: watching.then(Vec::new),
                ..PipelineReport::default()
            };
            let duplicates =
                state.transact(|txn| apply_in(txn, &pipeline2, partition, &chunk2, &mut report))?;
            Ok::<_, braid_core::StorageError>((report, duplicates))
        })
        .await
        .unwrap_or_else(|e| Err(braid_core::StorageError::operation("pipeline task", e)));
        match outcome {
            Ok((mut report, duplicates)) => {
                metrics::histogram!("braid_pipeline_transaction_seconds")
                    .record(started.elapsed().as_secs_f64());
                metrics::counter!("braid_pipeline_duplicate_batches_total").increment(duplicates);
                if let Some(traces) = report.traces.take().filter(|t| !t.is_empty()) {
                    reporting.live.publish(traces);
                }
                record_metrics(&report);
                reporting.ledger.add(&report);
                return Ok(());
            }
            Err(e) if e.is_conflict() && attempt < CONFLICT_ATTEMPTS => {
                metrics::counter!("braid_pipeline_conflicts_total").increment(1);
                tracing::debug!(partition, attempt, error = %e, "lost a race with another worker; applying again");
                tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The transaction's body: skip what is applied already, apply the rest, store the
/// offset. Returns how many retried batches were dropped as duplicates.
fn apply_in(
    txn: &mut dyn StateTxn,
    pipeline: &Pipeline,
    partition: i32,
    chunk: &[Consumed],
    report: &mut PipelineReport,
) -> StoreResult<u64> {
    let done = applied_offset(txn, partition)?.unwrap_or(-1);
    let Some(last) = chunk.last().map(|c| c.offset).filter(|last| *last > done) else {
        return Ok(0);
    };
    let mut duplicates = 0;
    let mut records = Vec::with_capacity(chunk.len());
    for consumed in chunk.iter().filter(|c| c.offset > done) {
        if let Some(id) = &consumed.source_request_id {
            let key = batch_key(&consumed.record.input, id);
            if !txn.remember_event_id(&key, consumed.record.received_ms)? {
                duplicates += 1;
                continue;
            }
        }
        records.push((consumed.position, consumed.record.clone()));
    }
    pipeline.apply_records(txn, &records, report)?;
    txn.put_meta(&offset_key(partition), &json!(last))?;
    Ok(duplicates)
}
