//! The batch: one user's events, attributes and identities in one request body.

use crate::attribute::{attribute_map, AttributeMap};
use crate::event::Event;
use crate::identity::{identities, opt_mpid, Identities, Mpid};
use crate::json::{
    self, array_of, deserialize_via_from_json, opt_i64, opt_object, opt_string, opt_value, FromJson,
};
use crate::parse::BatchError;
use crate::path::Path;
use serde::Serialize;
use serde_json::{Map, Value};

/// `environment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    #[default]
    Production,
    Development,
    /// Any other value; kept, never fatal.
    Unknown,
}

impl Environment {
    /// Reads `production` / `development` in any letter case; anything else is
    /// [`Environment::Unknown`].
    pub fn parse_lenient(s: &str) -> Environment {
        let t = s.trim();
        if t.eq_ignore_ascii_case("production") {
            Environment::Production
        } else if t.eq_ignore_ascii_case("development") {
            Environment::Development
        } else {
            Environment::Unknown
        }
    }
}

impl FromJson for Environment {
    fn from_json(value: Value, p: &Path<'_>) -> Result<Self, BatchError> {
        Ok(Environment::parse_lenient(&json::strict_string(value, p)?))
    }
}

/// One mParticle batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Batch {
    pub events: Vec<Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_info: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_info: Option<Map<String, Value>>,
    pub user_attributes: AttributeMap,
    pub deleted_user_attributes: Vec<String>,
    pub user_identities: Identities,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_state: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_attributes: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mpid: Option<Mpid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp_unixtime_ms: Option<i64>,
    /// Top-level fields this version does not model, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FromJson for Batch {
    fn from_json(value: Value, p: &Path<'_>) -> Result<Self, BatchError> {
        let mut b = Batch::default();
        for (key, v) in json::object(value, p)? {
            let kp = p.key(&key);
            match key.as_str() {
                "events" => b.events = array_of(v, &kp, Event::from_json)?,
                "source_request_id" => b.source_request_id = opt_string(v, &kp)?,
                "environment" => {
                    b.environment = match v {
                        Value::Null => None,
                        v => Some(Environment::from_json(v, &kp)?),
                    }
                }
                "schema_version" => b.schema_version = opt_value(v),
                "device_info" => b.device_info = opt_object(v, &kp)?,
                "application_info" => b.application_info = opt_object(v, &kp)?,
                "user_attributes" => b.user_attributes = attribute_map(v, &kp)?,
                "deleted_user_attributes" => {
                    b.deleted_user_attributes = array_of(v, &kp, json::string)?
                }
                "user_identities" => b.user_identities = identities(v, &kp)?,
                "consent_state" => b.consent_state = opt_value(v),
                "integration_attributes" => b.integration_attributes = opt_value(v),
                "context" => b.context = opt_value(v),
                "mpid" => b.mpid = opt_mpid(v, &kp)?,
                "ip" => b.ip = opt_string(v, &kp)?,
                "timestamp_unixtime_ms" => b.timestamp_unixtime_ms = opt_i64(v, &kp)?,
                _ => {
                    b.extra.insert(key, v);
                }
            }
        }
        Ok(b)
    }
}

deserialize_via_from_json!(Batch, Environment);
