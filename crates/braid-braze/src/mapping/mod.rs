//! The mParticle → Braze mapping: a pure function of the output settings, the profile
//! before the change, and the change (one batch), returning `/users/track` objects.
//!
//! It does no I/O and reads no clock: "now" is passed in, so a replay maps the same
//! batch to the same objects. The rules follow Braze's mParticle integration (see
//! `shared/reference/mparticle.md` §2–4); where mParticle's documentation is silent, the
//! choice is written on the function that makes it. Submodules:
//! - `identity`: which Braze user an object names, and alias merges;
//! - `attributes`: reserved and custom user attributes, subscriptions, push tokens;
//! - `events`: custom events, sessions, screen views, opt-out, push registration;
//! - `commerce`: purchases and the other commerce actions;
//! - `values`: times, type detection, and the oversize rule.
//!
//! Objects come out in Braze's processing order (attributes, then events, then
//! purchases). Every object is checked by the shared validator before it leaves;
//! one that fails is dropped and counted in `invalid_objects` (the property tests
//! hold this counter at zero for well-formed input).

mod attributes;
mod commerce;
mod events;
mod identity;
pub mod values;

use crate::settings::BrazeSettings;
use crate::wire::{AliasToIdentify, TrackArray, TrackObject, UserRef};
use braid_mparticle::{AttributeMap, Batch, Identities, Mpid};
use serde_json::{Map, Value};

pub use identity::{alias_of, external_id, resolve_user, ALIAS_LABEL};

/// Everything the mapping looks at for one batch of one user.
#[derive(Debug, Clone, Copy)]
pub struct MappingInput<'a> {
    /// The user's MPID.
    pub mpid: Mpid,
    /// Profile identities before this batch.
    pub identities_before: &'a Identities,
    /// Profile identities after this batch.
    pub identities: &'a Identities,
    /// Profile attributes before this batch.
    pub attributes_before: &'a AttributeMap,
    /// Profile attributes after this batch (deletions applied).
    pub attributes: &'a AttributeMap,
    /// The change: events, user attributes, deleted user attributes.
    pub batch: &'a Batch,
    /// The time the batch was accepted, in ms since the epoch ("now").
    pub now_ms: i64,
}

/// What one batch maps to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MappingOutput {
    /// `/users/track` objects, attributes first, then events, then purchases.
    pub objects: Vec<TrackObject>,
    /// `/users/identify` merges of an alias profile into a new external id.
    pub identify: Vec<AliasToIdentify>,
    /// What was skipped, dropped, renamed or cut, and why.
    pub counters: MappingCounters,
}

/// Counters of everything the mapping did not forward as received. Exported as the
/// `braid_mapping_total{counter=...}` metric, named as the fields.
#[derive(Default, Debug, Clone, PartialEq)]
pub struct MappingCounters {
    /// Batches not forwarded because the user lacks the external identity.
    pub skipped_no_external_id: u64,
    /// Batches forwarded as alias profiles (`forward_anonymous_as_alias`).
    pub forwarded_as_alias: u64,
    /// Batches forwarded by email (`disable_external_id_constraint`).
    pub forwarded_by_email: u64,
    /// Event properties dropped: arrays, nested objects, nulls, empty or over-long keys.
    pub dropped_event_properties: u64,
    /// User attributes dropped because their value is an object (Braze's mParticle
    /// integration never sends objects).
    pub dropped_object_attributes: u64,
    /// User attributes with a `null` value (a valueless "tag"): not sent, because null
    /// deletes the attribute in Braze.
    pub skipped_null_attributes: u64,
    /// Strings cut to Braze's maximum length (oversize rule `truncate`).
    pub truncated_strings: u64,
    /// Arrays cut to the configured maximum length (oversize rule `truncate`).
    pub truncated_arrays: u64,
    /// Strings or arrays dropped for being too long (oversize rule `drop`).
    pub dropped_oversize_values: u64,
    /// Event property keys `time` / `event_name` renamed to `mp_time` / `mp_event_name`.
    pub renamed_reserved_keys: u64,
    /// Push tokens not forwarded: wrong platform for `api_key_operating_system`, or no
    /// `app_id` configured.
    pub filtered_push_tokens: u64,
    /// Attribute keys Braze rejects (empty once `$` is stripped, or too long): not sent.
    pub dropped_invalid_keys: u64,
    /// Reserved attribute values that could not be normalised (gender, country, age,
    /// dob, subscription states, subscription group booleans): not sent.
    pub unrecognised_values: u64,
    /// Events with no Braze counterpart, or turned off by a setting.
    pub unforwarded_events: u64,
    /// Purchases whose quantity was above Braze's 100 and were split.
    pub split_purchases: u64,
    /// Products without a product id (SKU or name) or with an invalid quantity that
    /// were skipped or adjusted.
    pub invalid_products: u64,
    /// Currency codes that were not three letters, replaced by USD.
    pub invalid_currencies: u64,
    /// Objects the shared validator rejected (should stay zero).
    pub invalid_objects: u64,
}

