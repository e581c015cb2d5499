//! Packing a lane's head into one Braze request.
//!
//! [`plan`] is pure: given the oldest entries of a lane, it takes the longest prefix that
//! fits one request of one endpoint (contract shape, distinct external ids, body size;
//! 50 entries for `/users/identify` and `/users/delete`) and says whether the request is
//! full. A prefix, never a selection, so a user's entries reach Braze in order: a track
//! request ends where an identify or delete entry of the lane begins. Entries the
//! validator refuses are set aside as dead letters without taking room in the request.

use braid_braze::billing::{object_data_points, DataPoints};
use braid_braze::limits::Limits;
use braid_braze::wire::{TrackArray, TrackObject};
use braid_core::{OutboxEntry, OutboxPayload};
use serde_json::{json, Value};
use std::collections::HashSet;

/// Most entries in one `/users/identify` or `/users/delete` request.
pub const MAX_IDS_PER_REQUEST: usize = 50;

/// Room kept free in the body for the envelope (`{"attributes":[...],...}`).
const ENVELOPE_BYTES: usize = 64;

/// The Braze endpoint of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/users/track`.
    Track,
    /// `/users/identify`.
    Identify,
    /// `/users/delete`.
    Delete,
}

impl Endpoint {
    /// The request path.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Track => "/users/track",
            Endpoint::Identify => "/users/identify",
            Endpoint::Delete => "/users/delete",
        }
    }

    fn of(payload: &OutboxPayload) -> Endpoint {
        match payload {
            OutboxPayload::Track { .. } => Endpoint::Track,
            OutboxPayload::Identify { .. } => Endpoint::Identify,
            OutboxPayload::Delete { .. } => Endpoint::Delete,
        }
    }
}

/// One outbox entry in a request, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub lane: u32,
    pub position: u64,
    pub entry: OutboxEntry,
}

/// Entries that go to Braze in one request: prefixes of one or more lanes, each lane's
/// entries in lane order.
#[derive(Debug, Clone, PartialEq)]
pub struct BrazeRequest {
    pub endpoint: Endpoint,
    pub items: Vec<Item>,
}

/// An entry refused before sending, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub lane: u32,
    pub position: u64,
    pub entry: OutboxEntry,
    pub reason: String,
}

/// Why a lane's offer stopped where it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Every offered entry was taken (or refused); the lane may hold more.
    Exhausted,
    /// The request is full, or the next entry does not fit it.
    Limit,
    /// The next entry is for another endpoint; it must wait for this request.
    OtherEndpoint,
}

/// Builds one request from lane prefixes, within the limits.
pub struct Packer<'a> {
    limits: &'a Limits,
    max_items: usize,
    endpoint: Option<Endpoint>,
    counts: [usize; 3],
    external_ids: HashSet<String>,
    body_bytes: usize,
    items: Vec<Item>,
    /// Some lane's prefix ended at an entry of another endpoint.
    blocking: bool,
}

impl<'a> Packer<'a> {
    /// An empty request under `limits`.
    pub fn new(limits: &'a Limits) -> Self {
        Packer {
            limits,
            max_items: usize::MAX,
            endpoint: None,
            counts: [0; 3],
            external_ids: HashSet::new(),
            body_bytes: ENVELOPE_BYTES,
            items: Vec::new(),
            blocking: false,
        }
    }

    /// At most `max` entries (a probe sends one).
    pub fn with_max_items(mut self, max: usize) -> Self {
        self.max_items = max;
        self
    }

    /// Offer a lane's oldest entries: takes the longest prefix that fits, refuses the
    /// invalid entries inside it, and says why it stopped.
    pub fn offer(
        &mut self,
        lane: u32,
        entries: Vec<(u64, OutboxEntry)>,
        validate: &dyn Fn(&TrackObject) -> Result<(), String>,
    ) -> (Vec<Refusal>, Cut) {
        let mut refused = Vec::new();
        for (position, entry) in entries {
            let this = Endpoint::of(&entry.payload);
            if let OutboxPayload::Track { object } = &entry.payload {
                let size = object_bytes(object);
                let invalid = validate(object).err().or_else(|| {
                    // Alone it is still too big: sending it could only fail.
                    (ENVELOPE_BYTES + size >= self.limits.max_body_bytes).then(|| {
                        format!(
                            "object of {size} bytes does not fit a request of {} bytes",
                            self.limits.max_body_bytes
                        )
                    })
                });
                if let Some(reason) = invalid {
                    refused.push(Refusal {
                        lane,
                        position,
                        entry,
                        reason,
                    });
                    continue;
                }
            }
            if self.endpoint.is_some_and(|current| current != this) {
                // Only a lane whose own order is held up makes the request urgent.
                self.blocking |= self.items.iter().any(|i| i.lane == lane);
                return (refused, Cut::OtherEndpoint);
            }
            if !self.fits(&entry) {
                return (refused, Cut::Limit);
            }
            self.endpoint = Some(this);
            self.items.push(Item {
                lane,
                position,
                entry,
            });
        }
        (refused, Cut::Exhausted)
    }

