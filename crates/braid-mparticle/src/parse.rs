//! Parsing request bodies into batches, with errors that name the JSON path.

use crate::batch::Batch;

/// Why a batch or request body was refused. The message names the JSON path and the
/// reason, e.g. `events[3].data.event_name: missing`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct BatchError {
    /// JSON path from the root of the body (`events[3].data.event_name`); `$` for the root.
    pub path: String,
    /// What is wrong, lowercase, no trailing period.
    pub reason: String,
}

/// Parse one batch (`/v2/events` body).
pub fn parse_batch(body: &[u8]) -> Result<Batch, BatchError> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body)).map_err(|e| {
        BatchError {
            path: e.path().to_string(),
            reason: e.inner().to_string(),
        }
    })
}

/// Parse a bulk body (`/v2/bulkevents`): a JSON array whose elements are parsed one by one,
/// so one bad batch does not sink the others.
pub fn parse_bulk(body: &[u8]) -> Result<Vec<Result<Batch, BatchError>>, BatchError> {
    let items: Vec<&serde_json::value::RawValue> =
        serde_json::from_slice(body).map_err(|e| BatchError {
            path: "$".into(),
            reason: e.to_string(),
        })?;
    Ok(items
        .into_iter()
        .map(|raw| parse_batch(raw.get().as_bytes()))
        .collect())
}
