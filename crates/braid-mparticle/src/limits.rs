//! mParticle's documented Events API limits, used as braid's defaults, and the check of a
//! parsed batch against them (`validate_batch`). Byte sizes are enforced by the HTTP
//! layer on the raw body; the constants live here so there is one source.

use crate::attribute::AttributeValue;
use crate::batch::Batch;
use crate::event::{Event, EventCommon};
use crate::parse::BatchError;
use crate::path::Path;
use serde::{Deserialize, Serialize};

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

/// The limits a batch is checked against. `Default` gives mParticle's documented values;
/// deployments may raise them (braid has no technical reason for mParticle's numbers,
/// but Braze-bound data is cheaper and safer within them). This is braid's `[limits]`
/// configuration section: requests over the byte limits are answered 413.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub max_request_bytes: usize,
    /// Largest single batch, in bytes.
    pub max_batch_bytes: usize,
    /// Most batches in one bulk request.
    pub max_bulk_batches: usize,
    /// Longest event name (and commerce event name, screen name), in characters.
    pub max_event_name_chars: usize,
    /// Most custom attributes on one event.
    pub max_event_attributes: usize,
    /// Longest attribute string value (event or user), in characters.
    pub max_attribute_value_chars: usize,
    /// Most user attributes in one batch.
    pub max_user_attributes: usize,
    /// Most entries in one user attribute list.
    pub max_attribute_list_entries: usize,
    /// Longest entry of a user attribute list, in characters.
    pub max_attribute_list_entry_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request_bytes: MAX_REQUEST_BYTES,
            max_batch_bytes: MAX_BATCH_BYTES,
            max_bulk_batches: MAX_BULK_BATCHES,
            max_event_name_chars: MAX_EVENT_NAME_CHARS,
            max_event_attributes: MAX_EVENT_ATTRIBUTES,
            max_attribute_value_chars: MAX_ATTRIBUTE_VALUE_CHARS,
            max_user_attributes: MAX_USER_ATTRIBUTES,
            max_attribute_list_entries: MAX_ATTRIBUTE_LIST_ENTRIES,
            max_attribute_list_entry_chars: MAX_ATTRIBUTE_LIST_ENTRY_CHARS,
        }
    }
}

/// Refuses a bulk request holding more than `limits.max_bulk_batches` batches.
pub fn check_bulk_len(batches: usize, limits: &Limits) -> Result<(), BatchError> {
    if batches > limits.max_bulk_batches {
        return Err(Path::ROOT.err(format!(
            "at most {} batches per request, got {batches}",
            limits.max_bulk_batches
        )));
    }
    Ok(())
}

/// Checks a parsed batch against `limits`, returning the first violation with its path
/// (`events[2].data.event_name: at most 256 characters, got 300`).
pub fn validate_batch(batch: &Batch, limits: &Limits) -> Result<(), BatchError> {
    let root = Path::ROOT;
    check_timestamp(
        batch.timestamp_unixtime_ms,
        &root.key("timestamp_unixtime_ms"),
    )?;

    let ua = root.key("user_attributes");
    if batch.user_attributes.len() > limits.max_user_attributes {
        return Err(ua.err(format!(
            "at most {} attributes, got {}",
            limits.max_user_attributes,
            batch.user_attributes.len()
        )));
    }
    for (key, value) in &batch.user_attributes {
        let kp = ua.key(key);
        match value {
            AttributeValue::String(s) => {
                check_chars(s, limits.max_attribute_value_chars, &kp)?;
            }
            AttributeValue::List(items) => {
                if items.len() > limits.max_attribute_list_entries {
                    return Err(kp.err(format!(
                        "at most {} entries, got {}",
                        limits.max_attribute_list_entries,
                        items.len()
                    )));
                }
                for (i, item) in items.iter().enumerate() {
                    check_chars(item, limits.max_attribute_list_entry_chars, &kp.index(i))?;
                }
            }
            _ => {}
        }
    }

    let events = root.key("events");
    for (i, event) in batch.events.iter().enumerate() {
        let ep = events.index(i);
        let dp = ep.key("data");
        validate_event(event, limits, &dp)?;
    }
    Ok(())
}

fn validate_event(event: &Event, limits: &Limits, dp: &Path<'_>) -> Result<(), BatchError> {
    match event {
        Event::CustomEvent(e) => {
            let np = dp.key("event_name");
            if e.event_name.trim().is_empty() {
                return Err(np.err("must not be empty"));
            }
            check_chars(&e.event_name, limits.max_event_name_chars, &np)?;
        }
        Event::CommerceEvent(e) => {
            if let Some(name) = &e.event_name {
                check_chars(name, limits.max_event_name_chars, &dp.key("event_name"))?;
            }
            if let Some(name) = &e.screen_name {
                check_chars(name, limits.max_event_name_chars, &dp.key("screen_name"))?;
            }
        }
        Event::ScreenView(e) => {
            if let Some(name) = &e.screen_name {
                check_chars(name, limits.max_event_name_chars, &dp.key("screen_name"))?;
            }
        }
        _ => {}
    }
    validate_common(event.common(), limits, dp)
}

fn validate_common(c: &EventCommon, limits: &Limits, dp: &Path<'_>) -> Result<(), BatchError> {
    check_timestamp(c.timestamp_unixtime_ms, &dp.key("timestamp_unixtime_ms"))?;
    if let Some(attrs) = &c.custom_attributes {
        let ap = dp.key("custom_attributes");
        if attrs.len() > limits.max_event_attributes {
            return Err(ap.err(format!(
                "at most {} attributes, got {}",
                limits.max_event_attributes,
                attrs.len()
            )));
        }
        for (key, value) in attrs {
            if let serde_json::Value::String(s) = value {
                check_chars(s, limits.max_attribute_value_chars, &ap.key(key))?;
            }
        }
    }
    Ok(())
}

fn check_timestamp(ts: Option<i64>, p: &Path<'_>) -> Result<(), BatchError> {
    match ts {
        Some(t) if t < 0 => Err(p.err("must not be negative")),
        _ => Ok(()),
    }
}

fn check_chars(s: &str, max: usize, p: &Path<'_>) -> Result<(), BatchError> {
    // Byte length bounds character count from above, so most strings skip the count.
    if s.len() <= max {
        return Ok(());
    }
    let chars = s.chars().count();
    if chars > max {
        return Err(p.err(format!("at most {max} characters, got {chars}")));
    }
    Ok(())
}
