//! [`KafkaOptions`], and the librdkafka client configurations braid builds from them.

use braid_core::storage::{StorageError, StoreResult};
use braid_core::Secret;
use braid_mparticle::IdentityType;
use rdkafka::ClientConfig;
use std::collections::BTreeMap;

/// Where the ingest log lives and how braid talks to it.
#[derive(Debug, Clone)]
pub struct KafkaOptions {
    /// `bootstrap.servers`: comma-separated `host:port` of some brokers.
    pub brokers: String,
    /// The topic of accepted batches.
    pub topic: String,
    /// Partitions of the topic, used only when braid creates it.
    pub partitions: i32,
    /// The consumer group of pipeline workers.
    pub group_id: String,
    /// `session.timeout.ms` of the consumer group: how long a silent worker keeps its
    /// partitions.
    pub session_timeout_ms: u32,
    /// Extra librdkafka properties (`security.protocol`, `sasl.password`, …), passed
    /// through to every client. The properties braid's guarantees rest on are refused.
    pub client_properties: BTreeMap<String, Secret>,
    /// The configured external identity: the first choice of partition key.
    pub key_identity: IdentityType,
}

impl Default for KafkaOptions {
    fn default() -> Self {
        KafkaOptions {
            brokers: "127.0.0.1:9092".to_string(),
            topic: "braid.batches".to_string(),
            partitions: 8,
            group_id: "braid-pipeline".to_string(),
            session_timeout_ms: 10_000,
            client_properties: BTreeMap::new(),
            key_identity: IdentityType::CustomerId,
        }
    }
}

/// Properties braid sets itself because durability, order or the offset bookkeeping
/// depend on them; `client_properties` may not change them.
const OWNED_PROPERTIES: &[&str] = &[
    "bootstrap.servers",
    "metadata.broker.list",
    "enable.idempotence",
    "acks",
    "request.required.acks",
    "partitioner",
    "group.id",
    "session.timeout.ms",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "auto.offset.reset",
    "allow.auto.create.topics",
];

/// How long a produced record may wait for its acknowledgement before `append` fails,
/// unless `client_properties` sets `message.timeout.ms`. librdkafka's own default (5 min)
/// would hold ingest requests far longer than a client waits.
const DEFAULT_MESSAGE_TIMEOUT_MS: &str = "30000";

impl KafkaOptions {
    /// Check the options, naming the setting and the reason.
    pub(crate) fn validate(&self) -> StoreResult<()> {
        let invalid = |message: String| {
            Err(StorageError::operation(
                "kafka options",
                std::io::Error::new(std::io::ErrorKind::InvalidInput, message),
            ))
        };
        if self.brokers.trim().is_empty() {
            return invalid("kafka.brokers is empty: name at least one host:port".into());
        }
        if self.topic.trim().is_empty() {
            return invalid("kafka.topic is empty".into());
        }
        if !(1..=crate::MAX_PARTITION + 1).contains(&self.partitions) {
            return invalid(format!(
                "kafka.partitions is {}: it must be between 1 and {}",
                self.partitions,
                crate::MAX_PARTITION + 1
            ));
        }
        if self.group_id.trim().is_empty() {
            return invalid("kafka.group_id is empty".into());
        }
        if self.session_timeout_ms == 0 {
            return invalid("kafka.session_timeout_ms is 0: it must be positive".into());
        }
        if let Some(owned) = self
            .client_properties
            .keys()
            .find(|key| OWNED_PROPERTIES.contains(&key.as_str()))
        {
            return invalid(format!(
                "kafka.client_properties sets {owned:?}, which braid sets itself (its \
                 durability, order or offset handling depend on it)"
            ));
        }
        Ok(())
    }

    /// What every client shares: the brokers and the pass-through properties.
    fn base(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        config.set("client.id", "braid");
        for (key, value) in &self.client_properties {
            config.set(key, value.expose());
        }
        config
    }

    /// The producer: idempotent, acknowledged by all in-sync replicas, keyed with the
    /// Java client's partitioner so other tools agree where a key lives.
    pub(crate) fn producer_config(&self) -> ClientConfig {
        let mut config = self.base();
        if !self.client_properties.contains_key("message.timeout.ms") {
            config.set("message.timeout.ms", DEFAULT_MESSAGE_TIMEOUT_MS);
        }
        if !self.client_properties.contains_key("linger.ms") {
            // `append` hands over a whole group at once, so the group is the batch; a
            // longer linger only adds latency (measured on Tansu: groups of 1 take
            // 0.8 ms at 0, 2 ms at 1, 6.5 ms at 5; groups of 64 the same at each).
            // 1 ms lets a group leave as one request per broker.
            config.set("linger.ms", "1");
        }
        // lz4: JSON batches compress well, which counts on real networks; on one machine
        // it measured the same as none.
        if !self.client_properties.contains_key("compression.type") {
            config.set("compression.type", "lz4");
        }
        config
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("partitioner", "murmur2_random")
            .set("allow.auto.create.topics", "false");
        config
    }

    /// The consumers: offsets are braid's to commit (PostgreSQL holds the truth), and a
    /// partition nothing was applied from starts at its beginning.
    fn consumer_base(&self) -> ClientConfig {
        let mut config = self.base();
        config
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false")
            .set("allow.auto.create.topics", "false");
        config
    }

    /// A group member of `group_id`.
    pub(crate) fn group_consumer_config(&self) -> ClientConfig {
        let mut config = self.consumer_base();
        config
            .set("group.id", &self.group_id)
            .set("session.timeout.ms", self.session_timeout_ms.to_string());
        if !self.client_properties.contains_key("heartbeat.interval.ms") {
            // Brokers require the heartbeat to be well inside the session.
            let heartbeat = (self.session_timeout_ms / 3).max(1);
            config.set("heartbeat.interval.ms", heartbeat.to_string());
        }
        config
    }

    /// A reader that assigns partitions itself, for `read_after` and `head`: it reports
    /// the end of a partition, and fails rather than jump when an offset is out of range.
    /// librdkafka wants a group id even to assign; this one never joins or commits.
    pub(crate) fn reader_config(&self) -> ClientConfig {
        let mut config = self.consumer_base();
        config
            .set("group.id", format!("{}.reader", self.group_id))
            .set("enable.partition.eof", "true")
            .set("auto.offset.reset", "error")
            // The end of a partition shows as an empty fetch: do not let it linger.
            .set("fetch.wait.max.ms", "10");
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_properties_cannot_weaken_acknowledgements() {
        let mut options = KafkaOptions::default();
        options
            .client_properties
            .insert("acks".into(), Secret::new("1"));
        let message = options.validate().unwrap_err().to_string();
        assert!(
            message.contains("kafka.client_properties sets \"acks\""),
            "{message}"
        );
    }

    #[test]
    fn pass_through_properties_reach_the_client_and_stay_secret() {
        let mut options = KafkaOptions::default();
        options
            .client_properties
            .insert("sasl.password".into(), Secret::new("hunter2"));
        options.validate().unwrap();
        assert_eq!(
            options.producer_config().get("sasl.password"),
            Some("hunter2")
        );
        assert!(!format!("{options:?}").contains("hunter2"));
    }

    #[test]
    fn zero_partitions_are_refused_by_name() {
        let options = KafkaOptions {
            partitions: 0,
            ..KafkaOptions::default()
        };
        let message = options.validate().unwrap_err().to_string();
        assert!(message.contains("kafka.partitions is 0"), "{message}");
    }
}
