//! [`KafkaLog`]: the ingest log as a Kafka topic. `append` produces; `read_after`, `head`
//! and `last_offsets` read partitions directly (no consumer group), for inspection,
//! checks and what an erasure waits for.

use crate::codec;
use crate::config::KafkaOptions;
use crate::{fits_position, partition_key, partition_offset, position_of};
use braid_core::log::LogRecord;
use braid_core::storage::{AppendOutcome, AppendRequest, IngestLog, StorageError, StoreResult};
use braid_mparticle::IdentityType;
use parking_lot::Mutex;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{Client, DefaultClientContext};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, DeliveryResult};
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Message, Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How long connecting (reaching a broker, creating the topic) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one metadata or watermark round trip of `read_after`/`head` may take.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A delivery report: the record's index in its `append` call, and where it landed.
type Report = (usize, Result<(i32, i64), KafkaError>);

/// Where a delivery report goes: the record's index in its `append` call.
struct DeliverySlot {
    index: usize,
    reports: mpsc::Sender<Report>,
}

/// Hands each delivery report to the `append` call waiting for it.
struct DeliveryContext;

impl ClientContext for DeliveryContext {}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = Box<DeliverySlot>;

    fn delivery(&self, result: &DeliveryResult<'_>, slot: Box<DeliverySlot>) {
        let report = match result {
            Ok(message) => Ok((message.partition(), message.offset())),
            Err((error, _)) => Err(error.clone()),
        };
        // The caller may have returned already, after another record failed.
        let _ = slot.reports.send((slot.index, report));
    }
}

/// The ingest log on a Kafka topic: a producer (cheap to clone, shared by all clones) and
/// a lazily made reader for `read_after`.
#[derive(Clone)]
pub struct KafkaLog {
    inner: Arc<Inner>,
}

struct Inner {
    options: KafkaOptions,
    /// Replaced after a fatal producer error (see [`KafkaLog::renew_if_fatal`]).
    producer: parking_lot::RwLock<Arc<ThreadedProducer<DeliveryContext>>>,
    /// The partition reader of `read_after`, made on first use.
    reader: Mutex<Option<BaseConsumer>>,
}

impl std::fmt::Debug for KafkaLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaLog")
            .field("brokers", &self.inner.options.brokers)
            .field("topic", &self.inner.options.topic)
            .finish_non_exhaustive()
    }
}

impl KafkaLog {
    /// Connect to the brokers and make sure the topic exists (creating it with
    /// `options.partitions` partitions and the brokers' default replication when absent).
    /// Fails, naming the brokers, when none answers within 10 s.
    pub fn connect(options: &KafkaOptions) -> StoreResult<KafkaLog> {
        options.validate()?;
        let producer = new_producer(options)?;
        ensure_topic(options, producer.client())?;
        Ok(KafkaLog {
            inner: Arc::new(Inner {
                options: options.clone(),
                producer: parking_lot::RwLock::new(Arc::new(producer)),
                reader: Mutex::new(None),
            }),
        })
    }

    /// One metadata round trip for the topic: `Ok` when a broker answered and the topic
    /// has partitions. Blocks up to `timeout` (call it from a blocking thread).
    pub fn ping(&self, timeout: Duration) -> StoreResult<()> {
        partition_count(self.producer().client(), &self.inner.options.topic, timeout).map(|_| ())
    }

    /// The options it was connected with.
    pub fn options(&self) -> &KafkaOptions {
        &self.inner.options
    }

    fn producer(&self) -> Arc<ThreadedProducer<DeliveryContext>> {
        self.inner.producer.read().clone()
    }

    /// An idempotent producer that met a fatal error (after an outage long enough for
    /// records to time out, a broker may fence its producer id) refuses every later
    /// record: replace it with a fresh one, so ingest recovers by itself. Nothing is
    /// lost: the failed call answered 503, and its sender retries.
    fn renew_if_fatal(&self, failed: &ThreadedProducer<DeliveryContext>, fenced: bool) {
        let (code, reason) = match failed.client().fatal_error() {
            Some(fatal) => fatal,
            None if fenced => (
                RDKafkaErrorCode::ProducerFenced,
                "the broker fenced the producer id".to_string(),
            ),
            None => return,
        };
        let mut current = self.inner.producer.write();
        if !std::ptr::eq(Arc::as_ptr(&current), failed) {
            return; // another call renewed it already
        }
        match new_producer(&self.inner.options) {
            Ok(fresh) => {
                tracing::warn!(?code, %reason, "kafka producer failed fatally; replaced with a new one");
                metrics::counter!("braid_kafka_producer_renewals_total").increment(1);
                *current = Arc::new(fresh);
            }
            Err(e) => {
                tracing::warn!(error = %e, "kafka producer failed fatally and cannot be replaced yet")
            }
        }
    }

