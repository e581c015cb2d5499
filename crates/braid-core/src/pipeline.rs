//! The per-user pipeline: applies one log record to the store.
//!
//! For each accepted batch, in log order, inside one state transaction:
//! identity → profile (identities, attributes, deletions, first/last seen) → event
//! history → Braze mapping → delta step → outbox. The transaction also advances the
//! pipeline cursor, so a crash at any point replays whole records, never half of one.
//! "Now" is the time the batch was accepted, so a replay produces the same result.

use crate::identity::{self, mpid_for_position};
use crate::log::{LogRecord, LogRecordKind};
use crate::outbox::{OutboxEntry, OutboxPayload};
use crate::storage::{lane_of, IngestLog, StateStore, StateTxn, StoreResult};
use braid_braze::billing::DataPoints;
use braid_braze::delta::{apply_delta, SentState};
use braid_braze::mapping::{map_change, MappingCounters, MappingInput};
use braid_braze::settings::BrazeSettings;
use braid_mparticle::event::Event;
use braid_mparticle::{AttributeValue, Batch};
use std::collections::BTreeMap;

/// What the pipeline needs to know.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// The Braze output's mapping settings.
    pub braze: BrazeSettings,
    /// Whether the Braze output is enabled at all.
    pub forward_to_braze: bool,
    /// Outbox lanes (must match the store's).
    pub lanes: u32,
    /// How long event history is kept for audiences.
    pub history_retention_ms: i64,
}

/// Counters from processing records, turned into metrics by the server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineReport {
    pub records: u64,
    pub events_by_type: BTreeMap<&'static str, u64>,
    pub profiles_created: u64,
    pub identities_reassigned: u64,
    pub unparseable_records: u64,
    pub historical_records: u64,
    pub outbox_entries: u64,
    pub data_points: DataPoints,
    pub data_points_saved: DataPoints,
    pub mapping: MappingCounters,
}

/// The pipeline: stateless apart from its configuration.
#[derive(Debug, Clone)]
pub struct Pipeline {
    config: PipelineConfig,
}

const MPID_SALT_KEY: &str = "mpid_salt";

impl Pipeline {
    /// A pipeline with this configuration.
    pub fn new(config: PipelineConfig) -> Self {
        Pipeline { config }
    }

    /// The configuration in force.
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// Process up to `max` records after the cursor in one transaction. Returns the new
    /// cursor (unchanged when there was nothing to do).
    pub fn process_pending<S>(
        &self,
        log: &dyn IngestLog,
        state: &S,
        max: usize,
        report: &mut PipelineReport,
    ) -> StoreResult<u64>
    where
        S: StateStore,
    {
        state.transact(|txn| {
            let cursor = txn.cursor()?;
            let records = log.read_after(cursor, max)?;
            let Some(&(last, _)) = records.last() else {
                return Ok(cursor);
            };
            let salt = mpid_salt(txn)?;
            for (position, record) in &records {
                self.apply(txn, *position, record, salt, report)?;
            }
            txn.set_cursor(last)?;
            Ok(last)
        })
    }