impl MappingCounters {
    /// Add another set of counters to this one.
    pub fn merge(&mut self, other: &MappingCounters) {
        for (mine, theirs) in self.fields_mut().into_iter().zip(other.named()) {
            *mine.1 += theirs.1;
        }
    }

    /// Every counter with its name.
    pub fn named(&self) -> [(&'static str, u64); 18] {
        [
            ("skipped_no_external_id", self.skipped_no_external_id),
            ("forwarded_as_alias", self.forwarded_as_alias),
            ("forwarded_by_email", self.forwarded_by_email),
            ("dropped_event_properties", self.dropped_event_properties),
            ("dropped_object_attributes", self.dropped_object_attributes),
            ("skipped_null_attributes", self.skipped_null_attributes),
            ("truncated_strings", self.truncated_strings),
            ("truncated_arrays", self.truncated_arrays),
            ("dropped_oversize_values", self.dropped_oversize_values),
            ("renamed_reserved_keys", self.renamed_reserved_keys),
            ("filtered_push_tokens", self.filtered_push_tokens),
            ("dropped_invalid_keys", self.dropped_invalid_keys),
            ("unrecognised_values", self.unrecognised_values),
            ("unforwarded_events", self.unforwarded_events),
            ("split_purchases", self.split_purchases),
            ("invalid_products", self.invalid_products),
            ("invalid_currencies", self.invalid_currencies),
            ("invalid_objects", self.invalid_objects),
        ]
    }

    fn fields_mut(&mut self) -> [(&'static str, &mut u64); 18] {
        [
            ("skipped_no_external_id", &mut self.skipped_no_external_id),
            ("forwarded_as_alias", &mut self.forwarded_as_alias),
            ("forwarded_by_email", &mut self.forwarded_by_email),
            (
                "dropped_event_properties",
                &mut self.dropped_event_properties,
            ),
            (
                "dropped_object_attributes",
                &mut self.dropped_object_attributes,
            ),
            ("skipped_null_attributes", &mut self.skipped_null_attributes),
            ("truncated_strings", &mut self.truncated_strings),
            ("truncated_arrays", &mut self.truncated_arrays),
            ("dropped_oversize_values", &mut self.dropped_oversize_values),
            ("renamed_reserved_keys", &mut self.renamed_reserved_keys),
            ("filtered_push_tokens", &mut self.filtered_push_tokens),
            ("dropped_invalid_keys", &mut self.dropped_invalid_keys),
            ("unrecognised_values", &mut self.unrecognised_values),
            ("unforwarded_events", &mut self.unforwarded_events),
            ("split_purchases", &mut self.split_purchases),
            ("invalid_products", &mut self.invalid_products),
            ("invalid_currencies", &mut self.invalid_currencies),
            ("invalid_objects", &mut self.invalid_objects),
        ]
    }
}

/// The state of one mapping call, shared by the submodules.
pub(crate) struct Ctx<'a> {
    pub settings: &'a BrazeSettings,
    pub input: &'a MappingInput<'a>,
    pub user: UserRef,
    pub counters: MappingCounters,
    /// While events are mapped, the attributes they set; then the attributes object,
    /// identifier first, built in place so its entries are hashed once.
    pub attributes: Map<String, Value>,
    pub events: Vec<TrackObject>,
    pub purchases: Vec<TrackObject>,
}

impl Ctx<'_> {
    /// A new object body naming this user, with room for `fields` more entries.
    /// Alias users get `_update_existing_only: false` so that Braze creates the
    /// alias-only profile.
    pub fn body(&self, array: TrackArray, fields: usize) -> Map<String, Value> {
        let mut body = Map::with_capacity(3 + fields);
        self.user.write_into(&mut body);
        if matches!(self.user, UserRef::Alias { .. }) {
            body.insert("_update_existing_only".into(), Value::Bool(false));
        }
        if array != TrackArray::Attributes {
            if let Some(app_id) = &self.settings.app_id {
                body.insert("app_id".into(), Value::String(app_id.clone()));
            }
        }
        body
    }