    fn key_identity(&self) -> IdentityType {
        self.inner.options.key_identity
    }

    /// Hand one record to the producer, waiting while its queue is full.
    fn send(
        &self,
        producer: &ThreadedProducer<DeliveryContext>,
        index: usize,
        request: &AppendRequest,
        reports: &mpsc::Sender<Report>,
    ) -> StoreResult<()> {
        let key = partition_key(&request.record, self.key_identity());
        let value = codec::encode(&request.record)?;
        let mut record = BaseRecord::with_opaque_to(
            &self.inner.options.topic,
            Box::new(DeliverySlot {
                index,
                reports: reports.clone(),
            }),
        )
        .key(key.as_bytes())
        .payload(value.as_slice())
        .headers(codec::headers(request.source_request_id.as_deref()));
        loop {
            match producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    // The producer's thread drains the queue as acknowledgements come in.
                    record = back;
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err((error, _)) => {
                    return Err(StorageError::operation(
                        format!("kafka: produce to {}", self.inner.options.topic),
                        error,
                    ))
                }
            }
        }
    }

    /// Run `f` with the partition reader, making it on first use.
    fn with_reader<R>(&self, f: impl FnOnce(&BaseConsumer) -> StoreResult<R>) -> StoreResult<R> {
        let mut reader = self.inner.reader.lock();
        if reader.is_none() {
            let made: BaseConsumer = self
                .inner
                .options
                .reader_config()
                .create()
                .map_err(|e| StorageError::operation("kafka: create the log reader", e))?;
            *reader = Some(made);
        }
        f(reader.as_ref().expect("made above"))
    }
}

impl IngestLog for KafkaLog {
    /// Produce every request keyed by its user and wait until the brokers acknowledged all
    /// of them (`acks=all`). Any failure fails the whole call: records that did land are
    /// re-sent when the client retries, and the pipeline de-duplicates them.
    fn append(&self, batch: Vec<AppendRequest>) -> StoreResult<Vec<AppendOutcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let producer = self.producer();
        let fenced = std::cell::Cell::new(false);
        let result = self.append_with(&producer, batch, &fenced);
        if result.is_err() {
            self.renew_if_fatal(&producer, fenced.get());
        }
        result
    }

    fn read_after(&self, after: u64, max: usize) -> StoreResult<Vec<(u64, LogRecord)>> {
        self.read_after_impl(after, max)
    }

    fn head(&self) -> StoreResult<u64> {
        self.head_impl()
    }
}

impl KafkaLog {
    fn append_with(
        &self,
        producer: &ThreadedProducer<DeliveryContext>,
        batch: Vec<AppendRequest>,
        fenced: &std::cell::Cell<bool>,
    ) -> StoreResult<Vec<AppendOutcome>> {
        let started = Instant::now();
        let (reports, received) = mpsc::channel();
        for (index, request) in batch.iter().enumerate() {
            self.send(producer, index, request, &reports)?;
        }
        drop(reports);
        let mut outcomes = vec![None; batch.len()];
        for _ in 0..batch.len() {
            let (index, report) = received.recv().map_err(|_| {
                StorageError::operation(
                    "kafka: wait for acknowledgements",
                    "the producer dropped a record without a delivery report",
                )
            })?;
            if let Err(error) = &report {
                fenced.set(fenced.get() || is_fencing(error));
            }
            let (partition, offset) = report.map_err(|e| {
                StorageError::operation(
                    format!(
                        "kafka: produce to {} (not acknowledged)",
                        self.inner.options.topic
                    ),
                    e,
                )
            })?;
            if !fits_position(partition, offset) {
                return Err(StorageError::operation(
                    "kafka: log position",
                    format!("partition {partition} offset {offset} does not fit a position"),
                ));
            }
            outcomes[index] = Some(AppendOutcome::Appended(position_of(partition, offset)));
        }
        metrics::histogram!("braid_kafka_append_seconds").record(started.elapsed().as_secs_f64());
        Ok(outcomes
            .into_iter()
            .map(|o| o.expect("every index reported once"))
            .collect())
    }

