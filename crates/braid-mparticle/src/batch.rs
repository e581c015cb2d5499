//! The batch: one user's events, attributes and identities in one request body.

use crate::attribute::AttributeMap;
use crate::event::Event;
use crate::identity::{Identities, Mpid};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `environment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    #[default]
    Production,
    Development,
    /// Some clients send other casings or values; they are kept, never fatal.
    #[serde(other)]
    Unknown,
}

/// One mParticle batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_info: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_info: Option<Map<String, Value>>,
    #[serde(default)]
    pub user_attributes: AttributeMap,
    #[serde(default)]
    pub deleted_user_attributes: Vec<String>,
    #[serde(default)]
    pub user_identities: Identities,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_state: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_attributes: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpid: Option<Mpid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_unixtime_ms: Option<i64>,
    /// Top-level fields this version does not model, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
