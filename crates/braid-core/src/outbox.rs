//! What is waiting to be sent to Braze, and what Braze refused.
//!
//! The outbox is split into lanes by user, so that each lane can be delivered
//! sequentially (per-user order) while lanes proceed concurrently.

use braid_braze::wire::{AliasToIdentify, TrackObject};
use serde::{Deserialize, Serialize};

/// The payload of one outbox entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboxPayload {
    /// One `/users/track` object.
    Track { object: TrackObject },
    /// One `/users/identify` alias merge.
    Identify { identify: AliasToIdentify },
    /// A `/users/delete` of one external id (erasure).
    Delete { external_id: String },
}

/// One entry waiting for Braze.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The profile it is about (erasure removes a user's entries by this).
    pub mpid: i64,
    pub payload: OutboxPayload,
    /// Braze data points this entry will cost.
    pub data_points: u32,
    /// When the batch that produced it was accepted (for 202→ack latency).
    pub accepted_ms: i64,
}

impl OutboxEntry {
    /// Whether refusing this entry for good must make the delta state forget its user.
    /// The delta step recorded an attributes object as sent; once Braze refuses it, that
    /// record is wrong, and the user's next change must re-send in full instead of being
    /// dropped as "unchanged". [`Outbox::complete`](crate::storage::Outbox::complete)
    /// applies it in the commit that dead-letters the entry.
    pub fn refusal_forgets_sent_state(&self) -> bool {
        matches!(
            &self.payload,
            OutboxPayload::Track { object } if object.array == braid_braze::wire::TrackArray::Attributes
        )
    }
}

/// An entry Braze refused for good, kept with the reason so it can be listed and replayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub entry: OutboxEntry,
    /// Braze's error type or braid's reason, e.g. `"Invalid product_id"`.
    pub reason: String,
    /// HTTP status of the answer that refused it, when there was one.
    pub status: Option<u16>,
    pub failed_ms: i64,
}
