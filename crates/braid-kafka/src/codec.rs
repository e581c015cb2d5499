//! How a log record sits in a Kafka message: the value is a version byte followed by the
//! [`LogRecord`] as JSON; the `source_request_id` rides in a header.

use braid_core::log::LogRecord;
use braid_core::storage::{StorageError, StoreResult};
use rdkafka::message::{BorrowedMessage, Header, Headers, OwnedHeaders};
use rdkafka::Message;

/// The encoding of the value; bump it when the layout changes, and keep reading old ones.
const VERSION_JSON: u8 = 1;
/// The header carrying `source_request_id`.
const SOURCE_REQUEST_ID: &str = "braid.source_request_id";

/// The message value of `record`.
pub(crate) fn encode(record: &LogRecord) -> StoreResult<Vec<u8>> {
    let mut value = Vec::with_capacity(record.batch_json.len() + 128);
    value.push(VERSION_JSON);
    serde_json::to_writer(&mut value, record)
        .map_err(|e| StorageError::encode("log record for kafka", e))?;
    Ok(value)
}

/// The headers of a record with this `source_request_id`.
pub(crate) fn headers(source_request_id: Option<&str>) -> OwnedHeaders {
    let headers = OwnedHeaders::new();
    match source_request_id {
        Some(id) => headers.insert(Header {
            key: SOURCE_REQUEST_ID,
            value: Some(id),
        }),
        None => headers,
    }
}

/// The record and `source_request_id` of a consumed message.
pub(crate) fn decode(message: &BorrowedMessage<'_>) -> StoreResult<(LogRecord, Option<String>)> {
    let what = || {
        format!(
            "kafka message {}/{}@{}",
            message.topic(),
            message.partition(),
            message.offset()
        )
    };
    let value = message.payload().unwrap_or_default();
    let record = match value.split_first() {
        Some((&VERSION_JSON, json)) => serde_json::from_slice::<LogRecord>(json)
            .map_err(|e| StorageError::corrupt(what(), e))?,
        Some((version, _)) => {
            return Err(StorageError::corrupt(
                what(),
                format!("unknown encoding version {version}"),
            ))
        }
        None => return Err(StorageError::corrupt(what(), "empty value")),
    };
    let mut source_request_id = None;
    if let Some(headers) = message.headers() {
        for header in headers.iter() {
            if header.key == SOURCE_REQUEST_ID {
                let id = header.value.map(String::from_utf8_lossy);
                source_request_id = id.map(|id| id.into_owned());
            }
        }
    }
    Ok((record, source_request_id))
}
