//! [`LogConsumer`]: a pipeline worker's membership of the consumer group.
//!
//! PostgreSQL, not Kafka, holds how far each partition is applied. On every assignment the
//! consumer asks `applied(partition)` and starts right after it; the offsets it commits to
//! Kafka ([`LogConsumer::applied`]) only feed lag tools. If `applied` fails, the partition
//! starts at Kafka's committed offset instead, which is never ahead of PostgreSQL (it is
//! committed after the effects), so that start can only replay, never skip.
//!
//! Revocation: the partitions leave the consumer's set before librdkafka gives them up,
//! and `poll` returns no record of a partition outside the set, nor one below where its
//! current assignment started; records a `poll` call had collected of a partition that a
//! rebalance inside that call revoked (or revoked and assigned again, as the eager
//! protocol does) are dropped before it returns, since the partition's next start covers
//! them.
//!
//! What remains is a batch already returned by `poll` and being applied while its
//! partition is revoked: it may be applied by this worker *and* read again by the new
//! owner (which starts after the offset PostgreSQL had when `applied` ran in its
//! rebalance). The worker's per-partition offset check in PostgreSQL, committed in the
//! same transaction as the effects, makes the second application a no-op: whichever
//! transaction commits second (the offset row locked) sees the offset applied already and
//! skips the record.
//!
//! Dropping a `LogConsumer` leaves the group (it blocks until librdkafka has closed the
//! consumer, serving the final revocation on the dropping thread), so the others take
//! its partitions without waiting for the session timeout.

use crate::codec;
use crate::config::KafkaOptions;
use crate::producer::ensure_topic;
use crate::{fits_position, position_of};
use braid_core::log::LogRecord;
use braid_core::storage::{StorageError, StoreResult};
use parking_lot::Mutex;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Message, Offset, TopicPartitionList};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Reads the last applied offset of a partition (from PostgreSQL), or `None` when nothing
/// of it is applied.
pub type AppliedOffset = Arc<dyn Fn(i32) -> StoreResult<Option<i64>> + Send + Sync>;

/// How long `lag` waits for one partition's high watermark.
const WATERMARK_TIMEOUT: Duration = Duration::from_secs(2);

/// One record read from the group.
#[derive(Debug, Clone)]
pub struct Consumed {
    pub partition: i32,
    pub offset: i64,
    /// [`position_of`]`(partition, offset)`.
    pub position: u64,
    pub source_request_id: Option<String>,
    pub record: LogRecord,
}

/// What the consumer knows of one assigned partition.
#[derive(Debug, Clone, Copy)]
struct Assigned {
    /// Which assignment this is (counted over the consumer's life): records collected
    /// under an earlier one are dropped, since the partition starts again.
    epoch: u64,
    /// Where this assignment started; earlier offsets are never returned.
    start: Option<i64>,
    /// The next offset `poll` will return (after the last returned), when known.
    next: Option<i64>,
}

/// Starts assigned partitions after their applied offset and tracks the assignment.
struct GroupContext {
    topic: String,
    applied: AppliedOffset,
    assigned: Mutex<BTreeMap<i32, Assigned>>,
    /// Assignments so far; the epoch of the next.
    epochs: std::sync::atomic::AtomicU64,
    /// Rebalances seen (assignments, revocations, failures), so `poll` notices one.
    rebalances: std::sync::atomic::AtomicU64,
}

impl ClientContext for GroupContext {}

impl GroupContext {
    /// Where `partition` starts: after its applied offset, at the beginning when none,
    /// at Kafka's committed offset when PostgreSQL cannot say.
    fn start_of(&self, partition: i32) -> Offset {
        match (self.applied)(partition) {
            Ok(Some(offset)) => Offset::Offset(offset + 1),
            Ok(None) => Offset::Beginning,
            Err(error) => {
                tracing::warn!(
                    topic = %self.topic, partition, %error,
                    "applied offset unreadable; starting at the group's committed offset"
                );
                Offset::Stored
            }
        }
    }

    fn assign(&self, consumer: &BaseConsumer<Self>, tpl: &mut TopicPartitionList) {
        let partitions: Vec<(String, i32)> = tpl
            .elements()
            .iter()
            .map(|e| (e.topic().to_string(), e.partition()))
            .collect();
        let epoch = self
            .epochs
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut assigned = BTreeMap::new();
        for (topic, partition) in partitions {
            let start = self.start_of(partition);
            if let Err(error) = tpl.set_partition_offset(&topic, partition, start) {
                tracing::error!(%topic, partition, %error, "cannot set the start offset");
            }
            let start = match start {
                Offset::Offset(offset) => Some(offset),
                _ => None,
            };
            assigned.insert(
                partition,
                Assigned {
                    epoch,
                    start,
                    next: start,
                },
            );
        }
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        let result = if cooperative {
            consumer.incremental_assign(tpl)
        } else {
            consumer.assign(tpl)
        };
        match result {
            Ok(()) => {
                let mut current = self.assigned.lock();
                if !cooperative {
                    // An eager assignment replaces the previous one.
                    current.clear();
                }
                current.extend(assigned);
                tracing::info!(topic = %self.topic, cooperative, partitions = ?current.keys().collect::<Vec<_>>(), "assigned");
            }
            Err(error) => tracing::error!(topic = %self.topic, %error, "assignment failed"),
        }
    }

