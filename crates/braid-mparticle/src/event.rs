//! The events of a batch: `{"event_type": "...", "data": {...}}`, one variant per type.
//!
//! Parsing is hand-written over `serde_json::Value` (see `json`) rather than derived:
//! serde's adjacently tagged enums and `flatten` buffer their input, which loses the
//! JSON path and yields messages like "missing field `event_name`". Serialisation is
//! derived for the data structs and hand-written for [`Event`] so the stored shape is
//! exactly the wire shape.

use crate::commerce::CommerceEvent;
use crate::json::{
    self, deserialize_via_from_json, opt_bool, opt_i64, opt_object, opt_string, opt_value, FromJson,
};
use crate::parse::BatchError;
use crate::path::Path;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// Fields every event's `data` may carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventCommon {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp_unixtime_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_uuid: Option<String>,
    /// Event attributes. Values are usually strings; numbers, booleans and anything
    /// else are kept as sent and filtered by the outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_flags: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Value>,
    /// Fields this version does not model, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EventCommon {
    /// Reads an event's `data` object. `specific` is offered each field first, with the
    /// field's path; it returns the value back (`Ok(Some(v))`) when the field is not one
    /// of its own. Fields nobody claims are kept in `extra`.
    pub(crate) fn read_data(
        data: Map<String, Value>,
        p: &Path<'_>,
        mut specific: impl FnMut(&str, Value, &Path<'_>) -> Result<Option<Value>, BatchError>,
    ) -> Result<EventCommon, BatchError> {
        let mut c = EventCommon::default();
        for (key, value) in data {
            let kp = p.key(&key);
            let Some(value) = specific(&key, value, &kp)? else {
                continue;
            };
            match key.as_str() {
                "timestamp_unixtime_ms" => c.timestamp_unixtime_ms = opt_i64(value, &kp)?,
                "event_id" => c.event_id = opt_value(value),
                "source_message_id" => c.source_message_id = opt_string(value, &kp)?,
                "session_id" => c.session_id = opt_value(value),
                "session_uuid" => c.session_uuid = opt_string(value, &kp)?,
                "custom_attributes" => c.custom_attributes = opt_object(value, &kp)?,
                "custom_flags" => c.custom_flags = opt_value(value),
                "location" => c.location = opt_value(value),
                _ => {
                    c.extra.insert(key, value);
                }
            }
        }
        Ok(c)
    }
}

