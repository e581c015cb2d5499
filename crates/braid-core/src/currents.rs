//! What a Braze Currents event becomes in braid, applied in the pipeline.
//!
//! A `Currents` log record holds the events of one Braze user (`{"events":[...]}`, the
//! Custom HTTP shape). For each event, in the pipeline's transaction:
//!
//! - **de-duplication** on the event `id`: an id seen within the window is skipped and
//!   counted; the window is kept in the state store (`StateTxn::remember_event_id`), so
//!   it survives restarts and commits with the effects, and is bounded by age and count;
//! - **identity**: the profile of `external_user_id` under the configured external
//!   identity type (`braze.external_identity_type`); Braze's own `user_id` is kept as the
//!   identity `currents.braze_user_id_identity`. Events without an external id resolve by
//!   that Braze id, else start a new (anonymous) profile, as `docs/identity.md` decides;
//! - **history**: an event named by its Currents type (`users.messages.email.Open`) with
//!   its properties and time, tagged `"source": "braze_currents"`, which audiences and
//!   calculated attributes read like any event;
//! - **subscriptions**: a `GlobalStateChange` / `subscriptiongroup.StateChange` sets
//!   `Profile::subscriptions` and braid's record of what Braze holds (the delta step's
//!   sent state), so braid never sends the value back; an event older than the state
//!   already recorded changes nothing, so a retried or late event never overwrites a
//!   newer unsubscribe.
//!
//! **Loop prevention** is a rule here, not a setting: nothing from a Currents record is
//! mapped to Braze objects. The only objects queued are audience memberships computed
//! from the new history, which are braid's own output.

use crate::identity::{self, mpid_for_position};
use crate::membership::{self, AudienceRuntime};
use crate::pipeline::{Pipeline, PipelineReport};
use crate::profile::SubscriptionRecord;
use crate::storage::{StateTxn, StoreResult};
use crate::trace::{data_points_since, BatchTrace, NotForwarded};
use crate::{LogRecord, StorageError};
use braid_braze::delta::SentState;
use braid_currents::model::{SubscriptionChange, SubscriptionTarget};
use braid_currents::CurrentsEvent;
use braid_mparticle::{AttributeValue, IdentityType, Mpid};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The meta key of the rejected Currents events kept for inspection.
pub const REJECTED_META_KEY: &str = "currents_rejected";
/// The meta key of the kept Currents events that are about no user (`agentconsole.*`).
pub const WITHOUT_USER_META_KEY: &str = "currents_without_user";

/// How Currents events are applied.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentsSettings {
    /// The identity type that keeps Braze's `user_id`. Default `other_id_10`.
    pub braze_user_id_identity: IdentityType,
    /// How long an event id is remembered for de-duplication, in ms. Default 7 days
    /// (Braze's retry horizon).
    pub dedup_window_ms: i64,
    /// At most this many event ids are remembered (oldest forgotten first).
    pub dedup_max_ids: u64,
    /// How many rejected (and user-less) events are kept for inspection.
    pub keep_rejected: usize,
}

impl Default for CurrentsSettings {
    fn default() -> Self {
        CurrentsSettings {
            braze_user_id_identity: IdentityType::OtherId10,
            dedup_window_ms: 7 * 24 * 3_600_000,
            dedup_max_ids: 10_000_000,
            keep_rejected: 1_000,
        }
    }
}

/// What Currents records did in one pass.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurrentsReport {
    /// Events recorded, by Currents type.
    pub events_by_type: BTreeMap<String, u64>,
    /// Events skipped because their id was seen within the window.
    pub duplicates: u64,
    /// Rejected events kept with their reason.
    pub rejected: u64,
    /// Subscription changes applied.
    pub subscription_changes: u64,
    /// Subscription changes older than the state already recorded, ignored.
    pub stale_subscription_changes: u64,
    /// Event ids forgotten from the de-duplication window.
    pub ids_forgotten: u64,
}

/// The body of a `Currents` log record.
pub fn record_body(events: &[CurrentsEvent]) -> String {
    json!({ "events": events }).to_string()
}