    fn fits(&mut self, entry: &OutboxEntry) -> bool {
        if self.items.len() >= self.max_items {
            return false;
        }
        match &entry.payload {
            OutboxPayload::Track { object } => {
                let mut next = self.counts;
                next[array_slot(object.array)] += 1;
                // Braze counts the `external_id` fields of the body, whatever names the user.
                let new_id = object
                    .body
                    .get("external_id")
                    .and_then(Value::as_str)
                    .filter(|id| !self.external_ids.contains(*id))
                    .map(str::to_string);
                let ids_after = self.external_ids.len() + usize::from(new_id.is_some());
                let size = object_bytes(object);
                let fits = self.limits.contract.fits(next[0], next[1], next[2])
                    && ids_after <= self.limits.max_distinct_external_ids
                    && self.body_bytes + size < self.limits.max_body_bytes;
                if fits {
                    self.counts = next;
                    self.external_ids.extend(new_id);
                    self.body_bytes += size;
                }
                fits
            }
            OutboxPayload::Identify { .. } | OutboxPayload::Delete { .. } => {
                self.items.len() < MAX_IDS_PER_REQUEST
            }
        }
    }

    /// The request cannot take another object (of its endpoint).
    pub fn is_full(&self) -> bool {
        match self.endpoint {
            None => self.max_items == 0,
            Some(_) if self.items.len() >= self.max_items => true,
            Some(Endpoint::Track) => {
                self.counts.iter().sum::<usize>() >= self.limits.contract.max_total()
                    || self.external_ids.len() >= self.limits.max_distinct_external_ids
            }
            Some(_) => self.items.len() >= MAX_IDS_PER_REQUEST,
        }
    }

    /// Some lane's next entry waits for this request, so it should go now.
    pub fn is_blocking(&self) -> bool {
        self.blocking
    }

    /// Entries taken so far.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing was taken.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The request, if anything was taken.
    pub fn finish(self) -> Option<BrazeRequest> {
        let endpoint = self.endpoint?;
        Some(BrazeRequest {
            endpoint,
            items: self.items,
        })
    }
}

/// What to do with the head of one lane (a [`Packer`] fed by a single lane).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// The next request, if any entry is sendable.
    pub request: Option<BrazeRequest>,
    /// Entries inside the request's range that must not be sent.
    pub refused: Vec<Refusal>,
    /// The request cannot grow: a limit was reached or an entry of another endpoint
    /// follows it. A request that is not full may be held back (linger) for more entries.
    pub full: bool,
}

/// Plan the next request from one lane's oldest entries (lane 0).
///
/// `validate` returns the reason an object must not be sent.
pub fn plan(
    entries: Vec<(u64, OutboxEntry)>,
    limits: &Limits,
    validate: &dyn Fn(&TrackObject) -> Result<(), String>,
) -> Plan {
    let mut packer = Packer::new(limits);
    let (refused, cut) = packer.offer(0, entries, validate);
    let full = cut != Cut::Exhausted || packer.is_full();
    Plan {
        request: packer.finish(),
        refused,
        full,
    }
}

fn array_slot(array: TrackArray) -> usize {
    match array {
        TrackArray::Attributes => 0,
        TrackArray::Events => 1,
        TrackArray::Purchases => 2,
    }
}

fn object_bytes(object: &TrackObject) -> usize {
    // The comma between array elements is the +1.
    serde_json::to_vec(&object.body).map_or(usize::MAX / 2, |v| v.len() + 1)
}

