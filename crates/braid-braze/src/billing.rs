//! Data-point counting by Braze's billing rules.
//!
//! Braze bills one data point per attribute value written (unchanged values included),
//! per custom event (Session Start/End are events) and per purchase unit. Identifiers,
//! the `_update_existing_only` flag, push tokens, subscription state and deletions are
//! free. Both braid (to price a delta before sending) and `braze-sim` (to report what a
//! run would have cost) count through this module, so their numbers match.

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::validate::identifier_field;
use crate::wire::{TrackArray, TrackRequest};

/// Attribute-object keys that never cost a data point: identifiers, request flags,
/// device data (push tokens) and subscription state.
pub const FREE_ATTRIBUTE_KEYS: &[&str] = &[
    "external_id",
    "user_alias",
    "braze_id",
    "_update_existing_only",
    "push_tokens",
    "email_subscribe",
    "push_subscribe",
    "subscription_groups",
];

/// Data points one object costs once applied.
pub fn object_data_points(array: TrackArray, object: &Map<String, Value>) -> u32 {
    match array {
        TrackArray::Attributes => attribute_object_points(object),
        TrackArray::Events => 1,
        TrackArray::Purchases => purchase_quantity(object),
    }
}

/// Data points a whole request costs if every object is applied.
pub fn request_data_points(req: &TrackRequest) -> u32 {
    DataPoints::of_request(req).total().min(u64::from(u32::MAX)) as u32
}

/// The number of purchases a purchase object records: its `quantity`, 1 when absent.
///
/// An unreadable quantity counts as 1; such objects fail validation and are never applied.
pub fn purchase_quantity(object: &Map<String, Value>) -> u32 {
    match object.get("quantity").and_then(Value::as_u64) {
        Some(q) if q >= 1 => q.min(u64::from(u32::MAX)) as u32,
        _ => 1,
    }
}

fn attribute_object_points(object: &Map<String, Value>) -> u32 {
    // `email`/`phone` are free only when they name the user; next to an external_id they
    // are ordinary attributes and cost a point.
    let identifier = identifier_field(object);
    object
        .iter()
        .filter(|(key, _)| Some(key.as_str()) != identifier)
        .filter(|(key, _)| !FREE_ATTRIBUTE_KEYS.contains(&key.as_str()))
        .map(|(_, value)| attribute_value_points(value))
        .sum()
}

/// Data points one attribute value costs.
fn attribute_value_points(value: &Value) -> u32 {
    match value {
        // Setting to null deletes the attribute; deletions are free.
        Value::Null => 0,
        Value::Object(op) if op.contains_key("inc") => 1,
        Value::Object(op) if op.contains_key("add") || op.contains_key("remove") => {
            // Each added value is one point; removals are deletions and free.
            op.get("add")
                .and_then(Value::as_array)
                .map_or(0, |added| added.len() as u32)
        }
        // Scalars, whole arrays (one point however long) and anything else written.
        _ => 1,
    }
}

/// Data points split by array, as Braze's billing dashboard shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPoints {
    /// Points from attribute values written.
    pub attributes: u64,
    /// Points from events (custom events, Session Start/End).
    pub events: u64,
    /// Points from purchases (quantity included).
    pub purchases: u64,
}

impl DataPoints {
    /// Sum over the three arrays.
    pub fn total(&self) -> u64 {
        self.attributes + self.events + self.purchases
    }

    /// Add `points` to the counter of `array`.
    pub fn add(&mut self, array: TrackArray, points: u32) {
        let points = u64::from(points);
        match array {
            TrackArray::Attributes => self.attributes += points,
            TrackArray::Events => self.events += points,
            TrackArray::Purchases => self.purchases += points,
        }
    }

    /// Add the cost of one object.
    pub fn add_object(&mut self, array: TrackArray, object: &Map<String, Value>) {
        self.add(array, object_data_points(array, object));
    }

    /// Cost of a whole request, split by array.
    pub fn of_request(req: &TrackRequest) -> Self {
        let mut points = DataPoints::default();
        for (array, objects) in [
            (TrackArray::Attributes, &req.attributes),
            (TrackArray::Events, &req.events),
            (TrackArray::Purchases, &req.purchases),
        ] {
            for object in objects {
                points.add_object(array, object);
            }
        }
        points
    }
}

impl AddAssign for DataPoints {
    fn add_assign(&mut self, rhs: Self) {
        self.attributes += rhs.attributes;
        self.events += rhs.events;
        self.purchases += rhs.purchases;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().expect("test object").clone()
    }

    fn attrs(v: Value) -> u32 {
        object_data_points(TrackArray::Attributes, &obj(v))
    }

    #[test]
    fn each_standard_or_custom_attribute_value_costs_one() {
        assert_eq!(
            attrs(
                json!({"external_id": "u1", "first_name": "Ada", "plan": "pro", "age": 36, "vip": true})
            ),
            4
        );
    }

    #[test]
    fn unchanged_values_still_cost_a_point() {
        // Billing has no memory: the same value written twice costs twice.
        let o = json!({"external_id": "u1", "plan": "pro"});
        assert_eq!(attrs(o.clone()) + attrs(o), 2);
    }

