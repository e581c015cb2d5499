//! Value encoding (serde_json, see the crate docs) and error mapping.

use braid_core::storage::{BoxError, StorageError, StoreResult};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Map any engine error into a [`StorageError::Backend`], keeping it as the source.
pub(crate) fn backend(e: impl Into<BoxError>) -> StorageError {
    StorageError::Backend(e.into())
}

/// Encode a value.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StorageError::encode("value", e))
}

/// Decode a value; `what` names it in the error.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| StorageError::corrupt(what, e))
}

/// Encode a value behind its user's MPID (8 bytes, big-endian).
pub(crate) fn encode_for_user<T: Serialize>(mpid: i64, value: &T) -> StoreResult<Vec<u8>> {
    let mut out = mpid.to_be_bytes().to_vec();
    serde_json::to_writer(&mut out, value).map_err(|e| StorageError::encode("value", e))?;
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

/// Decode a value written by [`encode_for_user`].
pub(crate) fn decode_for_user<T: DeserializeOwned>(bytes: &[u8], what: &str) -> StoreResult<T> {
    user_of(bytes)?;
    decode(&bytes[8..], what)
}