/// The body of a `CurrentsRejected` log record: each event as sent, with its reason.
pub fn rejected_body(rejected: &[(String, Value)]) -> String {
    let items: Vec<Value> = rejected
        .iter()
        .map(|(reason, event)| json!({"reason": reason, "event": event}))
        .collect();
    json!({ "rejected": items }).to_string()
}

/// Most event ids forgotten per transaction (the rest go in the next ones).
const FORGET_PER_TXN: usize = 4_096;

impl Pipeline {
    /// Apply a `Currents` record inside `txn`.
    pub(crate) fn apply_currents(
        &self,
        txn: &mut dyn StateTxn,
        position: u64,
        record: &LogRecord,
        salt: u64,
        runtime: &AudienceRuntime,
        report: &mut PipelineReport,
    ) -> StoreResult<()> {
        let settings = &self.config().currents;
        let now_ms = record.received_ms;
        report.currents.ids_forgotten += txn.forget_event_ids(
            now_ms.saturating_sub(settings.dedup_window_ms),
            settings.dedup_max_ids,
            FORGET_PER_TXN,
        )?;
        let events = match parse_record(&record.batch_json) {
            Ok(events) => events,
            Err(e) => {
                tracing::error!(position, error = %e, "stored currents record no longer parses");
                report.unparseable_records += 1;
                return Ok(());
            }
        };
        let mut fresh = Vec::with_capacity(events.len());
        for event in events {
            if txn.remember_event_id(&event.id, now_ms)? {
                fresh.push(event);
            } else {
                report.currents.duplicates += 1;
            }
        }
        let (user_events, without_user): (Vec<_>, Vec<_>) = fresh
            .into_iter()
            .partition(|e| e.family().is_about_a_user() && e.user_key().is_some());
        if !without_user.is_empty() {
            for e in &without_user {
                *report
                    .currents
                    .events_by_type
                    .entry(e.event_type.clone())
                    .or_default() += 1;
            }
            let kept: Vec<Value> = without_user
                .iter()
                .map(|e| json!({"received_ms": now_ms, "event": e}))
                .collect();
            keep_bounded(txn, WITHOUT_USER_META_KEY, kept, settings.keep_rejected)?;
        }
        let Some(first) = user_events.first() else {
            return Ok(());
        };
        let batch = self.identity_batch(first)?;
        let resolution =
            identity::resolve(txn, &batch, now_ms, || mpid_for_position(position, salt))?;
        if resolution.created {
            report.profiles_created += 1;
        }
        report.identities_reassigned += resolution.reassigned.len() as u64;
        let before = resolution.profile;
        let mut profile = before.clone();
        identity::claim_identities(
            txn,
            &mut profile,
            &batch,
            &resolution.reassigned,
            &resolution.already_owned,
        )?;

        let retention_ms = self.retention_ms(runtime);
        let calculating = runtime.calculated.has_active();
        let mut change = braid_audiences::Change::default();
        let mut records = Vec::new();
        let mut appended = false;
        let mut names = Vec::with_capacity(user_events.len());
        for event in &user_events {
            *report
                .currents
                .events_by_type
                .entry(event.event_type.clone())
                .or_default() += 1;
            names.push(event.event_type.clone());
            let ts = event.time_ms();
            profile.last_seen_ms = profile.last_seen_ms.max(ts.min(now_ms));
            profile.first_seen_ms = profile.first_seen_ms.min(ts);
            if let Some(sub) = event.subscription_change() {
                self.apply_subscription(txn, &mut profile, &sub, report)?;
                note_subscription_attribute(&mut change, &sub);
            }
            let history = history_record(event, ts);
            let retained = ts >= now_ms - retention_ms;
            if retained {
                change.record_event(&history);
                let mut stored = serde_json::to_value(&history)
                    .map_err(|e| StorageError::encode("history event", e))?;
                if let Value::Object(map) = &mut stored {
                    map.insert("source".into(), json!(braid_currents::SOURCE));
                    map.insert("id".into(), json!(event.id));
                }
                txn.append_history(profile.mpid, ts, &stored)?;
                appended = true;
            }
            if calculating {
                records.push(history);
            }
        }
        if appended {
            txn.prune_history(profile.mpid, now_ms - retention_ms)?;
        }
        // Calculated values are kept up to date from Currents events too; like any value
        // derived from Braze's data, they are not sent back from this record.
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
        for (kind, value) in &profile.identities {
            if before.identities.get(kind) != Some(value) {
                change.identity_types.insert(*kind);
            }
        }
        let membership_delta = if !runtime.set.has_active() {
            None
        } else {
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

        let (spent_before, saved_before) = (report.data_points, report.data_points_saved);
        let mut queued = Vec::new();
        let braze = &self.config().braze;
        if self.config().forward_to_braze {
            // The loop-prevention rule: only braid's own output (memberships) is queued.
            let objects: Vec<_> = membership_delta
                .as_ref()
                .and_then(|delta| {
                    membership::membership_object(
                        runtime,
                        braze,
                        &profile,
                        delta,
                        &mut report.audiences,
                    )
                })
                .into_iter()
                .collect();
            if !objects.is_empty() {
                queued = self.send(txn, profile.mpid, objects, Vec::new(), now_ms, report)?;
            }
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
                events: names,
                not_forwarded: queued.is_empty().then_some(NotForwarded::FromBraze),
                queued,
                data_points: data_points_since(report.data_points, spent_before),
                data_points_saved: data_points_since(report.data_points_saved, saved_before),
            };
            if let Some(traces) = report.traces.as_mut() {
                traces.push(trace);
            }
        }
        txn.put_profile(&profile)?;
        Ok(())
    }