    #[test]
    fn identifiers_are_free() {
        assert_eq!(attrs(json!({"external_id": "u1"})), 0);
        assert_eq!(attrs(json!({"braze_id": "b1"})), 0);
        assert_eq!(
            attrs(json!({"user_alias": {"alias_name": "a", "alias_label": "l"}})),
            0
        );
    }

    #[test]
    fn email_and_phone_are_free_only_when_they_identify_the_user() {
        assert_eq!(attrs(json!({"email": "a@b.co", "plan": "x"})), 1);
        assert_eq!(attrs(json!({"phone": "+15551234567", "plan": "x"})), 1);
        assert_eq!(attrs(json!({"external_id": "u1", "email": "a@b.co"})), 1);
        assert_eq!(
            attrs(json!({"external_id": "u1", "email": "a@b.co", "phone": "+1555"})),
            2
        );
        // With email as identifier, phone is an ordinary attribute.
        assert_eq!(attrs(json!({"email": "a@b.co", "phone": "+1555"})), 1);
    }

    #[test]
    fn update_existing_only_flag_is_free() {
        assert_eq!(
            attrs(json!({"external_id": "u1", "_update_existing_only": true, "plan": "x"})),
            1
        );
    }

    #[test]
    fn push_tokens_and_subscription_state_are_free() {
        assert_eq!(
            attrs(json!({
                "external_id": "u1",
                "push_tokens": [{"app_id": "a", "token": "t"}],
                "email_subscribe": "opted_in",
                "push_subscribe": "unsubscribed",
                "subscription_groups": [{"subscription_group_id": "g", "subscription_state": "subscribed"}]
            })),
            0
        );
    }

    #[test]
    fn deletions_are_free() {
        assert_eq!(attrs(json!({"external_id": "u1", "plan": null})), 0);
        assert_eq!(
            attrs(json!({"external_id": "u1", "tags": {"remove": ["a", "b"]}})),
            0
        );
    }

    #[test]
    fn setting_a_whole_array_costs_one() {
        assert_eq!(
            attrs(json!({"external_id": "u1", "tags": ["a", "b", "c"]})),
            1
        );
    }

    #[test]
    fn each_added_array_value_costs_one() {
        assert_eq!(
            attrs(json!({"external_id": "u1", "tags": {"add": ["a", "b", "c"]}})),
            3
        );
        assert_eq!(
            attrs(json!({"external_id": "u1", "tags": {"add": ["a"], "remove": ["b"]}})),
            1
        );
    }

    #[test]
    fn increment_costs_one() {
        assert_eq!(attrs(json!({"external_id": "u1", "logins": {"inc": 5}})), 1);
    }

    #[test]
    fn each_event_costs_one_including_sessions() {
        for name in ["Session Start", "Session End", "Signed Up"] {
            let e = obj(json!({"external_id": "u1", "name": name, "time": "2024-01-01T00:00:00Z"}));
            assert_eq!(object_data_points(TrackArray::Events, &e), 1);
        }
    }

    #[test]
    fn purchase_costs_its_quantity() {
        let p = |q: Value| {
            let mut o = obj(
                json!({"external_id": "u1", "product_id": "p", "currency": "USD", "price": 1.0, "time": "2024-01-01T00:00:00Z"}),
            );
            if !q.is_null() {
                o.insert("quantity".into(), q);
            }
            object_data_points(TrackArray::Purchases, &o)
        };
        assert_eq!(p(Value::Null), 1);
        assert_eq!(p(json!(1)), 1);
        assert_eq!(p(json!(7)), 7);
        assert_eq!(p(json!(100)), 100);
    }

    #[test]
    fn request_points_sum_every_object_split_by_array() {
        let req = TrackRequest {
            attributes: vec![obj(
                json!({"external_id": "u1", "a": 1, "b": {"add": ["x", "y"]}}),
            )],
            events: vec![
                obj(json!({"external_id": "u1", "name": "e", "time": "2024-01-01"})),
                obj(json!({"external_id": "u2", "name": "e", "time": "2024-01-01"})),
            ],
            purchases: vec![obj(
                json!({"external_id": "u1", "product_id": "p", "currency": "USD", "price": 2, "quantity": 4, "time": "2024-01-01"}),
            )],
        };
        let points = DataPoints::of_request(&req);
        assert_eq!(
            points,
            DataPoints {
                attributes: 3,
                events: 2,
                purchases: 4
            }
        );
        assert_eq!(points.total(), 9);
        assert_eq!(request_data_points(&req), 9);
    }

    #[test]
    fn data_points_add_up() {
        let mut a = DataPoints::default();
        a.add(TrackArray::Attributes, 2);
        a.add(TrackArray::Events, 1);
        a.add(TrackArray::Purchases, 3);
        let b = a;
        a += b;
        assert_eq!(
            a,
            DataPoints {
                attributes: 4,
                events: 2,
                purchases: 6
            }
        );
        assert_eq!(a.total(), 12);
    }
}
