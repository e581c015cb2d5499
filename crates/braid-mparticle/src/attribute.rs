//! User attribute values as mParticle sends them: string, number, boolean or a list of
//! strings, plus `null` and anything else a client sends (kept, never fatal).

use crate::json::{deserialize_via_from_json, FromJson};
use crate::parse::BatchError;
use crate::path::Path;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A user's attributes by key. Keys keep the case the client sent; reserved keys
/// (`$FirstName`…) are matched case-insensitively by consumers.
pub type AttributeMap = BTreeMap<String, AttributeValue>;

/// One user attribute value.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

impl AttributeValue {
    /// Reads any JSON value; never fails. Lists of scalars become lists of strings
    /// (`[1, true, "a"]` → `["1", "true", "a"]`, `null` entries dropped); lists holding
    /// objects or nested lists and bare objects are kept as [`AttributeValue::Other`].
    pub fn from_value(v: Value) -> Self {
        match v {
            Value::Null => AttributeValue::Null,
            Value::Bool(b) => AttributeValue::Bool(b),
            Value::Number(n) => AttributeValue::Number(n),
            Value::String(s) => AttributeValue::String(s),
            Value::Array(items) => {
                if items
                    .iter()
                    .any(|i| matches!(i, Value::Array(_) | Value::Object(_)))
                {
                    return AttributeValue::Other(Value::Array(items));
                }
                AttributeValue::List(
                    items
                        .into_iter()
                        .filter_map(|i| match i {
                            Value::String(s) => Some(s),
                            Value::Number(n) => Some(n.to_string()),
                            Value::Bool(b) => Some(b.to_string()),
                            _ => None,
                        })
                        .collect(),
                )
            }
            other => AttributeValue::Other(other),
        }
    }
}

impl FromJson for AttributeValue {
    fn from_json(value: Value, _path: &Path<'_>) -> Result<Self, BatchError> {
        Ok(AttributeValue::from_value(value))
    }
}

deserialize_via_from_json!(AttributeValue);

/// Reads `user_attributes`: an object (or `null`, read as empty) of attribute values.
pub(crate) fn attribute_map(v: Value, p: &Path<'_>) -> Result<AttributeMap, BatchError> {
    Ok(crate::json::opt_object(v, p)?
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::from_value(v)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_scalars_become_strings() {
        assert_eq!(
            AttributeValue::from_value(json!(["a", 1, 2.5, true, null])),
            AttributeValue::List(vec!["a".into(), "1".into(), "2.5".into(), "true".into()])
        );
    }

    #[test]
    fn lists_of_objects_are_kept_as_other() {
        let v = json!([{"a": 1}, "b"]);
        assert_eq!(
            AttributeValue::from_value(v.clone()),
            AttributeValue::Other(v)
        );
    }

    #[test]
    fn null_is_an_accepted_value() {
        assert_eq!(
            AttributeValue::from_value(json!(null)),
            AttributeValue::Null
        );
    }
}
