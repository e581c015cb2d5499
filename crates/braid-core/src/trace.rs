//! What the pipeline did with one batch, kept only while someone watches the console's
//! live stream: the user it resolved to, the events it carried, the Braze objects it
//! queued with their data-point cost, or why nothing was forwarded.
//!
//! The pipeline builds a trace only when [`PipelineReport::traces`] is `Some`, so an
//! unwatched braid spends nothing on it.
//!
//! [`PipelineReport::traces`]: crate::pipeline::PipelineReport::traces

use crate::outbox::OutboxEntry;
use braid_braze::billing::DataPoints;

/// One applied batch, as the live stream shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchTrace {
    /// Position in the ingest log.
    pub position: u64,
    /// The input (credential name) the batch came in on.
    pub input: String,
    /// When braid accepted it (UNIX ms).
    pub received_ms: i64,
    /// The profile it was applied to.
    pub mpid: i64,
    /// The profile's identities after the batch, as `(type, value)`.
    pub identities: Vec<(String, String)>,
    /// The batch's events: custom event names, screen names, commerce actions, or the
    /// event type for the rest.
    pub events: Vec<String>,
    /// What was queued for Braze (after the delta step).
    pub queued: Vec<OutboxEntry>,
    /// Data points those objects cost.
    pub data_points: DataPoints,
    /// Data points the delta step saved on this batch.
    pub data_points_saved: DataPoints,
    /// Why nothing was queued, when nothing was.
    pub not_forwarded: Option<NotForwarded>,
}

/// Why a batch sent nothing to Braze.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotForwarded {
    /// Sent to `/v2/bulkevents/historical`: kept in profiles, never forwarded.
    Historical,
    /// From a web input whose events and attributes the Braze web kit sends from the
    /// browser: braid forwards only what the kit cannot know (memberships, calculated
    /// attributes), and here there was none.
    ViaKit,
    /// The Braze output is switched off.
    OutputDisabled,
    /// The user has no identity Braze can address (no external id, and neither alias
    /// nor email forwarding applies).
    Anonymous,
    /// The mapping produced nothing: every event and attribute was filtered by the
    /// connection settings (session events, screen views, dropped values).
    Filtered,
    /// Everything mapped was already in Braze: the delta step dropped it all.
    Unchanged,
    /// Braze Currents events: recorded, never sent back to Braze (only the audience
    /// memberships they cause are).
    FromBraze,
}

impl NotForwarded {
    /// A short explanation for people.
    pub fn describe(self) -> &'static str {
        match self {
            NotForwarded::Historical => "historical batch: kept in the profile, never forwarded",
            NotForwarded::ViaKit => {
                "web kit input: the Braze web kit sends its events and attributes from the browser"
            }
            NotForwarded::OutputDisabled => "the Braze output is off",
            NotForwarded::Anonymous => "anonymous: the user has no external id for Braze",
            NotForwarded::Filtered => "filtered: the connection settings forward none of it",
            NotForwarded::Unchanged => "unchanged: Braze already has every value (delta step)",
            NotForwarded::FromBraze => "from Braze Currents: recorded, never sent back to Braze",
        }
    }
}

/// `after - before`, field by field (report counters only grow).
pub(crate) fn data_points_since(after: DataPoints, before: DataPoints) -> DataPoints {
    DataPoints {
        attributes: after.attributes.saturating_sub(before.attributes),
        events: after.events.saturating_sub(before.events),
        purchases: after.purchases.saturating_sub(before.purchases),
    }
}