/// `custom_event` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CustomEvent {
    pub event_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_event_type: Option<String>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `screen_view` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScreenView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screen_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<String>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `session_end` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SessionEnd {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_duration_ms: Option<i64>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `opt_out` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OptOut {
    pub is_opted_out: bool,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `push_registration` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PushRegistration {
    pub register: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_token: Option<String>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `push_message` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PushMessage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_message_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_message_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `user_attribute_change` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UserAttributeChange {
    pub user_attribute_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    pub deleted: bool,
    pub is_new_attribute: bool,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `user_identity_change` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UserIdentityChange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// One event of a batch. Serialises back to `{"event_type": ..., "data": ...}`.
// Commerce events are the largest variant (~1 KB); boxing it would change the pattern
// other crates match on, and a batch holds at most a few hundred events, so the
// size is accepted.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    CustomEvent(CustomEvent),
    CommerceEvent(CommerceEvent),
    ScreenView(ScreenView),
    SessionStart(EventCommon),
    SessionEnd(SessionEnd),
    OptOut(OptOut),
    PushRegistration(PushRegistration),
    PushMessage(PushMessage),
    UserAttributeChange(UserAttributeChange),
    UserIdentityChange(UserIdentityChange),
    CrashReport(EventCommon),
    FirstRun(EventCommon),
    ApplicationStateTransition(EventCommon),
    Breadcrumb(EventCommon),
    NetworkPerformance(EventCommon),
    Profile(EventCommon),
    Uninstall(EventCommon),
    /// An `event_type` this version does not know. Kept (never fatal) so that a newer
    /// SDK's events are stored; `data` holds the common fields and everything else in
    /// `extra`. Outputs skip it.
    Unknown {
        /// The `event_type` exactly as sent.
        event_type: String,
        /// The event's `data`.
        data: EventCommon,
    },
}

impl Event {
    /// The `event_type` of this event; `"unknown"` for [`Event::Unknown`], so the value
    /// is safe as a metrics label (a client cannot create unbounded label values). See
    /// [`Event::wire_event_type`] for the string as sent.
    pub fn event_type(&self) -> &'static str {
        match self {
            Event::CustomEvent(_) => "custom_event",
            Event::CommerceEvent(_) => "commerce_event",
            Event::ScreenView(_) => "screen_view",
            Event::SessionStart(_) => "session_start",
            Event::SessionEnd(_) => "session_end",
            Event::OptOut(_) => "opt_out",
            Event::PushRegistration(_) => "push_registration",
            Event::PushMessage(_) => "push_message",
            Event::UserAttributeChange(_) => "user_attribute_change",
            Event::UserIdentityChange(_) => "user_identity_change",
            Event::CrashReport(_) => "crash_report",
            Event::FirstRun(_) => "first_run",
            Event::ApplicationStateTransition(_) => "application_state_transition",
            Event::Breadcrumb(_) => "breadcrumb",
            Event::NetworkPerformance(_) => "network_performance",
            Event::Profile(_) => "profile",
            Event::Uninstall(_) => "uninstall",
            Event::Unknown { .. } => "unknown",
        }
    }

    /// The `event_type` as it appears on the wire: the same as [`Event::event_type`]
    /// for known types, the string as sent for [`Event::Unknown`].
    pub fn wire_event_type(&self) -> &str {
        match self {
            Event::Unknown { event_type, .. } => event_type,
            known => known.event_type(),
        }
    }

    /// The fields shared by every event type.
    pub fn common(&self) -> &EventCommon {
        match self {
            Event::CustomEvent(e) => &e.common,
            Event::CommerceEvent(e) => &e.common,
            Event::ScreenView(e) => &e.common,
            Event::SessionEnd(e) => &e.common,
            Event::OptOut(e) => &e.common,
            Event::PushRegistration(e) => &e.common,
            Event::PushMessage(e) => &e.common,
            Event::UserAttributeChange(e) => &e.common,
            Event::UserIdentityChange(e) => &e.common,
            Event::SessionStart(c)
            | Event::CrashReport(c)
            | Event::FirstRun(c)
            | Event::ApplicationStateTransition(c)
            | Event::Breadcrumb(c)
            | Event::NetworkPerformance(c)
            | Event::Profile(c)
            | Event::Uninstall(c)
            | Event::Unknown { data: c, .. } => c,
        }
    }

    /// True for [`Event::Unknown`].
    pub fn is_unknown(&self) -> bool {
        matches!(self, Event::Unknown { .. })
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("event_type", self.wire_event_type())?;
        match self {
            Event::CustomEvent(e) => m.serialize_entry("data", e)?,
            Event::CommerceEvent(e) => m.serialize_entry("data", e)?,
            Event::ScreenView(e) => m.serialize_entry("data", e)?,
            Event::SessionEnd(e) => m.serialize_entry("data", e)?,
            Event::OptOut(e) => m.serialize_entry("data", e)?,
            Event::PushRegistration(e) => m.serialize_entry("data", e)?,
            Event::PushMessage(e) => m.serialize_entry("data", e)?,
            Event::UserAttributeChange(e) => m.serialize_entry("data", e)?,
            Event::UserIdentityChange(e) => m.serialize_entry("data", e)?,
            other => m.serialize_entry("data", other.common())?,
        }
        m.end()
    }
}

impl FromJson for Event {
    fn from_json(value: Value, p: &Path<'_>) -> Result<Self, BatchError> {
        let mut ev = json::object(value, p)?;
        let event_type = match ev.remove("event_type") {
            None | Some(Value::Null) => return Err(p.key("event_type").err("missing")),
            Some(v) => json::strict_string(v, &p.key("event_type"))?,
        };
        // A missing or null `data` reads as `{}` so that required fields are reported
        // by name (`events[0].data.event_name: missing`). Other event-level keys are
        // ignored: mParticle defines none.
        let dp = p.key("data");
        let data = match ev.remove("data") {
            None | Some(Value::Null) => Map::new(),
            Some(v) => json::object(v, &dp)?,
        };
        Event::from_data(event_type, data, &dp)
    }
}

impl Event {
    /// Builds the variant for `event_type` from its `data` (at path `p`). Known types
    /// are matched without regard to ASCII case.
    fn from_data(
        event_type: String,
        data: Map<String, Value>,
        p: &Path<'_>,
    ) -> Result<Event, BatchError> {
        let plain = |data| EventCommon::read_data(data, p, |_, v, _| Ok(Some(v)));
        let kind = event_type.to_ascii_lowercase();
        Ok(match kind.as_str() {
            "custom_event" => Event::CustomEvent(CustomEvent::from_data(data, p)?),
            "commerce_event" => Event::CommerceEvent(CommerceEvent::from_data(data, p)?),
            "screen_view" => Event::ScreenView(ScreenView::from_data(data, p)?),
            "session_start" => Event::SessionStart(plain(data)?),
            "session_end" => Event::SessionEnd(SessionEnd::from_data(data, p)?),
            "opt_out" => Event::OptOut(OptOut::from_data(data, p)?),
            "push_registration" => Event::PushRegistration(PushRegistration::from_data(data, p)?),
            "push_message" => Event::PushMessage(PushMessage::from_data(data, p)?),
            "user_attribute_change" => {
                Event::UserAttributeChange(UserAttributeChange::from_data(data, p)?)
            }
            "user_identity_change" => {
                Event::UserIdentityChange(UserIdentityChange::from_data(data, p)?)
            }
            "crash_report" => Event::CrashReport(plain(data)?),
            "first_run" => Event::FirstRun(plain(data)?),
            "application_state_transition" => Event::ApplicationStateTransition(plain(data)?),
            "breadcrumb" => Event::Breadcrumb(plain(data)?),
            "network_performance" => Event::NetworkPerformance(plain(data)?),
            "profile" => Event::Profile(plain(data)?),
            "uninstall" => Event::Uninstall(plain(data)?),
            _ => Event::Unknown {
                event_type,
                data: plain(data)?,
            },
        })
    }
}

/// Data structs read from their `data` object; `FromJson` for them checks for an object
/// first so that they can also be deserialised on their own.
pub(crate) trait FromData: Sized {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError>;
}

macro_rules! from_json_via_from_data {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_json(value: Value, p: &Path<'_>) -> Result<Self, BatchError> {
                <$t as FromData>::from_data(json::object(value, p)?, p)
            }
        }
        deserialize_via_from_json!($t);
    )*};
}
pub(crate) use from_json_via_from_data;