    /// The time of an event: its own timestamp, else the batch's, else now; a time in
    /// the future becomes now (Braze would replace it with its own "now" otherwise).
    pub fn event_time(&self, event_ms: Option<i64>) -> String {
        let now = self.input.now_ms;
        let ms = event_ms
            .or(self.input.batch.timestamp_unixtime_ms)
            .unwrap_or(now)
            .min(now);
        values::iso_time(ms, now)
    }

    /// Max string length in characters.
    pub fn max_chars(&self) -> usize {
        self.settings.limits.max_string_chars
    }

    /// Max array length.
    pub fn max_array(&self) -> usize {
        self.settings.limits.max_array_len
    }
}

/// Map one batch of one user to Braze objects. Pure: same input, same output.
pub fn map_change(settings: &BrazeSettings, input: &MappingInput<'_>) -> MappingOutput {
    let mut counters = MappingCounters::default();
    let identify = identity::alias_merges(settings, input);
    let Some(user) = resolve_user(settings, input) else {
        counters.skipped_no_external_id += 1;
        return MappingOutput {
            objects: Vec::new(),
            identify,
            counters,
        };
    };
    match user {
        UserRef::Alias { .. } => counters.forwarded_as_alias += 1,
        UserRef::Email(_) => counters.forwarded_by_email += 1,
        _ => {}
    }
    let mut ctx = Ctx {
        settings,
        input,
        user,
        counters,
        attributes: Map::new(),
        // One event per event is the usual case; the attributes object joins later.
        events: Vec::with_capacity(input.batch.events.len() + 1),
        purchases: Vec::new(),
    };
    // Events first, collecting the attributes they set (opt-outs, push tokens) in
    // `ctx.attributes`; then the attributes object, with those added last, as if
    // they had been set after the profile's attributes. The attributes object is
    // often the one allocation per batch big enough to make glibc's malloc tidy its
    // free lists, which then makes every later small allocation slower; built last,
    // it comes after them.
    for event in &input.batch.events {
        events::map_event(&mut ctx, event);
    }
    let set_by_events = std::mem::take(&mut ctx.attributes);
    let changed_attributes = attributes::changed_keys(&ctx);
    let room = changed_attributes.len() + 1 + set_by_events.len();
    ctx.attributes = ctx.body(TrackArray::Attributes, room);
    let identifier_fields = ctx.attributes.len();
    attributes::map_attributes(&mut ctx, changed_attributes);
    ctx.attributes.extend(set_by_events);

    // Attributes first, then events, then purchases.
    let mut objects = std::mem::take(&mut ctx.events);
    objects.reserve_exact(1 + ctx.purchases.len());
    // An alias profile must exist before events can land on it (Braze treats alias
    // events as update-only), so an alias user always gets an attributes object.
    let alias = matches!(ctx.user, UserRef::Alias { .. });
    if ctx.attributes.len() > identifier_fields || alias {
        objects.insert(
            0,
            TrackObject {
                array: TrackArray::Attributes,
                user: ctx.user.clone(),
                body: std::mem::take(&mut ctx.attributes),
            },
        );
    }
    objects.append(&mut ctx.purchases);

    let mut counters = ctx.counters;
    objects.retain(|o| {
        let ok = crate::validate::validate_object(o.array, &o.body, &settings.limits).is_ok();
        if !ok {
            counters.invalid_objects += 1;
        }
        ok
    });
    MappingOutput {
        objects,
        identify,
        counters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_merge_field_by_field() {
        let mut a = MappingCounters {
            truncated_strings: 2,
            invalid_objects: 1,
            ..Default::default()
        };
        let b = MappingCounters {
            truncated_strings: 3,
            skipped_no_external_id: 4,
            ..Default::default()
        };
        a.merge(&b);
        assert_eq!(a.truncated_strings, 5);
        assert_eq!(a.skipped_no_external_id, 4);
        assert_eq!(a.invalid_objects, 1);
        let names: Vec<_> = a.named().iter().map(|(n, _)| *n).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names.len(), unique.len());
    }
}