    /// Apply one record inside `txn`.
    pub fn apply(
        &self,
        txn: &mut dyn StateTxn,
        position: u64,
        record: &LogRecord,
        salt: u64,
        report: &mut PipelineReport,
    ) -> StoreResult<()> {
        report.records += 1;
        let batch: Batch = match braid_mparticle::parse_batch(record.batch_json.as_bytes()) {
            Ok(b) => b,
            Err(e) => {
                // Ingest validated this batch, so this means the format changed under a
                // stored record. Keep going; the record stays in the log for inspection.
                tracing::error!(position, error = %e, "stored batch no longer parses");
                report.unparseable_records += 1;
                return Ok(());
            }
        };
        let now_ms = record.received_ms;
        let resolution =
            identity::resolve(txn, &batch, now_ms, || mpid_for_position(position, salt))?;
        if resolution.created {
            report.profiles_created += 1;
        }
        report.identities_reassigned += resolution.reassigned.len() as u64;
        let before = resolution.profile;
        let mut profile = before.clone();
        identity::claim_identities(txn, &mut profile, &batch, &resolution.reassigned)?;
        apply_attributes(&mut profile.attributes, &batch);
        let batch_ts = batch.timestamp_unixtime_ms.unwrap_or(now_ms);
        profile.last_seen_ms = profile.last_seen_ms.max(batch_ts.min(now_ms));
        profile.first_seen_ms = profile.first_seen_ms.min(batch_ts);

        for event in &batch.events {
            *report.events_by_type.entry(event.event_type()).or_default() += 1;
            let ts = event.common().timestamp_unixtime_ms.unwrap_or(batch_ts);
            if ts >= now_ms - self.config.history_retention_ms {
                if let Some(stored) = history_record(event, ts) {
                    txn.append_history(profile.mpid, ts, &stored)?;
                }
            }
        }

        let forward = self.config.forward_to_braze && record.kind == LogRecordKind::Live;
        if record.kind == LogRecordKind::Historical {
            report.historical_records += 1;
        }
        if forward {
            let input = MappingInput {
                mpid: profile.mpid,
                identities_before: &before.identities,
                identities: &profile.identities,
                attributes_before: &before.attributes,
                attributes: &profile.attributes,
                batch: &batch,
                now_ms,
            };
            let mapped = map_change(&self.config.braze, &input);
            report.mapping.merge(&mapped.counters);
            let mut sent: SentState = match txn.sent_state(profile.mpid)? {
                Some(v) => serde_json::from_value(v).unwrap_or_default(),
                None => SentState::default(),
            };
            let delta = apply_delta(&mut sent, mapped.objects, self.config.braze.deltas);
            report.data_points += delta.cost;
            report.data_points_saved += delta.saved;
            let mut entries = Vec::with_capacity(delta.objects.len() + mapped.identify.len());
            // An alias merge goes first: later objects name the external id it creates.
            for identify in mapped.identify {
                entries.push(OutboxEntry {
                    mpid: profile.mpid.0,
                    payload: OutboxPayload::Identify { identify },
                    data_points: 0,
                    accepted_ms: now_ms,
                });
            }
            for object in delta.objects {
                let data_points =
                    braid_braze::billing::object_data_points(object.array, &object.body);
                entries.push(OutboxEntry {
                    mpid: profile.mpid.0,
                    payload: OutboxPayload::Track { object },
                    data_points,
                    accepted_ms: now_ms,
                });
            }
            if !entries.is_empty() {
                report.outbox_entries += entries.len() as u64;
                txn.enqueue(lane_of(profile.mpid, self.config.lanes), &entries)?;
            }
            let sent_json = serde_json::to_value(&sent)
                .map_err(|e| crate::StorageError::Corrupt(e.to_string()))?;
            txn.put_sent_state(profile.mpid, &sent_json)?;
        }
        txn.put_profile(&profile)?;
        Ok(())
    }
}

/// Apply a batch's attribute changes to a profile's attributes: `user_attributes` set,
/// `deleted_user_attributes` removed, then `user_attribute_change` events in order.
pub fn apply_attributes(attributes: &mut braid_mparticle::AttributeMap, batch: &Batch) {
    for (key, value) in &batch.user_attributes {
        attributes.insert(key.clone(), value.clone());
    }
    for key in &batch.deleted_user_attributes {
        attributes.remove(key);
    }
    for event in &batch.events {
        if let Event::UserAttributeChange(change) = event {
            if change.deleted {
                attributes.remove(&change.user_attribute_name);
            } else if let Some(new) = &change.new {
                let value = serde_json::from_value::<AttributeValue>(new.clone())
                    .unwrap_or(AttributeValue::Other(new.clone()));
                attributes.insert(change.user_attribute_name.clone(), value);
            }
        }
    }
}

/// The compact form of an event kept in the user's history for audiences.
fn history_record(event: &Event, ts_ms: i64) -> Option<serde_json::Value> {
    braid_audiences::history::EventRecord::from_event(event, ts_ms)
        .and_then(|r| serde_json::to_value(r).ok())
}

fn mpid_salt(txn: &mut dyn StateTxn) -> StoreResult<u64> {
    if let Some(v) = txn.meta(MPID_SALT_KEY)? {
        if let Some(salt) = v.as_u64() {
            return Ok(salt);
        }
    }
    let salt = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x5eed)
        | 1;
    txn.put_meta(MPID_SALT_KEY, &serde_json::Value::from(salt))?;
    Ok(salt)
}
