//! The events of a batch: `{"event_type": "...", "data": {...}}`, one variant per type.

use crate::commerce::CommerceEvent;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Fields every event's `data` may carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventCommon {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_unixtime_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_uuid: Option<String>,
    /// Event attributes. Values are usually strings; numbers, booleans and anything
    /// else are kept as sent and filtered by the outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_flags: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Value>,
    /// Fields this version does not model, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `custom_event` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomEvent {
    pub event_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_event_type: Option<String>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `screen_view` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScreenView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<String>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `session_end` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionEnd {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration_ms: Option<i64>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `opt_out` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OptOut {
    #[serde(default)]
    pub is_opted_out: bool,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `push_registration` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PushRegistration {
    #[serde(default = "default_true")]
    pub register: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_token: Option<String>,
    #[serde(flatten)]
    pub common: EventCommon,
}

fn default_true() -> bool {
    true
}

/// `push_message` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PushMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_message_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_message_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `user_attribute_change` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserAttributeChange {
    pub user_attribute_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub is_new_attribute: bool,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// `user_identity_change` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserIdentityChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// One event of a batch. Serialises back to `{"event_type": ..., "data": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data", rename_all = "snake_case")]
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
}

impl Event {
    /// The `event_type` string of this event.
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
            | Event::Uninstall(c) => c,
        }
    }
}