impl BrazeRequest {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the request has no entries.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The JSON request body.
    pub fn body(&self) -> Value {
        match self.endpoint {
            Endpoint::Track => {
                let mut arrays: [Vec<Value>; 3] = Default::default();
                for item in &self.items {
                    if let OutboxPayload::Track { object } = &item.entry.payload {
                        arrays[array_slot(object.array)].push(Value::Object(object.body.clone()));
                    }
                }
                let mut body = serde_json::Map::new();
                for (name, objects) in ["attributes", "events", "purchases"]
                    .into_iter()
                    .zip(arrays)
                {
                    if !objects.is_empty() {
                        body.insert(name.into(), Value::Array(objects));
                    }
                }
                Value::Object(body)
            }
            Endpoint::Identify => {
                let aliases: Vec<Value> = self
                    .items
                    .iter()
                    .filter_map(|item| match &item.entry.payload {
                        OutboxPayload::Identify { identify } => {
                            Some(serde_json::to_value(identify).unwrap_or(Value::Null))
                        }
                        _ => None,
                    })
                    .collect();
                json!({ "aliases_to_identify": aliases })
            }
            Endpoint::Delete => json!({ "external_ids": self.external_ids_to_delete() }),
        }
    }

    /// The external ids a `/users/delete` request deletes, each once (an erasure queued
    /// again after a restart may repeat an id still waiting).
    pub fn external_ids_to_delete(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.items
            .iter()
            .filter_map(|item| match &item.entry.payload {
                OutboxPayload::Delete { external_id } => Some(external_id),
                _ => None,
            })
            .filter(|id| seen.insert(*id))
            .cloned()
            .collect()
    }

    /// The item an answer's `input_array`/`index` points at (a track request's objects are
    /// regrouped by array in the body, so the index is within that array).
    pub fn locate(&self, array: TrackArray, index: usize) -> Option<usize> {
        if self.endpoint != Endpoint::Track {
            return None;
        }
        self.items
            .iter()
            .enumerate()
            .filter(|(_, item)| {
                matches!(&item.entry.payload, OutboxPayload::Track { object } if object.array == array)
            })
            .nth(index)
            .map(|(i, _)| i)
    }

    /// Split into two halves, order kept (for bisecting a rejected request).
    pub fn split(mut self) -> (BrazeRequest, BrazeRequest) {
        let tail = self.items.split_off(self.items.len() / 2);
        let endpoint = self.endpoint;
        (
            self,
            BrazeRequest {
                endpoint,
                items: tail,
            },
        )
    }