    /// Apply a `CurrentsRejected` record: keep its events with their reasons.
    pub(crate) fn apply_currents_rejected(
        &self,
        txn: &mut dyn StateTxn,
        position: u64,
        record: &LogRecord,
        report: &mut PipelineReport,
    ) -> StoreResult<()> {
        let body: Value = match serde_json::from_str(&record.batch_json) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(position, error = %e, "stored rejected currents record does not parse");
                report.unparseable_records += 1;
                return Ok(());
            }
        };
        let items: Vec<Value> = body
            .get("rejected")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|mut item| {
                if let Value::Object(map) = &mut item {
                    map.insert("received_ms".into(), json!(record.received_ms));
                    map.insert("input".into(), json!(record.input));
                }
                item
            })
            .collect();
        report.currents.rejected += items.len() as u64;
        keep_bounded(
            txn,
            REJECTED_META_KEY,
            items,
            self.config().currents.keep_rejected,
        )
    }

    /// A batch carrying only the identities of a Currents user, for identity resolution.
    fn identity_batch(&self, event: &CurrentsEvent) -> StoreResult<braid_mparticle::Batch> {
        let mut batch = braid_mparticle::Batch::default();
        let settings = &self.config().currents;
        if let Some(external) = event
            .user
            .external_user_id
            .as_deref()
            .filter(|s| !s.is_empty())
        {
            match self.config().braze.external_identity_type {
                braid_braze::settings::ExternalIdentityType::Identity(kind) => {
                    batch.user_identities.insert(kind, external.to_string());
                }
                braid_braze::settings::ExternalIdentityType::Mpid => {
                    // The external id is braid's MPID; one that is not a number names
                    // no profile braid made, and is kept as the customer id.
                    match external.parse::<i64>() {
                        Ok(mpid) => batch.mpid = Some(Mpid(mpid)),
                        Err(_) => {
                            batch
                                .user_identities
                                .insert(IdentityType::CustomerId, external.to_string());
                        }
                    }
                }
            }
        }
        if let Some(braze_id) = event.user.user_id.as_deref().filter(|s| !s.is_empty()) {
            batch
                .user_identities
                .insert(settings.braze_user_id_identity, braze_id.to_string());
        }
        Ok(batch)
    }

    /// Record a subscription change on the profile and in the sent state, unless a newer
    /// state is recorded already.
    fn apply_subscription(
        &self,
        txn: &mut dyn StateTxn,
        profile: &mut crate::Profile,
        change: &SubscriptionChange,
        report: &mut PipelineReport,
    ) -> StoreResult<()> {
        let key = match &change.target {
            SubscriptionTarget::Email => "email".to_string(),
            SubscriptionTarget::Push => "push".to_string(),
            SubscriptionTarget::Group(id) => format!("group:{id}"),
        };
        if profile
            .subscriptions
            .get(&key)
            .is_some_and(|known| known.at_ms > change.at_ms)
        {
            report.currents.stale_subscription_changes += 1;
            return Ok(());
        }
        let state = change.state.as_braze();
        profile.subscriptions.insert(
            key,
            SubscriptionRecord {
                state: state.to_string(),
                at_ms: change.at_ms,
            },
        );
        report.currents.subscription_changes += 1;
        // What the mapping would send for this state, and under which sent-state key.
        let (attribute, sent_key, sent_value) = match &change.target {
            SubscriptionTarget::Email => (
                Some("email_subscribe"),
                "email_subscribe".to_string(),
                json!(state),
            ),
            SubscriptionTarget::Push => (
                Some("push_subscribe"),
                "push_subscribe".to_string(),
                json!(state),
            ),
            SubscriptionTarget::Group(id) => (
                None,
                format!("subscription_groups:{id}"),
                json!({"subscription_group_id": id, "subscription_state": state}),
            ),
        };
        // A profile attribute holding the old state would be sent again with the whole
        // attribute set; it follows Braze's state.
        if let Some(name) = attribute {
            if let Some(existing) = profile
                .attributes
                .keys()
                .find(|k| k.eq_ignore_ascii_case(name))
                .cloned()
            {
                profile
                    .attributes
                    .insert(existing, AttributeValue::String(state.to_string()));
            }
        }
        let Some(object) =
            membership::user_attributes_object(&self.config().braze, profile, Map::new())
        else {
            // Braze cannot be addressed for this user, so braid sends it nothing anyway.
            return Ok(());
        };
        let user_key = object.user.key();
        let mut sent: SentState = match txn.sent_state(profile.mpid)? {
            Some(v) => serde_json::from_value(v).unwrap_or_default(),
            None => SentState::default(),
        };
        if sent.user.as_deref() != Some(user_key.as_str()) {
            sent.attributes.clear();
            sent.user = Some(user_key);
        }
        sent.attributes.insert(sent_key, sent_value);
        let json =
            serde_json::to_value(&sent).map_err(|e| StorageError::encode("sent state", e))?;
        txn.put_sent_state(profile.mpid, &json)
    }
}

