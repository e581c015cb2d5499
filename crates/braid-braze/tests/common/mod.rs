//! Shared helpers for the mapping tests: build a profile change from JSON and run the
//! mapping, returning the Braze request body it produces.

#![allow(dead_code)]

use braid_braze::mapping::{map_change, MappingInput, MappingOutput};
use braid_braze::settings::BrazeSettings;
use braid_braze::wire::TrackRequest;
use braid_mparticle::{AttributeMap, AttributeValue, Batch, Identities, Mpid};
use serde_json::Value;

/// 2024-06-01T12:00:00.000Z.
pub const NOW_MS: i64 = 1_717_243_200_000;
/// 2024-06-01T00:00:00.000Z.
pub const EVENT_MS: i64 = 1_717_200_000_000;
pub const EVENT_TIME: &str = "2024-06-01T00:00:00.000Z";
pub const MPID: i64 = 8_675_309;

/// A user's profile before the batch.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub identities: Identities,
    pub attributes: AttributeMap,
}

impl Profile {
    pub fn with_identities(v: Value) -> Self {
        Profile {
            identities: serde_json::from_value(v).unwrap(),
            attributes: AttributeMap::new(),
        }
    }

    pub fn attrs(mut self, v: Value) -> Self {
        self.attributes = serde_json::from_value(v).unwrap();
        self
    }
}

/// Parse a batch written as mParticle JSON.
pub fn batch(v: Value) -> Batch {
    serde_json::from_value(v).expect("test batch parses")
}

/// The profile after the batch, applied the way the pipeline does.
pub fn after(before: &Profile, batch: &Batch) -> Profile {
    let mut p = before.clone();
    for (t, v) in &batch.user_identities {
        p.identities.insert(*t, v.clone());
    }
    for (k, v) in &batch.user_attributes {
        p.attributes.insert(k.clone(), v.clone());
    }
    for k in &batch.deleted_user_attributes {
        p.attributes.remove(k);
    }
    for e in &batch.events {
        if let braid_mparticle::Event::UserAttributeChange(c) = e {
            if c.deleted {
                p.attributes.remove(&c.user_attribute_name);
            } else if let Some(new) = &c.new {
                let v = serde_json::from_value::<AttributeValue>(new.clone()).unwrap();
                p.attributes.insert(c.user_attribute_name.clone(), v);
            }
        }
    }
    p
}

/// Map `batch` for a user whose profile was `before`.
pub fn map(settings: &BrazeSettings, before: &Profile, batch: &Batch) -> MappingOutput {
    let after = after(before, batch);
    let input = MappingInput {
        mpid: Mpid(MPID),
        identities_before: &before.identities,
        identities: &after.identities,
        attributes_before: &before.attributes,
        attributes: &after.attributes,
        batch,
        now_ms: NOW_MS,
    };
    map_change(settings, &input)
}

/// The `/users/track` body the output's objects form, as JSON.
pub fn request(out: &MappingOutput) -> Value {
    let mut req = TrackRequest::default();
    for o in &out.objects {
        req.push(o);
    }
    serde_json::to_value(req).unwrap()
}

/// A customer with id `c1` and no attributes.
pub fn customer() -> Profile {
    Profile::with_identities(serde_json::json!({"customer_id": "c1"}))
}