    fn revoke(&self, consumer: &BaseConsumer<Self>, tpl: &TopicPartitionList) {
        // First forget them, so `poll` stops returning their records.
        let revoked: Vec<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
        {
            let mut current = self.assigned.lock();
            for partition in &revoked {
                current.remove(partition);
            }
        }
        tracing::info!(topic = %self.topic, ?revoked, "revoked");
        let result = match consumer.rebalance_protocol() {
            RebalanceProtocol::Cooperative => consumer.incremental_unassign(tpl),
            _ => consumer.unassign(),
        };
        if let Err(error) = result {
            tracing::error!(topic = %self.topic, %error, "unassign failed");
        }
    }
}

impl ConsumerContext for GroupContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        self.rebalances
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => self.assign(consumer, tpl),
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => self.revoke(consumer, tpl),
            other => {
                tracing::error!(topic = %self.topic, error = ?other, "rebalance failed; dropping the assignment");
                self.assigned.lock().clear();
                let _ = consumer.unassign();
            }
        }
    }
}

/// A member of the pipeline's consumer group.
pub struct LogConsumer {
    consumer: Arc<BaseConsumer<GroupContext>>,
    topic: String,
    polled: Arc<Polled>,
}

/// What `poll` calls share with the blocking thread that polls for them, so that a `poll`
/// future dropped part-way (a `select!` that took another branch) loses nothing: what its
/// thread collected waits here for the next call.
#[derive(Default)]
struct Polled {
    /// Records collected and not handed out yet, with the epoch of their assignment.
    records: Mutex<VecDeque<(u64, Consumed)>>,
    /// An error to hand out once the records collected before it are.
    error: Mutex<Option<StorageError>>,
    /// One thread polls at a time, so a partition's records stay in offset order.
    polling: Mutex<()>,
}

impl LogConsumer {
    /// Join the group. `applied(partition)` returns the last offset whose effects are
    /// committed (in PostgreSQL, read by the caller's closure), or None: on every
    /// assignment the consumer starts each newly assigned partition right after it (else
    /// at the beginning). The closure runs inside [`poll`](Self::poll), on a blocking
    /// thread. Makes the topic when it does not exist yet.
    pub fn join(options: &KafkaOptions, applied: AppliedOffset) -> StoreResult<LogConsumer> {
        options.validate()?;
        let context = GroupContext {
            topic: options.topic.clone(),
            applied,
            assigned: Mutex::new(BTreeMap::new()),
            epochs: std::sync::atomic::AtomicU64::new(0),
            rebalances: std::sync::atomic::AtomicU64::new(0),
        };
        let consumer: BaseConsumer<GroupContext> = options
            .group_consumer_config()
            .create_with_context(context)
            .map_err(|e| StorageError::operation("kafka: create the group consumer", e))?;
        ensure_topic(options, consumer.client())?;
        consumer.subscribe(&[&options.topic]).map_err(|e| {
            StorageError::operation(format!("kafka: subscribe to {}", options.topic), e)
        })?;
        Ok(LogConsumer {
            consumer: Arc::new(consumer),
            topic: options.topic.clone(),
            polled: Arc::new(Polled::default()),
        })
    }

    /// Up to `max` records, waiting at most `wait` for the first; records of a partition
    /// in offset order. Rebalances (and so `applied`) run inside this call, on a blocking
    /// thread. Cancel-safe: records collected for a call whose future was dropped are
    /// returned by the next call (unless their partition was revoked meanwhile).
    pub async fn poll(&self, max: usize, wait: Duration) -> StoreResult<Vec<Consumed>> {
        if let Some(ready) = self.take_ready(max) {
            return ready;
        }
        let consumer = self.consumer.clone();
        let polled = self.polled.clone();
        tokio::task::spawn_blocking(move || {
            let _one_at_a_time = polled.polling.lock();
            let idle = polled.records.lock().is_empty() && polled.error.lock().is_none();
            if idle {
                poll_blocking(&consumer, &polled, max, wait);
            }
        })
        .await
        .map_err(|e| StorageError::operation("kafka: poll task", e))?;
        self.take_ready(max).unwrap_or_else(|| Ok(Vec::new()))
    }

    /// Collected records still of their assignment (at most `max`), else a collected
    /// error, else nothing.
    fn take_ready(&self, max: usize) -> Option<StoreResult<Vec<Consumed>>> {
        let assigned = self.consumer.context().assigned.lock();
        let mut records = self.polled.records.lock();
        records.retain(|(epoch, c)| {
            assigned
                .get(&c.partition)
                .is_some_and(|a| a.epoch == *epoch)
        });
        drop(assigned);
        if !records.is_empty() {
            let n = max.min(records.len());
            return Some(Ok(records.drain(..n).map(|(_, c)| c).collect()));
        }
        drop(records);
        self.polled.error.lock().take().map(Err)
    }