    /// Records after `after` in position order: the rest of `after`'s partition, then each
    /// later partition from its first retained offset.
    fn read_after_impl(&self, after: u64, max: usize) -> StoreResult<Vec<(u64, LogRecord)>> {
        let topic = &self.inner.options.topic;
        let (start_partition, start_offset) = match partition_offset(after) {
            (partition, _) if partition < 0 => (0, 0),
            (partition, offset) => (partition, offset + 1),
        };
        self.with_reader(|reader| {
            let partitions = partition_count(reader.client(), topic, READ_TIMEOUT)?;
            let mut out = Vec::new();
            for partition in start_partition..partitions {
                if out.len() >= max {
                    break;
                }
                let (low, high) = watermarks(reader, topic, partition)?;
                let from = if partition == start_partition {
                    start_offset.max(low)
                } else {
                    low
                };
                if high <= low {
                    continue; // empty
                }
                // Even from at or past `high`, look: the end of a partition is where the
                // fetch reports it, since some Kafka-protocol brokers report the high
                // watermark per record batch. Past the true end is an empty read.
                read_to_end(reader, topic, partition, from, |offset, record| {
                    out.push((position_of(partition, offset), record));
                    out.len() < max
                })?;
            }
            Ok(out)
        })
    }

    /// The position of the last record of the highest partition holding any.
    fn head_impl(&self) -> StoreResult<u64> {
        let topic = &self.inner.options.topic;
        self.with_reader(|reader| {
            let partitions = partition_count(reader.client(), topic, READ_TIMEOUT)?;
            for partition in (0..partitions).rev() {
                if let Some(last) = last_offset(reader, topic, partition)? {
                    return Ok(position_of(partition, last));
                }
            }
            Ok(0)
        })
    }

    /// Every partition's last offset present, read to the end of each partition as
    /// [`head`](IngestLog::head) does (some Kafka-protocol brokers report the high
    /// watermark per record batch, so `high - 1` is not trusted). Partitions that hold
    /// nothing are left out. An erasure records this when it starts and waits until the
    /// pipeline applied each partition through its entry.
    pub fn last_offsets(&self) -> StoreResult<BTreeMap<i32, i64>> {
        let topic = &self.inner.options.topic;
        self.with_reader(|reader| {
            let partitions = partition_count(reader.client(), topic, READ_TIMEOUT)?;
            let mut ends = BTreeMap::new();
            for partition in 0..partitions {
                if let Some(last) = last_offset(reader, topic, partition)? {
                    ends.insert(partition, last);
                }
            }
            Ok(ends)
        })
    }
}

/// The offset of the last record of `partition`, if it holds any. Read from the last
/// record the watermark names to the end of the partition, rather than trust `high - 1`:
/// some Kafka-protocol brokers report the high watermark per record batch.
fn last_offset(reader: &BaseConsumer, topic: &str, partition: i32) -> StoreResult<Option<i64>> {
    let (low, high) = watermarks(reader, topic, partition)?;
    if high <= low {
        return Ok(None);
    }
    let mut last = high - 1;
    read_to_end(reader, topic, partition, high - 1, |offset, _| {
        last = offset;
        true
    })?;
    Ok(Some(last))
}

fn watermarks(reader: &BaseConsumer, topic: &str, partition: i32) -> StoreResult<(i64, i64)> {
    reader
        .fetch_watermarks(topic, partition, READ_TIMEOUT)
        .map_err(|e| {
            StorageError::operation(format!("kafka: watermarks of {topic}/{partition}"), e)
        })
}

