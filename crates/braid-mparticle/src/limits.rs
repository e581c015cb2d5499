//! mParticle's documented Events API limits, used as braid's defaults.

/// Largest request body: under 256 KB.
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;
/// Largest single batch: 128 KB.
pub const MAX_BATCH_BYTES: usize = 128 * 1024;
/// Most batches in one `/v2/bulkevents` request.
pub const MAX_BULK_BATCHES: usize = 100;
/// Most attributes on one event.
pub const MAX_EVENT_ATTRIBUTES: usize = 100;
/// Longest event attribute value, in characters.
pub const MAX_ATTRIBUTE_VALUE_CHARS: usize = 4096;
/// Most user attributes in one batch.
pub const MAX_USER_ATTRIBUTES: usize = 100;
/// Most entries in a user attribute list.
pub const MAX_ATTRIBUTE_LIST_ENTRIES: usize = 1000;
/// Longest entry of a user attribute list, in characters.
pub const MAX_ATTRIBUTE_LIST_ENTRY_CHARS: usize = 512;
/// Longest event name, in characters.
pub const MAX_EVENT_NAME_CHARS: usize = 256;