/// The Currents events of a record.
pub fn parse_record(body: &str) -> Result<Vec<CurrentsEvent>, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Body {
        events: Vec<CurrentsEvent>,
    }
    serde_json::from_str::<Body>(body).map(|b| b.events)
}

/// The history record of a Currents event: a custom event named by its type, with its
/// properties as attributes (and a purchase's price as its amount).
pub fn history_record(event: &CurrentsEvent, ts_ms: i64) -> braid_audiences::EventRecord {
    let amount = (event.event_type == "users.behaviors.Purchase")
        .then(|| event.properties.get("price").and_then(Value::as_f64))
        .flatten();
    braid_audiences::EventRecord {
        ts_ms,
        kind: braid_audiences::EventKind::Custom,
        name: event.event_type.clone(),
        attributes: event.properties.clone(),
        amount,
        products: Vec::new(),
    }
}

/// Audiences on `email_subscribe` / `push_subscribe` see the change as an attribute
/// change when the profile attribute followed it.
fn note_subscription_attribute(change: &mut braid_audiences::Change, sub: &SubscriptionChange) {
    match sub.target {
        SubscriptionTarget::Email => {
            change.attribute_keys.insert("email_subscribe".into());
        }
        SubscriptionTarget::Push => {
            change.attribute_keys.insert("push_subscribe".into());
        }
        SubscriptionTarget::Group(_) => {}
    }
}

/// Append `items` to the list under a meta key, keeping the newest `max`.
fn keep_bounded(
    txn: &mut dyn StateTxn,
    key: &str,
    items: Vec<Value>,
    max: usize,
) -> StoreResult<()> {
    if items.is_empty() || max == 0 {
        return Ok(());
    }
    let mut kept = match txn.meta(key)? {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    kept.extend(items);
    if kept.len() > max {
        let surplus = kept.len() - max;
        kept.drain(..surplus);
    }
    txn.put_meta(key, &Value::Array(kept))
}
