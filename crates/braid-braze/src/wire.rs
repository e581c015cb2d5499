//! Braze `/users/track` wire types.
//!
//! Objects are kept as JSON maps with typed constructors rather than rigid structs:
//! Braze attribute objects are open-ended (any custom attribute key), and the validator
//! and simulator must handle exactly what went over the wire.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How an object names its user. Exactly one is present on every object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UserRef {
    /// `external_id`.
    ExternalId(String),
    /// `user_alias: {alias_name, alias_label}`.
    Alias {
        alias_name: String,
        alias_label: String,
    },
    /// `braze_id`.
    BrazeId(String),
    /// `email` used as the identifier.
    Email(String),
    /// `phone` used as the identifier.
    Phone(String),
}

impl UserRef {
    /// Write this identifier into an object's JSON map.
    pub fn write_into(&self, object: &mut Map<String, Value>) {
        match self {
            UserRef::ExternalId(id) => {
                object.insert("external_id".into(), Value::String(id.clone()));
            }
            UserRef::Alias {
                alias_name,
                alias_label,
            } => {
                let mut alias = Map::new();
                alias.insert("alias_name".into(), Value::String(alias_name.clone()));
                alias.insert("alias_label".into(), Value::String(alias_label.clone()));
                object.insert("user_alias".into(), Value::Object(alias));
            }
            UserRef::BrazeId(id) => {
                object.insert("braze_id".into(), Value::String(id.clone()));
            }
            UserRef::Email(e) => {
                object.insert("email".into(), Value::String(e.clone()));
            }
            UserRef::Phone(p) => {
                object.insert("phone".into(), Value::String(p.clone()));
            }
        }
    }

    /// A stable key for per-user grouping (order, distinct-id counting).
    pub fn key(&self) -> String {
        match self {
            UserRef::ExternalId(id) => format!("external_id:{id}"),
            UserRef::Alias {
                alias_name,
                alias_label,
            } => format!("alias:{alias_label}:{alias_name}"),
            UserRef::BrazeId(id) => format!("braze_id:{id}"),
            UserRef::Email(e) => format!("email:{e}"),
            UserRef::Phone(p) => format!("phone:{p}"),
        }
    }
}

/// Which array of `/users/track` an object belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackArray {
    Attributes,
    Events,
    Purchases,
}

impl TrackArray {
    /// The array's name in the request body and in Braze's `input_array`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrackArray::Attributes => "attributes",
            TrackArray::Events => "events",
            TrackArray::Purchases => "purchases",
        }
    }
}

/// One object destined for `/users/track`: its array, its user and its JSON body
/// (which already contains the identifier fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackObject {
    pub array: TrackArray,
    pub user: UserRef,
    pub body: Map<String, Value>,
}

/// A `/users/track` request body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackRequest {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purchases: Vec<Map<String, Value>>,
}

impl TrackRequest {
    /// Total objects across the three arrays.
    pub fn object_count(&self) -> usize {
        self.attributes.len() + self.events.len() + self.purchases.len()
    }

    /// Append an object to its array.
    pub fn push(&mut self, object: &TrackObject) {
        let body = object.body.clone();
        match object.array {
            TrackArray::Attributes => self.attributes.push(body),
            TrackArray::Events => self.events.push(body),
            TrackArray::Purchases => self.purchases.push(body),
        }
    }
}

/// A `/users/identify` entry merging an alias-only profile into an external id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasToIdentify {
    pub external_id: String,
    pub user_alias: AliasRef,
}

/// `{alias_name, alias_label}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRef {
    pub alias_name: String,
    pub alias_label: String,
}