impl FromData for EventCommon {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        EventCommon::read_data(data, p, |_, v, _| Ok(Some(v)))
    }
}

impl FromData for CustomEvent {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let (mut name, mut kind) = (None, None);
        let common = EventCommon::read_data(data, p, |k, v, kp| {
            match k {
                "event_name" => name = opt_string(v, kp)?,
                "custom_event_type" => kind = opt_string(v, kp)?,
                _ => return Ok(Some(v)),
            }
            Ok(None)
        })?;
        Ok(CustomEvent {
            event_name: name.ok_or_else(|| p.key("event_name").err("missing"))?,
            custom_event_type: kind,
            common,
        })
    }
}

impl FromData for ScreenView {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let (mut screen_name, mut activity_type) = (None, None);
        let common = EventCommon::read_data(data, p, |k, v, kp| {
            match k {
                "screen_name" => screen_name = opt_string(v, kp)?,
                "activity_type" => activity_type = opt_string(v, kp)?,
                _ => return Ok(Some(v)),
            }
            Ok(None)
        })?;
        Ok(ScreenView {
            screen_name,
            activity_type,
            common,
        })
    }
}

impl FromData for SessionEnd {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let mut session_duration_ms = None;
        let common = EventCommon::read_data(data, p, |k, v, kp| {
            match k {
                "session_duration_ms" => session_duration_ms = opt_i64(v, kp)?,
                _ => return Ok(Some(v)),
            }
            Ok(None)
        })?;
        Ok(SessionEnd {
            session_duration_ms,
            common,
        })
    }
}

impl FromData for OptOut {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let mut is_opted_out = None;
        let common = EventCommon::read_data(data, p, |k, v, kp| {
            match k {
                "is_opted_out" => is_opted_out = opt_bool(v, kp)?,
                _ => return Ok(Some(v)),
            }
            Ok(None)
        })?;
        Ok(OptOut {
            is_opted_out: is_opted_out.unwrap_or(false),
            common,
        })
    }
}

impl FromData for PushRegistration {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let (mut register, mut registration_token) = (None, None);
        let common = EventCommon::read_data(data, p, |k, v, kp| {
            match k {
                "register" => register = opt_bool(v, kp)?,
                "registration_token" => registration_token = opt_string(v, kp)?,
                _ => return Ok(Some(v)),
            }
            Ok(None)
        })?;
        Ok(PushRegistration {
            register: register.unwrap_or(true),
            registration_token,
            common,
        })
    }
}

impl FromData for PushMessage {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let mut e = PushMessage::default();
        e.common = EventCommon::read_data(data, p, |k, v, kp| {
            match k {
                "push_message_token" => e.push_message_token = opt_string(v, kp)?,
                "push_message_type" => e.push_message_type = opt_string(v, kp)?,
                "message" => e.message = opt_string(v, kp)?,
                "network" => e.network = opt_string(v, kp)?,
                _ => return Ok(Some(v)),
            }
            Ok(None)
        })?;
        Ok(e)
    }
}

impl FromData for UserAttributeChange {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let mut name = None;
        let (mut new, mut old, mut deleted, mut is_new) = (None, None, None, None);
        let common = EventCommon::read_data(data, p, |k, v, kp| {
            match k {
                "user_attribute_name" => name = opt_string(v, kp)?,
                "new" => new = opt_value(v),
                "old" => old = opt_value(v),
                "deleted" => deleted = opt_bool(v, kp)?,
                "is_new_attribute" => is_new = opt_bool(v, kp)?,
                _ => return Ok(Some(v)),
            }
            Ok(None)
        })?;
        Ok(UserAttributeChange {
            user_attribute_name: name.ok_or_else(|| p.key("user_attribute_name").err("missing"))?,
            new,
            old,
            deleted: deleted.unwrap_or(false),
            is_new_attribute: is_new.unwrap_or(false),
            common,
        })
    }
}

impl FromData for UserIdentityChange {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let (mut new, mut old) = (None, None);
        let common = EventCommon::read_data(data, p, |k, v, _| {
            match k {
                "new" => new = opt_value(v),
                "old" => old = opt_value(v),
                _ => return Ok(Some(v)),
            }
            Ok(None)
        })?;
        Ok(UserIdentityChange { new, old, common })
    }
}

from_json_via_from_data!(
    EventCommon,
    CustomEvent,
    ScreenView,
    SessionEnd,
    OptOut,
    PushRegistration,
    PushMessage,
    UserAttributeChange,
    UserIdentityChange
);
deserialize_via_from_json!(Event);
