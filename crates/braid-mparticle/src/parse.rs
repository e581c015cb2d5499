//! Parsing request bodies into batches, with errors that name the JSON path.
//!
//! A body is first read into a `serde_json::Value` and then converted by hand (see
//! `json`), carrying the path down so that every refusal says where and why:
//! `events[3].data.event_name: missing`, `mpid: expected a 64-bit integer`. The same
//! conversion backs the types' `Deserialize` impls, so re-reading a stored batch with
//! `serde_json` accepts exactly what ingest accepted.

use crate::batch::Batch;
use crate::json::FromJson;
use crate::path::Path;
use serde_json::Value;

/// Why a batch or request body was refused. The message names the JSON path and the
/// reason, e.g. `events[3].data.event_name: missing`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct BatchError {
    /// JSON path from the root of the body (`events[3].data.event_name`); `$` for the
    /// root. In a bulk body each batch's paths start with its index (`[2].mpid`).
    pub path: String,
    /// What is wrong, lowercase, no trailing period.
    pub reason: String,
}

/// Parse one batch (`/v2/events` body).
pub fn parse_batch(body: &[u8]) -> Result<Batch, BatchError> {
    batch_from_value(read_json(body)?)
}

/// Convert an already-parsed JSON value into a batch (for callers that received JSON
/// some other way, e.g. inside another envelope).
pub fn batch_from_value(value: Value) -> Result<Batch, BatchError> {
    Batch::from_json(value, &Path::ROOT)
}

/// Parse a bulk body (`/v2/bulkevents`): a JSON array whose elements are converted one
/// by one, so one bad batch does not sink the others. The outer error is for a body that
/// is not JSON or not an array. The batch count limit is checked by the caller
/// ([`crate::limits::check_bulk_len`]).
pub fn parse_bulk(body: &[u8]) -> Result<Vec<Result<Batch, BatchError>>, BatchError> {
    match read_json(body)? {
        Value::Array(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, item)| Batch::from_json(item, &Path::ROOT.index(i)))
            .collect()),
        _ => Err(Path::ROOT.err("expected an array of batches")),
    }
}

fn read_json(body: &[u8]) -> Result<Value, BatchError> {
    serde_json::from_slice(body).map_err(|e| Path::ROOT.err(format!("invalid json: {e}")))
}
