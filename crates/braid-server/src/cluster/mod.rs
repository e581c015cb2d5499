//! braid as one of many nodes: the roles a node plays, the connections to Kafka,
//! PostgreSQL and Redis that the distributed backend runs on, their reachability (for
//! ingest's refusals and `/readyz`), and the pipeline worker that consumes Kafka
//! (`consumer`). docs/scale-out.md describes the topology and the guarantees.

pub mod consumer;
pub mod health;

use crate::config::{Config, StorageBackend};
use anyhow::Context;
use braid_core::storage::StateStore;
use std::sync::Arc;

/// One part of the work; `braid serve --role` takes any of them (default `all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The HTTP ingest routes: batches in, appended to the log, answered 202.
    Ingest,
    /// Consumes the log and applies it to profiles (a member of the consumer group).
    Pipeline,
    /// Sends the outbox to Braze, within the shared rate budget.
    Delivery,
    /// All three.
    All,
}

/// What this node does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub ingest: bool,
    pub pipeline: bool,
    pub delivery: bool,
}

impl Roles {
    /// Everything: the only choice for the embedded backend.
    pub const ALL: Roles = Roles {
        ingest: true,
        pipeline: true,
        delivery: true,
    };

    /// The roles named on the command line (none named: all).
    pub fn from_list(roles: &[Role]) -> Roles {
        if roles.is_empty() || roles.contains(&Role::All) {
            return Roles::ALL;
        }
        Roles {
            ingest: roles.contains(&Role::Ingest),
            pipeline: roles.contains(&Role::Pipeline),
            delivery: roles.contains(&Role::Delivery),
        }
    }

    /// `ingest,pipeline`, for logs.
    pub fn describe(&self) -> String {
        let mut names = Vec::new();
        for (on, name) in [
            (self.ingest, "ingest"),
            (self.pipeline, "pipeline"),
            (self.delivery, "delivery"),
        ] {
            if on {
                names.push(name);
            }
        }
        names.join(",")
    }

    /// The roles must fit the backend: one embedded node does everything.
    pub fn check(&self, config: &Config) -> Result<(), String> {
        if config.storage.backend == StorageBackend::Embedded && *self != Roles::ALL {
            return Err(format!(
                "--role {} needs storage.backend = \"distributed\": the embedded store is one node that does everything",
                self.describe()
            ));
        }
        Ok(())
    }
}

/// The distributed backend's connections, shared by every part of a node.
pub struct Cluster {
    /// Profiles and every other piece of state.
    pub state: braid_postgres::PgStore,
    /// The ingest log's producer.
    pub log: braid_kafka::KafkaLog,
    /// The log's settings (the consumer joins with them).
    pub kafka: braid_kafka::KafkaOptions,
    /// The Braze rate budget every delivery node shares.
    pub budget: Arc<braid_delivery::RedisBudget>,
    /// This process, in leases and logs.
    pub node_id: String,
    /// What this node does.
    pub roles: Roles,
}

/// This process's name in the cluster: host and process id, so two nodes on one host
/// (as in the tests) differ.
pub fn node_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "braid".into());
    format!("{host}-{}", std::process::id())
}

/// The Kafka client's settings from `[storage.kafka]`.
pub fn kafka_options(config: &Config) -> anyhow::Result<braid_kafka::KafkaOptions> {
    let kafka = config
        .storage
        .kafka
        .as_ref()
        .context("storage.kafka is not set")?;
    Ok(braid_kafka::KafkaOptions {
        brokers: kafka.brokers.clone(),
        topic: kafka.topic.clone(),
        partitions: kafka.partitions,
        group_id: kafka.group_id.clone(),
        session_timeout_ms: kafka.session_timeout_ms,
        client_properties: kafka.properties.clone(),
        // Partition by the identity Braze knows the user by; with the MPID as external id,
        // the key falls back to the MPID anyway.
        key_identity: match config.braze.external_identity_type {
            braid_braze::settings::ExternalIdentityType::Identity(kind) => kind,
            braid_braze::settings::ExternalIdentityType::Mpid => {
                braid_mparticle::IdentityType::CustomerId
            }
        },
    })
}

/// PostgreSQL's settings from `[storage.postgres]`.
pub fn postgres_options(
    config: &Config,
    node_id: &str,
) -> anyhow::Result<braid_postgres::PgOptions> {
    let postgres = config
        .storage
        .postgres
        .as_ref()
        .context("storage.postgres is not set")?;
    Ok(braid_postgres::PgOptions {
        url: postgres.url.clone(),
        schema: postgres.schema.clone(),
        pool_size: postgres.pool_size,
        lanes: config.server.lanes,
        node_id: node_id.to_string(),
        ..braid_postgres::PgOptions::new(postgres.url.clone())
    })
}

/// Connect to all three engines (migrating PostgreSQL's schema, creating the topic if
/// absent). Each failure names the engine and the setting to look at.
pub async fn connect(config: &Config, roles: Roles) -> anyhow::Result<Arc<Cluster>> {
    let node_id = node_id();
    let pg_options = postgres_options(config, &node_id)?;
    let state = tokio::task::spawn_blocking(move || braid_postgres::PgStore::connect(&pg_options))
        .await?
        .context("connecting to PostgreSQL (storage.postgres.url)")?;
    let kafka = kafka_options(config)?;
    let kafka_for_log = kafka.clone();
    let log = tokio::task::spawn_blocking(move || braid_kafka::KafkaLog::connect(&kafka_for_log))
        .await?
        .context("connecting to Kafka (storage.kafka.brokers)")?;
    let redis = config
        .storage
        .redis
        .as_ref()
        .context("storage.redis is not set")?;
    let window = config.delivery.pacing_window();
    let budget = braid_delivery::RedisBudget::connect(
        &redis.url,
        &redis.key_prefix,
        config.delivery.rate_limit,
        window,
    )
    .await
    .context("connecting to Redis (storage.redis.url)")?;
    // Read once, so a wrong lane count or schema fails the start, not the first batch.
    let probe = state.clone();
    tokio::task::spawn_blocking(move || probe.transact(|txn| txn.cursor()))
        .await?
        .context("reading state from PostgreSQL")?;
    Ok(Arc::new(Cluster {
        state,
        log,
        kafka,
        budget: Arc::new(budget),
        node_id,
        roles,
    }))
}

/// `braid check-config` for the distributed backend: connect to each engine and say
/// which answered. Returns the problems (empty when all answered).
pub async fn check_connections(config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    match connect(config, Roles::ALL).await {
        Ok(cluster) => {
            let health = health::probe_once(&cluster).await;
            problems.extend(health.into_iter().filter_map(|(_, problem)| problem));
        }
        Err(e) => problems.push(format!("{e:#}")),
    }
    problems
}
