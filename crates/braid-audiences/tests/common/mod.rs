//! Helpers shared by the integration tests: a small user builder and audience parsing.

#![allow(dead_code)]

use braid_audiences::{Audience, AudienceSet, EventKind, EventRecord, ProductRef, UserView};
use braid_mparticle::{AttributeMap, AttributeValue, Identities, IdentityType};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

pub const DAY: i64 = 86_400_000;
/// 2024-03-15T12:00:00Z
pub const NOW: i64 = 1_710_504_000_000;

#[derive(Default, Clone)]
pub struct User {
    pub attributes: AttributeMap,
    pub identities: Identities,
    pub history: Vec<EventRecord>,
    pub memberships: BTreeSet<u64>,
    pub calculated: braid_audiences::CalculatedValues,
}

impl User {
    pub fn view(&self) -> UserView<'_> {
        UserView {
            attributes: &self.attributes,
            identities: &self.identities,
            history: &self.history,
            memberships: &self.memberships,
            calculated: &self.calculated,
        }
    }

    pub fn attr(mut self, k: &str, v: Value) -> Self {
        self.attributes.insert(
            k.to_string(),
            serde_json::from_value::<AttributeValue>(v).unwrap(),
        );
        self
    }

    pub fn identity(mut self, t: IdentityType, v: &str) -> Self {
        self.identities.insert(t, v.to_string());
        self
    }

    pub fn event(mut self, name: &str, ts: i64, attrs: Value) -> Self {
        self.history.push(custom(name, ts, attrs));
        self
    }

    pub fn purchase(mut self, ts: i64, amount: f64, products: &[(&str, &str)]) -> Self {
        self.history.push(EventRecord {
            ts_ms: ts,
            kind: EventKind::Purchase,
            name: "purchase".into(),
            attributes: Map::new(),
            amount: Some(amount),
            products: products
                .iter()
                .map(|(sku, name)| ProductRef {
                    sku: Some(sku.to_string()),
                    name: Some(name.to_string()),
                    price: None,
                    quantity: None,
                })
                .collect(),
        });
        self
    }

    pub fn member(mut self, id: u64) -> Self {
        self.memberships.insert(id);
        self
    }
}

pub fn custom(name: &str, ts: i64, attrs: Value) -> EventRecord {
    EventRecord {
        ts_ms: ts,
        kind: EventKind::Custom,
        name: name.into(),
        attributes: match attrs {
            Value::Object(m) => m,
            _ => Map::new(),
        },
        amount: None,
        products: Vec::new(),
    }
}

/// An active audience with these criteria (JSON form).
pub fn audience(id: u64, criteria: Value) -> Audience {
    Audience::from_json(json!({"id": id, "name": format!("A{id}"), "criteria": criteria}))
        .unwrap_or_else(|e| panic!("{e}"))
}

pub fn set(audiences: Vec<Audience>) -> AudienceSet {
    AudienceSet::new(audiences).unwrap_or_else(|e| panic!("{e}"))
}

/// Whether `user` matches `criteria` at `now`, through a compiled set (the validated path).
pub fn matches_at(criteria: Value, user: &User, now: i64) -> bool {
    let s = set(vec![audience(1, criteria)]);
    let delta = s.evaluate_user(&user.view(), None, now);
    let via_set = delta.entered.contains(&1);
    // The one-audience entry point must agree with the set.
    assert_eq!(
        braid_audiences::evaluate(s.get(1).unwrap(), &user.view(), now),
        via_set
    );
    via_set
}

pub fn matches(criteria: Value, user: &User) -> bool {
    matches_at(criteria, user, NOW)
}
