//! Value encoding (a version byte, then MessagePack; see the crate docs) and error mapping.

use braid_core::storage::{BoxError, StorageError, StoreResult};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// First byte of a value encoded as MessagePack with field names (this release's format).
/// Values written before it are bare `serde_json`, whose first byte is always printable
/// ASCII (`{`, `[`, `"`, a digit, `t`, `f`, `n` or `-`), so the two can never be confused.
pub(crate) const MSGPACK_V1: u8 = 0x01;

/// First byte of a history row holding several events of one batch: MessagePack of an
/// array of `[ts_ms, event]` pairs, oldest first (each event as `MSGPACK_V1` encodes it).
/// A row without it holds one event, encoded as any other value.
pub(crate) const HISTORY_EVENTS_V1: u8 = 0x02;

/// Map any engine error into a [`StorageError::Backend`], keeping it as the source.
pub(crate) fn backend(e: impl Into<BoxError>) -> StorageError {
    StorageError::Backend(e.into())
}

/// Encode a value in the current format, appending to `out`.
fn encode_into<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> StoreResult<()> {
    out.push(MSGPACK_V1);
    // Named fields (maps, not arrays): the stored types skip empty fields and default
    // missing ones, which needs a self-describing layout, as JSON was.
    let mut serializer = rmp_serde::Serializer::new(out).with_struct_map();
    value
        .serialize(&mut serializer)
        .map_err(|e| StorageError::encode("value", e))
}

/// Encode a value.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> StoreResult<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    encode_into(&mut out, value)?;
    Ok(out)
}

/// Decode a value in either format (version byte, or a legacy JSON value); `what` names
/// it in the error.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> StoreResult<T> {
    match bytes.split_first() {
        Some((&MSGPACK_V1, body)) => {
            rmp_serde::from_slice(body).map_err(|e| StorageError::corrupt(what, e))
        }
        _ => serde_json::from_slice(bytes).map_err(|e| StorageError::corrupt(what, e)),
    }
}

/// Encode a history row of several events, already in time order.
pub(crate) fn encode_history_events(events: &[(i64, &serde_json::Value)]) -> StoreResult<Vec<u8>> {
    let mut out = Vec::with_capacity(64 + 192 * events.len());
    out.push(HISTORY_EVENTS_V1);
    let mut serializer = rmp_serde::Serializer::new(&mut out).with_struct_map();
    events
        .serialize(&mut serializer)
        .map_err(|e| StorageError::encode("history events", e))?;
    Ok(out)
}

/// The events of one history row (keyed at `key_ts_ms`): one, or a batch's several.
pub(crate) fn decode_history_row(
    key_ts_ms: i64,
    bytes: &[u8],
) -> StoreResult<Vec<(i64, serde_json::Value)>> {
    match bytes.split_first() {
        Some((&HISTORY_EVENTS_V1, body)) => {
            rmp_serde::from_slice(body).map_err(|e| StorageError::corrupt("history events", e))
        }
        _ => Ok(vec![(key_ts_ms, decode(bytes, "history event")?)]),
    }
}

/// How many events a history row holds, without decoding them.
pub(crate) fn history_row_events(bytes: &[u8]) -> StoreResult<u64> {
    match bytes.split_first() {
        Some((&HISTORY_EVENTS_V1, body)) => {
            let pairs: Vec<serde::de::IgnoredAny> = rmp_serde::from_slice(body)
                .map_err(|e| StorageError::corrupt("history events", e))?;
            Ok(pairs.len() as u64)
        }
        _ => Ok(1),
    }
}

/// Encode a value behind its user's MPID (8 bytes, big-endian).
pub(crate) fn encode_for_user<T: Serialize>(mpid: i64, value: &T) -> StoreResult<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(&mpid.to_be_bytes());
    encode_into(&mut out, value)?;
    Ok(out)
}

/// The MPID prefix of a value written by [`encode_for_user`].
pub(crate) fn user_of(bytes: &[u8]) -> StoreResult<i64> {
    let prefix: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| StorageError::corrupt("stored value", "shorter than its mpid prefix"))?;
    Ok(i64::from_be_bytes(prefix))
}

/// Decode a value written by [`encode_for_user`] (either format after the prefix).
pub(crate) fn decode_for_user<T: DeserializeOwned>(bytes: &[u8], what: &str) -> StoreResult<T> {
    user_of(bytes)?;
    decode(&bytes[8..], what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_written_as_json_by_earlier_releases_still_decode() {
        let value = json!({"a": 1, "b": [true, null, "x"], "c": 1.5});
        let legacy = serde_json::to_vec(&value).expect("json");
        let decoded: serde_json::Value = decode(&legacy, "value").expect("decode");
        assert_eq!(decoded, value);
        let mut prefixed = 7i64.to_be_bytes().to_vec();
        prefixed.extend_from_slice(&legacy);
        let decoded: serde_json::Value = decode_for_user(&prefixed, "value").expect("decode");
        assert_eq!(decoded, value);
    }

    #[test]
    fn new_values_carry_the_version_byte_and_round_trip() {
        let value = json!({"a": 1, "b": [true, null, "x"], "c": 1.5, "d": {"e": -3}});
        let bytes = encode(&value).expect("encode");
        assert_eq!(bytes[0], MSGPACK_V1);
        assert_eq!(
            decode::<serde_json::Value>(&bytes, "value").expect("decode"),
            value
        );
    }

    #[test]
    fn a_history_row_of_several_events_round_trips_and_counts_them() {
        let (a, b) = (
            json!({"name": "viewed", "attrs": {"x": 1}}),
            json!({"name": "bought"}),
        );
        let bytes = encode_history_events(&[(10, &a), (12, &b)]).expect("encode");
        assert_eq!(bytes[0], HISTORY_EVENTS_V1);
        assert_eq!(history_row_events(&bytes).expect("count"), 2);
        assert_eq!(
            decode_history_row(10, &bytes).expect("decode"),
            vec![(10, a.clone()), (12, b)]
        );
        let single = encode(&a).expect("encode");
        assert_eq!(history_row_events(&single).expect("count"), 1);
        assert_eq!(
            decode_history_row(7, &single).expect("decode"),
            vec![(7, a)]
        );
    }

    #[test]
    fn an_unknown_version_is_reported_as_corrupt_naming_the_value() {
        let err = decode::<serde_json::Value>(&[0x03, 0x00], "profile").expect_err("corrupt");
        assert!(err.to_string().contains("profile"), "{err}");
    }
}