    /// What the request costs in data points if every object is applied.
    pub fn data_points(&self) -> DataPoints {
        let mut points = DataPoints::default();
        for item in &self.items {
            if let OutboxPayload::Track { object } = &item.entry.payload {
                points.add(object.array, object_data_points(object.array, &object.body));
            }
        }
        points
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid_braze::limits::ContractShape;
    use braid_braze::wire::{AliasRef, AliasToIdentify, UserRef};
    use serde_json::Map;

    fn track(user: &str, array: TrackArray, extra: &str) -> OutboxEntry {
        let mut body = Map::new();
        body.insert("external_id".into(), Value::String(user.into()));
        match array {
            TrackArray::Attributes => {
                body.insert("plan".into(), Value::String(extra.into()));
            }
            TrackArray::Events => {
                body.insert("name".into(), Value::String(extra.into()));
                body.insert("time".into(), Value::String("2024-01-01T00:00:00Z".into()));
            }
            TrackArray::Purchases => {
                body.insert("product_id".into(), Value::String(extra.into()));
                body.insert("currency".into(), Value::String("USD".into()));
                body.insert("price".into(), json!(1.5));
                body.insert("time".into(), Value::String("2024-01-01T00:00:00Z".into()));
            }
        }
        OutboxEntry {
            mpid: 1,
            payload: OutboxPayload::Track {
                object: TrackObject {
                    array,
                    user: UserRef::ExternalId(user.into()),
                    body,
                },
            },
            data_points: 1,
            accepted_ms: 0,
        }
    }

    fn delete(user: &str) -> OutboxEntry {
        OutboxEntry {
            mpid: 1,
            payload: OutboxPayload::Delete {
                external_id: user.into(),
            },
            data_points: 0,
            accepted_ms: 0,
        }
    }

    fn identify(user: &str) -> OutboxEntry {
        OutboxEntry {
            mpid: 1,
            payload: OutboxPayload::Identify {
                identify: AliasToIdentify {
                    external_id: user.into(),
                    user_alias: AliasRef {
                        alias_name: format!("anon-{user}"),
                        alias_label: "device".into(),
                    },
                },
            },
            data_points: 0,
            accepted_ms: 0,
        }
    }

    fn numbered(entries: Vec<OutboxEntry>) -> Vec<(u64, OutboxEntry)> {
        entries
            .into_iter()
            .enumerate()
            .map(|(i, e)| (i as u64 + 1, e))
            .collect()
    }

    fn accept_all(_: &TrackObject) -> Result<(), String> {
        Ok(())
    }

    fn positions(plan: &Plan) -> Vec<u64> {
        plan.request
            .as_ref()
            .unwrap()
            .items
            .iter()
            .map(|i| i.position)
            .collect()
    }

    #[test]
    fn several_lanes_fill_one_request_each_with_a_prefix() {
        let limits = Limits::default();
        let mut packer = Packer::new(&limits);
        let lane0 = numbered(
            (0..40)
                .map(|i| track(&format!("a{i}"), TrackArray::Events, "e"))
                .collect(),
        );
        let lane1: Vec<(u64, OutboxEntry)> = (0..40)
            .map(|i| {
                (
                    100 + i as u64,
                    track(&format!("b{i}"), TrackArray::Events, "e"),
                )
            })
            .collect();
        assert_eq!(packer.offer(0, lane0, &accept_all).1, Cut::Exhausted);
        assert!(!packer.is_full());
        assert_eq!(packer.offer(1, lane1, &accept_all).1, Cut::Limit);
        assert!(packer.is_full());
        let request = packer.finish().unwrap();
        let from1: Vec<u64> = request
            .items
            .iter()
            .filter(|i| i.lane == 1)
            .map(|i| i.position)
            .collect();
        assert_eq!(from1, (100..135).collect::<Vec<_>>());
        assert_eq!(request.items.iter().filter(|i| i.lane == 0).count(), 40);
    }

    #[test]
    fn a_lane_whose_head_is_for_another_endpoint_adds_nothing() {
        let limits = Limits::default();
        let mut packer = Packer::new(&limits);
        packer.offer(
            0,
            numbered(vec![track("a", TrackArray::Events, "e")]),
            &accept_all,
        );
        let (refused, cut) = packer.offer(
            1,
            numbered(vec![delete("b"), track("b", TrackArray::Events, "e")]),
            &accept_all,
        );
        assert!(refused.is_empty());
        assert_eq!(cut, Cut::OtherEndpoint);
        assert!(
            !packer.is_blocking(),
            "lane 1 contributed nothing, so nothing of it waits"
        );
        assert_eq!(packer.len(), 1);
    }

    #[test]
    fn a_probe_packer_takes_one_entry() {
        let limits = Limits::default();
        let mut packer = Packer::new(&limits).with_max_items(1);
        let cut = packer
            .offer(
                0,
                numbered(
                    (0..5)
                        .map(|_| track("a", TrackArray::Events, "e"))
                        .collect(),
                ),
                &accept_all,
            )
            .1;
        assert_eq!(cut, Cut::Limit);
        assert!(packer.is_full());
        assert_eq!(packer.finish().unwrap().len(), 1);
    }

    #[test]
    fn a_full_lane_fills_one_request_to_the_contract_total() {
        let entries = numbered(
            (0..100)
                .map(|i| track(&format!("u{}", i % 10), TrackArray::Events, "e"))
                .collect(),
        );
        let plan = plan(entries, &Limits::default(), &accept_all);
        assert_eq!(positions(&plan), (1..=75).collect::<Vec<_>>());
        assert!(plan.full);
    }

    #[test]
    fn a_short_lane_is_not_full_and_may_linger() {
        let entries = numbered(vec![track("a", TrackArray::Attributes, "x")]);
        let plan = plan(entries, &Limits::default(), &accept_all);
        assert_eq!(positions(&plan), vec![1]);
        assert!(!plan.full);
    }

    #[test]
    fn total50_contract_caps_requests_at_50_objects() {
        let entries = numbered(
            (0..60)
                .map(|_| track("u", TrackArray::Purchases, "p"))
                .collect(),
        );
        let plan = plan(
            entries,
            &Limits::with_contract(ContractShape::Total50),
            &accept_all,
        );
        assert_eq!(plan.request.unwrap().len(), 50);
        assert!(plan.full);
    }

    #[test]
    fn per_array_contract_packs_75_of_each_array() {
        let mut entries = Vec::new();
        for _ in 0..80 {
            entries.push(track("u", TrackArray::Attributes, "x"));
            entries.push(track("u", TrackArray::Events, "e"));
        }
        let plan = plan(
            numbered(entries),
            &Limits::with_contract(ContractShape::PerArray75),
            &accept_all,
        );
        // The 76th attribute (entry 151) ends the prefix: 75 attributes + 75 events.
        assert_eq!(plan.request.unwrap().len(), 150);
        assert!(plan.full);
    }

    #[test]
    fn distinct_external_ids_are_capped() {
        let limits = Limits {
            max_distinct_external_ids: 3,
            ..Limits::default()
        };
        let entries = numbered(vec![
            track("a", TrackArray::Events, "e"),
            track("b", TrackArray::Events, "e"),
            track("a", TrackArray::Events, "e"),
            track("c", TrackArray::Events, "e"),
            track("c", TrackArray::Events, "e"),
            track("d", TrackArray::Events, "e"),
        ]);
        let plan = plan(entries, &limits, &accept_all);
        assert_eq!(positions(&plan), vec![1, 2, 3, 4, 5]);
        assert!(plan.full);
    }

    #[test]
    fn body_size_limit_ends_the_batch() {
        let limits = Limits {
            max_body_bytes: 1024,
            ..Limits::default()
        };
        let big = "x".repeat(200);
        let entries = numbered(
            (0..10)
                .map(|_| track("u", TrackArray::Attributes, &big))
                .collect(),
        );
        let plan = plan(entries, &limits, &accept_all);
        let request = plan.request.unwrap();
        assert!(serde_json::to_vec(&request.body()).unwrap().len() < 1024);
        assert_eq!(request.len(), 4);
        assert!(plan.full);
    }

    #[test]
    fn an_object_too_big_for_any_request_is_refused_not_sent() {
        let limits = Limits {
            max_body_bytes: 1024,
            ..Limits::default()
        };
        let entries = numbered(vec![
            track("u", TrackArray::Attributes, &"x".repeat(2000)),
            track("u", TrackArray::Attributes, "small"),
        ]);
        let plan = plan(entries, &limits, &accept_all);
        assert_eq!(plan.refused.len(), 1);
        assert_eq!(plan.refused[0].position, 1);
        assert_eq!(positions(&plan), vec![2]);
    }

    #[test]
    fn a_delete_ends_the_track_batch_before_it_so_order_holds() {
        let entries = numbered(vec![
            track("a", TrackArray::Attributes, "x"),
            track("a", TrackArray::Events, "e"),
            delete("a"),
            track("a", TrackArray::Events, "after"),
        ]);
        let first = plan(entries.clone(), &Limits::default(), &accept_all);
        assert_eq!(first.request.as_ref().unwrap().endpoint, Endpoint::Track);
        assert_eq!(positions(&first), vec![1, 2]);
        assert!(
            first.full,
            "the request must flush now, the delete waits behind it"
        );

        let second = plan(entries[2..].to_vec(), &Limits::default(), &accept_all);
        assert_eq!(second.request.as_ref().unwrap().endpoint, Endpoint::Delete);
        assert_eq!(positions(&second), vec![3]);
        assert!(second.full);
    }

    #[test]
    fn identifies_are_grouped_up_to_fifty() {
        let entries = numbered((0..60).map(|i| identify(&format!("u{i}"))).collect());
        let plan = plan(entries, &Limits::default(), &accept_all);
        let request = plan.request.unwrap();
        assert_eq!(request.endpoint, Endpoint::Identify);
        assert_eq!(request.len(), 50);
        let body = request.body();
        assert_eq!(body["aliases_to_identify"].as_array().unwrap().len(), 50);
        assert_eq!(body["aliases_to_identify"][0]["external_id"], "u0");
        assert_eq!(
            body["aliases_to_identify"][0]["user_alias"]["alias_name"],
            "anon-u0"
        );
    }

    #[test]
    fn delete_body_lists_external_ids() {
        let plan = plan(
            numbered(vec![delete("a"), delete("b")]),
            &Limits::default(),
            &accept_all,
        );
        assert_eq!(
            plan.request.unwrap().body(),
            json!({"external_ids": ["a", "b"]})
        );
    }

    #[test]
    fn invalid_objects_are_refused_without_taking_room() {
        let entries = numbered(
            (0..80)
                .map(|i| track("u", TrackArray::Events, if i == 3 { "bad" } else { "ok" }))
                .collect(),
        );
        let reject_bad = |object: &TrackObject| {
            if object.body["name"] == "bad" {
                Err("event name is bad".to_string())
            } else {
                Ok(())
            }
        };
        let plan = plan(entries, &Limits::default(), &reject_bad);
        assert_eq!(plan.refused.len(), 1);
        assert_eq!(plan.refused[0].position, 4);
        assert_eq!(plan.refused[0].reason, "event name is bad");
        let request = plan.request.unwrap();
        assert_eq!(request.len(), 75);
        assert_eq!(request.items.last().unwrap().position, 76);
    }

    #[test]
    fn body_groups_objects_by_array_and_locate_maps_indexes_back() {
        let entries = numbered(vec![
            track("a", TrackArray::Events, "e1"),
            track("a", TrackArray::Attributes, "x"),
            track("b", TrackArray::Events, "e2"),
            track("b", TrackArray::Purchases, "p"),
        ]);
        let request = plan(entries, &Limits::default(), &accept_all)
            .request
            .unwrap();
        let body = request.body();
        assert_eq!(body["events"][1]["name"], "e2");
        assert_eq!(body["attributes"].as_array().unwrap().len(), 1);
        assert_eq!(request.locate(TrackArray::Events, 1), Some(2));
        assert_eq!(request.locate(TrackArray::Attributes, 0), Some(1));
        assert_eq!(request.locate(TrackArray::Purchases, 0), Some(3));
        assert_eq!(request.locate(TrackArray::Purchases, 1), None);
    }

    #[test]
    fn split_keeps_order_and_loses_nothing() {
        let entries = numbered(
            (0..7)
                .map(|_| track("u", TrackArray::Events, "e"))
                .collect(),
        );
        let request = plan(entries, &Limits::default(), &accept_all)
            .request
            .unwrap();
        let (a, b) = request.split();
        let all: Vec<u64> = a.items.iter().chain(&b.items).map(|i| i.position).collect();
        assert_eq!(all, (1..=7).collect::<Vec<_>>());
        assert_eq!((a.len(), b.len()), (3, 4));
    }

    #[test]
    fn data_points_are_priced_per_array() {
        let entries = numbered(vec![
            track("a", TrackArray::Attributes, "x"),
            track("a", TrackArray::Events, "e"),
            track("a", TrackArray::Purchases, "p"),
        ]);
        let request = plan(entries, &Limits::default(), &accept_all)
            .request
            .unwrap();
        let points = request.data_points();
        assert_eq!(
            (points.attributes, points.events, points.purchases),
            (1, 1, 1)
        );
    }

    proptest::proptest! {
        #[test]
        fn planned_track_batches_respect_every_limit_and_are_a_prefix(
            users in proptest::collection::vec(0u8..120, 1..300),
            arrays in proptest::collection::vec(0u8..3, 300),
            contract in 0u8..3,
        ) {
            let limits = Limits::with_contract(match contract {
                0 => ContractShape::Total75,
                1 => ContractShape::PerArray75,
                _ => ContractShape::Total50,
            });
            let entries = numbered(users.iter().zip(&arrays).map(|(u, a)| {
                let array = [TrackArray::Attributes, TrackArray::Events, TrackArray::Purchases][*a as usize];
                track(&format!("user-{u}"), array, "v")
            }).collect());
            let n = entries.len();
            let plan = plan(entries, &limits, &accept_all);
            let request = plan.request.unwrap();
            let got: Vec<u64> = request.items.iter().map(|i| i.position).collect();
            proptest::prop_assert_eq!(got, (1..=request.len() as u64).collect::<Vec<_>>());
            let body = request.body();
            let count = |k: &str| body.get(k).and_then(Value::as_array).map_or(0, Vec::len);
            proptest::prop_assert!(limits.contract.fits(count("attributes"), count("events"), count("purchases")));
            let ids: HashSet<String> = request.items.iter().map(|i| match &i.entry.payload {
                OutboxPayload::Track { object } => object.user.key(),
                _ => unreachable!(),
            }).collect();
            proptest::prop_assert!(ids.len() <= 75);
            proptest::prop_assert!(request.len() == n || plan.full);
        }
    }
}
