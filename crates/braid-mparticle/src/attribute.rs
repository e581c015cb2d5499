//! User attribute values as mParticle sends them: string, number, boolean or a list of
//! strings, plus `null` and anything else a client sends (kept, never fatal).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A user's attributes by key. Keys keep the case the client sent; reserved keys
/// (`$FirstName`…) are matched case-insensitively by consumers.
pub type AttributeMap = BTreeMap<String, AttributeValue>;

/// One user attribute value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    /// mParticle attribute lists are lists of strings; other scalars in a list are
    /// converted to their string form by the parser.
    List(Vec<String>),
    /// `null`: some SDKs send it to mean "attribute with no value".
    Null,
    /// Objects and other shapes mParticle does not support; kept so nothing is lost,
    /// never forwarded to Braze.
    Other(serde_json::Value),
}
