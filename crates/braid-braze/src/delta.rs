//! The delta step: drops attribute values Braze already has from braid, and prices
//! what is left by Braze's billing rules (`billing`).
//!
//! Braze bills every attribute value written, changed or not, so braid remembers per
//! user what it last sent (`SentState`) and sends only differences:
//! - an attribute whose value equals the last value sent is dropped (numbers compare by
//!   value, so `1` and `1.0` are equal); deletions (`null`) are dropped only when the
//!   last thing sent for that key was also `null`;
//! - `push_tokens` and `subscription_groups` entries are compared one by one (by token,
//!   by group id), since Braze adds tokens and sets groups individually;
//! - arrays are always set whole: one data point, never more than `add` (one point per
//!   added value), and idempotent when a request is retried;
//! - events and purchases always pass: they are facts, not state;
//! - the state belongs to one Braze identifier: when the identifier changes (an alias
//!   becomes an external id, or the external id itself changes), the state is
//!   forgotten and everything is sent again, so a change is never dropped against the
//!   wrong profile;
//! - an attributes object left with nothing but its identifier is dropped, except the
//!   first object for an alias profile (it creates the profile events land on).
//!
//! The state records what was handed to delivery. Delivery must therefore not lose an
//! accepted object silently: a dead-lettered attribute object should clear the state
//! of its user (the pipeline's job) so the next change re-sends it.

use crate::billing::{object_data_points, DataPoints};
use crate::wire::{TrackArray, TrackObject, UserRef};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What braid last sent to Braze for one user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SentState {
    /// The identifier (`UserRef::key`) the values below were sent under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Attribute key → last value sent (`push_tokens:<app_id>:<token>` and
    /// `subscription_groups:<id>` for the per-entry fields).
    #[serde(default)]
    pub attributes: BTreeMap<String, Value>,
}

/// The objects to send after the delta step, what they cost and what was saved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeltaOutcome {
    /// Objects to deliver, in the order given.
    pub objects: Vec<TrackObject>,
    /// Data points the objects will cost.
    pub cost: DataPoints,
    /// Data points the dropped values would have cost.
    pub saved: DataPoints,
}

/// Drop what Braze already has (when `enabled`), update `state`, and price the rest.
/// With `enabled = false` nothing is dropped, but the state is still kept up to date
/// so that turning deltas on later starts from the truth.
pub fn apply_delta(
    state: &mut SentState,
    mut objects: Vec<TrackObject>,
    enabled: bool,
) -> DeltaOutcome {
    let mut cost = DataPoints::default();
    let mut saved = DataPoints::default();
    // Filtered in place: the objects and their bodies keep their allocations.
    objects.retain_mut(|object| {
        if object.array != TrackArray::Attributes {
            cost.add_object(object.array, &object.body);
            return true;
        }
        let full_cost = object_data_points(TrackArray::Attributes, &object.body);
        let fresh = !state
            .user
            .as_deref()
            .is_some_and(|key| is_key_of(&object.user, key));
        if fresh {
            state.attributes.clear();
            state.user = Some(object.user.key());
        }
        filter_attributes(state, &object.user, &mut object.body, enabled);
        let kept_cost = object_data_points(TrackArray::Attributes, &object.body);
        saved.add(TrackArray::Attributes, full_cost.saturating_sub(kept_cost));
        let has_values = object
            .body
            .keys()
            .any(|k| !is_identifier_key(&object.user, k));
        let creates_alias = fresh && matches!(object.user, UserRef::Alias { .. });
        let keep = has_values || creates_alias || !enabled;
        if keep {
            cost.add(TrackArray::Attributes, kept_cost);
        }
        keep
    });
    DeltaOutcome {
        objects,
        cost,
        saved,
    }
}

/// Whether `key` equals `user.key()`, checked piece by piece without building it.
fn is_key_of(user: &UserRef, key: &str) -> bool {
    let (prefix, id) = match user {
        UserRef::ExternalId(id) => ("external_id:", id),
        UserRef::BrazeId(id) => ("braze_id:", id),
        UserRef::Email(e) => ("email:", e),
        UserRef::Phone(p) => ("phone:", p),
        UserRef::Alias {
            alias_name,
            alias_label,
        } => {
            return key
                .strip_prefix("alias:")
                .and_then(|rest| rest.strip_prefix(alias_label.as_str()))
                .and_then(|rest| rest.strip_prefix(':'))
                == Some(alias_name.as_str());
        }
    };
    key.strip_prefix(prefix) == Some(id.as_str())
}