    /// Partitions assigned now.
    pub fn assignment(&self) -> Vec<i32> {
        self.consumer
            .context()
            .assigned
            .lock()
            .keys()
            .copied()
            .collect()
    }

    /// Per assigned partition: high watermark minus the next offset to consume (also set
    /// as the gauge `braid_kafka_consumer_lag{partition}`). One watermark round trip per
    /// partition: call it from a blocking thread.
    pub fn lag(&self) -> Vec<(i32, i64)> {
        let assigned: Vec<(i32, Assigned)> = self
            .consumer
            .context()
            .assigned
            .lock()
            .iter()
            .map(|(p, a)| (*p, *a))
            .collect();
        let mut lags = Vec::with_capacity(assigned.len());
        for (partition, state) in assigned {
            let (low, high) = match self.consumer.fetch_watermarks(
                &self.topic,
                partition,
                WATERMARK_TIMEOUT,
            ) {
                Ok(marks) => marks,
                Err(error) => {
                    tracing::warn!(topic = %self.topic, partition, %error, "no watermark for the lag");
                    continue;
                }
            };
            let next = state.next.unwrap_or(low).max(low);
            let lag = (high - next).max(0);
            metrics::gauge!("braid_kafka_consumer_lag", "partition" => partition.to_string())
                .set(lag as f64);
            lags.push((partition, lag));
        }
        lags
    }

    /// Tell Kafka `offset` of `partition` is applied (an asynchronous offset commit), for
    /// lag tools; PostgreSQL stays the truth.
    pub fn applied(&self, partition: i32, offset: i64) {
        let mut offsets = TopicPartitionList::new();
        if let Err(error) =
            offsets.add_partition_offset(&self.topic, partition, Offset::Offset(offset + 1))
        {
            tracing::warn!(partition, offset, %error, "cannot commit the applied offset");
            return;
        }
        if let Err(error) = self.consumer.commit(&offsets, CommitMode::Async) {
            tracing::debug!(partition, offset, %error, "applied offset not committed to kafka");
        }
    }
}

/// Poll for up to `max` records into `polled`, waiting at most `wait` for the first.
fn poll_blocking(
    consumer: &BaseConsumer<GroupContext>,
    polled: &Polled,
    max: usize,
    wait: Duration,
) {
    let context = consumer.context();
    let rebalances = || {
        context
            .rebalances
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let deadline = Instant::now() + wait;
    // Each record with the epoch of the assignment it was read under.
    let mut out: Vec<(u64, Consumed)> = Vec::new();
    let mut rebalances_seen = rebalances();
    while out.len() < max {
        // Wait only for the first record; after it, take what is already here.
        let timeout = if out.is_empty() {
            deadline.saturating_duration_since(Instant::now())
        } else {
            Duration::ZERO
        };
        let result = consumer.poll(timeout);
        if rebalances() != rebalances_seen {
            // A rebalance ran inside that poll. Records collected here of a partition
            // revoked (or assigned again) meanwhile are not handed out: the partition's
            // next start covers them.
            rebalances_seen = rebalances();
            let assigned = context.assigned.lock();
            out.retain(|(epoch, c)| {
                assigned
                    .get(&c.partition)
                    .is_some_and(|a| a.epoch == *epoch)
            });
        }
        let message = match result {
            Some(Ok(message)) => message,
            Some(Err(error)) => {
                let error = kafka_error(error);
                if out.is_empty() {
                    *polled.error.lock() = Some(error);
                } else {
                    // Usually passing (a broker connection); the records come first.
                    tracing::warn!(%error, "kafka consumer error after some records; returning those");
                }
                break;
            }
            None if out.is_empty() && Instant::now() < deadline => continue,
            None => break,
        };
        let (partition, offset) = (message.partition(), message.offset());
        let epoch = {
            let mut assigned = context.assigned.lock();
            let Some(state) = assigned.get_mut(&partition) else {
                continue; // revoked since it was fetched
            };
            if state.start.is_some_and(|start| offset < start) {
                continue; // fetched for an earlier assignment
            }
            state.next = Some(offset + 1);
            state.epoch
        };
        let decoded = codec::decode(&message).and_then(|(record, source_request_id)| {
            if fits_position(partition, offset) {
                Ok((record, source_request_id))
            } else {
                Err(StorageError::corrupt(
                    format!("kafka message {partition}@{offset}"),
                    "offset does not fit a log position",
                ))
            }
        });
        match decoded {
            Ok((record, source_request_id)) => out.push((
                epoch,
                Consumed {
                    partition,
                    offset,
                    position: position_of(partition, offset),
                    source_request_id,
                    record,
                },
            )),
            // The consumer has moved past this record: hand over what came before it,
            // then the error, so nothing before it is lost.
            Err(error) => {
                *polled.error.lock() = Some(error);
                break;
            }
        }
    }
    polled.records.lock().extend(out);
}

fn kafka_error(error: KafkaError) -> StorageError {
    StorageError::operation("kafka: consume", error)
}
