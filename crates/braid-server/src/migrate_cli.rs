//! `braid migrate-store`: move an embedded store into the distributed backend, so a user
//! who outgrows one node keeps their profiles. State is copied into PostgreSQL through
//! the storage traits (`braid_postgres::import`), and the log records the embedded
//! pipeline had not applied yet are appended to Kafka, so nothing accepted is left
//! behind. Progress is printed as it goes. The embedded braid must be stopped first.

use crate::cluster;
use crate::config::{Config, StorageBackend};
use anyhow::Context;
use braid_core::storage::{IngestLog, StateStore};
use braid_postgres::import::{ImportProgress, ImportStage};
use braid_store::{EmbeddedStore, StoreOptions};
use std::path::Path;
use std::time::{Duration, Instant};

/// Log records appended to Kafka per call.
const LOG_CHUNK: usize = 1000;

/// What was moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moved {
    pub state: braid_postgres::import::ImportSummary,
    /// Accepted batches the embedded pipeline had not applied, now in Kafka.
    pub unapplied_batches: u64,
}

/// Copy the embedded store in `from` (a data directory) into the distributed backend
/// that `config` describes, writing progress lines to `out`.
pub fn migrate(
    from: &Path,
    config: &Config,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<Moved> {
    if config.storage.backend != StorageBackend::Distributed {
        anyhow::bail!(
            "the target config has storage.backend = \"embedded\": give the config of the distributed cluster to move into"
        );
    }
    if !from.join("state.redb").is_file() {
        anyhow::bail!(
            "{} holds no embedded store (no state.redb): give the old data_dir",
            from.display()
        );
    }
    let source = EmbeddedStore::open(
        from,
        StoreOptions {
            lanes: config.server.lanes,
            ..StoreOptions::default()
        },
    )
    .with_context(|| {
        format!(
            "opening the embedded store in {} (is its braid stopped?)",
            from.display()
        )
    })?;
    let node_id = format!("{}-migrate", cluster::node_id());
    let target = braid_postgres::PgStore::connect(&cluster::postgres_options(config, &node_id)?)
        .context("connecting to PostgreSQL (storage.postgres.url)")?;
    let kafka = braid_kafka::KafkaLog::connect(&cluster::kafka_options(config)?)
        .context("connecting to Kafka (storage.kafka.brokers)")?;

    let started = Instant::now();
    let mut last_line = Instant::now() - Duration::from_secs(1);
    let mut last_stage = None;
    let state =
        braid_postgres::import::copy_state(&source, &target, |progress: &ImportProgress| {
            // A line per stage change, else at most one a second.
            if last_stage != Some(progress.stage) || last_line.elapsed() >= Duration::from_secs(1) {
                let _ = writeln!(
                    out,
                    "{:>7.1}s  {:<12} {} copied",
                    started.elapsed().as_secs_f64(),
                    stage_name(progress.stage),
                    progress.copied
                );
                last_line = Instant::now();
                last_stage = Some(progress.stage);
            }
        })
        .context("copying state into PostgreSQL")?;

    // What the embedded pipeline had not applied goes to the log, in order; the cluster's
    // workers apply it like any batch.
    let mut cursor = StateStore::cursor(&source)?;
    let mut unapplied_batches = 0;
    loop {
        let records = source.read_after(cursor, LOG_CHUNK)?;
        let Some(&(last, _)) = records.last() else {
            break;
        };
        let requests = records
            .into_iter()
            .map(|(_, record)| braid_core::storage::AppendRequest {
                record,
                source_request_id: None,
            })
            .collect::<Vec<_>>();
        unapplied_batches += requests.len() as u64;
        kafka
            .append(requests)
            .context("appending unapplied batches to Kafka")?;
        cursor = last;
        writeln!(
            out,
            "{:>7.1}s  log          {unapplied_batches} unapplied batches appended",
            started.elapsed().as_secs_f64()
        )?;
    }
    let s = &state;
    writeln!(
        out,
        "moved in {:.1}s: {} profiles, {} identities, {} sent states, {} history events, {} re-checks, {} outbox entries, {} dead letters, {} settings, {unapplied_batches} unapplied batches",
        started.elapsed().as_secs_f64(),
        s.profiles, s.identities, s.sent_states, s.history, s.rechecks, s.outbox, s.dead_letters, s.meta
    )?;
    Ok(Moved {
        state,
        unapplied_batches,
    })
}

fn stage_name(stage: ImportStage) -> &'static str {
    match stage {
        ImportStage::Profiles => "profiles",
        ImportStage::Rechecks => "re-checks",
        ImportStage::Outbox => "outbox",
        ImportStage::DeadLetters => "dead letters",
        ImportStage::Meta => "settings",
    }
}