fn is_identifier_key(user: &UserRef, key: &str) -> bool {
    match key {
        "external_id" | "user_alias" | "braze_id" | "_update_existing_only" => true,
        "email" => matches!(user, UserRef::Email(_)),
        "phone" => matches!(user, UserRef::Phone(_)),
        _ => false,
    }
}

/// Drops from `body` what Braze already has (when `enabled`) and records what is
/// sent in `state`.
fn filter_attributes(
    state: &mut SentState,
    user: &UserRef,
    body: &mut Map<String, Value>,
    enabled: bool,
) {
    body.retain(|key, value| {
        if is_identifier_key(user, key) {
            return true;
        }
        match (key.as_str(), value) {
            ("push_tokens", Value::Array(entries)) => {
                filter_entries(state, entries, enabled, |e| {
                    let app = e.get("app_id").and_then(Value::as_str).unwrap_or("");
                    let token = e.get("token").and_then(Value::as_str).unwrap_or("");
                    format!("push_tokens:{app}:{token}")
                });
                !entries.is_empty()
            }
            ("subscription_groups", Value::Array(entries)) => {
                filter_entries(state, entries, enabled, |e| {
                    let id = e
                        .get("subscription_group_id")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    format!("subscription_groups:{id}")
                });
                !entries.is_empty()
            }
            (_, value) => {
                let unchanged = state
                    .attributes
                    .get(key.as_str())
                    .is_some_and(|old| same_value(old, value));
                if unchanged && enabled {
                    return false;
                }
                if !unchanged {
                    state.attributes.insert(key.clone(), value.clone());
                }
                true
            }
        }
    });
}

fn filter_entries(
    state: &mut SentState,
    entries: &mut Vec<Value>,
    enabled: bool,
    key_of: impl Fn(&Value) -> String,
) {
    entries.retain(|entry| {
        let key = key_of(entry);
        let unchanged = state
            .attributes
            .get(&key)
            .is_some_and(|old| same_value(old, entry));
        if unchanged && enabled {
            return false;
        }
        if !unchanged {
            state.attributes.insert(key, entry.clone());
        }
        true
    });
}

