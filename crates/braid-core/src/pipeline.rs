//! The per-user pipeline: applies one log record to the store.
//!
//! For each accepted batch, in log order, inside one state transaction:
//! identity → profile (identities, attributes, deletions, first/last seen) → event
//! history → audiences (the ones the change can affect) → Braze mapping, with membership
//! attributes folded in → delta step → outbox. The transaction also advances the
//! pipeline cursor, so a crash at any point replays whole records, never half of one.
//! "Now" is the time the batch was accepted, so a replay produces the same result.

use crate::identity::{self, mpid_for_position};
use crate::log::{LogRecord, LogRecordKind};
use crate::membership::{self, AudienceHandle, AudienceReport, AudienceRuntime, MembershipWrite};
use crate::outbox::{OutboxEntry, OutboxPayload};
use crate::storage::{lane_of, IngestLog, StateStore, StateTxn, StoreResult};
use crate::trace::{data_points_since, BatchTrace, NotForwarded};
use braid_braze::billing::DataPoints;
use braid_braze::delta::{apply_delta, SentState};
use braid_braze::mapping::{map_change, MappingCounters, MappingInput};
use braid_braze::settings::BrazeSettings;
use braid_braze::wire::{AliasToIdentify, TrackObject};
use braid_mparticle::event::Event;
use braid_mparticle::Mpid;
use braid_mparticle::{AttributeValue, Batch, BatchError};
use std::collections::BTreeMap;

/// What the pipeline needs to know.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// The Braze output's mapping settings.
    pub braze: BrazeSettings,
    /// Whether the Braze output is enabled at all.
    pub forward_to_braze: bool,
    /// Outbox lanes: the store's `Outbox::lane_count`, never a separate setting.
    pub lanes: u32,
    /// How long event history is kept for audiences.
    pub history_retention_ms: i64,
    /// How Braze Currents records are applied.
    pub currents: crate::currents::CurrentsSettings,
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
    pub audiences: AudienceReport,
    /// One trace per applied batch, collected only when this is `Some` (the console's
    /// live stream sets it while someone watches).
    pub traces: Option<Vec<crate::trace::BatchTrace>>,
    /// What calculated attributes did in this pass.
    pub calculated: crate::calculated::CalculatedReport,
    /// What Braze Currents records did in this pass.
    pub currents: crate::currents::CurrentsReport,
}

/// The pipeline: stateless apart from its configuration and the audiences in force.
#[derive(Debug, Clone)]
pub struct Pipeline {
    config: PipelineConfig,
    audiences: AudienceHandle,
    /// The store's MPID salt once read from it (it never changes once stored). Kept so a
    /// pipeline transaction reads as few meta rows as it can: PostgreSQL's SERIALIZABLE
    /// turns a third row read on one page into a lock on the whole page
    /// (`max_pred_locks_per_page`, 2 by default), and then every other worker's offset
    /// write on that page is a conflict.
    salt: std::sync::OnceLock<u64>,
}

const MPID_SALT_KEY: &str = "mpid_salt";

impl Pipeline {
    /// A pipeline with this configuration.
    pub fn new(config: PipelineConfig) -> Self {
        Pipeline {
            config,
            audiences: AudienceHandle::default(),
            salt: std::sync::OnceLock::new(),
        }
    }

    /// A pipeline that evaluates the audiences `handle` holds (swapped at run time by the
    /// admin API).
    pub fn with_audiences(config: PipelineConfig, handle: AudienceHandle) -> Self {
        Pipeline {
            config,
            audiences: handle,
            salt: std::sync::OnceLock::new(),
        }
    }

    /// The audiences in force.
    pub fn audiences(&self) -> &AudienceHandle {
        &self.audiences
    }