/// Read `partition` from `from` until its end (as the fetch reports it), handing each
/// record to `take` until it returns false.
fn read_to_end(
    reader: &BaseConsumer,
    topic: &str,
    partition: i32,
    from: i64,
    mut take: impl FnMut(i64, LogRecord) -> bool,
) -> StoreResult<()> {
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, partition, Offset::Offset(from))
        .map_err(|e| StorageError::operation("kafka: read position", e))?;
    reader
        .assign(&assignment)
        .map_err(|e| StorageError::operation(format!("kafka: assign {topic}/{partition}"), e))?;
    let deadline = Instant::now() + READ_TIMEOUT;
    let result = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Err(StorageError::operation(
                format!("kafka: read {topic}/{partition} from {from}"),
                "the end of the partition did not come within 10 s",
            ));
        }
        match reader.poll(left) {
            None => continue,
            Some(Err(KafkaError::PartitionEOF(_))) => break Ok(()),
            // Asked past the end (the reader never jumps elsewhere): nothing there.
            Some(Err(e))
                if matches!(
                    e.rdkafka_error_code(),
                    Some(RDKafkaErrorCode::AutoOffsetReset | RDKafkaErrorCode::OffsetOutOfRange)
                ) =>
            {
                break Ok(())
            }
            Some(Err(e)) => {
                break Err(StorageError::operation(
                    format!("kafka: read {topic}/{partition} from {from}"),
                    e,
                ))
            }
            Some(Ok(message)) => {
                let offset = message.offset();
                if !fits_position(partition, offset) {
                    break Err(StorageError::corrupt(
                        format!("kafka message {topic}/{partition}@{offset}"),
                        "offset does not fit a log position",
                    ));
                }
                match decoded(&message) {
                    Ok(record) => {
                        if !take(offset, record) {
                            break Ok(());
                        }
                    }
                    Err(e) => break Err(e),
                }
            }
        }
    };
    let _ = reader.unassign();
    result
}

fn decoded(message: &BorrowedMessage<'_>) -> StoreResult<LogRecord> {
    codec::decode(message).map(|(record, _)| record)
}

/// The number of partitions of `topic`, or an error naming the brokers or the topic.
fn partition_count<C: ClientContext>(
    client: &Client<C>,
    topic: &str,
    timeout: Duration,
) -> StoreResult<i32> {
    let metadata = client
        .fetch_metadata(Some(topic), timeout)
        .map_err(|e| StorageError::operation("kafka: reach the brokers (kafka.brokers)", e))?;
    let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
        return Err(StorageError::operation(
            format!("kafka: topic {topic}"),
            "the brokers do not list it",
        ));
    };
    if let Some(error) = found.error() {
        return Err(StorageError::operation(
            format!("kafka: topic {topic}"),
            KafkaError::MetadataFetch(error.into()),
        ));
    }
    match found.partitions().len() {
        0 => Err(StorageError::operation(
            format!("kafka: topic {topic}"),
            "it has no partitions",
        )),
        n => Ok(n as i32),
    }
}

/// Make sure `options.topic` exists: create it when the brokers say it is unknown, then
/// wait until its partitions show in the metadata.
pub(crate) fn ensure_topic<C: ClientContext>(
    options: &KafkaOptions,
    client: &Client<C>,
) -> StoreResult<()> {
    let topic = &options.topic;
    let metadata = client
        .fetch_metadata(Some(topic), CONNECT_TIMEOUT)
        .map_err(|e| {
            StorageError::operation(
                format!(
                    "kafka: reach the brokers {} (kafka.brokers)",
                    options.brokers
                ),
                e,
            )
        })?;
    let exists = metadata
        .topics()
        .iter()
        .any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty());
    if exists {
        return Ok(());
    }
    let admin: AdminClient<DefaultClientContext> = options
        .producer_config()
        .create()
        .map_err(|e| StorageError::operation("kafka: create the admin client", e))?;
    // -1: the brokers' default replication factor (`default.replication.factor`).
    let new_topic = NewTopic::new(topic, options.partitions, TopicReplication::Fixed(-1));
    let admin_options = AdminOptions::new().operation_timeout(Some(CONNECT_TIMEOUT));
    let results = futures_executor::block_on(admin.create_topics([&new_topic], &admin_options))
        .map_err(|e| StorageError::operation(format!("kafka: create topic {topic}"), e))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => {
                return Err(StorageError::operation(
                    format!(
                        "kafka: create topic {topic} with {} partitions (kafka.partitions)",
                        options.partitions
                    ),
                    KafkaError::AdminOp(code),
                ))
            }
        }
    }
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    loop {
        match partition_count(client, topic, CONNECT_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// A keyed, idempotent producer with the options' settings.
fn new_producer(options: &KafkaOptions) -> StoreResult<ThreadedProducer<DeliveryContext>> {
    options
        .producer_config()
        .create_with_context(DeliveryContext)
        .map_err(|e| StorageError::operation("kafka: create the producer", e))
}

/// Errors after which an idempotent producer's id is no longer usable.
fn is_fencing(error: &KafkaError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::ProducerFenced
                | RDKafkaErrorCode::InvalidProducerEpoch
                | RDKafkaErrorCode::InvalidProducerIdMapping
                | RDKafkaErrorCode::OutOfOrderSequenceNumber
                | RDKafkaErrorCode::UnknownProducerId
        )
    )
}