/// JSON equality, with numbers compared by value (Braze does not tell `1` from `1.0`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || (x.as_f64().is_some() && x.as_f64() == y.as_f64())
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(v: Value) -> TrackObject {
        let body = v.as_object().unwrap().clone();
        let user = if let Some(id) = body.get("external_id").and_then(Value::as_str) {
            UserRef::ExternalId(id.into())
        } else {
            UserRef::Alias {
                alias_name: "1".into(),
                alias_label: "mpid".into(),
            }
        };
        TrackObject {
            array: TrackArray::Attributes,
            user,
            body,
        }
    }

    fn event(v: Value) -> TrackObject {
        TrackObject {
            array: TrackArray::Events,
            user: UserRef::ExternalId("u1".into()),
            body: v.as_object().unwrap().clone(),
        }
    }

    #[test]
    fn unchanged_attributes_are_dropped_and_counted_as_saved() {
        let mut state = SentState::default();
        let first = apply_delta(
            &mut state,
            vec![attrs(json!({"external_id": "u1", "plan": "pro", "age": 3}))],
            true,
        );
        assert_eq!(first.cost.attributes, 2);
        assert_eq!(first.saved.attributes, 0);
        let second = apply_delta(
            &mut state,
            vec![attrs(
                json!({"external_id": "u1", "plan": "pro", "age": 3.0}),
            )],
            true,
        );
        assert!(second.objects.is_empty());
        assert_eq!(second.cost, DataPoints::default());
        assert_eq!(second.saved.attributes, 2);
    }

    #[test]
    fn changed_values_pass_alone() {
        let mut state = SentState::default();
        apply_delta(
            &mut state,
            vec![attrs(
                json!({"external_id": "u1", "plan": "pro", "tier": 1}),
            )],
            true,
        );
        let out = apply_delta(
            &mut state,
            vec![attrs(
                json!({"external_id": "u1", "plan": "max", "tier": 1}),
            )],
            true,
        );
        assert_eq!(out.objects.len(), 1);
        assert_eq!(
            Value::Object(out.objects[0].body.clone()),
            json!({"external_id": "u1", "plan": "max"})
        );
        assert_eq!(out.cost.attributes, 1);
        assert_eq!(out.saved.attributes, 1);
    }

    #[test]
    fn deletions_pass_until_sent_once() {
        let mut state = SentState::default();
        let out = apply_delta(
            &mut state,
            vec![attrs(json!({"external_id": "u1", "plan": null}))],
            true,
        );
        assert_eq!(
            out.objects.len(),
            1,
            "braid never sent plan, but Braze may have it"
        );
        let again = apply_delta(
            &mut state,
            vec![attrs(json!({"external_id": "u1", "plan": null}))],
            true,
        );
        assert!(again.objects.is_empty());
    }

    #[test]
    fn events_and_purchases_always_pass_and_are_priced() {
        let mut state = SentState::default();
        let e =
            event(json!({"external_id": "u1", "name": "x", "time": "2024-01-01T00:00:00.000Z"}));
        let p = TrackObject {
            array: TrackArray::Purchases,
            user: UserRef::ExternalId("u1".into()),
            body: json!({"external_id": "u1", "product_id": "p", "currency": "USD", "price": 1.0, "quantity": 3, "time": "2024-01-01T00:00:00.000Z"})
                .as_object()
                .unwrap()
                .clone(),
        };
        let out = apply_delta(&mut state, vec![e.clone(), e, p], true);
        assert_eq!(out.objects.len(), 3);
        assert_eq!(
            out.cost,
            DataPoints {
                attributes: 0,
                events: 2,
                purchases: 3
            }
        );
    }

    #[test]
    fn disabled_deltas_send_everything_but_keep_state() {
        let mut state = SentState::default();
        let o = attrs(json!({"external_id": "u1", "plan": "pro"}));
        apply_delta(&mut state, vec![o.clone()], false);
        let out = apply_delta(&mut state, vec![o.clone()], false);
        assert_eq!(out.objects, vec![o.clone()]);
        assert_eq!(out.cost.attributes, 1);
        assert_eq!(out.saved, DataPoints::default());
        assert!(apply_delta(&mut state, vec![o], true).objects.is_empty());
    }

    #[test]
    fn a_new_identifier_forgets_what_was_sent() {
        let mut state = SentState::default();
        apply_delta(
            &mut state,
            vec![attrs(json!({"external_id": "u1", "plan": "pro"}))],
            true,
        );
        let out = apply_delta(
            &mut state,
            vec![attrs(json!({"external_id": "u2", "plan": "pro"}))],
            true,
        );
        assert_eq!(out.objects.len(), 1);
        assert_eq!(state.user.as_deref(), Some("external_id:u2"));
    }

    #[test]
    fn push_tokens_and_subscription_groups_are_compared_entry_by_entry() {
        let mut state = SentState::default();
        let t1 = json!({"app_id": "a", "token": "t1"});
        let t2 = json!({"app_id": "a", "token": "t2"});
        let g1 = json!({"subscription_group_id": "g1", "subscription_state": "subscribed"});
        apply_delta(
            &mut state,
            vec![attrs(
                json!({"external_id": "u1", "push_tokens": [t1.clone()], "subscription_groups": [g1.clone()]}),
            )],
            true,
        );
        let out = apply_delta(
            &mut state,
            vec![attrs(
                json!({"external_id": "u1", "push_tokens": [t1, t2.clone()], "subscription_groups": [g1]}),
            )],
            true,
        );
        assert_eq!(
            Value::Object(out.objects[0].body.clone()),
            json!({"external_id": "u1", "push_tokens": [t2]})
        );
        assert_eq!(out.cost.attributes, 0, "push tokens are free");
    }

    #[test]
    fn user_keys_are_recognised_without_building_them() {
        let users = [
            UserRef::ExternalId("u1".into()),
            UserRef::ExternalId("u:1".into()),
            UserRef::Alias {
                alias_name: "1".into(),
                alias_label: "mpid".into(),
            },
            UserRef::Alias {
                alias_name: "b".into(),
                alias_label: "a:b".into(),
            },
            UserRef::Alias {
                alias_name: "b:b".into(),
                alias_label: "a".into(),
            },
            UserRef::BrazeId("u1".into()),
            UserRef::Email("a@b.co".into()),
            UserRef::Phone("+1555".into()),
        ];
        for user in &users {
            for other in &users {
                assert_eq!(
                    is_key_of(user, &other.key()),
                    user.key() == other.key(),
                    "{user:?} {other:?}"
                );
            }
            assert!(!is_key_of(user, ""));
        }
    }

    #[test]
    fn the_first_bare_alias_object_is_kept_to_create_the_profile() {
        let mut state = SentState::default();
        let bare = attrs(
            json!({"user_alias": {"alias_name": "1", "alias_label": "mpid"}, "_update_existing_only": false}),
        );
        assert_eq!(
            apply_delta(&mut state, vec![bare.clone()], true)
                .objects
                .len(),
            1
        );
        assert!(apply_delta(&mut state, vec![bare], true).objects.is_empty());
    }
}
