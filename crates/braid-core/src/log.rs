//! Records of the durable ingest log: one accepted batch each, in acceptance order.

use serde::{Deserialize, Serialize};

/// Whether a batch is live data, a historical backfill (stored, never forwarded), or
/// Braze Currents events (recorded, never sent back to Braze; see `crate::currents`), or
/// live data whose events and attributes the Braze web kit already sent from the browser
/// (`ViaKit`: kept like live data, only braid's own audience memberships and
/// calculated attributes are forwarded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogRecordKind {
    Live,
    Historical,
    /// Currents events of one user, `{"events":[...]}` in the Custom HTTP shape.
    Currents,
    /// Currents events that could not be accepted, `{"rejected":[{"reason","event"}]}`:
    /// kept with their reason, applied to nobody.
    CurrentsRejected,
    ViaKit,
}

/// One accepted batch as it sits in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    /// Name of the input (key) that sent it.
    pub input: String,
    pub kind: LogRecordKind,
    pub received_ms: i64,
    /// The batch exactly as received (validated JSON), so nothing the client sent is lost.
    pub batch_json: String,
}