    /// The configuration in force.
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// How long event history is kept: the setting, or the longest window an audience or
    /// a calculated attribute needs.
    pub fn retention_ms(&self, runtime: &AudienceRuntime) -> i64 {
        self.config
            .history_retention_ms
            .max(runtime.set.retain_window_ms())
            .max(runtime.calculated.retain_window_ms())
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
            self.apply_records(txn, &records, report)?;
            txn.set_cursor(last)?;
            Ok(last)
        })
    }

    /// [`process_pending`](Self::process_pending), with the next pass read and parsed on
    /// a second thread while this one applies and commits. `ahead` carries that read
    /// from one call to the next; it is used only when it starts at the cursor the
    /// transaction sees, so a pass applies exactly the records after the cursor, in log
    /// order, whoever else moved it.
    ///
    /// Why: a pass's commit (writing its pages, the fsync) and its parsing used to run
    /// one after the other on the pipeline's thread; log records after the cursor never
    /// change, so the next pass can be read while this one commits.
    pub fn process_pending_read_ahead<S>(
        &self,
        log: &dyn IngestLog,
        state: &S,
        max: usize,
        ahead: &mut Option<ReadAhead>,
        report: &mut PipelineReport,
    ) -> StoreResult<u64>
    where
        S: StateStore,
    {
        let cursor = state.cursor()?;
        let mut current = match ahead.take() {
            Some(read) if read.after == cursor => read,
            _ => ReadAhead::empty(cursor),
        };
        // What arrived while the read ahead ran joins this pass, not the next one.
        current.top_up(log, max)?;
        let Some(&(last, _)) = current.records.last() else {
            return Ok(cursor);
        };
        std::thread::scope(|scope| {
            let next = scope.spawn(|| ReadAhead::read(log, last, max, ParseOn::ThisThread));
            let applied = state.transact(|txn| {
                let seen = txn.cursor()?;
                if seen != cursor {
                    // Another writer moved the cursor since it was read: apply what
                    // follows it now, as `process_pending` does.
                    let records = log.read_after(seen, max)?;
                    let Some(&(last, _)) = records.last() else {
                        return Ok(seen);
                    };
                    self.apply_records(txn, &records, report)?;
                    txn.set_cursor(last)?;
                    return Ok(last);
                }
                self.apply_parsed_records(txn, &current.records, current.parsed, report)?;
                txn.set_cursor(last)?;
                Ok(last)
            });
            let next = match next.join() {
                Ok(next) => next,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            let applied = applied?;
            // A failed read ahead is not this pass's failure: the next pass reads again.
            *ahead = next.ok().filter(|read| read.after == applied);
            Ok(applied)
        })
    }

    /// Apply records, in the order given, inside `txn`: what
    /// [`process_pending`](Self::process_pending) does between reading the log and moving
    /// the cursor. A caller that reads the log itself (a Kafka consumer) keeps its own
    /// consumed positions in the same transaction.
    pub fn apply_records(
        &self,
        txn: &mut dyn StateTxn,
        records: &[(u64, LogRecord)],
        report: &mut PipelineReport,
    ) -> StoreResult<()> {
        let parsed = parse_records(records, ParseOn::BothCores);
        self.apply_parsed_records(txn, records, parsed, report)
    }

    /// Apply records whose batches are parsed already (`parsed[i]` is `records[i]`'s).
    fn apply_parsed_records(
        &self,
        txn: &mut dyn StateTxn,
        records: &[(u64, LogRecord)],
        parsed: Vec<Result<Batch, BatchError>>,
        report: &mut PipelineReport,
    ) -> StoreResult<()> {
        debug_assert_eq!(records.len(), parsed.len());
        let salt = match self.salt.get() {
            Some(salt) => *salt,
            None => match txn.meta(MPID_SALT_KEY)?.and_then(|v| v.as_u64()) {
                // Only a stored salt is kept: one made in this transaction may roll back.
                Some(stored) => *self.salt.get_or_init(|| stored),
                None => mpid_salt(txn)?,
            },
        };
        // One set of definitions for the whole transaction: the one `txn` sees.
        let runtime = self.audiences.in_force(txn)?;
        for ((position, record), batch) in records.iter().zip(parsed) {
            self.apply_parsed(txn, *position, record, batch, salt, &runtime, report)?;
        }
        Ok(())
    }

    /// Apply one record inside `txn`.
    pub fn apply(
        &self,
        txn: &mut dyn StateTxn,
        position: u64,
        record: &LogRecord,
        salt: u64,
        runtime: &AudienceRuntime,
        report: &mut PipelineReport,
    ) -> StoreResult<()> {
        let batch = braid_mparticle::parse_batch(record.batch_json.as_bytes());
        self.apply_parsed(txn, position, record, batch, salt, runtime, report)
    }

    /// Apply one record whose batch was already parsed (by [`parse_records`]).
    #[allow(clippy::too_many_arguments)]
    fn apply_parsed(
        &self,
        txn: &mut dyn StateTxn,
        position: u64,
        record: &LogRecord,
        batch: Result<Batch, BatchError>,
        salt: u64,
        runtime: &AudienceRuntime,
        report: &mut PipelineReport,
    ) -> StoreResult<()> {
        report.records += 1;
        match record.kind {
            LogRecordKind::Currents => {
                return self.apply_currents(txn, position, record, salt, runtime, report)
            }
            LogRecordKind::CurrentsRejected => {
                return self.apply_currents_rejected(txn, position, record, report)
            }
            LogRecordKind::Live | LogRecordKind::Historical | LogRecordKind::ViaKit => {}
        }
        let batch: Batch = match batch {
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
        // Identities IDSync set since the last batch count as new for the mapping (so
        // Braze hears of them); from this batch on they are ordinary.
        let mut identities_before = before.identities.clone();
        for (kind, value) in &before.idsync_pending {
            if identities_before.get(kind) == Some(value) {
                identities_before.remove(kind);
            }
        }
        profile.idsync_pending.clear();
        identity::claim_identities(
            txn,
            &mut profile,
            &batch,
            &resolution.reassigned,
            &resolution.already_owned,
        )?;
        apply_attributes(&mut profile.attributes, &batch);
        let batch_ts = batch.timestamp_unixtime_ms.unwrap_or(now_ms);
        profile.last_seen_ms = profile.last_seen_ms.max(batch_ts.min(now_ms));
        profile.first_seen_ms = profile.first_seen_ms.min(batch_ts);

        let retention_ms = self.retention_ms(runtime);
        let mut change = braid_audiences::Change::default();
        // The batch's retained events, appended in one call: one row, not one per event,
        // where the backend allows (fewer B-tree writes per batch).
        let mut history = Vec::with_capacity(batch.events.len());
        // Calculated attributes count every event, also those older than the history
        // kept: lifetime values are exact for the lifetime.
        let calculating = runtime.calculated.has_active();
        let mut records = Vec::new();
        for event in &batch.events {
            *report.events_by_type.entry(event.event_type()).or_default() += 1;
            let ts = event.common().timestamp_unixtime_ms.unwrap_or(batch_ts);
            let retained = ts >= now_ms - retention_ms;
            if retained || calculating {
                if let Some(record) = braid_audiences::EventRecord::from_event(event, ts) {
                    if retained {
                        change.record_event(&record);
                        let stored = serde_json::to_value(&record)
                            .map_err(|e| crate::StorageError::encode("history event", e))?;
                        history.push((ts, stored));
                    }
                    if calculating {
                        records.push(record);
                    }
                }
            }
        }
        if !history.is_empty() {
            txn.append_history_events(profile.mpid, &history)?;
            // History is bounded per user: trimmed whenever the user adds to it.
            txn.prune_history(profile.mpid, now_ms - retention_ms)?;
        }
        let calculated_changes = crate::calculated::apply_batch(
            txn,
            &runtime.calculated,
            &mut profile,
            &records,
            resolution.created,
            now_ms,
            &mut report.calculated,
        )?;
        change.calculated.extend(calculated_changes.iter().cloned());
        let membership_delta = if !runtime.set.has_active() {
            None
        } else {
            note_profile_changes(&mut change, &before, &profile, &batch);
            let candidates = (!resolution.created).then(|| runtime.set.affected_by(&change));
            match candidates {
                Some(ids) if ids.is_empty() => None,
                ids => Some(membership::reevaluate(
                    txn,
                    &runtime.set,
                    &mut profile,
                    ids.as_deref(),
                    now_ms,
                    &mut report.audiences,
                )?),
            }
        };

        // A kit input's events and attributes reach Braze from the browser; mapping them
        // here too would count them twice in Braze.
        let via_kit = record.kind == LogRecordKind::ViaKit;
        let forward = self.config.forward_to_braze
            && matches!(record.kind, LogRecordKind::Live | LogRecordKind::ViaKit);
        if record.kind == LogRecordKind::Historical {
            report.historical_records += 1;
        }
        let (spent_before, saved_before) = (report.data_points, report.data_points_saved);
        let mut queued = Vec::new();
        let mut not_forwarded = Some(if record.kind == LogRecordKind::Historical {
            NotForwarded::Historical
        } else {
            NotForwarded::OutputDisabled
        });
        if forward {
            let input = MappingInput {
                mpid: profile.mpid,
                identities_before: &identities_before,
                identities: &profile.identities,
                attributes_before: &before.attributes,
                attributes: &profile.attributes,
                batch: &batch,
                now_ms,
            };
            let mut mapped = if via_kit {
                braid_braze::mapping::MappingOutput::default()
            } else {
                map_change(&self.config.braze, &input)
            };
            report.mapping.merge(&mapped.counters);
            if let Some(delta) = &membership_delta {
                if let Some(object) = membership::membership_object(
                    runtime,
                    &self.config.braze,
                    &profile,
                    delta,
                    &mut report.audiences,
                ) {
                    membership::merge_into(&mut mapped.objects, object);
                }
            }
            crate::calculated::merge_feed(
                runtime,
                &self.config.braze,
                &profile,
                &calculated_changes,
                &mut mapped.objects,
                &mut report.calculated,
            );
            let mapped_nothing = mapped.objects.is_empty() && mapped.identify.is_empty();
            let anonymous = mapped.counters.skipped_no_external_id > 0;
            queued = self.send(
                txn,
                profile.mpid,
                mapped.objects,
                mapped.identify,
                now_ms,
                report,
            )?;
            not_forwarded = match (mapped_nothing, anonymous, queued.is_empty()) {
                (true, _, _) if via_kit => Some(NotForwarded::ViaKit),
                (true, true, _) => Some(NotForwarded::Anonymous),
                (true, false, _) => Some(NotForwarded::Filtered),
                (false, _, true) => Some(NotForwarded::Unchanged),
                (false, _, false) => None,
            };
        }
        if report.traces.is_some() {
            let trace = BatchTrace {
                position,
                input: record.input.clone(),
                received_ms: record.received_ms,
                mpid: profile.mpid.0,
                identities: profile
                    .identities
                    .iter()
                    .map(|(kind, value)| (kind.to_string(), value.clone()))
                    .collect(),
                events: batch
                    .events
                    .iter()
                    .map(|event| {
                        braid_audiences::EventRecord::from_event(event, batch_ts)
                            .map(|r| r.name)
                            .unwrap_or_else(|| event.event_type().to_string())
                    })
                    .collect(),
                queued,
                data_points: data_points_since(report.data_points, spent_before),
                data_points_saved: data_points_since(report.data_points_saved, saved_before),
                not_forwarded,
            };
            if let Some(traces) = report.traces.as_mut() {
                traces.push(trace);
            }
        }
        txn.put_profile(&profile)?;
        Ok(())
    }
}

impl Pipeline {
    /// Pass one user's objects through the delta step and queue what is left (and any
    /// alias merges, first) on the user's lane. Returns what was queued.
    pub fn send(
        &self,
        txn: &mut dyn StateTxn,
        mpid: Mpid,
        objects: Vec<TrackObject>,
        identify: Vec<AliasToIdentify>,
        now_ms: i64,
        report: &mut PipelineReport,
    ) -> StoreResult<Vec<OutboxEntry>> {
        let stored = txn.sent_state(mpid)?;
        let had_state = stored.is_some();
        let mut sent: SentState = match stored {
            Some(v) => serde_json::from_value(v).unwrap_or_default(),
            None => SentState::default(),
        };
        // Kept to skip the write when the delta step changed nothing: a user re-sending
        // what Braze already has is the common case, and a write is a B-tree update.
        let sent_before = sent.clone();
        let delta = apply_delta(&mut sent, objects, self.config.braze.deltas);
        report.data_points += delta.cost;
        report.data_points_saved += delta.saved;
        let mut entries = Vec::with_capacity(delta.objects.len() + identify.len());
        // An alias merge goes first: later objects name the external id it creates.
        for identify in identify {
            entries.push(OutboxEntry {
                mpid: mpid.0,
                payload: OutboxPayload::Identify { identify },
                data_points: 0,
                accepted_ms: now_ms,
            });
        }
        for object in delta.objects {
            let data_points = braid_braze::billing::object_data_points(object.array, &object.body);
            entries.push(OutboxEntry {
                mpid: mpid.0,
                payload: OutboxPayload::Track { object },
                data_points,
                accepted_ms: now_ms,
            });
        }
        if !entries.is_empty() {
            report.outbox_entries += entries.len() as u64;
            txn.enqueue(lane_of(mpid, self.config.lanes), &entries)?;
        }
        if !had_state || sent != sent_before {
            let sent_json = serde_json::to_value(&sent)
                .map_err(|e| crate::StorageError::encode("sent state", e))?;
            txn.put_sent_state(mpid, &sent_json)?;
        }
        Ok(entries)
    }

    /// Send membership writes from audience jobs and re-checks (when Braze is enabled).
    pub fn send_memberships(
        &self,
        txn: &mut dyn StateTxn,
        writes: Vec<MembershipWrite>,
        now_ms: i64,
        report: &mut PipelineReport,
    ) -> StoreResult<()> {
        if !self.config.forward_to_braze {
            return Ok(());
        }
        for write in writes {
            self.send(
                txn,
                write.mpid,
                vec![write.object],
                Vec::new(),
                now_ms,
                report,
            )?;
        }
        Ok(())
    }

    /// Advance audience jobs and due re-checks by one bounded step, in one transaction.
    /// Returns whether there was anything to do, and a new audience set to put in force.
    pub fn run_audience_work<S: StateStore>(
        &self,
        state: &S,
        now_ms: i64,
        chunk: usize,
        report: &mut PipelineReport,
    ) -> StoreResult<(bool, Option<braid_audiences::AudienceSet>)> {
        let (worked, new_set) = state.transact(|txn| {
            // The definitions this transaction sees: a job queued by another node's
            // admin API runs against the definitions it was queued with.
            let runtime = self.audiences.in_force(txn)?;
            let writes = membership::run_due_rechecks(
                txn,
                &runtime,
                &self.config.braze,
                now_ms,
                chunk,
                &mut report.audiences,
                &mut report.calculated,
            )?;
            let mut worked = !writes.is_empty();
            self.send_memberships(txn, writes, now_ms, report)?;
            let step = membership::run_job_step(
                txn,
                &runtime,
                &self.config.braze,
                chunk,
                now_ms,
                &mut report.audiences,
            )?;
            worked |= step.worked;
            self.send_memberships(txn, step.writes, now_ms, report)?;
            let calculated = crate::calculated::run_job_step(
                txn,
                &runtime,
                &self.config.braze,
                chunk,
                now_ms,
                &mut report.audiences,
                &mut report.calculated,
            )?;
            worked |= calculated.worked;
            self.send_memberships(txn, calculated.writes, now_ms, report)?;
            let new_set = match step.new_set {
                Some(set) => Some((
                    membership::definitions_version(txn)?,
                    set,
                    runtime.calculated.clone(),
                )),
                None => None,
            };
            Ok((worked, new_set))
        })?;
        let new_set = new_set.map(|(version, set, calculated)| {
            if self.audiences.follows_store() {
                self.audiences.install(version, set.clone(), calculated);
            } else {
                self.audiences.replace_set(set.clone());
            }
            set
        });
        Ok((worked, new_set))
    }
}

/// Add what a batch changed on the profile to an audience [`Change`]: attribute keys
/// set or deleted, and identity types added, changed or removed.
///
/// [`Change`]: braid_audiences::Change
fn note_profile_changes(
    change: &mut braid_audiences::Change,
    before: &crate::Profile,
    after: &crate::Profile,
    batch: &Batch,
) {
    change
        .attribute_keys
        .extend(batch.user_attributes.keys().cloned());
    change
        .attribute_keys
        .extend(batch.deleted_user_attributes.iter().cloned());
    for event in &batch.events {
        if let Event::UserAttributeChange(c) = event {
            change.attribute_keys.insert(c.user_attribute_name.clone());
        }
    }
    for (kind, value) in &after.identities {
        if before.identities.get(kind) != Some(value) {
            change.identity_types.insert(*kind);
        }
    }
    for kind in before.identities.keys() {
        if !after.identities.contains_key(kind) {
            change.identity_types.insert(*kind);
        }
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

pub(crate) fn mpid_salt(txn: &mut dyn StateTxn) -> StoreResult<u64> {
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

/// Log records after a cursor, read and parsed before the pass that applies them.
#[derive(Debug)]
pub struct ReadAhead {
    /// The cursor these records follow.
    after: u64,
    records: Vec<(u64, LogRecord)>,
    /// `parsed[i]` is `records[i]`'s batch.
    parsed: Vec<Result<Batch, BatchError>>,
}

impl ReadAhead {
    fn empty(after: u64) -> Self {
        ReadAhead {
            after,
            records: Vec::new(),
            parsed: Vec::new(),
        }
    }

    fn read(log: &dyn IngestLog, after: u64, max: usize, on: ParseOn) -> StoreResult<Self> {
        let records = log.read_after(after, max)?;
        let parsed = parse_records(&records, on);
        Ok(ReadAhead {
            after,
            records,
            parsed,
        })
    }

    /// Read and parse what follows the records held, up to `max` in all.
    fn top_up(&mut self, log: &dyn IngestLog, max: usize) -> StoreResult<()> {
        let room = max.saturating_sub(self.records.len());
        if room == 0 {
            return Ok(());
        }
        let last = self
            .records
            .last()
            .map_or(self.after, |&(position, _)| position);
        let more = log.read_after(last, room)?;
        self.parsed.extend(parse_records(&more, ParseOn::BothCores));
        self.records.extend(more);
        Ok(())
    }
}

/// Where a pass's batches are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParseOn {
    /// Split over this thread and one more: the pass waits for its parse.
    BothCores,
    /// On this thread alone: it is the read-ahead thread, and the other core is busy
    /// applying the previous pass.
    ThisThread,
}

/// Below this many records a pass parses on the pipeline's own thread.
const PARALLEL_PARSE_MIN: usize = 64;

/// Parse the stored batches of one pass, in order. Parsing is pure and is the largest
/// piece of per-record work that needs no state, so it runs beside the applying thread
/// (split in two when the pass waits for it), while applying stays on one thread, in
/// log order, so per-user order and replay determinism are unchanged.
fn parse_records(records: &[(u64, LogRecord)], on: ParseOn) -> Vec<Result<Batch, BatchError>> {
    let parse = |r: &(u64, LogRecord)| braid_mparticle::parse_batch(r.1.batch_json.as_bytes());
    if on == ParseOn::ThisThread || records.len() < PARALLEL_PARSE_MIN {
        return records.iter().map(parse).collect();
    }
    let (first, second) = records.split_at(records.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| second.iter().map(parse).collect::<Vec<_>>());
        let mut out: Vec<_> = first.iter().map(parse).collect();
        match other.join() {
            Ok(rest) => out.extend(rest),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        out
    })
}
